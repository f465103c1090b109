"""The timeline's queries use their indexes (SQLite's plans; PostgreSQL's depend on table sizes,
so bench/timeline.py measures them there, and only an order written into the SQL is checked
here). A plan that scans records or sorts the whole timeline would be fine on a test database
and slow at a million records."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheda.activities import services, timeline
from scheda.records import services as records
from scheda.records.services import Author, Source

pytestmark = pytest.mark.django_db
sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's plans")


def plans(run) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        run()
    found = []
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            if "timelineentry" in query["sql"]:
                cursor.execute(f"{'EXPLAIN QUERY PLAN' if sqlite else 'EXPLAIN'} {query['sql']}")
                found.append(" | ".join(row[3 if sqlite else 0] for row in cursor.fetchall()))
    return found


@pytest.fixture
def contact():
    author = Author(Source.API)
    contact = records.create_record("contacts", {"email": "plan@example.com"}, author)
    for i in range(3):
        services.log_activity("notes", {"hs_note_body": f"n{i}"}, author, on=[contact])
    return contact


@sqlite_only
@pytest.mark.parametrize("filters", [timeline.Filters(), timeline.Filters(query="word"), timeline.Filters(kinds={"tasks"})])
def test_pages_walk_the_record_index_in_order(contact, filters):
    for plan in plans(lambda: timeline.timeline(contact, filters)):
        assert "USING INDEX timeline_record_at (record_id=?" in plan, plan
        assert "TEMP B-TREE" not in plan, plan


@sqlite_only
def test_restore_list_starts_from_deleted_activities(contact):
    (plan,) = plans(lambda: services.deleted_activities(contact))
    assert "USING INDEX record_deleted_at" in plan and "timeline_one_entry_per_activity" in plan, plan


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's plan; SQLite's is above")
def test_restore_list_reads_the_deleted_activities_before_the_timeline(contact):
    """On PostgreSQL too: left to its statistics, with other records archived, it walked every
    record by id instead (430 ms at L)."""
    (plan,) = plans(lambda: services.deleted_activities(contact))
    assert "CTE deleted" in plan and "CTE Scan on deleted" in plan, plan
    assert "records_record_pkey" not in plan, plan


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's row comparison; SQLite is given an OR")
def test_the_next_page_is_one_range_of_the_record_index_whatever_plan_is_kept(contact):
    """Past a cursor, (occurred_at, id) < (at, id) is one range of the (record, time, id) index.
    Written as an OR, the plan a kept connection keeps for every record read each entry of the
    busy contact and sorted them (32 ms against 0.3 at data set L)."""
    first = timeline.timeline(contact, limit=2)
    with CaptureQueriesContext(connection) as captured:
        second = timeline.timeline(contact, after=first.after, limit=2)
    (page,) = [q["sql"] for q in captured.captured_queries if "timelineentry" in q["sql"] and "ORDER BY" in q["sql"]]
    assert '("activities_timelineentry"."occurred_at", "activities_timelineentry"."id") < (' in page, page
    assert " OR " not in page.split("ORDER BY")[0].split('"open")')[-1], page
    assert [i.key for i in first.items + second.items] == [i.key for i in timeline.timeline(contact, limit=10).items]
