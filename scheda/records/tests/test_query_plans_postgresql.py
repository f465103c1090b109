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
        for executed in (q for q in captured.captured_queries if q["sql"].startswith("SELECT")):
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


def test_a_capped_count_reads_an_index_and_stops_at_the_cap():
    """A sequential scan would read the other types' rows first; a bitmap scan every match
    before the first (savedviews.index.index_scans). The settings go with the count, one round
    trip, and are reset after it."""
    from scheda.savedviews.index import count_of

    schema = load_schema("contacts")
    services.create_records(schema.object_type, [{"lifecyclestage": "customer"} for _ in range(30)], Author())
    query = Query(filter_groups=[[Filter("lifecyclestage", "EQ", "customer")]])
    with CaptureQueriesContext(connection) as captured:
        assert count_of(IndexCompiler(schema), query, 10) == (10, True)
    (sql,) = [q["sql"] for q in captured.captured_queries]
    statements = [part.strip() for part in sql.split(";") if part.strip()]
    assert statements[:2] == ["SET enable_seqscan = off", "SET enable_bitmapscan = off"], sql
    assert statements[3:] == ["RESET enable_seqscan", "RESET enable_bitmapscan"], sql
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"
        cursor.execute("; ".join(statements[:2]))
        cursor.execute("EXPLAIN " + statements[2])
        plan = " | ".join(row[0] for row in cursor.fetchall())
        cursor.execute("; ".join(statements[3:]))
    assert "Index Scan using rp_" in plan and "lifecyclestage" in plan and "Bitmap" not in plan, plan


def test_a_text_search_keeps_its_bitmap_scans():
    from scheda.savedviews.index import index_scans

    assert index_scans(Query(text="rossi")) == ["enable_seqscan"]
    assert index_scans(Query(), ordered=True) == ["enable_seqscan", "enable_bitmapscan", "enable_sort", "jit"]


@pytest.mark.django_db(transaction=True)
def test_the_statement_runs_with_the_settings_and_a_failed_one_leaves_the_planner_as_it_was():
    """Outside a transaction a SET would outlive the request on a kept connection: the SETs are
    rolled back with a statement that fails."""
    from django.db import DatabaseError

    from scheda.records.storage import planned
    from scheda.savedviews.index import index_scans

    assert planned("SELECT current_setting('enable_seqscan'), %s", [7], ["enable_seqscan", "jit"]) == [("off", 7)]
    with pytest.raises(DatabaseError):
        planned("SELECT no_such_column FROM records_record", [], index_scans(Query()))
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"
        cursor.execute("SHOW enable_bitmapscan")
        assert cursor.fetchone()[0] == "on"


def test_the_unique_value_check_joins_the_values_to_the_unique_index():
    """A batch's e-mails are looked up through the unique index, as a join of the array of
    values: `= ANY(array)` had the planner prove every partial index's predicate for each value
    (planning 100 e-mails took twice as long as the join)."""
    from scheda.records import storage

    schema = load_schema("contacts")
    made = services.create_records(schema.object_type, [{"email": f"u{i}@example.com"} for i in range(30)], Author())
    wanted = [f"u{i}@example.com" for i in range(0, 60, 2)]
    with CaptureQueriesContext(connection) as captured:
        found = storage.holders(schema.object_type.pk, "email", wanted)
    assert sorted(found) == sorted((record.pk, record.properties["email"]) for record in made[::2])
    (sql,) = [q["sql"] for q in captured.captured_queries]
    assert "unnest(" in sql and "ANY(" not in sql, sql
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = " | ".join(row[0] for row in cursor.fetchall())
    assert f"rp_{schema.object_type.pk}_email" in plan, plan


def test_a_search_is_planned_for_its_values_each_time():
    """A kept connection prepares a statement it runs again, and PostgreSQL may then keep one plan
    for every value; a search's is chosen for how many records its values match (decisions 13, 21
    and 42), so its values are never parameters of a prepared statement."""
    from scheda.records.query import Compiler
    from scheda.records.search import search_ids
    from scheda.savedviews.index import count_of

    schema = load_schema("contacts")
    services.create_records(schema.object_type, [{"email": f"s{i}@example.com", "lastname": "Rossi"} for i in range(3)],
                            Author())
    query = Query(filter_groups=[[Filter("lastname", "EQ", "Rossi")]])
    for _run in range(6):
        assert Compiler(schema).count(query) == 3
        assert Compiler(schema).page(query, 10, None)[0]
        assert count_of(IndexCompiler(schema), query) == (3, False)
        assert len(search_ids(schema.object_type, "rossi")) == 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert prepared, "nothing was prepared: the connection does not prepare statements"
    # Prepared with its values written in (run again word for word), a search keeps its plan for them.
    assert not [statement for statement in prepared if "$1" in statement and ("lastname" in statement or "search_vector" in statement)]


def test_a_text_search_under_its_cap_finds_its_matches_before_sorting_them():
    """PostgreSQL guesses a word missing from its statistics at 2,219 of 1M contacts and walked the
    sort index for it, through every contact when one held it (3.4 s at L): under the cap the
    matches, a thousand at most, are found by the text index first."""
    from scheda.savedviews.index import page_of

    schema = load_schema("contacts")
    services.create_records(schema.object_type, [
        {"email": f"w{i}@example.com", "lastname": "Rossi" if i else "Quuxworthy"} for i in range(40)], Author())
    with CaptureQueriesContext(connection) as captured:
        page = page_of(schema, Query(text="quuxworthy", sort="createdate", descending=True))
    assert [r.properties["lastname"] for r in page.records] == ["Quuxworthy"]
    read = [q["sql"] for q in captured.captured_queries if "ORDER BY" in q["sql"] and "search_vector" in q["sql"]]
    assert read
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + read[0])
        plan = " | ".join(row[0] for row in cursor.fetchall())
    # the matches sorted, not the create date index walked for them
    assert "Sort Key: records_record.created_at DESC" in plan and "Index Scan Backward" not in plan, plan
