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

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--size", choices=["S", "L"], default="S")
parser.add_argument("--reads", type=int, default=200)
parser.add_argument("--data-dir", help="reuse a data dir holding a generated data set")
args = parser.parse_args()

workdir = Path(args.data_dir or tempfile.mkdtemp(prefix="scheda-bench-page-"))
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
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from scheda.accounts.models import User  # noqa: E402
from scheda.activities.models import TimelineEntry  # noqa: E402
from scheda.associations.models import Association  # noqa: E402
from scheda.demo.dataset import SIZES, Generator  # noqa: E402
from scheda.layouts.services import remember  # noqa: E402
from scheda.records.models import Record  # noqa: E402

vendor = "PostgreSQL" if pg_url else "SQLite"
print(f"Scheda record page bench: data set {args.size} on {vendor}, {os.cpu_count()} cores")
call_command("migrate", verbosity=0)
user = User.objects.filter(email="bench@example.com").first() or User.objects.create_user("bench@example.com", "a-long-password-9")
if not Record.objects.filter(object_type__name="contacts").exists():
    started = time.perf_counter()
    Generator(SIZES[args.size], owner_ids=[str(user.pk)], progress=False).run()
    print(f"  generated data set {args.size} in {time.perf_counter() - started:.0f} s")
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

    _, count, content = once()
    times = sorted(once()[0] for _ in range(args.reads))
    p50, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
    blocking = [a or b for a, b in BLOCKING.findall(content)]
    foreign = [u for u in blocking if re.match(rb"^(https?:)?//", u)]
    print(f"  {label}: p50 {p50:.2f} ms, p95 {p95:.2f} ms, {count} queries, {len(content) // 1024} KiB, "
          f"render-blocking requests {len(blocking)} (to another host: {len(foreign)})")
    assert not foreign, foreign


measure("busy contact, Activities tab", busy, "activities")
measure("busy contact, Overview tab", busy, "overview")
measure("company, Overview tab", company, "overview")
sys.stdout.flush()
