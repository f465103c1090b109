"""What the in-process benchmarks share: their options, the data dir or PostgreSQL database
they run on, Django, the generated data set and the percentiles they print."""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

# The Generator's method that makes one record of each object.
ROW_MAKERS = {"companies": "company", "contacts": "contact", "deals": "deal", "tickets": "ticket"}


def setup(name: str, reads: int = 200) -> argparse.Namespace:
    """Parse --size, --reads and --data-dir; run on SQLite in that data dir (a new temporary one
    by default) or on the PostgreSQL database BENCH_DATABASE_URL names (made afresh unless a
    data dir is reused); start Django."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=["S", "L"], default="S")
    parser.add_argument("--reads", type=int, default=reads)
    parser.add_argument("--data-dir", help="reuse a data dir holding a generated data set")
    args = parser.parse_args()
    os.environ["SCHEDA_DATA_DIR"] = str(Path(args.data_dir or tempfile.mkdtemp(prefix=f"scheda-bench-{name}-")))
    os.environ["DJANGO_SETTINGS_MODULE"] = "scheda.settings"
    os.environ.setdefault("SCHEDA_LOG_LEVEL", "WARNING")  # a line per request would be most of the output
    pg_url = os.environ.get("BENCH_DATABASE_URL", "")
    if pg_url and not args.data_dir:
        import psycopg

        base, _, database = pg_url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
            admin.execute(f'CREATE DATABASE "{database}"')
    if pg_url:
        os.environ["SCHEDA_DATABASE_URL"] = pg_url
    args.vendor = "PostgreSQL" if pg_url else "SQLite"
    import django

    django.setup()
    return args


OWNERS = 20


def dataset(args: argparse.Namespace, title: str, only: tuple[str, ...] = ()):
    """Migrate, and generate data set --size (or `only` these objects of it) unless the
    database holds one; the benchmark's user. The records are owned by it and by OWNERS - 1
    other users (bench-1@example.com, ...), so that a user who sees only their team's records
    sees a part of them."""
    from django.core.management import call_command

    from scheda.accounts.models import User
    from scheda.demo.dataset import SIZES, Generator, default_jobs
    from scheda.records.models import Record

    print(f"Scheda {title} bench: data set {args.size} on {args.vendor}, {os.cpu_count()} cores")
    call_command("migrate", verbosity=0)
    user = User.objects.filter(email="bench@example.com").first() or User.objects.create_user("bench@example.com", "a-long-password-9")
    owners = [user] + [User.objects.filter(email=f"bench-{n}@example.com").first()
                       or User.objects.create_user(f"bench-{n}@example.com", "a-long-password-9") for n in range(1, OWNERS)]
    if not Record.objects.filter(object_type__name="contacts").exists():
        started = time.perf_counter()
        generator = Generator(SIZES[args.size], owner_ids=[str(owner.pk) for owner in owners], progress=False,
                              jobs=default_jobs())
        if only:
            for name in only:  # in order: contacts are associated with the companies made before them
                generator.write(name, getattr(generator.size, name), getattr(generator, ROW_MAKERS[name]))
        else:
            generator.run()
        print(f"  generated {', '.join(only) or 'data set'} {args.size} in {time.perf_counter() - started:.0f} s")
    return user


def percentiles(times: list[float]) -> tuple[float, float]:
    """p50 and p95 of the times, in their unit."""
    ordered = sorted(times)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]
