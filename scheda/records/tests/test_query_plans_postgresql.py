"""PostgreSQL reads a page sorted by a property in the order of that property's index, the id
breaking ties, with no sort of its own (docs/DECISIONS.md 21). Its planner weighs table size, so
other scans and sorts are made dear to read whether a plan without a sort exists."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheda.objects.services import load_schema
from scheda.records import services
from scheda.records.query import Filter, Query
from scheda.records.services import Author
from scheda.savedviews.index import IndexCompiler

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's query plan")]


def plans(query: Query) -> list[str]:
    schema = load_schema("contacts")
    services.create_records(schema.object_type, [
        {"email": f"p{i}@example.com", "lastname": ["Rossi", "Bianchi"][i % 2], "lifecyclestage": "customer"}
        for i in range(40)], Author())
    with CaptureQueriesContext(connection) as captured:
        IndexCompiler(schema).page(query, 10, None)
    found = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")  # a sort stays in the plan only if none can avoid it
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        for executed in captured.captured_queries:
            cursor.execute("EXPLAIN " + executed["sql"])
            found.append(" | ".join(row[0] for row in cursor.fetchall()))
    return found


@pytest.mark.parametrize("descending", [False, True])
def test_a_page_sorted_by_a_property_sorts_nothing(descending):
    found = plans(Query(filter_groups=[[Filter("lifecyclestage", "EQ", "customer")]], sort="lastname",
                        descending=descending))
    by_value = [plan for plan in found if "IS NOT NULL" in plan]
    assert by_value and all("_lastname" in plan for plan in by_value), found
    assert not any("Sort" in plan for plan in found), found
