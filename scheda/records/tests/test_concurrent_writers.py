"""Several server processes writing the same records at once (issue 7): two `scheda serve` on one
database (one worker of four threads, and two of four), hammered through the API and the pages'
forms. Every answer is a 2xx or HubSpot's 4xx error shape (never a 5xx, never "database is
locked" or "deadlock"); every accepted write is there, and the history is a chain with no lost
update."""

from __future__ import annotations

import http.cookiejar
import itertools
import json
import re
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from scheda.api.tests.live import Server, running_server, start_server

THREADS = 16
WRITES = 16


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[list[Server]]:
    """Two `scheda serve` (2 workers x 4 threads each) on one database."""
    data_dir = tmp_path_factory.mktemp("conc")
    with running_server(data_dir, "conc") as first:
        process, url = start_server(first.env, workers=2, threads=4)
        try:
            yield [first, Server(url, first.token, first.env)]
        finally:
            process.terminate()
            process.wait(timeout=10)


class Hammer:
    """Runs calls on many threads, spread over the servers, and keeps every answer."""

    def __init__(self, servers: list[Server]):
        self.servers = servers
        self.answers: list[tuple[str, int, object]] = []

    def run(self, calls: list[tuple[str, str, object]]) -> list[tuple[int, object]]:
        def one(item: tuple[int, tuple[str, str, object]]) -> tuple[int, object]:
            index, (method, path, body) = item
            status, _headers, answer = self.servers[index % len(self.servers)].call(method, path, body)
            return status, answer

        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(one, enumerate(calls)))
        for (method, path, _body), (status, answer) in zip(calls, results, strict=True):
            self.answers.append((f"{method} {path}", status, answer))
        return results

    def check_answers(self) -> None:
        """No 5xx, no lock or deadlock in any body, and every 4xx in HubSpot's error shape."""
        for where, status, answer in self.answers:
            text = json.dumps(answer).lower()
            assert status < 500, (where, status, answer)
            assert "database is locked" not in text and "deadlock" not in text and "busy" not in text, (where, answer)
            if status >= 400:
                assert isinstance(answer, dict) and {"status", "message", "category", "correlationId"} <= answer.keys(), answer


class Page:
    """The owner signed in to one server's pages, posting their forms as htmx does."""

    def __init__(self, server: Server):
        self.url = server.url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        form = self.opener.open(f"{self.url}/login/", timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]  # type: ignore[index]
        self.post("/login/", {"csrfmiddlewaretoken": token, "username": "owner@example.com", "password": "a-long-password-3"})

    def post(self, path: str, data: dict) -> tuple[int, str]:
        csrf = next(c.value for c in self.jar if c.name == "csrftoken")
        request = urllib.request.Request(f"{self.url}{path}", data=urllib.parse.urlencode(data).encode(), method="POST",
                                         headers={"X-CSRFToken": csrf, "HX-Request": "true", "Referer": f"{self.url}/"})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def post_all(pages: list[Page], posts: list[tuple[str, dict]]) -> list[tuple[int, str]]:
    """Form posts on many threads, spread over the signed-in pages of both servers."""
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda item: pages[item[0] % len(pages)].post(*item[1]), enumerate(posts)))


def rows(server: Server, sql: str) -> list[tuple]:
    """Rows of the servers' own database, read directly (the test's Django uses another one)."""
    url = server.env.get("SCHEDA_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
    with sqlite3.connect(Path(server.env["SCHEDA_DATA_DIR"]) / "scheda.sqlite3") as conn:
        return conn.execute(sql).fetchall()


def values(raw: object) -> dict:
    return raw if isinstance(raw, dict) else json.loads(str(raw))


def create(server: Server, object_type: str, properties: dict) -> int:
    status, _, body = server.call("POST", f"/crm/v3/objects/{object_type}", {"properties": properties})
    assert status == 201, body
    return int(body["id"])  # type: ignore[index]


def test_same_record_updated_by_many_processes(servers):
    """PATCHes and batch updates (the same records, in both orders) racing: every one accepted,
    one PropertyChange each, and the record holds the value of the last change."""
    server, hammer = servers[0], Hammer(servers)
    ids = [create(server, "contacts", {"email": f"same-{i}-{uuid.uuid4().hex[:6]}@example.com"}) for i in range(3)]
    calls: list[tuple[str, str, object]] = []
    for n in range(WRITES):
        calls.append(("PATCH", f"/crm/v3/objects/contacts/{ids[0]}", {"properties": {"firstname": f"patch-{n}"}}))
        order = ids if n % 2 else list(reversed(ids))
        calls.append(("POST", "/crm/v3/objects/contacts/batch/update",
                      {"inputs": [{"id": str(i), "properties": {"lastname": f"batch-{n}", "jobtitle": f"job-{n}-{i}"}}
                                  for i in order]}))
    results = hammer.run(calls)
    hammer.check_answers()
    assert [status for status, _ in results] == [200] * len(calls)
    for record_id in ids:
        changes = [values(v) for (v,) in rows(server, f"SELECT \"values\" FROM records_propertychange WHERE record_id = {record_id} ORDER BY id")]
        final = values(rows(server, f"SELECT properties FROM records_record WHERE id = {record_id}")[0][0])
        for name in ("lastname", "jobtitle") + (("firstname",) if record_id == ids[0] else ()):
            written = [c[name] for c in changes if name in c]
            assert len(written) == WRITES, (name, written)  # each accepted write left its change
            assert final[name] == written[-1]


def test_upserts_of_the_same_records_in_both_orders(servers):
    """Batch upserts by e-mail of the same two contacts, in one order and the other, at once:
    each one transaction that locks a record per input, so on PostgreSQL two can deadlock; the
    loser is run again, and every upsert answers 200 with its values in the history."""
    server, hammer = servers[0], Hammer(servers)
    emails = [f"upsert-{n}-{uuid.uuid4().hex[:6]}@example.com" for n in range(2)]
    ids = [create(server, "contacts", {"email": email}) for email in emails]
    calls: list[tuple[str, str, object]] = [
        ("POST", "/crm/v3/objects/contacts/batch/upsert",
         {"inputs": [{"id": email, "idProperty": "email", "properties": {"jobtitle": f"up-{n}"}}
                     for email in (emails if n % 2 else list(reversed(emails)))]}) for n in range(WRITES)]
    results = hammer.run(calls)
    hammer.check_answers()
    assert [status for status, _ in results] == [200] * WRITES
    for record_id in ids:
        written = [values(v)["jobtitle"] for (v,) in rows(
            server, f"SELECT \"values\" FROM records_propertychange WHERE record_id = {record_id} ORDER BY id") if "jobtitle" in values(v)]
        assert len(written) == WRITES


def test_creates_of_one_email_race(servers):
    """The same e-mail created at once by both processes: exactly one wins, the others get 409."""
    hammer = Hammer(servers)
    email = f"race-{uuid.uuid4().hex[:8]}@example.com"
    results = hammer.run([("POST", "/crm/v3/objects/contacts", {"properties": {"email": email, "firstname": str(n)}})
                          for n in range(12)])
    hammer.check_answers()
    assert Counter(status for status, _ in results) == {201: 1, 409: 11}
    holders = [p for (p,) in rows(servers[0], "SELECT properties FROM records_record WHERE NOT archived") if values(p).get("email") == email]
    assert len(holders) == 1


def test_associations_race_within_limits(servers):
    """A label limited to 2 companies per contact, claimed by 10 companies at once, while the
    default association of other companies is added and removed over and over: the limit holds,
    and each pair ends associated both ways or not at all."""
    server, hammer = servers[0], Hammer(servers)
    contact = create(server, "contacts", {"email": f"assoc-{uuid.uuid4().hex[:6]}@example.com"})
    companies = [create(server, "companies", {"name": f"Race {n}"}) for n in range(14)]
    status, _, made = server.call("POST", "/crm/v4/associations/contacts/companies/labels",
                                  {"label": f"Race {uuid.uuid4().hex[:6]}", "name": f"race_{uuid.uuid4().hex[:6]}"})
    assert status == 200, made
    label = made["results"][0]["typeId"]  # type: ignore[index]
    status, _, body = server.call("POST", "/crm/v4/associations/definitions/configurations/contacts/companies/batch/create",
                                  {"inputs": [{"category": "USER_DEFINED", "typeId": label, "maxToObjectIds": 2}]})
    assert status == 201, body
    spec = [{"associationCategory": "USER_DEFINED", "associationTypeId": label}]
    calls: list[tuple[str, str, object]] = [
        ("PUT", f"/crm/v4/objects/contacts/{contact}/associations/companies/{company}", spec) for company in companies[:10]]
    for n in range(16):
        company = companies[10 + n % 4]
        method = "PUT" if n % 2 == 0 else "DELETE"
        calls.append((method, f"/crm/v4/objects/contacts/{contact}/associations/default/companies/{company}", None)
                     if method == "PUT" else (method, f"/crm/v4/objects/contacts/{contact}/associations/companies/{company}", None))
    results = hammer.run(calls)
    hammer.check_answers()
    labelled = [status for status, _ in results[:10]]
    assert labelled.count(201) == 2 and labelled.count(400) == 8, labelled
    held = rows(server, f"SELECT count(*) FROM associations_association WHERE from_record_id = {contact} AND type_id = {label}")
    assert held == [(2,)]
    forward = set(rows(server, f"SELECT to_record_id, type_id FROM associations_association WHERE from_record_id = {contact}"))
    backward = set(rows(server, f"SELECT from_record_id, type_id FROM associations_association WHERE to_record_id = {contact}"))
    assert {to for to, _ in forward} == {to for to, _ in backward}


def test_notes_logged_on_one_record(servers):
    """Notes logged at once on one contact from both processes: every one on its timeline."""
    server, hammer = servers[0], Hammer(servers)
    contact = create(server, "contacts", {"email": f"notes-{uuid.uuid4().hex[:6]}@example.com"})
    calls: list[tuple[str, str, object]] = [
        ("POST", "/crm/v3/objects/notes", {"properties": {"hs_note_body": f"note {n}", "hs_timestamp": "2026-11-27T10:00:00Z"},
                                           "associations": [{"to": {"id": str(contact)}, "types": [
                                               {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]}]})
        for n in range(WRITES)]
    results = hammer.run(calls)
    hammer.check_answers()
    assert [status for status, _ in results] == [201] * WRITES
    notes = {int(body["id"]) for _, body in results}  # type: ignore[index]
    associated = {to for (to,) in rows(server, f"SELECT to_record_id FROM associations_association WHERE from_record_id = {contact}")}
    assert notes <= associated
    on_timeline = {r for (r,) in rows(server, f"SELECT activity_id FROM activities_timelineentry WHERE record_id = {contact} AND activity_id IS NOT NULL")}
    assert notes <= on_timeline


def test_overlapping_merges(servers):
    """Merges of overlapping pairs (a into b, b into a, b into c ...) at once: each is done or
    refused with a 4xx; the records left active are those no accepted merge archived, and every
    merged record points at the record it went into."""
    server, hammer = servers[0], Hammer(servers)
    ids = [create(server, "contacts", {"email": f"merge-{n}-{uuid.uuid4().hex[:6]}@example.com"}) for n in range(6)]
    pairs = [(ids[a], ids[b]) for a, b in [(0, 1), (1, 0), (1, 2), (2, 3), (3, 2), (4, 5), (5, 4), (0, 5), (3, 4), (2, 0)]]
    results = hammer.run([("POST", "/crm/v3/objects/contacts/merge", {"primaryObjectId": str(p), "objectIdToMerge": str(m)})
                          for p, m in pairs])
    hammer.check_answers()
    done = [pair for pair, (status, _) in zip(pairs, results, strict=True) if status == 200]
    assert done and all(status in (200, 400, 404) for status, _ in results), results
    merged = {m: p for p, m in done}
    assert len(merged) == len(done)  # no record merged twice
    state = dict(((i, (archived, into)) for i, archived, into in
                  rows(server, f"SELECT id, archived, merged_into_id FROM records_record WHERE id IN ({', '.join(map(str, ids))})")))
    for record_id in ids:
        archived, into = state[record_id]
        assert bool(archived) == (record_id in merged)
        assert into == merged.get(record_id)
    assert rows(server, f"SELECT count(*) FROM records_merge WHERE merged_id IN ({', '.join(map(str, ids))})") == [(len(done),)]


def test_stage_moves_leave_a_chain(servers):
    """A deal moved between stages by both processes at once: every move accepted, and the
    timeline's stage events form one chain (each move's "from" is the previous move's "to")."""
    server, hammer = servers[0], Hammer(servers)
    status, _, pipelines = server.call("GET", "/crm/v3/pipelines/deals")
    assert status == 200
    stages = [s["id"] for s in pipelines["results"][0]["stages"]]  # type: ignore[index]
    deal = create(server, "deals", {"dealname": "Race", "pipeline": pipelines["results"][0]["id"], "dealstage": stages[0]})  # type: ignore[index]
    moves = [stages[1 + n % (len(stages) - 1)] if n % 2 == 0 else stages[0] for n in range(WRITES)]
    results = hammer.run([("PATCH", f"/crm/v3/objects/deals/{deal}", {"properties": {"dealstage": stage}}) for stage in moves])
    hammer.check_answers()
    assert [status for status, _ in results] == [200] * WRITES
    events = [values(d) for (d,) in rows(server, f"SELECT data FROM activities_timelineentry WHERE record_id = {deal}"
                                                   " AND kind = 'deal_stage' ORDER BY id")]
    for before, after in itertools.pairwise(events):
        assert after["from"] == before["to"], events
    changes = [values(v)["dealstage"] for (v,) in rows(
        server, f"SELECT \"values\" FROM records_propertychange WHERE record_id = {deal} ORDER BY id") if "dealstage" in values(v)]
    final = values(rows(server, f"SELECT properties FROM records_record WHERE id = {deal}")[0][0])
    assert final["dealstage"] == changes[-1] == (events[-1]["to"] if events else stages[0])


def test_page_forms_race_the_api(servers):
    """The record page's inline editor and the API writing one property at once (no version: a
    plain overwrite, each accepted and in the history), notes logged from the page beside the
    API's, and board moves of one deal all made from the stage the card showed: exactly one of
    those wins, the others are told it moved meanwhile."""
    server, hammer = servers[0], Hammer(servers)
    pages = [Page(s) for s in servers]
    contact = create(server, "contacts", {"email": f"page-{uuid.uuid4().hex[:6]}@example.com"})
    posts = [(f"/contacts/{contact}/property/jobtitle/", {"jobtitle": f"page-{n}"}) for n in range(WRITES // 2)]
    posts += [(f"/record/{contact}/activities/notes/", {"hs_note_body": f"page note {n}"}) for n in range(WRITES // 2)]
    calls: list[tuple[str, str, object]] = [
        ("PATCH", f"/crm/v3/objects/contacts/{contact}", {"properties": {"jobtitle": f"api-{n}"}}) for n in range(WRITES // 2)]
    with ThreadPoolExecutor(2) as both:
        from_pages = both.submit(post_all, pages, posts)
        both.submit(hammer.run, calls).result()
        answered = from_pages.result()
    hammer.check_answers()
    assert [status for status, _ in answered] == [200] * len(posts), [(s, b[:300]) for s, b in answered if s != 200]
    assert not any("database is locked" in body or "deadlock" in body for _, body in answered)
    written = [values(v)["jobtitle"] for (v,) in rows(
        server, f"SELECT \"values\" FROM records_propertychange WHERE record_id = {contact} ORDER BY id") if "jobtitle" in values(v)]
    assert len(written) == WRITES  # every page save and every PATCH, none lost
    assert values(rows(server, f"SELECT properties FROM records_record WHERE id = {contact}")[0][0])["jobtitle"] == written[-1]
    notes = rows(server, f"SELECT count(*) FROM activities_timelineentry WHERE record_id = {contact} AND kind = 'notes'")
    assert notes == [(WRITES // 2,)]

    status, _, pipelines = server.call("GET", "/crm/v3/pipelines/deals")
    stages = [s["id"] for s in pipelines["results"][0]["stages"]]  # type: ignore[index]
    deal = create(server, "deals", {"dealname": "Board race", "dealstage": stages[0]})
    # Each to another stage: a move to where the card already is changes nothing and is no conflict.
    moves = post_all(pages, [("/deals/board/move/", {"mode": "board", "record": deal, "from": stages[0], "stage": stage})
                             for stage in stages[1:]])
    assert [status for status, _ in moves] == [200] * len(stages[1:])
    said = [re.search(r'class="board-message" role="alert">([^<]*)<', body)[1] for _, body in moves]  # type: ignore[index]
    assert sorted(bool(message) for message in said) == [False] + [True] * (len(stages) - 2), said
    assert all("meanwhile: move it again to overwrite" in message for message in said if message)
    changes = [values(v)["dealstage"] for (v,) in rows(
        server, f"SELECT \"values\" FROM records_propertychange WHERE record_id = {deal} ORDER BY id") if "dealstage" in values(v)]
    winner = stages[1:][said.index("")]
    assert changes == [stages[0], winner]


def test_one_merge_undone_twice_at_once(servers):
    """"Undo merge" posted from both servers at once: one undoes it, the other is told it was
    already undone; the merged record is back once, with its values."""
    server = servers[0]
    pages = [Page(s) for s in servers]
    primary, merged = (create(server, "contacts", {"email": f"undo-{n}-{uuid.uuid4().hex[:6]}@example.com", "jobtitle": f"j{n}"})
                       for n in range(2))
    status, _, body = server.call("POST", "/crm/v3/objects/contacts/merge", {"primaryObjectId": str(primary), "objectIdToMerge": str(merged)})
    assert status == 200, body
    ((merge,),) = rows(server, f"SELECT id FROM records_merge WHERE merged_id = {merged}")
    answered = post_all(pages, [(f"/contacts/{primary}/merges/", {"merge": merge})] * 6)
    assert all(status in (200, 302) for status, _ in answered), [(s, b[:300]) for s, b in answered]
    assert sum("already undone" in body for _, body in answered) == 5
    assert rows(server, f"SELECT archived, merged_into_id FROM records_record WHERE id = {merged}") in ([(0, None)], [(False, None)])
    assert rows(server, f"SELECT count(*) FROM activities_timelineentry WHERE record_id = {primary} AND kind = 'unmerge'") == [(1,)]


def test_no_error_in_the_logs(servers):
    """Last: neither server logged a 500 or a lock while the tests above ran."""
    log = (Path(servers[0].env["SCHEDA_DATA_DIR"]) / "serve.log").read_text(errors="replace")
    assert "database is locked" not in log and "deadlock detected" not in log and "Traceback" not in log, log[-3000:]
