"""`make load`: a load test of a real `scheda serve` over loopback, at a constant arrival rate.

Makes a data set (S by default; `--size demo` for the small demo set), starts `scheda serve`,
signs users in through the sign-in form and makes an API token, then starts `--rate` actions a
second for `--seconds` (open model: an action starts at its scheduled time whether or not the
ones before it have finished, and its latency counts from that time, so a server falling behind
shows as latency, not as a lower rate). The mix (`Load.mix`, with weights) is what people and
integrations do at once: record pages with the Activities tab (and the timeline's next page
the tab loads on scroll), timeline searches, index pages with a filter, global search, inline
property edits and notes logged through the UI (POSTs with the CSRF token), API creates (single
and a batch of 10, with associations), API searches and API reads by id.

Prints per kind of request p50/p95/p99 (from the scheduled start), the API's Server-Timing,
throughput, errors (any status but the one the UI or API answers on success, or an answer that
is a refusal: the editor or form back with a message, a 207 batch), the CPU of the server and of
this client, and the load average.

`--find-rate` steps the rate up by a quarter every `--step-seconds` from `--rate` while every
kind's p95 stays under 200 ms with no error (a step that misses is run once more: the machine
may be busy with other work for a while), then runs `--seconds` at the highest such rate.

SQLite in a temporary data dir (or `--data-dir`, reused with its data set), or the PostgreSQL
database BENCH_DATABASE_URL names (made afresh unless `--data-dir` is reused).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import http.client
import json
import os
import random
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

from scheda.web.management.commands.serve import THREADS, WORKERS

ROOT = Path(__file__).resolve().parents[1]
TARGET_P95_MS = 200
PASSWORD = "a-long-password-load-1"
USERS = 4  # sessions the UI actions are spread over
# The users the UI actions sign in as (made if missing, before the data set, which they then
# own a part of); the contacts' ids the actions pick from, and the companies': a sample, so that
# L stays quick; the busy contact (the data set's first, with 1,000 activities in S). One
# `scheda shell` for all: each start of Django costs a second or two.
PREPARE = f"""
import json, random
from scheda.accounts.models import User
from scheda.accounts.services import create_user
from scheda.records.models import Record
for n in range({USERS}):
    if not User.objects.filter(email=f"load-{{n}}@example.com").exists():
        create_user(f"load-{{n}}@example.com", "{PASSWORD}")
def ids(name):
    return list(Record.objects.filter(object_type__name=name, archived=False).order_by().values_list("id", flat=True))
contacts, companies = ids("contacts"), ids("companies")
rng = random.Random(5)
print(json.dumps({{"contacts": rng.sample(contacts, min(len(contacts), 5000)),
                  "companies": rng.sample(companies, min(len(companies), 2000)), "busy": min(contacts, default=None)}}))
"""
ACTIONS = ["record_page", "busy_page", "company_page", "timeline_search", "index_page", "global_search", "inline_edit", "log_note",
           "api_create", "api_batch_create", "api_search", "api_read"]
STAGES = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"]
NAMES = ["ross", "giulia", "smith", "bianchi", "taylor", "marco", "conti", "oliver"]
TIMELINE_WORDS = ["budget", "preventivo", "demo", "contract", "zebra"]
LOAD_MORE = re.compile(r'hx-get="(/record/\d+/timeline/\?[^"]*after=[^"&]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["demo", "S", "L"], default="S")
    parser.add_argument("--data-dir", help="reuse a data dir holding a data set made by an earlier run")
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--rate", type=float, default=10, help="actions started a second (with --find-rate: the first step)")
    parser.add_argument("--find-rate", action="store_true")
    parser.add_argument("--step-seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn processes (scheda serve's default)")
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--clients", type=int, default=64, help="client threads: the most actions in flight at once")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", help="also write the last run's figures to this file")
    parser.add_argument("--cost", action="store_true",
                        help="run each action alone for --step-seconds at --rate: the server's CPU an action takes, "
                             "and the rate the mix would saturate the machine's idle cores at")
    parser.add_argument("--only", action="append", choices=ACTIONS,
                        help="start only this action (repeatable): what one kind costs the server")
    return parser.parse_args(argv)


# --- the server ----------------------------------------------------------------------------------

def environment(args: argparse.Namespace) -> dict[str, str]:
    """The server's environment: SQLite in the data dir, or BENCH_DATABASE_URL's PostgreSQL
    (dropped and made afresh unless a data dir is reused and the database exists)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDA_")}
    env["SCHEDA_DATA_DIR"] = str(Path(args.data_dir or tempfile.mkdtemp(prefix="scheda-load-")).resolve())
    Path(env["SCHEDA_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if url:
        import psycopg

        base, _, name = url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not (args.data_dir and exists):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{name}"')
        env["SCHEDA_DATABASE_URL"] = url
    return env


def scheda(env: dict[str, str], *command: str) -> str:
    result = subprocess.run([sys.executable, "-m", "scheda.cli", *command], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=3600)
    if result.returncode:
        raise SystemExit(f"scheda {' '.join(command)} failed: {result.stderr[-2000:]}")
    return result.stdout.strip()


def prepare(args: argparse.Namespace, env: dict[str, str]) -> tuple[dict, str]:
    """Migrate; on an empty database make the users and the data set; the ids to pick from and
    a fresh API token."""
    scheda(env, "migrate", "--verbosity", "0")
    sample = json.loads(scheda(env, "shell", "-c", PREPARE).splitlines()[-1])
    if not sample["contacts"]:
        started = time.perf_counter()
        if args.size == "demo":
            scheda(env, "demo")
        else:
            scheda(env, "generate", "--size", args.size, "--quiet")
        print(f"  generated data set {args.size} in {time.perf_counter() - started:.0f} s", flush=True)
        sample = json.loads(scheda(env, "shell", "-c", PREPARE).splitlines()[-1])
    return sample, scheda(env, "token", "create", "--name", f"load-{uuid.uuid4().hex[:6]}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(args: argparse.Namespace, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    """`scheda serve` on a free loopback port, its output in serve.log in the data dir (an unread
    pipe would block it); waited for until the sign-in page answers."""
    port = free_port()
    with (Path(env["SCHEDA_DATA_DIR"]) / "serve.log").open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "scheda.cli", "serve", "--port", str(port),
                                    "--workers", str(args.workers), "--threads", str(args.threads)],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120  # collectstatic first, slow on a busy machine
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/login/")
            if connection.getresponse().status == 200:
                return process, port
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    process.kill()
    raise SystemExit("scheda serve did not start: see serve.log in the data dir")


def process_stat(path: Path) -> tuple[str, list[str]]:
    """A process's name and the fields after it in /proc/<pid>/stat: [11] and [12] are its user
    and system CPU in clock ticks, [13] and [14] those of its children it has waited for."""
    name, fields = path.read_text().split(" (", 1)[1].rsplit(")", 1)
    return name, fields.split()


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process and its children (gunicorn's workers), from /proc."""
    total = 0.0
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(child) for child in (task / "children").read_text().split()]
        for each in pids:
            fields = process_stat(Path(f"/proc/{each}/stat"))[1]
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        pass  # a worker that exits meanwhile: its share is lost, not the figure
    return total


def database_cpu_seconds() -> float:
    """User and system CPU of every PostgreSQL process on the machine (its backends, and those
    that have exited, counted in the postmaster's children's time), from /proc. Run nothing
    else on PostgreSQL meanwhile: all of its databases count."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = process_stat(stat)
        except OSError:
            continue  # exited meanwhile
        if name == "postgres":
            total += sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def machine_busy() -> tuple[float, float]:
    """Busy and total CPU time of the whole machine (every session on it), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# --- the client ----------------------------------------------------------------------------------

class Refused(Exception):
    """An answer that is not the success the UI or API gives: a wrong status or a refusal."""


@dataclass
class Kind:
    latencies: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)
    errors: int = 0


class Recorder:
    def __init__(self) -> None:
        self.kinds: dict[str, Kind] = {}
        self.examples: list[str] = []
        self.lock = threading.Lock()

    def add(self, label: str, latency_ms: float, server_ms: float | None, error: str | None) -> None:
        with self.lock:
            kind = self.kinds.setdefault(label, Kind())
            kind.latencies.append(latency_ms)
            if server_ms is not None:
                kind.server.append(server_ms)
            if error:
                kind.errors += 1
                if len(self.examples) < 10:
                    self.examples.append(f"{label}: {error}")


class Connection:
    """One client thread's keep-alive connection; a request on a connection the server closed
    while idle is sent again on a new one, as browsers do (and counted in `resent`, printed: a
    worker killed mid-request would show there)."""

    resent = 0

    def __init__(self, port: int) -> None:
        self.port = port
        self.http: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> http.client.HTTPResponse:
        for attempt in range(2):
            reused = self.http is not None
            if self.http is None:
                self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.http.request(method, path, body, headers)
                response = self.http.getresponse()
                response.content = response.read()  # type: ignore[attr-defined]
                if response.will_close:
                    self.close()
                return response
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if not reused or attempt:
                    raise
                Connection.resent += 1
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
            self.http = None


@dataclass
class Session:
    cookies: dict[str, str]

    def headers(self, htmx: bool = False, post: bool = False) -> dict[str, str]:
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if htmx:
            sent["HX-Request"] = "true"
        if post:
            sent["X-CSRFToken"] = self.cookies["csrftoken"]
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        return sent


def cookies_of(response: http.client.HTTPResponse) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for header in response.msg.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def sign_in(port: int, email: str) -> Session:
    """Through the sign-in form, as a browser: its CSRF token, then the POST."""
    connection = Connection(port)
    page = connection.request("GET", "/login/", None, {})
    cookies = cookies_of(page)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())  # type: ignore[attr-defined]
    assert token, "no CSRF token on the sign-in page"
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token[1], "username": email, "password": PASSWORD}).encode()
    answer = connection.request("POST", "/login/", form, {**Session(cookies).headers(), "Content-Type": "application/x-www-form-urlencoded"})
    cookies |= cookies_of(answer)  # a new session and CSRF token
    connection.close()
    if answer.status != 302 or "sessionid" not in cookies:
        raise SystemExit(f"signing in as {email} failed ({answer.status})")
    return Session(cookies)


class Load:
    """The actions of the mix, and the runs that start them at a constant rate."""

    def __init__(self, port: int, token: str, sessions: list[Session], ids: dict,
                 only: list[str] | None = None) -> None:
        self.port, self.token, self.sessions, self.ids, self.only = port, token, sessions, ids, only
        self.local = threading.local()
        self.recorder = Recorder()

    # One request, checked and recorded under `label`; latency from `since` (the scheduled start).
    def call(self, label: str, since: float, method: str, path: str, *, body: bytes | None = None,
             headers: dict[str, str] | None = None, expect: int = 200, refused: str | None = None) -> str:
        if not hasattr(self.local, "connection"):
            self.local.connection = Connection(self.port)
        error = None
        server_ms = None
        content = ""
        try:
            response = self.local.connection.request(method, path, body, headers or {})
            content = response.content.decode(errors="replace")  # type: ignore[attr-defined]
            timing = response.getheader("Server-Timing")
            server_ms = float(timing.split("dur=")[1]) if timing else None
            if response.status != expect:
                error = f"{response.status} from {method} {path}: {content[:200]}"
            elif refused and (refused in content or response.getheader("HX-Retarget")):
                error = f"refused by {method} {path}: {content[:300]}"
        except (OSError, http.client.HTTPException) as exc:
            self.local.connection.close()
            error = f"{type(exc).__name__} {exc} from {method} {path}"
        self.recorder.add(label, (time.perf_counter() - since) * 1000, server_ms, error)
        if error:
            raise Refused(error)
        return content

    def api(self, label: str, since: float, method: str, path: str, body: object = None, expect: int = 200) -> dict:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        content = self.call(label, since, method, path, body=json.dumps(body).encode() if body is not None else None,
                            headers=headers, expect=expect)
        answer = json.loads(content)
        if expect == 201 and path.endswith("/batch/create") and answer.get("errors"):
            raise Refused(str(answer["errors"])[:300])
        return answer

    # --- the actions: (rng, scheduled start) ----------------------------------------------------

    def record_page(self, rng: random.Random, since: float, object_name: str = "contacts", record_id: int | None = None,
                    which: str = "") -> None:
        session = rng.choice(self.sessions)
        record_id = record_id or rng.choice(self.ids[object_name])
        page = self.call(f"UI record page ({which or object_name}, Activities tab)", since, "GET", f"/{object_name}/{record_id}/",
                         headers=session.headers())
        more = LOAD_MORE.search(page)
        if more:  # the tab's next page, which the browser loads when the list is scrolled to its end
            self.call("UI timeline next page", time.perf_counter(), "GET", html.unescape(more[1]),
                      headers=session.headers(htmx=True))

    def company_page(self, rng: random.Random, since: float) -> None:
        self.record_page(rng, since, "companies")

    def busy_page(self, rng: random.Random, since: float) -> None:
        """The busy contact's page: a long timeline, whose next page the browser then loads."""
        self.record_page(rng, since, "contacts", self.ids["busy"], "the busy contact")

    def timeline_search(self, rng: random.Random, since: float) -> None:
        query = urllib.parse.urlencode({"q": rng.choice(TIMELINE_WORDS)})
        self.call("UI timeline search", since, "GET", f"/record/{rng.choice(self.ids['contacts'])}/timeline/?{query}",
                  headers=rng.choice(self.sessions).headers(htmx=True))

    def index_page(self, rng: random.Random, since: float) -> None:
        query = urllib.parse.urlencode({"edited": 1, "fp": "lifecyclestage", "fo": "EQ", "fv": rng.choice(STAGES),
                                        "sort": rng.choice(["createdate", "lastname"]), "dir": rng.choice(["asc", "desc"])})
        self.call("UI index page with a filter", since, "GET", f"/contacts/?{query}", headers=rng.choice(self.sessions).headers())

    def global_search(self, rng: random.Random, since: float) -> None:
        query = urllib.parse.urlencode({"q": rng.choice(NAMES)})
        self.call("UI global search", since, "GET", f"/search/?{query}", headers=rng.choice(self.sessions).headers(htmx=True))

    def inline_edit(self, rng: random.Random, since: float) -> None:
        session = rng.choice(self.sessions)
        path = f"/contacts/{rng.choice(self.ids['contacts'])}/property/jobtitle/"
        editor = self.call("UI inline edit: open the editor", since, "GET", f"{path}?edit=1", headers=session.headers(htmx=True))
        version = VERSION.search(editor)
        form = {"jobtitle": rng.choice(["Buyer", "Head of sales", "Responsabile acquisti", "CTO"]) + f" {rng.randrange(1000)}"}
        if version:
            form["version"] = version[1]
        self.call("UI inline edit: save", time.perf_counter(), "POST", path, body=urllib.parse.urlencode(form).encode(),
                  headers=session.headers(htmx=True, post=True), refused='class="property editing"')

    def log_note(self, rng: random.Random, since: float) -> None:
        form = {"hs_note_body": f"Called about the renewal, budget {rng.randrange(100)}k", "hs_timestamp": time.strftime("%Y-%m-%dT%H:%M")}
        self.call("UI log a note", since, "POST", f"/record/{rng.choice(self.ids['contacts'])}/activities/notes/",
                  body=urllib.parse.urlencode(form).encode(), headers=rng.choice(self.sessions).headers(htmx=True, post=True),
                  refused='class="field-error"')

    def contact_input(self, rng: random.Random) -> dict:
        run = uuid.uuid4().hex[:10]
        return {"properties": {"email": f"load.{run}@example.com", "firstname": "Load", "lastname": f"Test {run}",
                               "lifecyclestage": rng.choice(STAGES)},
                "associations": [{"to": {"id": str(rng.choice(self.ids["companies"]))},
                                  "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]}]}

    def api_create(self, rng: random.Random, since: float) -> None:
        self.api("API create a contact with its company", since, "POST", "/crm/v3/objects/contacts", self.contact_input(rng), expect=201)

    def api_batch_create(self, rng: random.Random, since: float) -> None:
        self.api("API batch create 10 contacts with companies", since, "POST", "/crm/v3/objects/contacts/batch/create",
                 {"inputs": [self.contact_input(rng) for _ in range(10)]}, expect=201)

    def api_search(self, rng: random.Random, since: float) -> None:
        body = rng.choice([
            {"filterGroups": [{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": rng.choice(STAGES)}]}],
             "sorts": [{"propertyName": "createdate", "direction": "DESCENDING"}], "limit": 20},
            {"filterGroups": [{"filters": [{"propertyName": "lastname", "operator": "CONTAINS_TOKEN", "value": rng.choice(NAMES)}]}],
             "limit": 20},
            {"query": rng.choice(NAMES), "limit": 20, "properties": ["email", "firstname", "lastname"]},
        ])
        self.api("API search contacts", since, "POST", "/crm/v3/objects/contacts/search", body)

    def api_read(self, rng: random.Random, since: float) -> None:
        if rng.random() < 0.7:
            self.api("API read by id", since, "GET", f"/crm/v3/objects/contacts/{rng.choice(self.ids['contacts'])}?associations=companies")
        else:
            self.api("API read by id", since, "GET", f"/crm/v3/objects/companies/{rng.choice(self.ids['companies'])}?associations=contacts")

    # --- the run ------------------------------------------------------------------------------

    def mix(self) -> list[tuple[object, int]]:
        """Each action and its weight: out of 100 actions started (with --only, those actions)."""
        mix = [(self.record_page, 14), (self.busy_page, 2), (self.company_page, 8), (self.timeline_search, 10), (self.index_page, 8),
               (self.global_search, 8), (self.inline_edit, 5), (self.log_note, 5), (self.api_create, 8),
               (self.api_batch_create, 4), (self.api_search, 14), (self.api_read, 14)]
        return [(action, weight) for action, weight in mix if not self.only or action.__name__ in self.only]

    def run(self, rate: float, seconds: float, clients: int, seed: int) -> Recorder:
        """Start `rate` actions a second for `seconds` (every action once first, so that a short
        run makes each kind), wait for the last, return what was recorded."""
        self.recorder = Recorder()
        actions, weights = zip(*self.mix(), strict=True)
        rng = random.Random(seed)
        count = int(rate * seconds)
        start = time.perf_counter() + 0.1
        with ThreadPoolExecutor(max_workers=clients) as pool:
            for n in range(count):
                action = actions[n] if n < len(actions) else rng.choices(actions, weights)[0]
                scheduled = start + n / rate
                time.sleep(max(0.0, scheduled - time.perf_counter()))
                pool.submit(self.start, action, random.Random(rng.random()), scheduled)
        return self.recorder

    def start(self, action, rng: random.Random, scheduled: float) -> None:
        with contextlib.suppress(Refused):  # recorded by `call`
            action(rng, scheduled)


# --- the figures -----------------------------------------------------------------------------------

def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * share + 0.5) - 1))] if ordered else 0.0


def summary(recorder: Recorder, rate: float, seconds: float, cpu: dict[str, float]) -> dict:
    kinds = {label: {"requests": len(k.latencies), "errors": k.errors,
                     "p50": percentile(k.latencies, 0.50), "p95": percentile(k.latencies, 0.95),
                     "p99": percentile(k.latencies, 0.99), "max": max(k.latencies),
                     "server_p50": percentile(k.server, 0.50) if k.server else None,
                     "server_p95": percentile(k.server, 0.95) if k.server else None}
             for label, k in sorted(recorder.kinds.items())}
    every = [latency for k in recorder.kinds.values() for latency in k.latencies]
    requests = len(every)
    return {"rate": rate, "seconds": seconds, "requests": requests, "requests_per_second": requests / seconds,
            "errors": sum(k["errors"] for k in kinds.values()), "p50": percentile(every, 0.5), "p95": percentile(every, 0.95),
            "p99": percentile(every, 0.99), "worst_kind_p95": max((k["p95"] for k in kinds.values()), default=0.0),
            "kinds": kinds, "examples": recorder.examples, "resent": Connection.resent, **cpu}


def report(figures: dict) -> None:
    print(f"  {figures['rate']:g} actions/s for {figures['seconds']:g} s: {figures['requests']:,} requests "
          f"({figures['requests_per_second']:.1f}/s), {figures['errors']} errors; all requests p50 {figures['p50']:.1f} ms, "
          f"p95 {figures['p95']:.1f} ms, p99 {figures['p99']:.1f} ms")
    print(f"  {'kind':<48} {'requests':>8} {'errors':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  server p50/p95")
    for label, k in figures["kinds"].items():
        server = f"  {k['server_p50']:.1f} / {k['server_p95']:.1f}" if k["server_p50"] is not None else ""
        print(f"  {label:<48} {k['requests']:>8,} {k['errors']:>6} {k['p50']:>8.1f} {k['p95']:>8.1f} {k['p99']:>8.1f} {k['max']:>8.1f}{server}")
    print(f"  CPU: server (gunicorn) {figures['server_cpu']:.0%} of a core ({figures['server_cpu_ms_per_request']:.1f} ms a request), "
          f"this client {figures['client_cpu']:.0%}, "
          f"whole machine {figures['machine_busy']:.0%} of its {os.cpu_count()} cores busy; "
          f"load average {figures['load_before']:.2f} before, {figures['load_after']:.2f} after (1 min); "
          f"requests sent again on a new connection since the start: {figures['resent']}")
    for example in figures["examples"]:
        print(f"    error: {example}")
    sys.stdout.flush()


def measured_run(load: Load, server: subprocess.Popen, rate: float, seconds: float, args: argparse.Namespace) -> dict:
    load_before = os.getloadavg()[0]
    server_before, machine_before = cpu_seconds(server.pid), machine_busy()
    client_before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    recorder = load.run(rate, seconds, args.clients, args.seed)
    wall = time.perf_counter() - began
    client_after = resource.getrusage(resource.RUSAGE_SELF)
    busy, total = (after - before for after, before in zip(machine_busy(), machine_before, strict=True))
    cpu = {"server_cpu": (cpu_seconds(server.pid) - server_before) / wall,
           "client_cpu": (client_after.ru_utime + client_after.ru_stime - client_before.ru_utime - client_before.ru_stime) / wall,
           "machine_busy": busy / total if total else 0.0, "load_before": load_before, "load_after": os.getloadavg()[0]}
    figures = summary(recorder, rate, seconds, cpu)
    # What a request costs the server whatever else runs on the machine: the capacity of two
    # idle cores follows from it, when the latencies measure only the share this run got.
    figures["server_cpu_ms_per_request"] = cpu["server_cpu"] * wall * 1000 / max(figures["requests"], 1)
    report(figures)
    return figures


def passes(figures: dict) -> bool:
    return figures["errors"] == 0 and figures["worst_kind_p95"] < TARGET_P95_MS


def cost(load: Load, server: subprocess.Popen, args: argparse.Namespace, postgresql: bool) -> None:
    """The server's CPU time an action takes, each alone, whatever else runs on the machine (and
    on PostgreSQL the database server's); from it and the mix's weights, the rate at which the
    mix would keep every core busy."""
    weights = {action.__name__: weight for action, weight in load.mix()}  # type: ignore[attr-defined]
    spent, database = {}, {}
    for name in weights:
        print(f"{name} alone: {args.rate:g} a second for {args.step_seconds:g} s", flush=True)
        load.only = [name]
        started, started_database = cpu_seconds(server.pid), database_cpu_seconds() if postgresql else 0.0
        figures = measured_run(load, server, args.rate, args.step_seconds, args)
        actions = args.rate * args.step_seconds
        spent[name] = (cpu_seconds(server.pid) - started) * 1000 / actions
        database[name] = (database_cpu_seconds() - started_database) * 1000 / actions if postgresql else 0.0
        if figures["errors"]:
            raise SystemExit(f"{name} made errors: {figures['examples']}")
    print(f"  {'action':<20} {'weight':>6} {'server CPU an action':>22}" + (f" {'PostgreSQL CPU':>16}" if postgresql else ""))
    for name, weight in weights.items():
        print(f"  {name:<20} {weight:>6} {spent[name]:>19.1f} ms" + (f" {database[name]:>13.1f} ms" if postgresql else ""))
    share = sum(weights.values())
    mixed = sum(spent[name] * weight for name, weight in weights.items()) / share
    mixed_database = sum(database[name] * weight for name, weight in weights.items()) / share
    database_part = f" and {mixed_database:.1f} ms of PostgreSQL's" if postgresql else ""
    print(f"  the mix: {mixed:.1f} ms of server CPU{database_part} an action; {os.cpu_count()} idle cores saturate at "
          f"{os.cpu_count() * 1000 / (mixed + mixed_database):.0f} actions/s")


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    env = environment(args)
    vendor = "PostgreSQL" if "SCHEDA_DATABASE_URL" in env else "SQLite"
    print(f"Scheda load test: data set {args.size} on {vendor}, {os.cpu_count()} cores, "
          f"{args.workers} gunicorn workers x {args.threads} threads, data dir {env['SCHEDA_DATA_DIR']}", flush=True)
    ids, token = prepare(args, env)
    server, port = serve(args, env)
    try:
        sessions = [sign_in(port, f"load-{n}@example.com") for n in range(USERS)]
        load = Load(port, token, sessions, ids, args.only)
        for session in sessions:  # a click on the Activities tab: the record pages open on it from then on
            for object_name in ("contacts", "companies"):
                load.call("UI open the Activities tab", time.perf_counter(), "POST",
                          f"/{object_name}/{ids[object_name][0]}/tab/activities/", headers=session.headers(htmx=True, post=True))
        load.run(min(args.rate, 10), 3, args.clients, args.seed + 1)  # warm up: each worker's schema, caches
        rate = args.rate
        if args.cost:
            cost(load, server, args, vendor == "PostgreSQL")
            return 0
        if args.find_rate:
            best = None
            for _ in range(20):
                print(f"step: {rate:g} actions/s for {args.step_seconds:g} s", flush=True)
                if not passes(measured_run(load, server, rate, args.step_seconds, args)):
                    # Other work on the machine can spoil one step: a miss counts if it repeats.
                    print(f"step missed; once more: {rate:g} actions/s for {args.step_seconds:g} s", flush=True)
                    if not passes(measured_run(load, server, rate, args.step_seconds, args)):
                        break
                best, rate = rate, round(rate * 1.25, 1)
            if best is None:
                print(f"  even {args.rate:g} actions/s misses p95 < {TARGET_P95_MS} ms with no error: start lower")
                return 1
            rate = best
            print(f"highest rate passing: {rate:g} actions/s; the full run:", flush=True)
        figures = measured_run(load, server, rate, args.seconds, args)
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=1))
        print(f"  p95 under {TARGET_P95_MS} ms for every kind with no error: {'yes' if passes(figures) else 'NO'}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
