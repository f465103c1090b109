"""`make bench`, the API part: a real `scheda serve` on a fresh SQLite database (or the
PostgreSQL of BENCH_DATABASE_URL), loaded with data set S (or L), then:
- batch create of 100 contacts a call from concurrent clients: records a second end to end;
- batch update of those contacts, 100 a call, two properties each, from as many clients;
- search with an EQ filter on email sorted by createdate, and a CONTAINS_TOKEN query: server
  time (the Server-Timing header) p50/p95.
On a reused data set (`--data-dir`) it archives the contacts it created before it ends.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

from scheda.web.management.commands.serve import THREADS, WORKERS

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser()
parser.add_argument("--size", choices=["S", "L"], default="S")
parser.add_argument("--seconds", type=float, default=10)
parser.add_argument("--clients", type=int, default=4)
parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn processes (scheda serve's default)")
parser.add_argument("--threads", type=int, default=THREADS)
parser.add_argument("--searches", type=int, default=300)
parser.add_argument("--data-dir", help="reuse a data dir (and BENCH_DATABASE_URL's database) holding a generated data set")
args = parser.parse_args()

env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDA_")}
env["SCHEDA_DATA_DIR"] = args.data_dir or tempfile.mkdtemp(prefix="scheda-bench-api-")
env["SCHEDA_LOG_LEVEL"] = "WARNING"
if args.data_dir and os.environ.get("BENCH_DATABASE_URL"):
    env["SCHEDA_DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
elif os.environ.get("BENCH_DATABASE_URL"):
    import psycopg

    url = os.environ["BENCH_DATABASE_URL"]
    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}_api" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}_api"')
    env["SCHEDA_DATABASE_URL"] = f"{base}/{name}_api"


def scheda(*command: str) -> str:
    return subprocess.run([sys.executable, "-m", "scheda.cli", *command], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


scheda("migrate", "--verbosity", "0")
print(f"Scheda API bench: data set {args.size}, {os.cpu_count()} cores, "
      f"{'PostgreSQL' if 'SCHEDA_DATABASE_URL' in env else 'SQLite'}, {args.workers} workers x {args.threads} threads")
started = time.perf_counter()
if not args.data_dir:
    scheda("generate", "--size", args.size, "--quiet")
    print(f"  generated data set {args.size} in {time.perf_counter() - started:.0f} s")
token = scheda("token", "create", "--name", "bench")
with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
server = subprocess.Popen([sys.executable, "-m", "scheda.cli", "serve", "--port", str(port), "--workers", str(args.workers), "--threads", str(args.threads)],
                          cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
base_url = f"http://127.0.0.1:{port}"


def call(method: str, path: str, body: object | None = None) -> tuple[int, dict, float]:
    request = urllib.request.Request(f"{base_url}{path}", method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        timing = response.headers.get("Server-Timing", "app;dur=0").split("dur=")[1]
        return response.status, json.loads(response.read() or b"null"), float(timing)


try:
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base_url}/api/openapi.json", timeout=2)
            break
        except OSError:
            time.sleep(0.2)

    def in_clients(work) -> float:
        """Run `work` in --clients threads at once; the seconds until the last one ends."""
        began = time.perf_counter()
        threads = [threading.Thread(target=work) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - began

    # --- batch create ----------------------------------------------------------------------------------
    created: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + args.seconds

    def client() -> None:
        while time.perf_counter() < deadline:
            run = uuid.uuid4().hex[:8]
            inputs = [{"properties": {"email": f"bench.{run}.{i}@example.com", "firstname": "Bench", "lastname": f"Run {run}",
                                      "lifecyclestage": "lead"}} for i in range(100)]
            status, made, _ = call("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": inputs})
            assert status == 201
            with lock:
                created.extend(record["id"] for record in made["results"])

    elapsed = in_clients(client)
    print(f"  batch create, 100 contacts a call, {args.clients} clients: {len(created) / elapsed:,.0f} records/s"
          f" ({len(created):,} in {elapsed:.1f} s)")

    # --- batch update ----------------------------------------------------------------------------------
    # Each client takes its own calls' worth of the contacts just made, so no two lock the same rows.
    batches = [created[start:start + 100] for start in range(0, len(created) - 99, 100)]
    updated = [0]
    deadline = time.perf_counter() + args.seconds

    def updater() -> None:
        while time.perf_counter() < deadline:
            with lock:
                if not batches:
                    return
                batch = batches.pop()
            stamp = uuid.uuid4().hex[:8]
            status, _, _ = call("POST", "/crm/v3/objects/contacts/batch/update", {"inputs": [
                {"id": record_id, "properties": {"jobtitle": f"Title {stamp}", "lifecyclestage": "opportunity"}} for record_id in batch]})
            assert status == 200, status
            with lock:
                updated[0] += len(batch)

    elapsed = in_clients(updater)
    print(f"  batch update, 100 contacts a call, {args.clients} clients: {updated[0] / elapsed:,.0f} records/s"
          f" ({updated[0]:,} in {elapsed:.1f} s)")

    # --- search ----------------------------------------------------------------------------------------
    _, page, _ = call("POST", "/crm/v3/objects/contacts/search", {"limit": 200, "properties": ["email"]})
    emails = [r["properties"]["email"] for r in page["results"]]
    rng = random.Random(3)

    def report(label: str, body_for) -> None:
        times = sorted(call("POST", "/crm/v3/objects/contacts/search", body_for())[2] for _ in range(args.searches))
        print(f"  {label:<58} p50 {statistics.median(times):6.2f} ms   p95 {times[int(len(times) * 0.95) - 1]:6.2f} ms")

    report("search EQ email, sorted by createdate (server time)", lambda: {
        "filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": rng.choice(emails)}]}],
        "sorts": [{"propertyName": "createdate", "direction": "DESCENDING"}]})
    report("search CONTAINS_TOKEN lastname (server time)", lambda: {
        "filterGroups": [{"filters": [{"propertyName": "lastname", "operator": "CONTAINS_TOKEN",
                                       "value": rng.choice(["rossi", "smith", "bianchi", "taylor"])}]}]})
    report("search query text (server time)", lambda: {"query": rng.choice(["giulia", "marco ross", "oliver"])})
    if args.data_dir:
        # A reused data set is left as it was generated: the created contacts, the newest of all
        # and none a customer, would otherwise be the first rows the next index-page bench walks.
        for start in range(0, len(created), 100):
            status, _, _ = call("POST", "/crm/v3/objects/contacts/batch/archive",
                                {"inputs": [{"id": record_id} for record_id in created[start:start + 100]]})
            assert status == 204, status
        print(f"  archived the {len(created):,} contacts it created")
finally:
    server.terminate()
    server.wait(timeout=10)
