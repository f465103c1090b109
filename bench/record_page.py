"""`make bench`: the full record page (HTML) of the data set's busy contact (1,000 activities in
S, 10,000 in L) and of a company, through the whole Django stack (sessions, middleware,
templates) in process: server time without the network.

Prints p50/p95 and the number of queries of:
- the busy contact's page with the Activities tab open (the issue's target: p95 under 40 ms at L);
- the same page with the Overview tab open;
- a company's page (account overview, association cards);
and checks that the page asks no other host for anything before it can render.
Runs on SQLite in a temporary folder (or --data-dir, reused), or on the PostgreSQL named by
BENCH_DATABASE_URL.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import dataset, percentiles, setup

args = setup("page", reads=200)

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from scheda.activities.models import TimelineEntry  # noqa: E402
from scheda.associations.models import Association  # noqa: E402
from scheda.layouts.services import remember  # noqa: E402
from scheda.records.models import Record  # noqa: E402

user = dataset(args, "record page")
busy = Record.objects.select_related("object_type").filter(object_type__name="contacts").order_by("id").first()
company = Record.objects.select_related("object_type").filter(object_type__name="companies").order_by("id").first()
assert busy is not None and company is not None
print(f"  busy contact {busy.pk}: {TimelineEntry.objects.filter(record_id=busy.pk).count():,} timeline entries, "
      f"{Association.objects.filter(from_record_id=busy.pk, type__label=None).count():,} associations")
print(f"  company {company.pk}: {Association.objects.filter(from_record_id=company.pk, type__label=None).count():,} associations")
client = Client()
client.force_login(user)
# Resources a browser must fetch before it paints: scripts without defer/async, stylesheets.
BLOCKING = re.compile(rb'<script(?![^>]*\b(?:defer|async)\b)[^>]*\bsrc="([^"]+)"|<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"')


def measure(label: str, record: Record, tab: str) -> None:
    remember(user, record.object_type, tab=tab)
    url = f"/{record.object_type.name}/{record.pk}/"

    def once() -> tuple[float, int, bytes]:
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content[:500]
        return elapsed, len(queries), response.content

    once()  # the first request of the process loads the schemas and what is kept with them
    _, count, content = once()
    p50, p95 = percentiles([once()[0] for _ in range(args.reads)])
    blocking = [a or b for a, b in BLOCKING.findall(content)]
    foreign = [u for u in blocking if re.match(rb"^(https?:)?//", u)]
    print(f"  {label}: p50 {p50:.2f} ms, p95 {p95:.2f} ms, {count} queries, {len(content) // 1024} KiB, "
          f"render-blocking requests {len(blocking)} (to another host: {len(foreign)})")
    assert not foreign, foreign


measure("busy contact, Activities tab", busy, "activities")
measure("busy contact, Overview tab", busy, "overview")
measure("company, Overview tab", company, "overview")
sys.stdout.flush()
