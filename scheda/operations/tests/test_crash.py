"""Issue 7, crash safety: a process killed with SIGKILL in the middle of a batch create, a merge,
an undo of a merge, an e-mail import or a token revoke leaves the database as it was before the operation or as
it is after it, all of it: records, their history, the text index, associations, timeline
entries, merge rows, attachment rows and their files, audit events.

Each operation runs in a real process of its own: a `scheda serve` worker answering the real
HTTP request, or a child running the service. crashpoint.py stops it at a point inside the
operation's transaction (or just before or after the commit); the test kills it with SIGKILL
and reads the database over a fresh connection, as a restarted Scheda would."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scheda.api.tests.live import ROOT, Server, _database_url, start_server
from scheda.operations.tests.crashpoint import CONTACT_TO_COMPANY

CHILD = "scheda.operations.tests.crashpoint"
CREATE = "scheda.records.services:create_records"
MERGE = "scheda.records.services:merge_records"
UNMERGE = "scheda.records.services:unmerge"
LOG_EMAIL = "scheda.activities.services:log_email_message"
REVOKE_TOKEN = "scheda.accounts.services:revoke_token"
# Points inside the transactions, each after some of the operation's rows are written.
INDEX_TEXT = "scheda.records.storage:index_text"  # a create: the records are in, nothing else
ASSOCIATE = "scheda.associations.services:associate_many"  # a create: records, text, history in
TIMELINE = "scheda.activities.timeline:associated"  # a create: associations in, timeline next
INSERT_ASSOCIATIONS = "scheda.associations.services:_insert"  # (un)merge: old associations gone, new ones next
MERGE_VALUES = "scheda.records.services:update_records"  # merge: all but the values and the files
TIMELINE_EVENT = "scheda.activities.timeline:event"  # merge: associations moved, the event next
SET_ATTACHMENT_IDS = "scheda.records.services:update_record"  # e-mail: files written, their rows in
AUDIT = "scheda.accounts.services:audit"  # an account change: made, its audit event next
POINTS = [INDEX_TEXT, ASSOCIATE, TIMELINE, INSERT_ASSOCIATIONS, MERGE_VALUES, TIMELINE_EVENT, SET_ATTACHMENT_IDS, AUDIT]
MERGES, MERGED, EMAILS = 5, 3, 4  # what setup makes: one per test that uses it


class Fresh:
    """The child's database read over a connection of its own, opened for each query."""

    def __init__(self, env: dict[str, str]) -> None:
        self.url = env.get("SCHEDA_DATABASE_URL")
        self.path = Path(env["SCHEDA_DATA_DIR"]) / "scheda.sqlite3"

    def rows(self, sql: str, *params: Any) -> list[tuple]:
        if self.url:
            import psycopg

            with psycopg.connect(self.url) as conn:
                return [tuple(row) for row in conn.execute(sql, params).fetchall()]
        with closing(sqlite3.connect(self.path)) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()

    def value(self, sql: str, *params: Any) -> Any:
        return self.rows(sql, *params)[0][0]

    def prop(self, name: str) -> str:
        return f"properties ->> '{name}'" if self.url else f"json_extract(properties, '$.{name}')"


@dataclass
class Site:
    data_dir: Path
    env: dict[str, str]
    plan: Path
    url: str
    process: subprocess.Popen
    ids: dict[str, Any]
    db: Fresh
    cookies: http.cookiejar.CookieJar

    def call(self, method: str, path: str, body: object) -> None:
        Server(self.url, self.ids["token"], self.env).call(method, path, body)

    def post_form(self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None) -> None:
        """A form posted by the signed-in owner, as the browser's htmx does."""
        token = next(c.value for c in self.cookies if c.name == "csrftoken")
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
        for name, (filename, content) in (files or {}).items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                         "Content-Type: message/rfc822\r\n\r\n".encode() + content + b"\r\n")
        request = urllib.request.Request(f"{self.url}{path}", data=b"".join(parts) + f"--{boundary}--\r\n".encode(),
                                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                                                  "X-CSRFToken": token, "HX-Request": "true"})
        urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies)).open(request, timeout=60)

    def sign_in(self, email: str, password: str) -> None:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        page = opener.open(f"{self.url}/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        fields = {"csrfmiddlewaretoken": token, "username": email, "password": password}
        opener.open(urllib.request.Request(f"{self.url}/login/", data=urllib.parse.urlencode(fields).encode()))
        assert any(c.name == "sessionid" for c in self.cookies)

    def child(self, *args: str) -> subprocess.Popen:
        """A child process running a `scheda` command, with the stops."""
        with (self.data_dir / "child.log").open("ab") as log:
            return subprocess.Popen([sys.executable, "-m", CHILD, *args], cwd=ROOT, env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT)

    def run(self, name: str, **arguments: Any) -> subprocess.Popen:
        """A child process running one of crashpoint.py's functions, with the stops."""
        return self.child("run", name, json.dumps(arguments))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """One migrated database with the records the tests start from, served by a `scheda serve`
    whose workers have the stops (a killed worker is replaced by the server)."""
    data_dir = tmp_path_factory.mktemp("crash")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHEDA_", "CRASH_"))}
    env["SCHEDA_DATA_DIR"] = str(data_dir)
    database = _database_url("crash")
    if database:
        env["SCHEDA_DATABASE_URL"] = database
    Server("", "", env).scheda("migrate", "--verbosity", "0")
    made = subprocess.run([sys.executable, "-m", CHILD, "run", "setup", json.dumps(
        {"tag": "setup", "merges": MERGES, "merged": MERGED, "emails": EMAILS})],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    plan = data_dir / "plan.json"
    plan.write_text(json.dumps({"operation": "", "at": "", "marker": ""}))
    env.update(CRASH_PLAN=str(plan), CRASH_OPERATIONS=",".join([CREATE, MERGE, UNMERGE, LOG_EMAIL, REVOKE_TOKEN]),
               CRASH_POINTS=",".join(POINTS))
    process, url = start_server(env, "/login/", module=CHILD, threads=4)
    try:
        live = Site(data_dir, env, plan, url, process, json.loads(made.stdout.splitlines()[-1]), Fresh(env),
                    http.cookiejar.CookieJar())
        live.sign_in("owner@example.com", "a-long-password-3")
        yield live
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def pool(site) -> dict[str, list]:
    """The records set up for the tests, each test taking its own."""
    return {"merges": list(site.ids["merges"]), "merged": list(site.ids["merged"]), "emailed": list(site.ids["emailed"])}


def _dead(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):  # gone before the open, or between the open and the read
        return True
    return state in ("Z", "X")


def crash(site: Site, operation: str, at: str, start: Callable[[], Any]) -> None:
    """Start an operation (`start` sends the request, or returns the child process running it),
    wait until the process running it stops at `at`, and kill that process with SIGKILL."""
    marker = site.data_dir / f"stopped-{uuid.uuid4().hex}"
    site.plan.write_text(json.dumps({"operation": operation, "at": at, "marker": str(marker)}))
    answered = threading.Event()
    child: list[subprocess.Popen] = []

    def send() -> None:
        try:
            result = start()
            if isinstance(result, subprocess.Popen):
                child.append(result)
                result.wait()
        except OSError:
            pass  # the connection dies with the worker
        answered.set()

    threading.Thread(target=send, daemon=True).start()
    deadline = time.monotonic() + 90
    while not marker.exists():
        assert not answered.is_set(), f"the operation ended without stopping at {at}"
        assert site.process.poll() is None, "the server died"
        assert time.monotonic() < deadline, f"no stop at {at}"
        time.sleep(0.05)
    pid = int(marker.read_text())
    os.kill(pid, signal.SIGKILL)
    while not _dead(pid):
        time.sleep(0.05)
    assert answered.wait(30)
    if child:
        assert child[0].returncode == -signal.SIGKILL


def check_invariants(site: Site) -> None:
    """What holds of any state the database can be in: every record has its history, every
    association its inverse, every activity on an active record's timeline is associated with it
    and the other way round, every text index row a record, every attachment row its file."""
    db = site.db
    assert db.value("SELECT count(*) FROM records_record r WHERE NOT EXISTS"
                    " (SELECT 1 FROM records_propertychange c WHERE c.record_id = r.id)") == 0
    assert db.value("SELECT count(*) FROM associations_association a WHERE NOT EXISTS (SELECT 1 FROM"
                    " associations_association b WHERE b.from_record_id = a.to_record_id AND b.to_record_id = a.from_record_id)") == 0
    assert db.value(
        "SELECT count(*) FROM associations_association a JOIN records_record f ON f.id = a.from_record_id"
        " JOIN objects_objecttype ft ON ft.id = f.object_type_id JOIN records_record t ON t.id = a.to_record_id"
        " JOIN objects_objecttype tt ON tt.id = t.object_type_id WHERE ft.is_activity AND NOT tt.is_activity"
        " AND NOT t.archived AND NOT EXISTS (SELECT 1 FROM activities_timelineentry e"
        " WHERE e.record_id = t.id AND e.activity_id = f.id)") == 0
    assert db.value(
        "SELECT count(*) FROM activities_timelineentry e JOIN records_record r ON r.id = e.record_id"
        " WHERE e.activity_id IS NOT NULL AND NOT r.archived AND NOT EXISTS (SELECT 1 FROM associations_association a"
        " WHERE a.from_record_id = e.record_id AND a.to_record_id = e.activity_id)") == 0
    if not db.url:
        assert db.value("SELECT count(*) FROM record_words WHERE rowid NOT IN (SELECT id FROM records_record)") == 0
        assert db.value("SELECT count(*) FROM records_record WHERE search_text <> ''"
                        " AND id NOT IN (SELECT rowid FROM record_words)") == 0
    files = site.data_dir / "files"
    assert [name for (name,) in db.rows("SELECT file FROM activities_attachment") if not (files / name).is_file()] == []


# --- batch create --------------------------------------------------------------------------------


def created(site: Site, tag: str) -> dict[str, int]:
    db = site.db
    ours = f"SELECT id FROM records_record WHERE {db.prop('lastname')} = %s"
    company = site.ids["company"]
    text = (f"SELECT count(*) FROM records_record WHERE search_vector @@ to_tsquery('simple', %s) AND id IN ({ours})"
            if db.url else f"SELECT count(*) FROM record_words WHERE record_words MATCH %s AND rowid IN ({ours})")
    # SQLite's word index holds the search text's words tagged with the type (scheda.records.search.type_words).
    word = tag if db.url else f'"t{db.value("SELECT id FROM objects_objecttype WHERE name = %s", "contacts")}x{tag}"'
    return {
        "records": db.value(f"SELECT count(*) FROM ({ours}) r", tag),
        "history": db.value(f"SELECT count(*) FROM records_propertychange WHERE record_id IN ({ours})", tag),
        "text": db.value(text, word, tag),
        "associations": db.value(f"SELECT count(*) FROM associations_association WHERE (from_record_id IN ({ours})"
                                 f" AND to_record_id = %s) OR (to_record_id IN ({ours}) AND from_record_id = %s)",
                                 tag, company, tag, company),
    }


def created_all(count: int) -> dict[str, int]:
    return {"records": count, "history": count, "text": count, "associations": 2 * count}


NOTHING = created_all(0)


@pytest.mark.parametrize("at", [INDEX_TEXT, ASSOCIATE, "commit", "committed"])
def test_batch_create_through_the_api_killed(site, at):
    tag = f"c{uuid.uuid4().hex[:10]}"
    inputs = [{"properties": {"email": f"{tag}-{i}@example.com", "firstname": f"Crash{i}", "lastname": tag},
               "associations": [{"to": {"id": str(site.ids["company"])},
                                 "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": CONTACT_TO_COMPANY}]}]}
              for i in range(100)]
    crash(site, CREATE, at, lambda: site.call("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": inputs}))
    assert created(site, tag) == (created_all(100) if at == "committed" else NOTHING)
    check_invariants(site)


@pytest.mark.parametrize("at", [TIMELINE])
def test_batch_create_through_the_service_killed(site, at):
    tag = f"s{uuid.uuid4().hex[:10]}"
    crash(site, CREATE, at, lambda: site.run("create_contacts", tag=tag, count=100, company=site.ids["company"]))
    assert created(site, tag) == NOTHING
    check_invariants(site)


# --- merge and undo merge --------------------------------------------------------------------------


def merge_state(site: Site, pair: dict[str, int]) -> dict[str, Any]:
    """What a merge of pair["merged"] into pair["primary"] changes, and its undo changes back."""
    db = site.db
    primary, merged = pair["primary"], pair["merged"]
    archived, merged_into = db.rows("SELECT archived, merged_into_id FROM records_record WHERE id = %s", merged)[0]
    return {
        "merged": (bool(archived), merged_into),
        "phone": db.value(f"SELECT {db.prop('phone')} FROM records_record WHERE id = %s", primary),
        "history": [row[0] for row in db.rows("SELECT source_id FROM records_propertychange WHERE record_id = %s ORDER BY id", primary)],
        "associations": {record: sorted(row[0] for row in db.rows(
            "SELECT to_record_id FROM associations_association WHERE from_record_id = %s", record)) for record in (primary, merged)},
        "timeline": sorted(db.rows("SELECT kind, activity_id FROM activities_timelineentry WHERE record_id = %s", primary),
                           key=repr),
        "merges": [(undone is not None, sorted(json.loads(snapshot) if isinstance(snapshot, str) else snapshot))
                   for undone, snapshot in db.rows("SELECT undone_at, snapshot FROM records_merge WHERE merged_id = %s", merged)],
        "attachment": db.value("SELECT record_id FROM activities_attachment WHERE id = %s", pair["attachment"]),
    }


SNAPSHOT = ["added", "attachments", "moved", "primary_before", "written"]


def before_merge(site: Site, pair: dict[str, int]) -> dict[str, Any]:
    return {"merged": (False, None), "phone": None, "history": ["setup"],
            "associations": {pair["primary"]: [], pair["merged"]: sorted([site.ids["company"], pair["note"]])},
            "timeline": [], "merges": [], "attachment": pair["merged"]}


def after_merge(site: Site, pair: dict[str, int], merge_id: int) -> dict[str, Any]:
    phone = site.db.value(f"SELECT {site.db.prop('phone')} FROM records_record WHERE id = %s", pair["merged"])
    return {"merged": (True, pair["primary"]), "phone": phone,
            "history": ["setup", f"merge:{merge_id}"],
            "associations": {pair["primary"]: sorted([site.ids["company"], pair["note"]]), pair["merged"]: []},
            "timeline": sorted([("merge", None), ("notes", pair["note"])], key=repr),
            "merges": [(False, SNAPSHOT)], "attachment": pair["primary"]}


def after_unmerge(site: Site, pair: dict[str, int]) -> dict[str, Any]:
    return {**before_merge(site, pair), "history": ["setup", f"merge:{pair['merge']}", f"unmerge:{pair['merge']}"],
            "timeline": sorted([("merge", None), ("unmerge", None)], key=repr), "merges": [(True, SNAPSHOT)]}


def merge_id(site: Site, pair: dict[str, int]) -> int:
    return site.db.value("SELECT id FROM records_merge WHERE merged_id = %s", pair["merged"])


@pytest.mark.parametrize("at", [INSERT_ASSOCIATIONS, MERGE_VALUES, "commit", "committed"])
def test_merge_through_the_api_killed(site, pool, at):
    pair = pool["merges"].pop()
    assert merge_state(site, pair) == before_merge(site, pair)
    crash(site, MERGE, at, lambda: site.call("POST", "/crm/v3/objects/contacts/merge",
                                             {"primaryObjectId": str(pair["primary"]), "objectIdToMerge": str(pair["merged"])}))
    expected = after_merge(site, pair, merge_id(site, pair)) if at == "committed" else before_merge(site, pair)
    assert merge_state(site, pair) == expected
    check_invariants(site)


@pytest.mark.parametrize("at", [TIMELINE_EVENT])
def test_merge_through_the_service_killed(site, pool, at):
    pair = pool["merges"].pop()
    crash(site, MERGE, at, lambda: site.run("merge", primary=pair["primary"], merged=pair["merged"]))
    expected = after_merge(site, pair, merge_id(site, pair)) if at == "committed" else before_merge(site, pair)
    assert merge_state(site, pair) == expected
    check_invariants(site)


@pytest.mark.parametrize("at", [INSERT_ASSOCIATIONS, "commit", "committed"])
def test_undo_merge_on_the_record_page_killed(site, pool, at):
    pair = pool["merged"].pop()
    assert merge_state(site, pair) == after_merge(site, pair, pair["merge"])
    crash(site, UNMERGE, at, lambda: site.post_form(f"/contacts/{pair['primary']}/merges/", {"merge": str(pair["merge"])}))
    expected = after_unmerge(site, pair) if at == "committed" else after_merge(site, pair, pair["merge"])
    assert merge_state(site, pair) == expected
    check_invariants(site)


# --- e-mail import -------------------------------------------------------------------------------


def eml(tag: str, address: str) -> bytes:
    return f"""From: Kay <{address}>
To: Olga Owner <owner@example.com>
Subject: Plans {tag}
Date: Tue, 24 Nov 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

The plans are attached.
--b1
Content-Type: application/pdf
Content-Disposition: attachment; filename="{tag}-plans.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--b1
Content-Type: text/plain
Content-Disposition: attachment; filename="{tag}-notes.txt"

notes of {tag}
--b1--
""".replace("\n", "\r\n").encode()


def logged_email(site: Site, tag: str, contact: int) -> dict[str, Any]:
    db = site.db
    ours = f"SELECT id FROM records_record WHERE {db.prop('hs_email_subject')} = %s"
    subject = f"Plans {tag}"
    files = db.rows("SELECT name, file, activity_id FROM activities_attachment WHERE name LIKE %s ORDER BY name", f"{tag}-%")
    return {
        "emails": db.value(f"SELECT count(*) FROM ({ours}) r", subject),
        "history": db.value(f"SELECT count(*) FROM records_propertychange WHERE record_id IN ({ours})", subject),
        "associations": db.value(f"SELECT count(*) FROM associations_association WHERE (from_record_id IN ({ours})"
                                 f" AND to_record_id = %s) OR (to_record_id IN ({ours}) AND from_record_id = %s)",
                                 subject, contact, subject, contact),
        "timeline": db.value(f"SELECT count(*) FROM activities_timelineentry WHERE record_id = %s AND activity_id IN ({ours})",
                             contact, subject),
        "attachments": [(name, (site.data_dir / "files" / file).read_bytes()) for name, file, _ in files],
        "attachment ids": sorted(db.value(f"SELECT {db.prop('hs_attachment_ids')} FROM records_record WHERE id = %s",
                                          files[0][2]).split(";")) if files else [],
    }


def files_on_disk(site: Site) -> set[Path]:
    return {path for path in (site.data_dir / "files").rglob("*") if path.is_file()}


def stray_files(site: Site, before: set[Path]) -> list[bytes]:
    """What the files written since `before` that no attachment row points at hold (files are
    stored under names of their own, not the uploaded ones)."""
    kept = {file for (file,) in site.db.rows("SELECT file FROM activities_attachment")}
    root = site.data_dir / "files"
    return sorted(path.read_bytes() for path in files_on_disk(site) - before if str(path.relative_to(root)) not in kept)


@pytest.mark.parametrize("at", [ASSOCIATE, SET_ATTACHMENT_IDS, "commit", "committed"])
def test_email_import_killed(site, pool, at):
    contact = pool["emailed"].pop()
    address = site.db.value(f"SELECT {site.db.prop('email')} FROM records_record WHERE id = %s", contact)
    tag = f"e{uuid.uuid4().hex[:10]}"
    before = files_on_disk(site)
    crash(site, LOG_EMAIL, at, lambda: site.post_form(f"/record/{contact}/emails/upload/", {},
                                                      {"file": ("message.eml", eml(tag, address))}))
    found = logged_email(site, tag, contact)
    if at == "committed":
        ids = sorted(str(pk) for (pk,) in site.db.rows("SELECT id FROM activities_attachment WHERE name LIKE %s", f"{tag}-%"))
        assert found == {"emails": 1, "history": 2, "associations": 2, "timeline": 1, "attachment ids": ids,
                         "attachments": [(f"{tag}-notes.txt", f"notes of {tag}".encode()), (f"{tag}-plans.pdf", b"%PDF-1.4\n")]}
        assert stray_files(site, before) == []
    else:
        assert found == {"emails": 0, "history": 0, "associations": 0, "timeline": 0, "attachments": [], "attachment ids": []}
        # The files are written before the rows that point at them: a kill after that leaves
        # files no row points at, which `scheda sweep_files` removes.
        written = at != ASSOCIATE
        assert stray_files(site, before) == ([b"%PDF-1.4\n", f"notes of {tag}".encode()] if written else [])
        if written and at == "commit":
            Server("", "", site.env).scheda("sweep_files", "--older-than", "0")
            assert stray_files(site, before) == []
    check_invariants(site)


# --- an account change and its audit event ---------------------------------------------------------


def test_token_revoke_killed_before_its_audit_event(site):
    crash(site, REVOKE_TOKEN, AUDIT, lambda: site.child("token", "revoke", "--name", "doomed"))
    assert site.db.rows("SELECT revoked_at FROM accounts_apitoken WHERE name = 'doomed'") == [(None,)]
    assert site.db.value("SELECT count(*) FROM accounts_auditevent WHERE kind = 'token_revoked'") == 0
