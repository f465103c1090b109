"""`make bench`: the app shell's global search as the user types, over data set S (10k contacts,
2k companies, 3k deals, 1k tickets) or L (100 times more).

Prints server time (p50/p95, in process, no network) and queries of the htmx partial under the
search box for a common prefix, a full word, a two-word query and a query with no match; and
of the create dialog's duplicate check. Runs on SQLite in a temporary folder, or on the
PostgreSQL named by BENCH_DATABASE_URL.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import dataset, percentiles, setup

args = setup("search", reads=200)

from django.db import connection  # noqa: E402
from django.http import HttpRequest  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_htmx.middleware import HtmxDetails  # noqa: E402

from scheda.objects.services import one_request  # noqa: E402
from scheda.records.models import Record  # noqa: E402
from scheda.web import create, views  # noqa: E402

user = dataset(args, "search")
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
        with CaptureQueriesContext(connection) as queries, one_request():  # the schema token read once, as a request does
            started = time.perf_counter()
            response = call()
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content[:500]
        return elapsed, len(queries), response.content

    _, count, content = once()
    p50, p95 = percentiles([once()[0] for _ in range(args.reads)])
    print(f"  {label}: p50 {p50:.2f} ms, p95 {p95:.2f} ms, {count} queries, {shown(content)}")


for label, text in ((f"prefix {first_name[:2]!r}", first_name[:2]), (f"word {first_name!r}", first_name),
                    (f"two words {first_name} {first_name[:1]}", f"{first_name} {first_name[:1]}"),
                    ("no match 'zebraqx'", "zebraqx")):
    measure(f"search {label}", lambda text=text: views.search(request("/search/", {"q": text})))
measure("duplicate check (e-mail held)", lambda: create.duplicate(request("/contacts/create/duplicate/",
                                                                           {"property": "email", "email": email}), "contacts"),
        lambda content: "warning shown" if b"already exists" in content else "NO WARNING")
sys.stdout.flush()
