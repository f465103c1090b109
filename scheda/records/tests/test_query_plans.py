"""Filters and sorts on indexed properties use their index (SQLite's plan is read with
EXPLAIN QUERY PLAN; PostgreSQL's choice depends on table size, so it is measured in bench/)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheda.objects.services import load_schema
from scheda.records import services
from scheda.records.query import Compiler, Filter, Query
from scheda.records.services import Author

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's query plan")]


@pytest.fixture(autouse=True)
def committed_statistics():
    """The planner's statistics as the database holds them. A test that wrote a thousand
    records ran ANALYZE (services.STATISTICS_AFTER); its rollback undid the rows in
    sqlite_stat1, but the connection keeps the statistics it loaded, and with them the
    planner would judge these 30 contacts by another test's data."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sqlite_master")  # reloads the statistics from sqlite_stat1


def plan(query: Query) -> str:
    schema = load_schema("contacts")
    services.create_records(schema.object_type, [{"email": f"p{i}@example.com", "lastname": f"L{i}"} for i in range(30)],
                            Author())
    with CaptureQueriesContext(connection) as captured:
        Compiler(schema).page(query, 10, None)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + captured.captured_queries[-1]["sql"])
        return " | ".join(row[-1] for row in cursor.fetchall())


def test_equality_on_email_uses_its_index_even_with_a_sort():
    found = plan(Query(filter_groups=[[Filter("email", "EQ", "p3@example.com")]], sort="createdate", descending=True))
    assert "USING INDEX rp_" in found and "email" in found, found


def test_sorting_by_a_property_reads_its_index_in_order():
    found = plan(Query(sort="lastname"))
    assert "lastname" in found and "TEMP B-TREE" not in found, found


def test_listing_reads_the_type_index_in_id_order():
    found = plan(Query())
    assert "record_type_archived_id" in found and "TEMP B-TREE" not in found, found


def test_unique_lookups_of_many_values_use_the_unique_index():
    from scheda.records import storage

    schema = load_schema("contacts")
    services.create_records(schema.object_type, [{"email": f"u{i}@example.com"} for i in range(5)], Author())
    values = [f"u{i}@example.com" for i in range(600)]
    with CaptureQueriesContext(connection) as captured:
        found = storage.holders(schema.object_type.pk, "email", values)
    assert sorted(v for _, v in found) == [f"u{i}@example.com" for i in range(5)]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + captured.captured_queries[0]["sql"])
        detail = " | ".join(row[-1] for row in cursor.fetchall())
    assert "USING INDEX rp_" in detail and "email" in detail, detail
