"""The data generator behind `scheda demo` and `scheda generate`: every object type written
through the service path, associated as a CRM's records are, on the timelines."""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from scheda.activities.models import TimelineEntry
from scheda.associations.models import Association
from scheda.demo import dataset
from scheda.demo.dataset import ACTIVITY_TO_CONTACT, Generator, Size
from scheda.objects.models import ObjectType
from scheda.records.models import Record

pytestmark = pytest.mark.django_db

SMALL = Size(contacts=30, companies=6, deals=8, tickets=4, activities=50, busy_contact_activities=20)


def test_a_data_set_has_every_object_associated_and_on_timelines(owner, monkeypatch):
    # Inside a transaction (the test's) jobs write in this process: others would not see its rows.
    monkeypatch.setattr(dataset, "BATCH", 5)
    generator = Generator(SMALL, owner_ids=[str(owner.pk)], progress=False, jobs=2)
    rates = generator.run()
    counts = {name: Record.objects.filter(object_type__name=name).count() for name in generator.ids}
    assert counts == {"companies": 6, "contacts": 30, "deals": 8, "tickets": 4,
                      **{kind: 10 for kind in ACTIVITY_TO_CONTACT}}
    assert set(rates) == set(counts) and all(rate > 0 for rate in rates.values())
    contacts = generator.ids["contacts"]
    # Most contacts work at a company (and it is their primary one); every deal has its contact.
    with_company = Association.objects.filter(from_record_id__in=contacts, type_id=1).count()
    assert 0 < with_company <= 30
    assert Association.objects.filter(from_record_id__in=generator.ids["deals"], type_id=3).count() == 8
    # The busy contact holds its share of each kind of activity, on its timeline.
    busy = TimelineEntry.objects.filter(record_id=contacts[0], activity_id__isnull=False).count()
    assert busy >= SMALL.busy_contact_activities
    assert TimelineEntry.objects.filter(activity_id__isnull=False).count() == 50
    assert Record.objects.filter(properties__hubspot_owner_id=str(owner.pk)).count() == sum(counts.values())


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's statistics")
def test_the_planner_knows_each_object_type_once_it_is_written(owner):
    """A bulk load outruns autovacuum: the generator analyses the tables after each type, so the
    next type's checks are planned for the rows there are, not for empty tables."""
    generator = Generator(SMALL, progress=False)
    generator.write("companies", 40, generator.company)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'records_record'")
        assert cursor.fetchone()[0] >= 40


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's statistics")
def test_the_planner_follows_an_object_type_while_it_is_written(owner, monkeypatch):
    """Planned for a type with no records, each batch's e-mail check walked every contact
    written before it (quadratic at data set L): the statistics follow the type as it doubles."""
    monkeypatch.setattr(dataset, "BATCH", 50)
    generator = Generator(SMALL, progress=False)
    generator.write("companies", 10, generator.company)
    estimates = []
    type_id = ObjectType.objects.get(name="contacts").pk

    def estimate(sql: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
            return cursor.fetchone()[0][0]["Plan"]["Plan Rows"]

    def contacts():
        for i in range(400):
            if i == 350:  # seven batches written, the last analysis at 200
                estimates.append(estimate(f"SELECT id FROM records_record WHERE object_type_id = {type_id} AND archived = FALSE"))
                # the association limit check's: four in five contacts have a company
                estimates.append(estimate("SELECT id FROM associations_association WHERE type_id = 1"))
            yield generator.contact(i)

    generator.write_inputs("contacts", 400, contacts())
    assert estimates[0] >= 150
    assert estimates[1] >= 100


# A child process generates into its own database (the test database of this process is not
# committed, and on SQLite in memory): each create_records call notes the process that made it.
PARALLEL = """
import json, os, sys
import django
django.setup()
from scheda.demo import dataset
from scheda.demo.dataset import ACTIVITY_TO_CONTACT, Generator, Size
from scheda.records.models import Record
from scheda.activities.models import TimelineEntry
from scheda.associations.models import Association

dataset.BATCH = 10
create = dataset.create_records
def noted(*args, **kwargs):
    with open(sys.argv[1], "a") as log:
        log.write(f"{os.getpid()} {args[0].name}\\n")
    return create(*args, **kwargs)
dataset.create_records = noted
generator = Generator(Size(contacts=60, companies=25, deals=30, tickets=8, activities=100, busy_contact_activities=50),
                      progress=False, jobs=2)
generator.run()
ids = [i for name in generator.ids for i in generator.ids[name]]
activities = [i for kind in ACTIVITY_TO_CONTACT for i in generator.ids[kind]]
answer = {
    "parent": os.getpid(),
    "counts": {name: len(generator.ids[name]) for name in generator.ids},
    "stored": {name: Record.objects.filter(object_type__name=name).count() for name in generator.ids},
    "distinct": len(set(ids)) == len(ids) == Record.objects.count(),
    "on_timelines": TimelineEntry.objects.filter(activity_id__in=activities).count(),
    "busy": TimelineEntry.objects.filter(record_id=generator.ids["contacts"][0], activity_id__isnull=False).count(),
    "deals_with_contact": Association.objects.filter(from_record_id__in=generator.ids["deals"], type_id=3).count(),
}

# A share that fails: the generator says so, with the share's traceback.
def failing(*args, **kwargs):
    if os.getpid() != answer["parent"]:
        raise ValueError("this share failed")
    return create(*args, **kwargs)
dataset.create_records = failing
try:
    generator.write("companies", 30, generator.company)
    answer["failed"] = ""
except RuntimeError as error:
    answer["failed"] = str(error)
print(json.dumps(answer))
"""


def test_jobs_write_each_type_in_shares_from_several_processes(tmp_path):
    """`scheda generate --jobs 2`: two processes each write a share of a type on their own
    connection (one validates while the other's batch holds the database); the set is whole."""
    from scheda.api.tests.live import ROOT, _database_url

    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDA_")}
    env.update(SCHEDA_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="scheda.settings")
    if database := _database_url("generate"):
        env["SCHEDA_DATABASE_URL"] = database
    subprocess.run([sys.executable, "-m", "scheda.cli", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    log = tmp_path / "writers.log"
    result = subprocess.run([sys.executable, "-c", PARALLEL, str(log)], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.splitlines()[-1])
    expected = {"companies": 25, "contacts": 60, "deals": 30, "tickets": 8, **{kind: 20 for kind in ACTIVITY_TO_CONTACT}}
    assert answer["counts"] == answer["stored"] == expected
    assert answer["distinct"] and answer["on_timelines"] == 100 and answer["busy"] >= 50 and answer["deals_with_contact"] == 30
    writers: dict[str, set[int]] = {}
    for line in log.read_text().splitlines():
        pid, name = line.split()
        writers.setdefault(name, set()).add(int(pid))
    # Every type of 20 records or more was written by two processes, none by the parent.
    assert all(len(pids) == 2 and answer["parent"] not in pids for name, pids in writers.items() if expected[name] >= 20)
    assert writers["tickets"] == {answer["parent"]}  # 8 records: under two batches, not split
    assert "writing companies failed in a process" in answer["failed"] and "this share failed" in answer["failed"]


def test_generate_refuses_no_processes_and_defaults_to_one_a_core_up_to_8(monkeypatch):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--jobs must be 1 or more"):
        call_command("generate", "--jobs", "0")
    for cores, jobs in ((6, 6), (64, 8)):
        monkeypatch.setattr(dataset.os, "cpu_count", lambda cores=cores: cores)
        assert dataset.default_jobs() == jobs
