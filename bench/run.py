"""`make bench`: builds a data set through the service path and measures it.

Prints, for data set S (or L with BENCH_SIZE=L):
- records a second written by `scheda generate` (the bulk service path), per object type and
  in all, beside the rate of a plain executemany of exactly the same rows into a fresh
  database of the same schema, in the same run;
- server time of reading one record with its properties and associations (p50/p95) and the
  number of queries it takes;
- an indexed e-mail lookup and a text search.
Runs on SQLite in a temporary folder, or on the PostgreSQL named by BENCH_DATABASE_URL (its
database is dropped and created anew).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--size", choices=["S", "L"], default="S")
parser.add_argument("--reads", type=int, default=2000)
parser.add_argument("--jobs", type=int, help="scheda generate's: processes writing each type (its default)")
args = parser.parse_args()

workdir = Path(tempfile.mkdtemp(prefix="scheda-bench-"))
os.environ["SCHEDA_DATA_DIR"] = str(workdir)
os.environ["DJANGO_SETTINGS_MODULE"] = "scheda.settings"
pg_url = os.environ.get("BENCH_DATABASE_URL", "")
if pg_url:
    import psycopg

    base, _, name = pg_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        for database in (name, f"{name}_plain"):
            admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    os.environ["SCHEDA_DATABASE_URL"] = pg_url

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from scheda.demo.dataset import SIZES, Generator, default_jobs  # noqa: E402
from scheda.objects.services import load_schema  # noqa: E402
from scheda.records import search, storage  # noqa: E402
from scheda.records.services import api_properties, associations_of, get_record  # noqa: E402

vendor = "PostgreSQL" if pg_url else "SQLite"
jobs = args.jobs or default_jobs()
print(f"Scheda bench: data set {args.size} on {vendor}, {os.cpu_count()} cores, written by {jobs} processes")
call_command("migrate", verbosity=0)
# The plain baseline writes into a copy of this freshly migrated, still empty database.
plain = dict(settings.DATABASES["default"])
connection.close()
if pg_url:
    plain["NAME"] = f"{plain['NAME']}_plain"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{plain["NAME"]}" TEMPLATE "{name}"')
else:
    import sqlite3

    plain["NAME"] = str(workdir / "plain.sqlite3")
    with sqlite3.connect(settings.DATABASES["default"]["NAME"]) as source, sqlite3.connect(plain["NAME"]) as copy:
        source.backup(copy)
connections.settings["plain"] = plain

# --- write: the service path ---------------------------------------------------------------------
generator = Generator(SIZES[args.size], progress=sys.stderr.isatty(), jobs=jobs)
started = time.perf_counter()
generator.run()
service_seconds = time.perf_counter() - started
total = sum(len(ids) for ids in generator.ids.values())

# --- write: plain executemany of the same rows into a fresh database --------------------------------
TABLES = {
    "records_record": storage.RECORD_COLUMNS + (", property_words" if pg_url else ""),
    "records_propertychange": 'id, record_id, "values", timestamp, source, source_id, user_id',
    "associations_association": "id, from_record_id, to_record_id, type_id, created_at",
}
dumps: dict[str, list[tuple]] = {}
with connection.cursor() as cursor:
    for table, columns in TABLES.items():
        cursor.execute(f"SELECT {columns} FROM {table} ORDER BY id")
        dumps[table] = cursor.fetchall()

target = connections["plain"]
if not pg_url:  # SQLite's word index, as written (a record's property words and type words)
    with connection.cursor() as cursor:
        cursor.execute("SELECT rowid, property_words, type_words FROM record_words ORDER BY rowid")
        words = cursor.fetchall()
else:
    words = []
jsonb = "::jsonb" if pg_url else ""
statements = {
    "records_record": f"INSERT INTO records_record ({TABLES['records_record']}) VALUES (%s, %s, %s{jsonb}, %s, %s, %s, %s, %s"
                      f"{', %s' if pg_url else ''})",
    "records_propertychange": f"INSERT INTO records_propertychange ({TABLES['records_propertychange']}) VALUES (%s, %s, %s{jsonb}, %s, %s, %s, %s)",
    "associations_association": f"INSERT INTO associations_association ({TABLES['associations_association']}) VALUES (%s, %s, %s, %s, %s)",
}
started = time.perf_counter()
BATCH = 2000
with transaction.atomic(using="plain"), target.cursor() as cursor:
    for table in TABLES:
        rows = dumps[table]
        for start in range(0, len(rows), BATCH):
            cursor.executemany(statements[table], rows[start:start + BATCH])
    for start in range(0, len(words), BATCH):
        cursor.executemany("INSERT INTO record_words(rowid, property_words, type_words) VALUES (%s, %s, %s)",
                           words[start:start + BATCH])
plain_seconds = time.perf_counter() - started

print("\nWrites (records a second)")
for name, rate in generator.rates.items():
    print(f"  {name:<11} {len(generator.ids[name]):>10,} records  service path {rate:>10,.0f}/s")
print(f"  {'all':<11} {total:>10,} records  service path {total / service_seconds:>10,.0f}/s"
      f"   plain executemany of the same rows {total / plain_seconds:>10,.0f}/s"
      f"   ({sum(len(r) for r in dumps.values()):,} rows)")

# --- reads ----------------------------------------------------------------------------------------
contacts = generator.ids["contacts"]
rng = random.Random(1)


def read_one(record_id: int) -> dict:
    schema = load_schema("contacts")
    record = get_record(schema.object_type, record_id)
    links = associations_of([record.pk])
    return {"properties": api_properties(schema, record), "associations": len(links[record.pk])}


def timed(fn, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def report(label: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"  {label:<52} p50 {statistics.median(times):6.2f} ms   p95 {p95:6.2f} ms")


with CaptureQueriesContext(connection) as queries:
    read_one(contacts[0])
print("\nReads (server time, in process)")
report(f"one contact, properties + associations ({len(queries)} queries)", timed(lambda: read_one(rng.choice(contacts)), args.reads))
report("busy contact with its activities' associations", timed(lambda: read_one(contacts[0]), max(args.reads // 10, 20)))
contact_type = load_schema("contacts").object_type
with connection.cursor() as cursor:
    cursor.execute(f"SELECT {storage.value_sql('email')} FROM records_record WHERE object_type_id = %s LIMIT 500", [contact_type.pk])
    addresses = [storage.decode(row[0]) for row in cursor.fetchall()]
report("contact by e-mail (indexed EQ)", timed(lambda: storage.holders(contact_type.pk, "email", [rng.choice(addresses)]), args.reads))
report("text search 'ross' in contacts (first 100 ids)", timed(lambda: search.search_ids(contact_type, "ross"), max(args.reads // 10, 20)))
