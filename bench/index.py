"""`make bench`: the contacts index page (10,000 contacts in S, 1,000,000 in L).

Prints server time (p50/p95, in process, no network) of the whole HTML response of /contacts/,
signed in, through Django's test client (middleware, session, view, template), and the number
of queries it takes, for:
- "All contacts" sorted by create date (the default view);
- lifecycle stage = customer (a sixth of the contacts match), sorted by last name both ways,
  and by create date, with the next page (keyset `after`) and the way back (`before`);
- a search for a surname.
Only companies and contacts are generated: the page reads nothing else. Runs on SQLite in a
temporary folder, or on the PostgreSQL named by BENCH_DATABASE_URL; --data-dir reuses a set.
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

workdir = Path(args.data_dir or tempfile.mkdtemp(prefix="scheda-bench-index-"))
workdir.mkdir(parents=True, exist_ok=True)
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

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from scheda.accounts.models import User  # noqa: E402
from scheda.demo.dataset import SIZES, Generator  # noqa: E402
from scheda.records.models import Record  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
vendor = "PostgreSQL" if pg_url else "SQLite"
print(f"Scheda index page bench: data set {args.size} on {vendor}, {os.cpu_count()} cores")
call_command("migrate", verbosity=0)
user = User.objects.filter(email="bench@example.com").first() or User.objects.create_user("bench@example.com", "a-long-password-9")
if not Record.objects.filter(object_type__name="contacts").exists():
    started = time.perf_counter()
    generator = Generator(SIZES[args.size], owner_ids=[str(user.pk)], progress=False)
    generator.write("companies", generator.size.companies, generator.company)
    generator.write("contacts", generator.size.contacts, generator.contact)
    print(f"  generated companies and contacts of data set {args.size} in {time.perf_counter() - started:.0f} s")
contacts = Record.objects.filter(object_type__name="contacts", archived=False).count()
print(f"  {contacts:,} contacts")
client = Client()
client.force_login(user)


def measure(label: str, query: str) -> str:
    def once() -> tuple[float, int, bytes]:
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(f"/contacts/?{query}")
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content[:500]
        return elapsed, len(queries), response.content

    once()  # the first request of the process loads the schema
    _, count, content = once()
    times = sorted(once()[0] for _ in range(args.reads))
    p50, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
    html = content.decode()
    shown = re.search(r'class="record-count"[^>]*>([^<]+)<', html)
    rows = html.count('<th scope="row">')
    print(f"  {label}: p50 {p50:.2f} ms, p95 {p95:.2f} ms, {count} queries, {rows} rows, \"{shown[1] if shown else '?'}\"")
    return html


customers = "edited=1&fp=lifecyclestage&fo=EQ&fv=customer&col=email&col=phone&col=hubspot_owner_id&col=lifecyclestage&col=createdate"
measure("All contacts (by create date)", "view=all")
by_name = measure("lifecycle stage = customer, by last name A to Z", f"{customers}&sort=lastname&dir=asc")
after = re.search(r"after=(\d+)", by_name)
measure("  its next page (keyset `after`)", f"{customers}&sort=lastname&dir=asc&after={after[1] if after else ''}")
measure("lifecycle stage = customer, by last name Z to A", f"{customers}&sort=lastname&dir=desc")
first = measure("lifecycle stage = customer, by create date", f"{customers}&sort=createdate&dir=desc")
after = re.search(r"after=(\d+)", first)
second = measure("  its next page (keyset `after`)", f"{customers}&sort=createdate&dir=desc&after={after[1] if after else ''}")
before = re.search(r"before=(\d+)", second)
measure("  and back to the first (keyset `before`)", f"{customers}&sort=createdate&dir=desc&before={before[1] if before else ''}")
measure("search 'rossi'", "view=all&q=rossi")
sys.stdout.flush()
