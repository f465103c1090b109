"""`make bench`: the contacts index page (10,000 contacts in S, 1,000,000 in L).

Prints server time (p50/p95, in process, no network) of the whole HTML response of /contacts/,
signed in, through Django's test client (middleware, session, view, template), and the number
of queries it takes, for:
- "All contacts" sorted by create date (the default view);
- lifecycle stage = customer (a sixth of the contacts match), sorted by last name both ways,
  and by create date, with the next page (keyset `after`) and the way back (`before`);
- a search for a surname, for a word only activities hold (in a full data set), and for a
  word few contacts hold.
Only companies and contacts are generated: the page reads nothing else. Runs on SQLite in a
temporary folder, or on the PostgreSQL named by BENCH_DATABASE_URL; --data-dir reuses a set.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import dataset, percentiles, setup

args = setup("index")

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from scheda.records.models import Record  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
user = dataset(args, "index page", only=("companies", "contacts"))  # the page reads nothing else
contacts = Record.objects.filter(object_type__name="contacts", archived=False).count()
print(f"  {contacts:,} contacts")
client = Client()
client.force_login(user)


def measure(label: str, query: str) -> str:
    def once() -> tuple[float, int, bytes]:
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(f"/contacts/?{query}")
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content[:500]
        return elapsed, len(queries), response.content

    once()  # the first request of the process loads the schema
    _, count, content = once()
    p50, p95 = percentiles([once()[0] for _ in range(args.reads)])
    html = content.decode()
    shown = re.search(r'class="record-count"[^>]*>([^<]+)<', html)
    rows = html.count('<th scope="row">')
    print(f"  {label}: p50 {p50:.2f} ms, p95 {p95:.2f} ms, {count} queries, {rows} rows, \"{shown[1] if shown else '?'}\"")
    return html


customers = "edited=1&fp=lifecyclestage&fo=EQ&fv=customer&col=email&col=phone&col=hubspot_owner_id&col=lifecyclestage&col=createdate"
measure("All contacts (by create date)", "view=all")
by_name = measure("lifecycle stage = customer, by last name A to Z", f"{customers}&sort=lastname&dir=asc")
after = re.search(r"after=(\d+)", by_name)
measure("  its next page (keyset `after`)", f"{customers}&sort=lastname&dir=asc&after={after[1] if after else ''}")
measure("lifecycle stage = customer, by last name Z to A", f"{customers}&sort=lastname&dir=desc")
first = measure("lifecycle stage = customer, by create date", f"{customers}&sort=createdate&dir=desc")
after = re.search(r"after=(\d+)", first)
second = measure("  its next page (keyset `after`)", f"{customers}&sort=createdate&dir=desc&after={after[1] if after else ''}")
before = re.search(r"before=(\d+)", second)
measure("  and back to the first (keyset `before`)", f"{customers}&sort=createdate&dir=desc&before={before[1] if before else ''}")
measure("search 'rossi'", "view=all&q=rossi")
measure("search 'budget' (a word of notes, of no contact)", "view=all&q=budget")
measure("search '54321' (a word of a few contacts: an e-mail's number, phone numbers' start)", "view=all&q=54321")

# A "Sales rep" in a team of 4 of the 20 owners sees a fifth of the contacts: the same pages
# narrowed by the owner property (scheda.accounts.permissions).
from scheda.accounts.models import PermissionSet, Team, User  # noqa: E402

team, _ = Team.objects.get_or_create(name="Bench team")
team.members.set(User.objects.filter(email__in=["bench@example.com", *(f"bench-{n}@example.com" for n in (1, 2, 3))]))
User.objects.filter(email="bench@example.com").update(permission_set=PermissionSet.objects.get(name="Sales rep"))
client.force_login(User.objects.get(email="bench@example.com"))
print("  as a Sales rep (the records of 4 of 20 owners):")
measure("All contacts (by create date)", "view=all")
measure("lifecycle stage = customer, by last name A to Z", f"{customers}&sort=lastname&dir=asc")
measure("lifecycle stage = customer, by create date", f"{customers}&sort=createdate&dir=desc")
measure("search 'rossi'", "view=all&q=rossi")
User.objects.filter(email="bench@example.com").update(permission_set=None)
sys.stdout.flush()
