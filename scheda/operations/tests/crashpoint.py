"""The child side of the crash tests (test_crash.py); never imported by Scheda itself.

`python -m scheda.operations.tests.crashpoint ARGS...` runs `scheda ARGS...` (`serve`), or with
`run NAME JSON` one of the functions below, with stops installed. CRASH_OPERATIONS names the
service functions ("module:function", comma-separated) that arm a stop, CRASH_POINTS the
functions ("module:function") a stop may be put before. When a thread
enters an operation, it reads the JSON file CRASH_PLAN: {"operation", "at", "marker"}. If the
plan names this operation, the thread stops at `at`, which is
- one of CRASH_POINTS: just before that function is called, inside the operation's transaction,
- "commit": just before the operation's transaction commits,
- "committed": just after it has committed, before the answer is sent.
A stopped thread writes its process id to the file `marker` and sleeps until the parent kills
the process with SIGKILL. A server's master process forks its workers with the stops in place,
so a killed worker's replacement has them too, and every test can change the plan.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import sys
import threading
import time
from pathlib import Path

# HubSpot's unlabeled contact-to-company association type.
CONTACT_TO_COMPANY = 279


def _stop(marker: str) -> None:
    temporary = f"{marker}.tmp"
    Path(temporary).write_text(str(os.getpid()))
    os.replace(temporary, marker)  # the parent never reads a half-written pid
    while True:
        time.sleep(60)


def _patch(path: str, wrap) -> None:
    """Replace a module's function: its callers look it up in the module at each call."""
    module_name, _, name = path.partition(":")
    module = importlib.import_module(module_name)
    setattr(module, name, wrap(path, getattr(module, name)))


def install(operations: list[str], points: list[str], plan_file: str) -> None:
    from django.db import connections

    armed: dict[int, dict[str, str]] = {}  # thread -> the plan it follows

    def arming(name, original):
        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            ident = threading.get_ident()
            mine = False
            if ident not in armed:
                plan = json.loads(Path(plan_file).read_text())
                if plan["operation"] == name:
                    armed[ident], mine = plan, True
            try:
                return original(*args, **kwargs)
            finally:
                if mine:
                    armed.pop(ident, None)
        return wrapper

    def stopping(name, original):
        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            plan = armed.get(threading.get_ident())
            if plan and plan["at"] == name:
                _stop(plan["marker"])
            return original(*args, **kwargs)
        return wrapper

    def committing(original):
        # The outermost atomic block's commit: nested blocks release savepoints instead.
        @functools.wraps(original)
        def wrapper(self, *args, **kwargs):
            plan = armed.get(threading.get_ident())
            if plan and plan["at"] == "commit":
                _stop(plan["marker"])
            result = original(self, *args, **kwargs)
            if plan and plan["at"] == "committed":
                _stop(plan["marker"])
            return result
        return wrapper

    for operation in operations:
        _patch(operation, arming)
    for point in points:
        _patch(point, stopping)
    backend = type(connections["default"])  # the backend's class, not the thread-local proxy
    backend.commit = committing(backend.commit)


# --- run in a child of its own -------------------------------------------------------------------


def setup(tag: str, merges: int, merged: int, emails: int) -> None:
    """What the tests start from, printed as JSON: the owner and an API token; a company;
    `merges` pairs of contacts to merge (and `merged` pairs merged already), the second of each
    associated with the company, with a note on its timeline and a file on its Attachments card;
    `emails` contacts to log e-mails on."""
    from scheda.accounts import services as accounts
    from scheda.activities import services as activities
    from scheda.records import services as records

    owner = accounts.create_user("owner@example.com", "a-long-password-3", first_name="Olga", last_name="Owner")
    _token, secret = accounts.create_token("crash")
    accounts.create_token("doomed")  # revoked by a process killed before the audit event
    author = records.Author(records.Source.IMPORT, "setup", owner)
    company = records.create_record("companies", {"name": f"Crash {tag}", "domain": f"{tag}.example.com"}, author)
    pairs = []
    for index in range(merges + merged):
        primary = records.create_record("contacts", {"email": f"p{index}-{tag}@example.com", "firstname": "Primary",
                                                     "lastname": tag}, author)
        other = records.create_record("contacts", {"email": f"m{index}-{tag}@example.com", "firstname": "Merged",
                                                   "phone": f"+39 02 {index:04d}"}, author, [(company.pk, CONTACT_TO_COMPANY)])
        note = activities.log_activity("notes", {"hs_note_body": f"note {tag}"}, author, on=[other])
        attachment = activities.attach_file(other, f"m{index}-{tag}.txt", b"kept with the merged contact", author)
        pair = {"primary": primary.pk, "merged": other.pk, "note": note.pk, "attachment": attachment.pk}
        if index >= merges:
            pair["merge"] = records.merge_records(primary, other, author).pk
        pairs.append(pair)
    emailed = [records.create_record("contacts", {"email": f"k{index}-{tag}@example.com", "firstname": "Kay"}, author).pk
               for index in range(emails)]
    print(json.dumps({"token": secret, "company": company.pk, "merges": pairs[:merges], "merged": pairs[merges:],
                      "emailed": emailed}))


def create_contacts(tag: str, count: int, company: int) -> None:
    from scheda.records import services as records

    inputs = [records.RecordInput({"email": f"{tag}-{i}@example.com", "firstname": f"Crash{i}", "lastname": tag},
                                  [(company, CONTACT_TO_COMPANY)]) for i in range(count)]
    records.create_records("contacts", inputs, records.Author(records.Source.IMPORT, f"crash:{tag}"))


def merge(primary: int, merged: int) -> None:
    from scheda.records import services as records
    from scheda.records.models import Record

    records.merge_records(Record.objects.get(pk=primary), Record.objects.get(pk=merged), records.Author(records.Source.UI))


RUN = {"setup": setup, "create_contacts": create_contacts, "merge": merge}


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheda.settings")
    import django

    django.setup()
    if "CRASH_PLAN" in os.environ:
        install(os.environ["CRASH_OPERATIONS"].split(","), os.environ["CRASH_POINTS"].split(","), os.environ["CRASH_PLAN"])
    if argv[:1] == ["run"]:
        RUN[argv[1]](**json.loads(argv[2]))
        return 0
    from scheda.cli import main as scheda

    return scheda(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
