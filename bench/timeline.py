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

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--size", choices=["S", "L"], default="S")
parser.add_argument("--reads", type=int, default=300)
parser.add_argument("--data-dir", help="reuse a data dir holding a generated data set")
args = parser.parse_args()

workdir = Path(args.data_dir or tempfile.mkdtemp(prefix="scheda-bench-timeline-"))
os.environ["SCHEDA_DATA_DIR"] = str(workdir)
os.environ["DJANGO_SETTINGS_MODULE"] = "scheda.settings"
pg_url = os.environ.get("BENCH_DATABASE_URL", "")
if pg_url and not args.data_dir:
    import psycopg

    base, _, name = pg_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
if pg_url:
    os.environ["SCHEDA_DATABASE_URL"] = pg_url

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from scheda.accounts.models import User  # noqa: E402
from scheda.activities import views  # noqa: E402
from scheda.activities.models import TimelineEntry  # noqa: E402
from scheda.demo.dataset import SIZES, Generator  # noqa: E402
from scheda.records.models import Record  # noqa: E402

vendor = "PostgreSQL" if pg_url else "SQLite"
print(f"Scheda timeline bench: data set {args.size} on {vendor}, {os.cpu_count()} cores")
call_command("migrate", verbosity=0)
user = User.objects.filter(email="bench@example.com").first() or User.objects.create_user("bench@example.com", "a-long-password-9")
if not Record.objects.filter(object_type__name="contacts").exists():
    started = time.perf_counter()
    Generator(SIZES[args.size], owner_ids=[str(user.pk)], progress=False).run()
    print(f"  generated data set {args.size} in {time.perf_counter() - started:.0f} s")
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
            response = views.timeline_view(request, busy.pk)
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content[:500]
        return elapsed, len(queries), response.content

    _, count, content = once()
    times = sorted(once()[0] for _ in range(args.reads))
    p50, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
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
