"""SQLite's write lock passed between writers: --writers processes, each running write
transactions that hold the lock --hold ms and then work --outside ms without it, for --seconds,
through Django's stock SQLite backend and through Scheda's (scheda.sqlite, which tries the BEGIN
again every 0.1-1 ms instead of SQLite's busy handler's 1, 2, 5, 10 ms sleeps). Prints
transactions a second, the share of the time the lock was held (at most 100%) and the mean
wait for it. docs/DECISIONS.md 36.

    .venv/bin/python bench/sqlite_lock.py
"""

from __future__ import annotations

import argparse
import multiprocessing
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

parser = argparse.ArgumentParser()
parser.add_argument("--writers", type=int, nargs="+", default=[2, 4])
parser.add_argument("--hold", type=float, default=2.0)
parser.add_argument("--outside", type=float, default=2.0)
parser.add_argument("--seconds", type=float, default=3.0)
parser.add_argument("--rounds", type=int, default=2)
args = parser.parse_args()

ENGINES = {"Django's backend": "django.db.backends.sqlite3", "scheda.sqlite": "scheda.sqlite"}


def writer(engine: str, path: Path, answers) -> None:
    import django
    from django.conf import settings

    from scheda.config import sqlite_database

    database = {**sqlite_database(path), "ENGINE": engine}
    settings.configure(DATABASES={"default": database}, USE_TZ=True)
    django.setup()
    from django.db import connection, transaction

    done, waited, end = 0, 0.0, time.monotonic() + args.seconds
    while time.monotonic() < end:
        began = time.perf_counter()
        with transaction.atomic():
            waited += time.perf_counter() - began
            with connection.cursor() as cursor:
                cursor.execute("UPDATE counter SET n = n + 1")
            time.sleep(args.hold / 1000)
        time.sleep(args.outside / 1000)
        done += 1
    answers.put((done, waited))


def main() -> None:
    print(f"SQLite write lock: transactions holding it {args.hold} ms, {args.outside} ms outside it, {args.seconds} s")
    for round_ in range(1, args.rounds + 1):
        for label, engine in ENGINES.items():
            for count in args.writers:
                path = Path(tempfile.mkdtemp(prefix="scheda-lock-")) / "lock.sqlite3"
                with sqlite3.connect(path) as setup:
                    setup.execute("PRAGMA journal_mode=WAL")
                    setup.execute("CREATE TABLE counter (n INTEGER)")
                    setup.execute("INSERT INTO counter VALUES (0)")
                answers: multiprocessing.Queue = multiprocessing.Queue()
                processes = [multiprocessing.Process(target=writer, args=(engine, path, answers)) for _ in range(count)]
                for process in processes:
                    process.start()
                results = [answers.get() for _ in processes]
                for process in processes:
                    process.join()
                done = sum(d for d, _ in results)
                held = done * args.hold / 1000 / args.seconds
                print(f"  round {round_}, {label}, {count} writers: {done / args.seconds:,.0f} transactions/s,"
                      f" lock held {held:.0%} of the time, mean wait {1000 * sum(w for _, w in results) / done:.2f} ms")


if __name__ == "__main__":
    main()
