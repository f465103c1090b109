"""Reading a record costs a fixed number of queries, whatever it is associated with; a batch of
records is written with a statement a thousand rows, not one a row."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheda.activities.models import TimelineEntry
from scheda.associations.models import Association
from scheda.associations.services import Pair, associate_many
from scheda.errors import Conflict
from scheda.objects.services import load_schema
from scheda.records import services as records
from scheda.records import storage
from scheda.records.models import PropertyChange, Record
from scheda.records.search import search_ids
from scheda.records.services import Author, RecordInput

pytestmark = pytest.mark.django_db


def read(record_id: int) -> tuple[dict, list[tuple[str, int, str | None]]]:
    """What the record page and the API read: the schema, the record, its associations and its
    values as HubSpot sends them (touching each association's type and target object type)."""
    schema = load_schema("contacts")
    record = records.get_record(schema.object_type, record_id)
    found = records.associations_of([record_id])[record_id]
    values = records.api_properties(schema, record)
    return values, [(a.type.to_object_type.name, a.to_record_id, a.type.label) for a in found]


def contact_with_companies(count: int, email: str = "ada@example.com") -> int:
    ids = [r.pk for r in records.create_records("companies", [{"name": f"Company {i}"} for i in range(count)], Author())]
    contact = records.create_record("contacts", {"firstname": "Ada", "email": email}, Author())
    associate_many([Pair(contact.pk, ids[0], 1), *(Pair(contact.pk, i, 279) for i in ids[1:])])
    note = records.create_record(
        "notes", {"hs_timestamp": "2024-01-01T00:00:00Z", "hs_note_body": "hi"}, Author()
    )
    associate_many([Pair(contact.pk, note.pk, 201)])
    return contact.pk


@pytest.mark.parametrize("count", [1, 50])
def test_reading_a_record_takes_three_queries(count, django_assert_max_num_queries):
    contact_id = contact_with_companies(count)
    with django_assert_max_num_queries(3):
        values, found = read(contact_id)
    assert values["firstname"] == "Ada" and values["hs_object_id"] == str(contact_id)
    # count unlabeled company associations, one primary, and the note
    assert len(found) == count + 2
    assert sum(1 for name, _, _ in found if name == "companies") == count + 1
    assert ("notes", found[-1][1], None) in found
    assert sum(1 for *_, label in found if label == "Primary") == 1


def test_query_count_does_not_grow_with_associations():
    few, many = contact_with_companies(1), contact_with_companies(50, "bob@example.com")
    with CaptureQueriesContext(connection) as small:
        read(few)
    with CaptureQueriesContext(connection) as large:
        _, found = read(many)
    assert len(found) == 52
    assert len(small.captured_queries) == len(large.captured_queries) <= 3


def test_a_batch_is_written_a_thousand_rows_a_statement():
    company = records.create_record("companies", {"name": "Acme"}, Author())
    count = storage.INSERT_CHUNK + 500
    inputs = [RecordInput({"email": f"c{i}@example.com", "lastname": f"Batchname{i % 3}"}, [(company.pk, 279)])
              for i in range(count)]
    with CaptureQueriesContext(connection) as captured:
        ids = [r.pk for r in records.create_records("contacts", inputs, Author())]
    writes = {table: [q["sql"] for q in captured.captured_queries if q["sql"].startswith((f"INSERT INTO {table} ", f"COPY {table} "))]
              for table in ("records_record", "records_propertychange", "associations_association")}
    # 1,500 records and their history rows in two INSERTs on SQLite, one COPY each on PostgreSQL;
    # the 3,000 association rows (both ways), which skip existing rows, in three INSERTs on SQLite,
    # one of arrays on PostgreSQL. None run once a row (Django logs an executemany as "N times: ...").
    copied = connection.vendor == "postgresql"
    assert {table: len(sqls) for table, sqls in writes.items()} == {
        "records_record": 1 if copied else 2, "records_propertychange": 1 if copied else 2,
        "associations_association": 1 if copied else 3}
    assert not [q for q in captured.captured_queries if " times: " in q["sql"]]
    assert Record.objects.filter(pk__in=ids, object_type__name="contacts").count() == count
    assert PropertyChange.objects.filter(record_id__in=ids).count() == count
    assert Association.objects.filter(from_record_id__in=ids, to_record_id=company.pk).count() == count
    assert Association.objects.filter(to_record_id__in=ids, from_record_id=company.pk).count() == count
    contacts = load_schema("contacts").object_type
    assert len(search_ids(contacts, "batchname1", limit=2_000)) == len(range(1, count, 3))


def test_created_records_are_returned_as_written_without_reading_them_back(django_user_model):
    user = django_user_model.objects.create_user("writer@example.com", "a-long-password-1")
    inputs = [{"email": "ada@example.com", "lastname": "Lovelace", "createdate": "2020-02-03T04:05:06.789Z"},
              {"firstname": "<b>Bea</b>", "lifecyclestage": "customer"}]
    with CaptureQueriesContext(connection) as captured:
        made = records.create_records("contacts", inputs, Author(user=user))
    # A read of whole records (the ORM's) names every column; the checks and the id allocation read an index.
    assert not [q for q in captured.captured_queries if '"records_record"."search_text"' in q["sql"]]
    fields = records.RECORD_FIELDS
    for record in made:
        stored = Record.objects.get(pk=record.pk)
        assert [getattr(record, f) for f in fields] == [getattr(stored, f) for f in fields]
        assert not record._state.adding
    with CaptureQueriesContext(connection) as captured:
        assert made[1].object_type.name == "contacts"
    assert not captured.captured_queries
    assert made[0].created_at.year == 2020 and made[0].created_by_id == user.pk


def test_associations_made_with_new_records_read_no_record_whole(owner):
    """A contact created with its company reaches no timeline, so no record is read for one; a
    note created on a contact reaches the contact's, its entry copied from the values just
    written, not read back. An existing note associated with another contact is read (its row
    only), as its entry copies it."""
    company = records.create_record("companies", {"name": "Acme"}, Author())
    with CaptureQueriesContext(connection) as captured:
        records.create_records("contacts", [RecordInput({"email": f"c{i}@example.com"}, [(company.pk, 279)])
                                            for i in range(20)], Author())
    assert not [q for q in captured.captured_queries if '"records_record"."search_text"' in q["sql"]]
    contact = records.create_record("contacts", {"email": "ada@example.com"}, Author())
    with CaptureQueriesContext(connection) as captured:
        (note,) = records.create_records("notes", [RecordInput({"hs_timestamp": "2024-01-01T00:00:00Z", "hs_note_body": "hi",
                                                                "hubspot_owner_id": str(owner.pk)}, [(contact.pk, 202)])],
                                         Author())
    assert not [q for q in captured.captured_queries if '"records_record"."search_text"' in q["sql"]]
    entry = TimelineEntry.objects.get(record_id=contact.pk, activity_id=note.pk)
    assert (entry.kind, entry.text, entry.occurred_at.isoformat(), entry.user_id) == (
        "notes", "hi", "2024-01-01T00:00:00+00:00", owner.pk)
    other = records.create_record("contacts", {"email": "grace@example.com"}, Author())
    with CaptureQueriesContext(connection) as captured:
        associate_many([Pair(note.pk, other.pk, 202)])
    whole = [q["sql"] for q in captured.captured_queries if '"records_record"."search_text"' in q["sql"]]
    assert len(whole) == 1 and re.findall(r"IN \(([0-9, ]+)\)", whole[0]) == [str(note.pk)], whole
    assert TimelineEntry.objects.get(record_id=other.pk, activity_id=note.pk).text == "hi"


def test_a_unique_value_the_checks_missed_is_a_conflict_and_writes_nothing(monkeypatch):
    """Another writer may take an e-mail between the check and the write: the database's unique
    index refuses the whole batch (a COPY on PostgreSQL) and the caller gets HubSpot's conflict."""
    records.create_record("contacts", {"email": "taken@example.com"}, Author())
    monkeypatch.setattr(records, "_check_unique", lambda schema, rows, errors: None)
    before = (Record.objects.count(), PropertyChange.objects.count())
    with pytest.raises(Conflict) as raised:
        records.create_records("contacts", [{"email": "new@example.com"}, {"email": "taken@example.com"}], Author())
    assert raised.value.errors[0].code == "DUPLICATE_VALUE"
    assert (Record.objects.count(), PropertyChange.objects.count()) == before


def test_a_batch_update_is_one_statement_on_postgresql():
    count = storage.INSERT_CHUNK + 500
    ids = [r.pk for r in records.create_records("contacts", [{"email": f"u{i}@example.com", "lastname": "Before"}
                                                             for i in range(count)], Author())]
    updates = [(record_id, {"lastname": f"After{n}"}) for n, record_id in enumerate(ids)]
    updates.append((ids[0], {"lastname": "Lastwins", "firstname": "Twice"}))  # named twice: the last values stay
    with CaptureQueriesContext(connection) as captured:
        written = records.update_records("contacts", updates, Author())
    statements = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip("0123456789 times:").startswith("UPDATE records_record SET properties")]
    # PostgreSQL: one statement of arrays, one each column; SQLite: one executemany.
    assert len(statements) == 1 and ("unnest(" in statements[0]) == (connection.vendor == "postgresql")
    assert (" times: " in statements[0]) == (connection.vendor != "postgresql")
    # The records are read whole once, under the lock, and answered as written, not read again.
    assert len([q for q in captured.captured_queries if '"records_record"."search_text"' in q["sql"]]) == 1
    assert {record_id: (r.properties, r.search_text, r.updated_at) for record_id, r in written.items()} == {
        r.pk: (r.properties, r.search_text, r.updated_at) for r in Record.objects.filter(pk__in=ids)}
    stored = dict(Record.objects.filter(pk__in=ids).values_list("pk", "properties"))
    assert stored[ids[0]]["lastname"] == "Lastwins" and stored[ids[0]]["firstname"] == "Twice"
    assert all(stored[record_id]["lastname"] == f"After{n}" for n, record_id in enumerate(ids) if n)
    assert stored[ids[1]]["email"] == "u1@example.com"  # the values not named are kept
    contacts = load_schema("contacts").object_type
    assert search_ids(contacts, "after1499") == [ids[1499]] and search_ids(contacts, "before") == []


def test_an_updated_record_is_the_callers_instance_as_written_without_reading_it_again():
    record = records.create_record("contacts", {"email": "ada@example.com", "lastname": "Before"}, Author())
    with CaptureQueriesContext(connection) as captured:
        same = records.update_record(record, {"lastname": "<i>After</i>"}, Author())
    assert len([q for q in captured.captured_queries if '"records_record"."search_text"' in q["sql"]]) == 1
    stored = Record.objects.get(pk=record.pk)
    assert same is record and [getattr(record, f) for f in records.RECORD_FIELDS] == [getattr(stored, f) for f in records.RECORD_FIELDS]
    assert record.properties["lastname"] == "<i>After</i>" and "after" in record.search_text.lower()


def test_timeline_rows_of_a_batch_are_written_in_few_statements():
    """A batch's timeline rows go in as its records do: a batch update's lifecycle stage events
    (a COPY on PostgreSQL), and a batch of notes' entries on their contact's timeline (INSERTs
    that skip an entry already there: a thousand rows each on SQLite, one of arrays on PostgreSQL)."""
    count = storage.INSERT_CHUNK + 500
    contacts = records.create_records("contacts", [{"lifecyclestage": "lead"} for _ in range(count)], Author())
    with CaptureQueriesContext(connection) as captured:
        records.update_records("contacts", [(c.pk, {"lifecyclestage": "customer"}) for c in contacts], Author())
    copied = connection.vendor == "postgresql"
    events = [q["sql"] for q in captured.captured_queries if q["sql"].startswith(("INSERT INTO activities_timelineentry ", "COPY activities_timelineentry "))]
    assert len(events) == (1 if copied else 2)
    assert not [q for q in captured.captured_queries if " times: " in q["sql"] and "timelineentry" in q["sql"]]
    assert sorted(TimelineEntry.objects.filter(record_id__in=[c.pk for c in contacts]).values_list("kind", "data")) == [
        ("lifecycle_stage", {"property": "lifecyclestage", "from": "lead", "to": "customer"})] * count

    busy = contacts[0].pk
    with CaptureQueriesContext(connection) as captured:
        notes = records.create_records("notes", [RecordInput({"hs_timestamp": "2024-01-01T00:00:00Z", "hs_note_body": f"n{i}"},
                                                             [(busy, 202)]) for i in range(count)], Author())
    entries = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT INTO activities_timelineentry ")]
    assert len(entries) == (1 if copied else 2) and all(sql.endswith("ON CONFLICT DO NOTHING") for sql in entries)
    found = TimelineEntry.objects.filter(record_id=busy, kind="notes")
    assert sorted(found.values_list("activity_id", flat=True)) == [n.pk for n in notes]
    assert {e.text for e in found[:3]} <= {f"n{i}" for i in range(count)} and not any(e.open for e in found[:3])
