"""Concurrent writers: --servers `scheda serve` (each --workers x --threads) on one database, and
--clients threads writing the same few records through the API (PATCHes, batch updates of all of
them in random order, associations added and removed). Prints the answers by status, the wait of
a write (median, p99, max) and how many transactions were run again (scheda.transactions) or
failed on a lock, from the servers' logs. SQLite in a temporary data dir, or the PostgreSQL
database BENCH_DATABASE_URL names (`<name>_bench_conc` is made afresh).

    .venv/bin/python bench/writers.py --writes 600
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/writers.py --writes 600
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scheda.api.tests.live import Server, running_server, start_server
from scheda.web.management.commands.serve import THREADS, WORKERS

parser = argparse.ArgumentParser()
parser.add_argument("--servers", type=int, default=2)
parser.add_argument("--workers", type=int, default=WORKERS, help="each server's (scheda serve's default)")
parser.add_argument("--threads", type=int, default=THREADS)
parser.add_argument("--clients", type=int, default=16)
parser.add_argument("--writes", type=int, default=600)
parser.add_argument("--records", type=int, default=5, help="how many records every write aims at")
args = parser.parse_args()
if os.environ.get("BENCH_DATABASE_URL"):
    os.environ["SCHEDA_DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
vendor = "PostgreSQL" if os.environ.get("SCHEDA_DATABASE_URL") else "SQLite"

with ExitStack() as stack:
    data_dir = Path(tempfile.mkdtemp(prefix="scheda-bench-conc-"))
    first = stack.enter_context(running_server(data_dir, "bench_conc"))
    servers = [first]
    for _ in range(args.servers - 1):
        process, url = start_server(first.env, workers=args.workers, threads=args.threads)
        stack.callback(process.terminate)
        servers.append(Server(url, first.token, first.env))
    contacts = [first.call("POST", "/crm/v3/objects/contacts", {"properties": {"email": f"c{n}@example.com"}})[2]["id"]
                for n in range(args.records)]
    companies = [first.call("POST", "/crm/v3/objects/companies", {"properties": {"name": f"Co {n}"}})[2]["id"]
                 for n in range(args.records)]

    def write(n: int) -> tuple[str, int, float]:
        server, pick = servers[n % len(servers)], random.Random(n)
        kind = ("patch", "batch", "associate")[n % 3]
        if kind == "patch":
            call = ("PATCH", f"/crm/v3/objects/contacts/{pick.choice(contacts)}", {"properties": {"firstname": f"w{n}"}})
        elif kind == "batch":
            ids = pick.sample(contacts, len(contacts))
            call = ("POST", "/crm/v3/objects/contacts/batch/update",
                    {"inputs": [{"id": i, "properties": {"lastname": f"w{n}"}} for i in ids]})
        else:
            pair = f"/crm/v4/objects/contacts/{pick.choice(contacts)}/associations/{{}}companies/{pick.choice(companies)}"
            call = ("PUT", pair.format("default/"), None) if pick.random() < 0.5 else ("DELETE", pair.format(""), None)
        started = time.perf_counter()
        status, _, _ = server.call(*call)
        return kind, status, time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        results = list(pool.map(write, range(args.writes)))
    elapsed = time.perf_counter() - started

    log = (data_dir / "serve.log").read_text(errors="replace")
    waits = sorted(seconds * 1000 for _, _, seconds in results)
    print(f"{vendor}: {args.servers} servers x {args.workers} workers x {args.threads} threads, {args.clients} clients,"
          f" {args.writes} writes on {args.records} contacts in {elapsed:.1f} s ({args.writes / elapsed:.0f} writes/s)")
    print("answers:", dict(Counter((kind, status) for kind, status, _ in results)))
    print(f"wait per write ms: median {statistics.median(waits):.1f}, p99 {waits[int(len(waits) * 0.99) - 1]:.1f}, max {waits[-1]:.1f}")
    print(f"transactions run again: {log.count('running it again')}; 'database is locked' in the log:"
          f" {log.count('database is locked')}; 'deadlock detected': {log.count('deadlock detected')};"
          f" tracebacks: {log.count('Traceback')}")
