"""Realistic CRM data in Italian and English, written through the bulk service path that the
API's batch calls and imports use: `scheda demo` loads a small set once, `scheda generate`
builds the benchmark sets S and L."""

from __future__ import annotations

import multiprocessing
import os
import random
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection, wait
from typing import Any, cast

from django.db import connection, connections, transaction

from scheda.objects.services import load_schema
from scheda.objects.types import WriteContext, format_datetime
from scheda.records.services import Author, RecordInput, Source, create_records

FIRST = ["Giulia", "Marco", "Francesca", "Luca", "Chiara", "Alessandro", "Sofia", "Matteo", "Elena", "Nicolò",
         "Martina", "Davide", "Sara", "Federico", "Anna", "Emma", "Oliver", "Grace", "James", "Olivia", "Henry",
         "Amelia", "Jack", "Isla", "Thomas", "Charlotte", "William", "Lucy", "George", "Hannah"]
LAST = ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
        "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Smith", "Jones", "Taylor", "Brown", "Williams",
        "Wilson", "Johnson", "Davies", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White"]
COMPANY_A = ["Alpi", "Lago", "Vesuvio", "Laguna", "Dolomiti", "Tevere", "Etna", "Northwind", "Blue Harbour",
             "Greenfield", "Silverline", "Oakridge", "Brightwater", "Redstone", "Ponte", "Stella"]
COMPANY_B = ["Logistica", "Tessuti", "Software", "Consulting", "Foods", "Energia", "Systems", "Meccanica",
             "Analytics", "Design", "Labs", "Trasporti", "Partners", "Holdings"]
CITIES = [("Milano", "Italy"), ("Roma", "Italy"), ("Torino", "Italy"), ("Bologna", "Italy"), ("Napoli", "Italy"),
          ("Firenze", "Italy"), ("London", "United Kingdom"), ("Manchester", "United Kingdom"),
          ("Dublin", "Ireland"), ("Edinburgh", "United Kingdom")]
JOBS = ["CEO", "CFO", "Head of Sales", "Procurement Manager", "IT Director", "Responsabile acquisti",
        "Direttore commerciale", "Office Manager", "Operations Lead", "Marketing Manager"]
STAGES = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"]
DEAL_STAGES = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin",
               "contractsent", "closedwon", "closedlost"]
INDUSTRIES = ["COMPUTER_SOFTWARE", "LOGISTICS_AND_SUPPLY_CHAIN", "FOOD_BEVERAGES", "RETAIL", "MACHINERY",
              "FINANCIAL_SERVICES", "APPAREL_FASHION", "RENEWABLES_ENVIRONMENT"]
NOTE_BODIES = ["<p>Spoke about the renewal: they want a 3-year term.</p>",
               "<p>Chiamata di presentazione, interessati al piano <b>Professional</b>.</p>",
               "<p>Sent the pricing sheet; follow up next week.</p>",
               "<p>Il cliente chiede una demo per il team acquisti.</p>",
               "<p>Budget approved for Q3, waiting on legal review.</p>"]
SUBJECTS = ["Proposal follow-up", "Rinnovo contratto", "Pricing questions", "Demo request", "Onboarding kickoff",
            "Preventivo aggiornato", "Quarterly review", "Invoice query", "Richiesta informazioni"]
TASK_SUBJECTS = ["Call back about pricing", "Inviare il preventivo", "Prepare the demo", "Check contract status",
                 "Fissare una riunione", "Send onboarding pack"]
# Activity type -> (its association type id to contacts, property builder key)
ACTIVITY_TO_CONTACT = {"notes": 202, "calls": 194, "emails": 198, "meetings": 200, "tasks": 204}


@dataclass(frozen=True)
class Size:
    contacts: int
    companies: int
    deals: int
    tickets: int
    activities: int
    busy_contact_activities: int


SIZES = {
    "demo": Size(contacts=60, companies=15, deals=25, tickets=12, activities=400, busy_contact_activities=40),
    "S": Size(contacts=10_000, companies=2_000, deals=3_000, tickets=1_000, activities=50_000,
              busy_contact_activities=1_000),
    "L": Size(contacts=1_000_000, companies=200_000, deals=300_000, tickets=100_000, activities=5_000_000,
              busy_contact_activities=10_000),
}
BATCH = 2_000


class Progress:
    """A one-line progress bar on stderr with the running rate."""

    def __init__(self, label: str, total: int, enabled: bool = True):
        self.label, self.total, self.enabled = label, total, enabled and total > 0
        self.done, self.started = 0, time.perf_counter()

    def advance(self, count: int) -> None:
        self.done += count
        if self.enabled:
            width = 30
            filled = int(width * self.done / self.total)
            sys.stderr.write(f"\r{self.label:<11} [{'#' * filled}{'.' * (width - filled)}] "
                             f"{self.done:>9,}/{self.total:,} {self.rate:>9,.0f}/s")
            if self.done >= self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    @property
    def rate(self) -> float:
        return self.done / max(time.perf_counter() - self.started, 1e-9)


class Generator:
    """Builds one data set. Ids of created records are kept so later objects associate with
    them; `rates` keeps records per second of each object type."""

    def __init__(self, size: Size, *, seed: int = 7, owner_ids: list[str] | None = None,
                 progress: bool = True, source_id: str = "generate", jobs: int = 1):
        self.size, self.rng, self.seed, self.jobs = size, random.Random(seed), seed, jobs
        self.owner_ids = owner_ids or []
        self.progress = progress
        self.author = Author(Source.IMPORT, source_id)
        self.now = datetime.now(UTC)
        self.rates: dict[str, float] = {}
        self.ids: dict[str, list[int]] = {}
        self.on_batch: Callable[[int], None] = lambda count: None  # a share's records written, told its parent

    def run(self) -> dict[str, float]:
        self.write("companies", self.size.companies, self.company)
        self.write("contacts", self.size.contacts, self.contact)
        self.write("deals", self.size.deals, self.deal)
        self.write("tickets", self.size.tickets, self.ticket)
        self.write_activities()
        return self.rates

    def write(self, object_name: str, total: int, build: Callable[[int], RecordInput]) -> None:
        jobs = min(self.jobs, total // BATCH)
        # Other processes see only what is committed, and never a database in this one's memory.
        in_memory = connection.vendor == "sqlite" and connection.is_in_memory_db()  # type: ignore[attr-defined]
        if jobs < 2 or connection.in_atomic_block or in_memory:
            self.write_inputs(object_name, total, (build(i) for i in range(total)))
        else:
            self.write_in_parallel(object_name, total, build, jobs)

    def write_in_parallel(self, object_name: str, total: int, build: Callable[[int], RecordInput], jobs: int) -> None:
        """`jobs` processes each write a share of the records, on its own connection, so that one
        validates in Python while another's batch is in the database. Each share associates its
        records with its own part of the records written before (every jobs-th contact, company):
        on PostgreSQL a batch locks the records it associates with, and two batches of two
        thousand activities drawn from all the contacts would almost always share one and take
        turns. Each share has its own random numbers, so a seed and a number of jobs give the
        same values."""
        bounds = [total * share // jobs for share in range(jobs + 1)]
        context = multiprocessing.get_context("fork")  # the children start with this generator as it is
        written = context.Value("q", 0)

        def share(number: int, answer: Connection) -> None:
            try:
                self.rng = random.Random(f"{self.seed}:{object_name}:{number}")
                self.ids = {name: ids[number::jobs] for name, ids in self.ids.items() if name != object_name}
                self.progress, self.on_batch = False, lambda count: _add(written, count)
                self.write_inputs(object_name, bounds[number + 1] - bounds[number],
                                  (build(i) for i in range(bounds[number], bounds[number + 1])), analyse=False)
                answer.send((self.ids[object_name], None))
            except BaseException:
                answer.send(([], traceback.format_exc()))
            finally:
                connections.close_all()

        connections.close_all()  # each process opens its own connection: none is shared across a fork
        bar = Progress(object_name, total, self.progress)
        pipes = [context.Pipe(duplex=False) for _ in range(jobs)]
        processes = [context.Process(target=share, args=(number, pipes[number][1])) for number in range(jobs)]
        for process in processes:
            process.start()
        waiting = {pipes[number][0]: number for number in range(jobs)}
        answers: dict[int, tuple[list[int], str | None]] = {}
        while waiting:
            for ready in wait(list(waiting), timeout=0.5):  # an answer, or the bar's next step
                pipe = cast(Connection, ready)
                try:
                    answers[waiting.pop(pipe)] = pipe.recv()
                except EOFError:
                    raise RuntimeError(f"a process writing {object_name} ended without an answer") from None
            if written.value > bar.done:
                bar.advance(written.value - bar.done)
        for process in processes:
            process.join()
        errors = [error for _ids, error in answers.values() if error]
        if errors:
            raise RuntimeError(f"writing {object_name} failed in a process:\n{errors[0]}")
        self.ids.setdefault(object_name, []).extend(i for number in range(jobs) for i in answers[number][0])
        self.rates[object_name] = bar.rate
        _analyse()  # once, by this process, for all the shares

    def write_inputs(self, object_name: str, total: int, inputs: Iterator[RecordInput], *, analyse: bool = True) -> None:
        schema, ctx = load_schema(object_name), WriteContext()
        bar = Progress(object_name, total, self.progress)
        ids = self.ids.setdefault(object_name, [])
        batch: list[RecordInput] = []
        analyse_at = BATCH  # then each time the type's records have doubled
        for item in inputs:
            batch.append(item)
            if len(batch) == BATCH:
                ids.extend(r.pk for r in create_records(schema.object_type, batch, self.author, schema=schema, ctx=ctx))
                bar.advance(len(batch))
                self.on_batch(len(batch))
                batch = []
                if len(ids) >= analyse_at:
                    _analyse(counts_only=True)
                    analyse_at = 2 * len(ids)
        if batch:
            ids.extend(r.pk for r in create_records(schema.object_type, batch, self.author, schema=schema, ctx=ctx))
            bar.advance(len(batch))
            self.on_batch(len(batch))
        self.rates[object_name] = bar.rate
        if analyse:
            _analyse()

    # --- one record of each kind ---------------------------------------------------------------

    def past(self, days: int = 720) -> str:
        return format_datetime(self.now - timedelta(seconds=self.rng.randrange(days * 86_400)))

    def owner(self) -> dict[str, str]:
        return {"hubspot_owner_id": self.rng.choice(self.owner_ids)} if self.owner_ids else {}

    def company(self, i: int) -> RecordInput:
        rng = self.rng
        name = f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)}"
        city, country = rng.choice(CITIES)
        slug = name.lower().replace(" ", "")
        tld = "it" if country == "Italy" else "co.uk" if country == "United Kingdom" else "ie"
        return RecordInput({
            "name": f"{name} {i}" if i >= len(COMPANY_A) * len(COMPANY_B) else name,
            "domain": f"{slug}{i}.{tld}", "city": city, "country": country,
            "industry": rng.choice(INDUSTRIES), "numberofemployees": rng.choice([8, 25, 60, 140, 500, 2_000]),
            "createdate": self.past(), **self.owner(),
        })

    def contact(self, i: int) -> RecordInput:
        rng = self.rng
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, country = rng.choice(CITIES)
        companies = self.ids.get("companies", [])
        properties = {
            "firstname": first, "lastname": last,
            "email": f"{_ascii(first)}.{_ascii(last)}.{i}@example.{'it' if country == 'Italy' else 'com'}",
            "phone": f"+39 0{rng.randrange(10, 99)} {rng.randrange(1_000_000, 9_999_999)}" if country == "Italy"
            else f"+44 20 {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)}",
            "jobtitle": rng.choice(JOBS), "city": city, "country": country,
            "lifecyclestage": rng.choice(STAGES), "createdate": self.past(), **self.owner(),
        }
        associations = []
        if companies and rng.random() < 0.8:
            company = rng.choice(companies)
            associations = [(company, 279), (company, 1)]
        return RecordInput(properties, associations)

    def deal(self, i: int) -> RecordInput:
        rng = self.rng
        contacts, companies = self.ids.get("contacts", []), self.ids.get("companies", [])
        associations = []
        if contacts:
            associations.append((rng.choice(contacts), 3))
        if companies:
            associations.append((rng.choice(companies), 5))
        return RecordInput({
            "dealname": f"{rng.choice(COMPANY_A)} - {rng.choice(['Licenze', 'Renewal', 'Expansion', 'Servizi', 'Pilot'])} {i}",
            "amount": rng.choice([1_200, 4_800, 9_500, 18_000, 45_000, 120_000]),
            "dealstage": rng.choice(DEAL_STAGES), "closedate": format_datetime(self.now + timedelta(days=rng.randrange(-90, 120))),
            "createdate": self.past(), **self.owner(),
        }, associations)

    def ticket(self, i: int) -> RecordInput:
        rng = self.rng
        contacts = self.ids.get("contacts", [])
        return RecordInput({
            "subject": f"{rng.choice(SUBJECTS)} #{i}", "content": rng.choice(NOTE_BODIES).replace("<p>", "").replace("</p>", ""),
            "hs_pipeline_stage": rng.choice(["1", "2", "3", "4"]), "hs_ticket_priority": rng.choice(["LOW", "MEDIUM", "HIGH"]),
            "createdate": self.past(), **self.owner(),
        }, [(rng.choice(contacts), 16)] if contacts else [])

    def activity(self, kind: str, contact: int) -> RecordInput:
        rng = self.rng
        when = self.past(365)
        properties: dict[str, object] = {"hs_timestamp": when, **self.owner()}
        if kind == "notes":
            properties["hs_note_body"] = rng.choice(NOTE_BODIES)
        elif kind == "calls":
            properties.update(hs_call_title=rng.choice(SUBJECTS), hs_call_body=rng.choice(NOTE_BODIES),
                              hs_call_direction=rng.choice(["INBOUND", "OUTBOUND"]),
                              hs_call_duration=rng.randrange(30_000, 1_800_000))
        elif kind == "emails":
            properties.update(hs_email_subject=rng.choice(SUBJECTS), hs_email_text=rng.choice(NOTE_BODIES)[3:-4],
                              hs_email_direction=rng.choice(["EMAIL", "INCOMING_EMAIL"]), hs_email_status="SENT")
        elif kind == "meetings":
            properties.update(hs_meeting_title=rng.choice(SUBJECTS), hs_meeting_body=rng.choice(NOTE_BODIES),
                              hs_meeting_start_time=when, hs_meeting_outcome=rng.choice(["SCHEDULED", "COMPLETED"]))
        else:
            properties.update(hs_task_subject=rng.choice(TASK_SUBJECTS), hs_task_body=rng.choice(NOTE_BODIES),
                              hs_task_status=rng.choice(["NOT_STARTED", "COMPLETED"]),
                              hs_task_priority=rng.choice(["LOW", "MEDIUM", "HIGH"]))
        return RecordInput(properties, [(contact, ACTIVITY_TO_CONTACT[kind])])

    def write_activities(self) -> None:
        """Activities spread over the contacts, and one busy contact with many of them."""
        contacts = self.ids.get("contacts", [])
        if not contacts:
            return
        kinds = list(ACTIVITY_TO_CONTACT)
        busy = contacts[0]
        total = self.size.activities
        busy_share = self.size.busy_contact_activities // len(kinds)
        for position, kind in enumerate(kinds):
            share = total // len(kinds) + (1 if position < total % len(kinds) else 0)

            def build(n: int, kind: str = kind) -> RecordInput:  # (a share draws from its part of the contacts)
                return self.activity(kind, busy if n < busy_share else self.rng.choice(self.ids["contacts"] or [busy]))

            self.write(kind, share, build)


def default_jobs() -> int:
    """Processes writing each type: one a core, at most 8 (on PostgreSQL a connection each, of its
    default 100). docs/DECISIONS.md 45."""
    return min(os.cpu_count() or 1, 8)


def _add(counter: Any, count: int) -> None:
    with counter.get_lock():
        counter.value += count


def _ascii(name: str) -> str:
    return name.lower().replace(" ", "").replace("ò", "o")


def _analyse(counts_only: bool = False) -> None:
    """The planner's statistics on PostgreSQL, after each object type and while one is written
    whenever its records have doubled (SQLite's come with every large create). A bulk load
    outruns autovacuum, and a server may run without it: at data set L the next type's checks
    were planned for tables that had been empty, and planned for a type with no records the
    e-mail check of each batch of contacts walked every contact written before it (407 ms for
    two e-mails at 136,000 contacts). While a type is written the planner needs only how many
    records each type has, and how many associations each type and record: a sample of 3,000 rows
    of two columns tells it in 0.1 s, where the whole analysis, an expression index a property,
    takes 2.7 s at L."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        if counts_only:  # the smaller sample for this transaction only
            cursor.execute("SET LOCAL default_statistics_target = 10")
            cursor.execute("ANALYZE records_record (object_type_id, archived)")
            # The association limit check of each batch reads by record and type: planned for the
            # table as it was before the type, it read every association of the type instead (271
            # ms a batch at 800,000 contacts of L; the rate 800 -> 2,200 contacts/s once analysed).
            cursor.execute("ANALYZE associations_association (type_id, from_record_id)")
        else:
            cursor.execute("ANALYZE records_record, records_propertychange, associations_association, activities_timelineentry")
