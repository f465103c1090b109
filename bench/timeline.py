"""`make bench`: the record timeline of the data set's busy contact (1,000 activities in S,
10,000 in L, among 50k / 5M activities).

Prints server time (p50/p95, in process, no network) of:
- the first page of the busy contact's timeline, as the Activities tab's partial renders it
  (the timeline service, the counts, the template) and the number of queries it takes;
- the next page (keyset);
- a timeline search on that contact;
Runs on SQLite in a temporary folder, or on the PostgreSQL named by BENCH_DATABASE_URL.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import dataset, percentiles, setup

args = setup("timeline", reads=300)

from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from scheda.activities import views  # noqa: E402
from scheda.activities.models import TimelineEntry  # noqa: E402
from scheda.objects.services import one_request  # noqa: E402
from scheda.records.models import Record  # noqa: E402

user = dataset(args, "timeline")
busy = Record.objects.filter(object_type__name="contacts").order_by("id").first()
assert busy is not None
entries = TimelineEntry.objects.filter(record_id=busy.pk).count()
activities = Record.objects.filter(object_type__is_activity=True).count()
print(f"  busy contact {busy.pk}: {entries:,} timeline entries; {activities:,} activities in all")
factory = RequestFactory()


def measure(label: str, query: dict[str, str]) -> None:
    def once() -> tuple[float, int, bytes]:
        request = factory.get(f"/record/{busy.pk}/timeline/", query)
        request.user = user
        connection.queries_log.clear()  # the log keeps 9,000 queries: past that the count reads 0
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            with one_request():  # the schema token read once, as SchemaPerRequest does for a request
                response = views.timeline_view(request, busy.pk)
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content[:500]
        return elapsed, len(queries), response.content

    once()  # the first request of the process loads the schemas and what is kept with them
    _, count, content = once()
    p50, p95 = percentiles([once()[0] for _ in range(args.reads)])
    print(f"  {label}: p50 {p50:.2f} ms, p95 {p95:.2f} ms, {count} queries, {content.count(b'<article')} items")


measure("first page", {})
request = factory.get(f"/record/{busy.pk}/timeline/")
request.user = user
after = views.tab_context(request, busy)["page"].after
measure("second page (keyset)", {"after": after or ""})
measure("search 'budget'", {"q": "budget"})
measure("search 'preventivo' (rarer)", {"q": "preventivo"})
measure("search with no match (reads every entry)", {"q": "zebra"})
measure("tab Tasks", {"type": "tasks"})
sys.stdout.flush()
