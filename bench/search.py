"""`make bench`: the app shell's global search as the user types, over data set S (10k contacts,
2k companies, 3k deals, 1k tickets) or L (100 times more).

Prints server time (p50/p95, in process, no network) and queries of the htmx partial under the
search box for a common prefix, a full word, a two-word query and a query with no match; and
of the create dialog's duplicate check. Runs on SQLite in a temporary folder, or on the
PostgreSQL named by BENCH_DATABASE_URL.
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
parser.add_argument("--reads", type=int, default=200)
parser.add_argument("--data-dir", help="reuse a data dir holding a generated data set")
args = parser.parse_args()

workdir = Path(args.data_dir or tempfile.mkdtemp(prefix="scheda-bench-search-"))
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
from django.http import HttpRequest  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_htmx.middleware import HtmxDetails  # noqa: E402

from scheda.accounts.models import User  # noqa: E402
from scheda.demo.dataset import SIZES, Generator  # noqa: E402
from scheda.records.models import Record  # noqa: E402
from scheda.web import create, views  # noqa: E402

vendor = "PostgreSQL" if pg_url else "SQLite"
print(f"Scheda search bench: data set {args.size} on {vendor}, {os.cpu_count()} cores")
call_command("migrate", verbosity=0)
user = User.objects.filter(email="bench@example.com").first() or User.objects.create_user("bench@example.com", "a-long-password-9")
if not Record.objects.filter(object_type__name="contacts").exists():
    started = time.perf_counter()
    Generator(SIZES[args.size], owner_ids=[str(user.pk)], progress=False).run()
    print(f"  generated data set {args.size} in {time.perf_counter() - started:.0f} s")
contact = Record.objects.filter(object_type__name="contacts").order_by("id").first()
assert contact is not None
first_name = str(contact.properties.get("firstname") or "ada")
email = str(contact.properties.get("email") or "")
factory = RequestFactory()


def request(path: str, query: dict[str, str]) -> HttpRequest:
    made = factory.get(path, query, HTTP_HX_REQUEST="true")
    made.user = user
    made.htmx = HtmxDetails(made)  # type: ignore[attr-defined]
    return made


def measure(label: str, call, shown=lambda content: f"{content.count(b'<li>')} results") -> None:
    def once() -> tuple[float, int, bytes]:
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = call()
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content[:500]
        return elapsed, len(queries), response.content

    _, count, content = once()
    times = sorted(once()[0] for _ in range(args.reads))
    p50, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
    print(f"  {label}: p50 {p50:.2f} ms, p95 {p95:.2f} ms, {count} queries, {shown(content)}")


for label, text in ((f"prefix {first_name[:2]!r}", first_name[:2]), (f"word {first_name!r}", first_name),
                    (f"two words {first_name} {first_name[:1]}", f"{first_name} {first_name[:1]}"),
                    ("no match 'zebraqx'", "zebraqx")):
    measure(f"search {label}", lambda text=text: views.search(request("/search/", {"q": text})))
measure("duplicate check (e-mail held)", lambda: create.duplicate(request("/contacts/create/duplicate/",
                                                                           {"property": "email", "email": email}), "contacts"),
        lambda content: "warning shown" if b"already exists" in content else "NO WARNING")
sys.stdout.flush()
