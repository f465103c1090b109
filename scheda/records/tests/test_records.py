"""Writers of records: create, update, history, archive, clone, merge, pipelines and search."""

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from scheda.associations.models import Association, AssociationType
from scheda.errors import ChangedMeanwhile, Conflict, NotFound, ValidationFailed
from scheda.objects.services import load_schema
from scheda.pipelines import services as pipelines
from scheda.records import search, storage
from scheda.records import services as records
from scheda.records.models import Follow, Merge, PropertyChange, Record
from scheda.records.services import Author, RecordInput, Source

pytestmark = pytest.mark.django_db

CONTACT_TO_COMPANY, CONTACT_TO_PRIMARY_COMPANY, CONTACT_TO_DEAL = 279, 1, 4
CONTACT_TO_NOTE, CONTACT_TO_CONTACT = 201, 449


def create(object_type, author=None, associations=(), **properties):
    return records.create_record(
        object_type, properties, author or Author(Source.API), associations
    )


def counts():
    return Record.objects.count(), PropertyChange.objects.count(), Association.objects.count()


def codes(caught) -> list[str]:
    return [e.code for e in caught.value.errors]


def linked(record) -> set[tuple[int, int]]:
    return set(
        Association.objects.filter(from_record=record).values_list("to_record_id", "type_id")
    )


def note(**properties):
    return create(
        "notes",
        **{"hs_timestamp": "2024-01-01T10:00:00Z", "hs_note_body": "<p>Called</p>", **properties},
    )


# --- create -----------------------------------------------------------------------------------


def test_create_stores_normalised_values_and_one_change(owner):
    author = Author(Source.UI, "form-1", owner)
    record = create(
        "contacts",
        author,
        email=" Ada@Example.COM",
        firstname="Ada",
        hubspot_owner_id=str(owner.pk),
        hs_buying_role=["CHAMPION", "BLOCKER"],
        website="example.com",
    )
    assert record.object_type.name == "contacts"
    assert record.created_by == owner and not record.archived
    assert record.properties == {
        "email": "ada@example.com",
        "firstname": "Ada",
        "hubspot_owner_id": str(owner.pk),
        "hs_buying_role": "CHAMPION;BLOCKER",
        "website": "https://example.com",
    }
    (change,) = PropertyChange.objects.filter(record=record)
    assert change.values == record.properties
    assert (change.source, change.source_id, change.user) == ("CRM_UI", "form-1", owner)
    # Searchable values only (not the website), split into words as queries are.
    assert sorted(record.search_text.split()) == ["Ada", "ada", "com", "example"]


def test_create_with_associations():
    company = create("companies", name="Acme", domain="acme.com")
    deal = create("deals", dealname="Big deal")
    contact = create(
        "contacts",
        associations=[(company.pk, CONTACT_TO_PRIMARY_COMPANY), (deal.pk, CONTACT_TO_DEAL)],
        firstname="Ada",
    )
    assert linked(contact) == {(company.pk, 1), (company.pk, 279), (deal.pk, 4)}
    assert linked(company) == {(contact.pk, 2), (contact.pk, 280)}
    assert linked(deal) == {(contact.pk, 3)}


def test_create_with_a_bad_association_writes_nothing():
    company = create("companies", name="Acme")
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        create(
            "contacts",
            associations=[(company.pk, CONTACT_TO_COMPANY), (999_999, CONTACT_TO_COMPANY)],
            firstname="Ada",
        )
    assert codes(caught) == ["RECORD_NOT_FOUND"]
    assert counts() == before


def test_create_backdated_createdate():
    record = create("contacts", firstname="Old", createdate="2020-05-01T12:00:00Z")
    assert record.created_at.isoformat() == "2020-05-01T12:00:00+00:00"
    assert "createdate" not in record.properties
    assert records.values_of(record)["createdate"] == "2020-05-01T12:00:00.000Z"


@pytest.mark.parametrize(
    ("properties", "code", "name"),
    [
        ({"favourite_food": "pizza"}, "PROPERTY_DOESNT_EXIST", "favourite_food"),
        ({"hs_object_id": "5"}, "READ_ONLY_VALUE", "hs_object_id"),
        ({"lastmodifieddate": "2024-01-01"}, "READ_ONLY_VALUE", "lastmodifieddate"),
        ({"num_associated_deals": "3"}, "READ_ONLY_VALUE", "num_associated_deals"),
        ({"hs_email_optout": "true"}, "READ_ONLY_VALUE", "hs_email_optout"),
        ({"email": "not-an-email"}, "INVALID_EMAIL", "email"),
        ({"lifecyclestage": "sleeping"}, "INVALID_OPTION", "lifecyclestage"),
        ({"hubspot_owner_id": "424242"}, "INVALID_OWNER_ID", "hubspot_owner_id"),
        ({"phone": "call me"}, "INVALID_PHONE_NUMBER", "phone"),
    ],
)
def test_create_refuses(properties, code, name):
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        records.create_record("contacts", properties, Author(Source.API))
    assert [(e.code, e.name) for e in caught.value.errors] == [(code, name)]
    assert counts() == before


def test_system_source_may_write_read_only_values():
    record = records.create_record("contacts", {"hs_email_optout": "true"}, Author(Source.SYSTEM))
    assert record.properties == {"hs_email_optout": True}


def test_required_property():
    with pytest.raises(ValidationFailed) as caught:
        create("deals", amount="10")
    assert [(e.code, e.name) for e in caught.value.errors] == [("REQUIRED_PROPERTY", "dealname")]
    for empty in ("", "   ", None):
        with pytest.raises(ValidationFailed) as caught:
            create("deals", dealname=empty)
        assert [(e.code, e.name) for e in caught.value.errors] == [
            ("REQUIRED_PROPERTY", "dealname")
        ]
    assert not Record.objects.filter(object_type__name="deals").exists()


def test_every_error_is_listed_and_nothing_written():
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        records.create_record(
            "deals",
            {
                "amount": "lots",
                "closedate": "someday",
                "nope": 1,
                "hs_object_id": 3,
                "dealtype": "charity",
            },
            Author(Source.API),
        )
    assert sorted((e.name, e.code) for e in caught.value.errors) == [
        ("amount", "INVALID_NUMBER"),
        ("closedate", "INVALID_DATE"),
        ("dealname", "REQUIRED_PROPERTY"),
        ("dealtype", "INVALID_OPTION"),
        ("hs_object_id", "READ_ONLY_VALUE"),
        ("nope", "PROPERTY_DOESNT_EXIST"),
    ]
    assert caught.value.message.startswith("6 errors")
    assert counts() == before


def test_properties_must_be_a_dict():
    with pytest.raises(ValidationFailed) as caught:
        records.create_records("contacts", [RecordInput(["email"])], Author())  # type: ignore[arg-type]
    assert codes(caught) == ["INVALID_INPUT"]


# --- batch create ---------------------------------------------------------------------------


def test_batch_create_returns_records_in_order():
    ids = [r.pk for r in records.create_records("contacts", [{"firstname": f"P{i}"} for i in range(5)], Author())]
    assert len(ids) == 5 == len(set(ids))
    assert [Record.objects.get(pk=i).properties["firstname"] for i in ids] == [
        f"P{i}" for i in range(5)
    ]
    assert PropertyChange.objects.filter(record_id__in=ids).count() == 5
    assert records.create_records("contacts", [], Author()) == []


def test_batch_create_is_all_or_none():
    create("contacts", email="taken@example.com")
    before = counts()
    rows = [
        {"firstname": "A"},
        {"email": "bad"},
        {"firstname": "C", "shoe_size": 9},
        {"email": "TAKEN@example.com"},
    ]
    with pytest.raises(ValidationFailed) as caught:
        records.create_records("contacts", rows, Author())
    assert sorted((e.context["index"], e.code) for e in caught.value.errors) == [
        (1, "INVALID_EMAIL"),
        (2, "PROPERTY_DOESNT_EXIST"),
        (3, "DUPLICATE_VALUE"),
    ]
    assert counts() == before


def test_batch_create_one_bad_association_writes_nothing():
    company = create("companies", name="Acme")
    before = counts()
    inputs = [
        RecordInput({"firstname": "A"}, [(company.pk, CONTACT_TO_COMPANY)]),
        RecordInput({"firstname": "B"}, [(company.pk, CONTACT_TO_DEAL)]),
    ]
    with pytest.raises(ValidationFailed) as caught:
        records.create_records("contacts", inputs, Author())
    assert codes(caught) == ["INVALID_TYPE_FOR_RECORDS"]
    assert counts() == before


# --- uniqueness -----------------------------------------------------------------------------


def test_contact_email_is_unique_case_insensitively():
    ada = create("contacts", email="ada@example.com")
    with pytest.raises(Conflict) as caught:
        create("contacts", email="ADA@Example.com ")
    assert caught.value.existing_id == ada.pk
    assert codes(caught) == ["DUPLICATE_VALUE"]
    assert caught.value.errors[0].context["existingId"] == str(ada.pk)
    assert Record.objects.filter(object_type__name="contacts").count() == 1


def test_company_domain_is_unique():
    acme = create("companies", name="Acme", domain="acme.com")
    with pytest.raises(Conflict) as caught:
        create("companies", name="Acme again", domain="https://www.ACME.com/contact")
    assert caught.value.existing_id == acme.pk
    # A domain equal to a contact's e-mail domain, or another type's value, does not clash.
    create("contacts", email="x@acme.com")


def test_duplicate_within_one_batch():
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        records.create_records(
            "contacts", [{"email": "a@x.com"}, {"email": "b@x.com"}, {"email": "A@x.com"}], Author()
        )
    assert not isinstance(caught.value, Conflict)
    assert [(e.code, e.context["index"]) for e in caught.value.errors] == [("DUPLICATE_VALUE", 2)]
    assert counts() == before


def test_update_to_a_taken_value_conflicts():
    ada = create("contacts", email="ada@example.com")
    bob = create("contacts", email="bob@example.com")
    with pytest.raises(Conflict) as caught:
        records.update_record(bob, {"email": "Ada@example.com"}, Author())
    assert caught.value.existing_id == ada.pk
    bob.refresh_from_db()
    assert bob.properties["email"] == "bob@example.com"
    # Writing a record's own value again is fine.
    records.update_record(ada, {"email": "ADA@example.com", "firstname": "Ada"}, Author())


def test_batch_update_to_a_value_held_by_another_record_of_the_batch():
    ada = create("contacts", email="ada@example.com")
    bob = create("contacts", email="bob@example.com")
    with pytest.raises(Conflict) as caught:
        records.update_records(
            "contacts",
            [(ada.pk, {"firstname": "Ada"}), (bob.pk, {"email": "ada@example.com"})],
            Author(),
        )
    assert caught.value.existing_id == ada.pk
    # Swapping a value away and taking it in one batch is fine.
    records.update_records(
        "contacts",
        [(ada.pk, {"email": "ada2@example.com"}), (bob.pk, {"email": "ada@example.com"})],
        Author(),
    )
    bob.refresh_from_db()
    assert bob.properties["email"] == "ada@example.com"


def test_archived_record_frees_its_value_until_restored():
    old = create("contacts", email="ada@example.com")
    records.archive_record(old, Author())
    new = create("contacts", email="ada@example.com")
    with pytest.raises(Conflict) as caught:
        records.restore_record(old, Author())
    assert caught.value.existing_id == new.pk
    old.refresh_from_db()
    assert old.archived
    records.archive_record(new, Author())
    assert not records.restore_record(old, Author()).archived


# --- update -----------------------------------------------------------------------------------


def test_update_records_only_changed_values(owner):
    record = create("contacts", firstname="Ada", lastname="Lovelace", email="ada@example.com")
    written = records.update_records(
        "contacts",
        [
            (
                record.pk,
                {
                    "firstname": "Ada",
                    "lastname": "King",
                    "email": "ADA@example.com",
                    "jobtitle": "Countess",
                },
            )
        ],
        Author(Source.UI, "", owner),
    )
    assert list(written) == [record.pk]
    assert written[record.pk].properties == Record.objects.get(pk=record.pk).properties
    record.refresh_from_db()
    assert record.properties == {
        "firstname": "Ada",
        "lastname": "King",
        "email": "ada@example.com",
        "jobtitle": "Countess",
    }
    latest = PropertyChange.objects.filter(record=record).latest("id")
    assert latest.values == {"lastname": "King", "jobtitle": "Countess"}
    assert latest.user == owner and latest.source == "CRM_UI"
    assert "King" in record.search_text


def test_update_with_nothing_new_writes_nothing():
    record = create("contacts", firstname="Ada")
    before = counts()
    updated_at = Record.objects.get(pk=record.pk).updated_at
    written = records.update_records("contacts", [(record.pk, {"firstname": "Ada", "lastname": None})], Author())
    assert counts() == before
    assert Record.objects.get(pk=record.pk).updated_at == updated_at == written[record.pk].updated_at


def test_update_clears_a_value():
    record = create("contacts", firstname="Ada", jobtitle="Countess", phone="+44 20 1234 5678")
    records.update_record(record, {"jobtitle": "", "phone": None}, Author())
    assert record.properties == {"firstname": "Ada"}
    assert PropertyChange.objects.filter(record=record).latest("id").values == {
        "jobtitle": None,
        "phone": None,
    }
    history = records.property_history(load_schema("contacts"), record, ["jobtitle"])
    assert [v.value for v in history["jobtitle"]] == ["", "Countess"]


def test_an_update_from_a_stale_version_is_refused_and_writes_nothing(owner):
    record = create("contacts", firstname="Ada", phone="+1 555 0100", email="ada@example.com")
    read = records.property_version(record.pk, "phone")
    assert read == PropertyChange.objects.get(record=record).pk
    assert records.property_version(record.pk, "jobtitle") == 0  # never written
    records.update_record(record, {"phone": "+1 555 0199"}, Author(Source.UI, user=owner))
    before = counts()
    with pytest.raises(ChangedMeanwhile) as caught:
        records.update_record(record, {"phone": "+1 555 0142"}, Author(Source.API), expected={"phone": read})
    assert caught.value.context["user"] == owner and caught.value.context["value"] == "+1 555 0199"
    assert caught.value.context["version"] == records.property_version(record.pk, "phone") > read
    assert codes(caught) == ["CHANGED_MEANWHILE"] and caught.value.errors[0].name == "phone"
    assert counts() == before and Record.objects.get(pk=record.pk).properties["phone"] == "+1 555 0199"
    # A change to another property since leaves this one's version alone.
    email = records.property_version(record.pk, "email")
    records.update_record(record, {"jobtitle": "Countess"}, Author(Source.API))
    records.update_record(record, {"email": "ada@lovelace.example"}, Author(), expected={"email": email})
    # The version the refusal named overwrites on purpose; the same value saved meanwhile is no conflict.
    records.update_record(record, {"phone": "+1 555 0142"}, Author(), expected={"phone": caught.value.context["version"]})
    records.update_record(record, {"phone": "+1 555 0142"}, Author(), expected={"phone": read})
    assert Record.objects.get(pk=record.pk).properties["phone"] == "+1 555 0142"


def test_clearing_a_required_value_fails():
    deal = create("deals", dealname="Big deal")
    with pytest.raises(ValidationFailed) as caught:
        records.update_record(deal, {"dealname": " "}, Author())
    assert codes(caught) == ["REQUIRED_PROPERTY"]
    deal.refresh_from_db()
    assert deal.properties["dealname"] == "Big deal"


def test_update_bad_values_lists_all_and_writes_nothing():
    record = create("contacts", firstname="Ada")
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        records.update_record(
            record,
            {"email": "nope", "createdate": "2020-01-01", "firstname": "Bob"},
            Author(Source.API),
        )
    assert sorted(codes(caught)) == ["INVALID_EMAIL", "READ_ONLY_VALUE"]
    assert counts() == before
    record.refresh_from_db()
    assert record.properties == {"firstname": "Ada"}


def test_update_unknown_id():
    with pytest.raises(NotFound):
        records.update_records("contacts", [(987_654, {"firstname": "X"})], Author())
    deal = create("deals", dealname="D")
    with pytest.raises(NotFound):  # a record of another object type
        records.update_records("contacts", [(deal.pk, {"firstname": "X"})], Author())
    archived = create("contacts", firstname="A")
    records.archive_record(archived, Author())
    with pytest.raises(NotFound):
        records.update_record(archived, {"firstname": "B"}, Author())


def test_batch_update_with_one_unknown_id_writes_nothing():
    record = create("contacts", firstname="Ada")
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        records.update_records(
            "contacts", [(record.pk, {"firstname": "Bob"}), (987_654, {"firstname": "X"})], Author()
        )
    assert codes(caught) == ["OBJECT_NOT_FOUND"]
    assert counts() == before


# --- reading and history --------------------------------------------------------------------


def test_get_record():
    record = create("contacts", firstname="Ada")
    assert records.get_record("contacts", record.pk) == record
    assert records.get_record("0-1", str(record.pk)) == record
    assert records.get_record(load_schema("contacts").object_type, record.pk) == record
    for object_type, key in (("companies", record.pk), ("contacts", "abc"), ("contacts", 0)):
        with pytest.raises(NotFound):
            records.get_record(object_type, key)
    with pytest.raises(NotFound):
        records.get_record("contacts", record.pk, archived=True)


def test_api_properties_are_strings():
    deal = create("deals", dealname="D", amount="1500.50", closedate="2024-06-30T00:00:00Z")
    values = records.api_properties(
        load_schema("deals"),
        deal,
        ["dealname", "amount", "closedate", "hs_object_id", "description", "unknown"],
    )
    assert values == {
        "dealname": "D",
        "amount": "1500.5",
        "closedate": "2024-06-30T00:00:00.000Z",
        "hs_object_id": str(deal.pk),
        "description": None,
    }


def test_property_history_newest_first(owner):
    schema = load_schema("contacts")
    record = create(
        "contacts", Author(Source.IMPORT, "import-7"), firstname="Ada", lastname="Byron"
    )
    records.update_record(record, {"firstname": "Augusta"}, Author(Source.UI, "", owner))
    records.update_record(
        record, {"firstname": "Ada", "lastname": "King"}, Author(Source.API, "app-3")
    )
    history = records.property_history(schema, record)
    assert [(v.value, v.source, v.source_id, v.user_id) for v in history["firstname"]] == [
        ("Ada", "API", "app-3", None),
        ("Augusta", "CRM_UI", "", owner.pk),
        ("Ada", "IMPORT", "import-7", None),
    ]
    assert [v.value for v in history["lastname"]] == ["King", "Byron"]
    assert history["hs_object_id"][0].value == str(record.pk)
    assert history["createdate"][0].source == "CALCULATED"
    only = records.property_history(schema, record, ["lastname"])
    assert set(only) == {"lastname"}


# --- archive, restore, delete -----------------------------------------------------------------


def test_archive_and_restore():
    company = create("companies", name="Acme")
    record = create("contacts", associations=[(company.pk, CONTACT_TO_COMPANY)], firstname="Ada")
    records.archive_record(record, Author())
    assert record.archived and record.archived_at is not None
    with pytest.raises(NotFound):
        records.get_record("contacts", record.pk)
    assert records.get_record("contacts", record.pk, archived=True) == record
    assert records.associations_of([company.pk])[company.pk] == []  # hidden while archived
    with pytest.raises(ValidationFailed) as caught:
        records.archive_record(record, Author())
    assert codes(caught) == ["ALREADY_ARCHIVED"]
    restored = records.restore_record(record, Author())
    assert not restored.archived and restored.archived_at is None
    assert [a.to_record_id for a in records.associations_of([company.pk])[company.pk]] == [
        record.pk
    ]
    with pytest.raises(ValidationFailed) as caught:
        records.restore_record(record, Author())
    assert codes(caught) == ["NOT_ARCHIVED"]


def test_archive_records_ignores_other_types_and_archived():
    a, b = create("contacts", firstname="A"), create("contacts", firstname="B")
    deal = create("deals", dealname="D")
    assert sorted(records.archive_records("contacts", [a.pk, b.pk, deal.pk], Author())) == sorted(
        [a.pk, b.pk]
    )
    assert set(Record.objects.filter(archived=True).values_list("id", flat=True)) == {a.pk, b.pk}
    assert records.archive_records("contacts", [a.pk], Author()) == []


def test_restore_after_the_recycle_bin_window_fails():
    record = create("contacts", firstname="Ada")
    records.archive_record(record, Author())
    Record.objects.filter(pk=record.pk).update(archived_at=timezone.now() - timedelta(days=91))
    with pytest.raises(ValidationFailed) as caught:
        records.restore_record(record, Author())
    assert codes(caught) == ["RESTORE_EXPIRED"]
    assert Record.objects.get(pk=record.pk).archived
    Record.objects.filter(pk=record.pk).update(archived_at=timezone.now() - timedelta(days=89))
    assert not records.restore_record(record, Author()).archived


def test_delete_permanently_then_restore_is_not_found(owner):
    company = create("companies", name="Acme")
    record = create("contacts", associations=[(company.pk, CONTACT_TO_COMPANY)], firstname="Ada")
    records.follow(record, owner)
    records.archive_record(record, Author())
    assert records.delete_records_permanently([record.pk], Author()) == 1
    assert not Record.objects.filter(pk=record.pk).exists()
    assert not PropertyChange.objects.filter(record_id=record.pk).exists()
    assert not Association.objects.filter(to_record_id=record.pk).exists()
    assert not Association.objects.filter(from_record_id=record.pk).exists()
    assert not Follow.objects.filter(record_id=record.pk).exists()
    with pytest.raises(NotFound):
        records.restore_record(record, Author())
    assert Record.objects.filter(pk=company.pk).exists()


def test_purge_recycle_bin():
    old, recent, active = (create("contacts", firstname=n) for n in ("Old", "Recent", "Active"))
    records.archive_records("contacts", [old.pk, recent.pk], Author())
    Record.objects.filter(pk=old.pk).update(archived_at=timezone.now() - timedelta(days=91))
    assert records.purge_recycle_bin() == 1
    assert set(
        Record.objects.filter(pk__in=[old.pk, recent.pk, active.pk]).values_list("id", flat=True)
    ) == {recent.pk, active.pk}
    assert records.purge_recycle_bin() == 0


# --- clone ------------------------------------------------------------------------------------


def test_clone(owner):
    company = create("companies", name="Acme")
    friend = create("contacts", firstname="Friend")
    record = create(
        "contacts",
        associations=[(company.pk, CONTACT_TO_PRIMARY_COMPANY), (friend.pk, CONTACT_TO_CONTACT)],
        email="ada@example.com",
        firstname="Ada",
        jobtitle="Countess",
        hubspot_owner_id=str(owner.pk),
    )
    activity = note()
    records.associations.associate_many(
        [records.associations.Pair(record.pk, activity.pk, CONTACT_TO_NOTE)]
    )
    copy = records.clone_record(record, Author(Source.UI, "", owner))
    assert copy.pk != record.pk
    assert copy.properties == {
        "firstname": "Ada",
        "jobtitle": "Countess",
        "hubspot_owner_id": str(owner.pk),
    }
    assert linked(copy) == {(company.pk, 1), (company.pk, 279), (friend.pk, 449)}
    assert not Association.objects.filter(from_record=activity, to_record=copy).exists()
    # The original keeps everything.
    assert linked(record) == {
        (company.pk, 1),
        (company.pk, 279),
        (friend.pk, 449),
        (activity.pk, CONTACT_TO_NOTE),
    }
    change = PropertyChange.objects.get(record=copy)
    assert change.source_id == f"clone:{record.pk}" and change.user == owner


# --- follow -----------------------------------------------------------------------------------


def test_follow_and_unfollow_are_idempotent(owner):
    record = create("contacts", firstname="Ada")
    assert not Follow.objects.filter(record=record, user=owner).exists()
    records.follow(record, owner)
    records.follow(record, owner)
    assert Follow.objects.filter(record=record, user=owner).exists()
    assert Follow.objects.filter(record=record, user=owner).count() == 1
    records.unfollow(record, owner)
    records.unfollow(record, owner)
    assert not Follow.objects.filter(record=record, user=owner).exists()
    assert not Follow.objects.filter(record=record).exists()


# --- merge and unmerge ------------------------------------------------------------------------


@pytest.fixture
def pair(owner):
    """Two contacts to merge, with their own companies and activities."""
    shared = create("companies", name="Shared", domain="shared.com")
    acme = create("companies", name="Acme", domain="acme.com")
    initech = create("companies", name="Initech", domain="initech.com")
    primary = create(
        "contacts",
        associations=[(acme.pk, CONTACT_TO_PRIMARY_COMPANY), (shared.pk, CONTACT_TO_COMPANY)],
        email="ada@example.com",
        firstname="Ada",
        company="",
    )
    merged = create(
        "contacts",
        associations=[(initech.pk, CONTACT_TO_PRIMARY_COMPANY), (shared.pk, CONTACT_TO_COMPANY)],
        email="ada.l@example.com",
        firstname="Augusta",
        lastname="King",
        phone="+44 1234 5678",
        hubspot_owner_id=str(owner.pk),
    )
    activity = note()
    records.associations.associate_many(
        [records.associations.Pair(merged.pk, activity.pk, CONTACT_TO_NOTE)]
    )
    return {
        "primary": primary,
        "merged": merged,
        "acme": acme,
        "initech": initech,
        "shared": shared,
        "note": activity,
    }


def test_merge(pair, owner):
    primary, merged = pair["primary"], pair["merged"]
    merge = records.merge_records(primary, merged, Author(Source.UI, "", owner))
    primary.refresh_from_db()
    merged.refresh_from_db()
    # The primary's values win; its empty ones are filled from the merged record.
    assert primary.properties == {
        "email": "ada@example.com",
        "firstname": "Ada",
        "lastname": "King",
        "phone": "+44 1234 5678",
        "hubspot_owner_id": str(owner.pk),
    }
    assert merged.archived and merged.merged_into_id == primary.pk
    assert merge.merged_by == owner
    # Associations move, activities included; the primary keeps its own primary company.
    acme, initech, shared, activity = pair["acme"], pair["initech"], pair["shared"], pair["note"]
    assert linked(primary) == {
        (acme.pk, 1),
        (acme.pk, 279),
        (initech.pk, 279),
        (shared.pk, 279),
        (activity.pk, CONTACT_TO_NOTE),
    }
    assert linked(activity) == {(primary.pk, CONTACT_TO_NOTE + 1)}
    assert linked(initech) == {(primary.pk, 280)}
    assert not Association.objects.filter(from_record=merged).exists()
    assert not Association.objects.filter(to_record=merged).exists()
    change = PropertyChange.objects.filter(record=primary).latest("id")
    assert change.source == "MERGE" and change.source_id == f"merge:{merge.pk}"
    assert change.values == {
        "lastname": "King",
        "phone": "+44 1234 5678",
        "hubspot_owner_id": str(owner.pk),
    }
    # The merged record is in the bin but cannot be restored on its own, nor merged again.
    with pytest.raises(ValidationFailed) as caught:
        records.restore_record(merged, Author())
    assert codes(caught) == ["MERGED"]
    other = create("contacts", firstname="Other")
    with pytest.raises(NotFound):
        records.merge_records(other, merged, Author())
    with pytest.raises(NotFound):
        records.merge_records(merged, other, Author())


def test_merge_into_itself_fails(pair):
    with pytest.raises(ValidationFailed) as caught:
        records.merge_records(pair["primary"], pair["primary"], Author())
    assert codes(caught) == ["MERGE_SELF"]
    assert not Merge.objects.exists()


def test_merge_different_types_fails(pair):
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        records.merge_records(pair["primary"], pair["acme"], Author())
    assert codes(caught) == ["MERGE_TYPE_MISMATCH"]
    assert counts() == before and not Merge.objects.exists()
    assert not Record.objects.get(pk=pair["acme"].pk).archived


def test_merge_moves_unique_value_to_an_empty_primary():
    primary = create("contacts", firstname="Ada")
    merged = create("contacts", email="ada@example.com")
    records.merge_records(primary, merged, Author())
    primary.refresh_from_db()
    assert primary.properties == {"firstname": "Ada", "email": "ada@example.com"}
    with pytest.raises(Conflict) as caught:
        create("contacts", email="ada@example.com")
    assert caught.value.existing_id == primary.pk


def test_unmerge_restores_both(pair, owner):
    primary, merged = pair["primary"], pair["merged"]
    primary_before, merged_before = dict(primary.properties), dict(merged.properties)
    primary_links, merged_links = linked(primary), linked(merged)
    merge = records.merge_records(primary, merged, Author())
    primary, merged = records.unmerge(merge, Author(Source.UI, "", owner))
    assert not merged.archived and merged.merged_into_id is None and merged.archived_at is None
    assert primary.properties == primary_before
    assert merged.properties == merged_before
    assert linked(primary) == primary_links
    assert linked(merged) == merged_links
    assert linked(pair["note"]) == {(merged.pk, CONTACT_TO_NOTE + 1)}
    merge.refresh_from_db()
    assert merge.undone_at is not None and merge.undone_by == owner
    with pytest.raises(ValidationFailed) as caught:
        records.unmerge(merge, Author())
    assert codes(caught) == ["MERGE_UNDONE"]


def test_unmerge_keeps_values_edited_since(pair):
    primary, merged = pair["primary"], pair["merged"]
    merge = records.merge_records(primary, merged, Author())
    records.update_record(primary, {"lastname": "Lovelace"}, Author())
    primary, merged = records.unmerge(merge, Author())
    assert primary.properties == {
        "email": "ada@example.com",
        "firstname": "Ada",
        "lastname": "Lovelace",
    }
    assert merged.properties["lastname"] == "King"


def test_unmerge_after_unique_value_moved():
    primary = create("contacts", firstname="Ada")
    merged = create("contacts", email="ada@example.com")
    merge = records.merge_records(primary, merged, Author())
    primary, merged = records.unmerge(merge, Author())
    assert primary.properties == {"firstname": "Ada"}
    assert merged.properties == {"email": "ada@example.com"} and not merged.archived


def test_unmerge_needs_an_active_primary(pair):
    merge = records.merge_records(pair["primary"], pair["merged"], Author())
    records.archive_record(pair["primary"], Author())
    with pytest.raises(ValidationFailed) as caught:
        records.unmerge(merge, Author())
    assert codes(caught) == ["PRIMARY_ARCHIVED"]
    assert Record.objects.get(pk=pair["merged"].pk).archived


# --- pipelines --------------------------------------------------------------------------------


@pytest.fixture
def renewals():
    deals = load_schema("deals").object_type
    return pipelines.create_pipeline(
        deals,
        "Renewals",
        [
            {"label": "Due", "metadata": {"probability": "0.5"}, "id": "renewal_due"},
            {
                "label": "Renewed",
                "metadata": {"probability": "1", "isClosed": "true"},
                "id": "renewed",
            },
        ],
        pipeline_id="renewals",
    )


def test_stage_without_pipeline_goes_to_the_default_pipeline():
    deal = create("deals", dealname="D", dealstage="qualifiedtobuy")
    assert deal.properties["pipeline"] == "default"
    assert deal.properties["dealstage"] == "qualifiedtobuy"
    assert deal.properties["hs_deal_stage_probability"] == 0.4


def test_pipeline_without_stage_gets_its_first_stage(renewals):
    deal = create("deals", dealname="D", pipeline="renewals")
    assert (deal.properties["pipeline"], deal.properties["dealstage"]) == (
        "renewals",
        "renewal_due",
    )
    assert deal.properties["hs_deal_stage_probability"] == 0.5


def test_deal_without_pipeline_properties_has_none():
    deal = create("deals", dealname="D")
    assert deal.properties == {"dealname": "D"}


def test_stage_must_belong_to_the_pipeline(renewals):
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        create("deals", dealname="D", pipeline="default", dealstage="renewed")
    assert [(e.code, e.name) for e in caught.value.errors] == [("INVALID_OPTION", "dealstage")]
    with pytest.raises(ValidationFailed) as caught:
        create("deals", dealname="D", dealstage="nonsense")
    assert codes(caught) == ["INVALID_OPTION"]
    with pytest.raises(ValidationFailed) as caught:
        create("deals", dealname="D", pipeline="nope")
    assert [(e.code, e.name) for e in caught.value.errors] == [("INVALID_OPTION", "pipeline")]
    assert counts() == before


def test_moving_stage_updates_probability(renewals):
    deal = create("deals", dealname="D", dealstage="appointmentscheduled")
    records.update_record(deal, {"dealstage": "closedwon"}, Author())
    assert deal.properties["hs_deal_stage_probability"] == 1.0
    # Changing the pipeline needs a stage of the new pipeline.
    with pytest.raises(ValidationFailed):
        records.update_record(deal, {"pipeline": "renewals"}, Author())
    records.update_record(deal, {"pipeline": "renewals", "dealstage": "renewal_due"}, Author())
    assert (deal.properties["pipeline"], deal.properties["dealstage"]) == (
        "renewals",
        "renewal_due",
    )
    assert deal.properties["hs_deal_stage_probability"] == 0.5
    assert PropertyChange.objects.filter(record=deal).latest("id").values == {
        "pipeline": "renewals",
        "dealstage": "renewal_due",
        "hs_deal_stage_probability": 0.5,
    }


def test_archived_stage_cannot_be_chosen(renewals):
    stage = renewals.stages.get(stage_id="renewed")
    pipelines.archive_stage(stage)
    with pytest.raises(ValidationFailed):
        create("deals", dealname="D", pipeline="renewals", dealstage="renewed")


def test_ticket_pipeline():
    ticket = create("tickets", subject="Printer on fire", hs_pipeline_stage="2")
    assert (ticket.properties["hs_pipeline"], ticket.properties["hs_pipeline_stage"]) == ("0", "2")
    assert "hs_deal_stage_probability" not in ticket.properties
    with pytest.raises(ValidationFailed):
        create("tickets", subject="x", hs_pipeline="0", hs_pipeline_stage="appointmentscheduled")


# --- search -----------------------------------------------------------------------------------


def test_search_ids():
    nicolo = create("contacts", firstname="Nicolò", lastname="Rossi", email="nr@example.com")
    nicola = create("contacts", firstname="Nicola", lastname="Bianchi")
    anna = create("contacts", firstname="Anna", lastname="Rossi")
    gone = create("contacts", firstname="Nicolò", lastname="Verdi")
    records.archive_record(gone, Author())
    create("companies", name="Nicolò Rossi SpA")
    contacts = load_schema("contacts").object_type
    assert search.search_ids(contacts, "nicolo") == [nicolo.pk]
    assert search.search_ids(contacts, "Nicolò") == [nicolo.pk]
    assert search.search_ids(contacts, "NICO") == [nicolo.pk, nicola.pk]
    assert search.search_ids(contacts, "rossi") == [nicolo.pk, anna.pk]
    assert search.search_ids(contacts, "ross nic") == []  # only the last word is a prefix
    assert search.search_ids(contacts, "rossi nic") == [nicolo.pk]
    assert search.search_ids(contacts, "nr@example") == [nicolo.pk]
    assert search.search_ids(contacts, "verdi") == []
    assert search.search_ids(contacts, "verdi", archived=True) == [gone.pk]
    assert search.search_ids(contacts, "  ?! ") == []
    assert search.search_ids(contacts, "nico", limit=1) == [nicolo.pk]
    assert search.search_ids(contacts, "nico", after_id=nicolo.pk) == [nicola.pk]
    assert search.search_ids(contacts, 'nico" OR anna') == []
    assert search.search_ids(contacts, "AND") == []


@pytest.mark.parametrize("probe", [2, 1000])
def test_search_ids_whether_matches_are_dense_or_rare(monkeypatch, probe):
    """On PostgreSQL the first PROBE records are tested before the text index is read: both
    ways give the first matches by id (with a probe of 2 records "Rare" is found past it)."""
    monkeypatch.setattr(search.storage, "PROBE", probe)
    made = [create("companies", name=name) for name in ("Dense A", "Dense B", "Dense C", "Other", "Rare one", "Rare two")]
    companies = made[0].object_type
    assert search.search_ids(companies, "dense", limit=2) == [made[0].pk, made[1].pk]
    assert search.search_ids(companies, "dense", limit=5) == [r.pk for r in made[:3]]
    assert search.search_ids(companies, "rare", limit=1) == [made[4].pk]
    assert search.search_ids(companies, "rare") == [made[4].pk, made[5].pk]
    assert search.search_ids(companies, "rare", after_id=made[4].pk) == [made[5].pk]
    assert search.search_ids(companies, "nothing") == []


@pytest.mark.parametrize("probe", [2, 1000])
def test_search_pages_by_id_whether_matches_are_dense_or_rare(monkeypatch, probe):
    """The API's search sorted by id (its default) pages the same way both ways, up and down."""
    from scheda.records.query import Compiler, Filter, Query

    monkeypatch.setattr(search.storage, "PROBE", probe)
    made = [create("companies", name=name) for name in ("Dense A", "Dense B", "Other", "Rare one", "Dense C", "Rare two")]
    compiler, ids = Compiler(load_schema("companies")), [r.pk for r in made]
    dense = Query(filter_groups=[[Filter("name", "CONTAINS_TOKEN", "dense")]])
    assert compiler.page(dense, 2, None) == ([ids[0], ids[1]], ids[1])
    assert compiler.page(dense, 2, ids[1]) == ([ids[4]], None)
    down = Query(filter_groups=dense.filter_groups, descending=True)
    assert compiler.page(down, 2, None) == ([ids[4], ids[1]], ids[1])
    assert compiler.page(down, 2, ids[1]) == ([ids[0]], None)
    assert compiler.page(Query(text="rare"), 1, None) == ([ids[3]], ids[3])
    assert compiler.page(Query(text="rare"), 1, ids[3]) == ([ids[5]], None)
    assert compiler.page(Query(), 10, ids[4]) == ([ids[5]], None)


def test_contains_token_ignores_case_on_both_databases():
    """Whatever the case of the value and of the token, on a property the text index narrows
    (name) and on one it does not (city)."""
    from scheda.records.query import Compiler, Filter, Query

    farms = create("companies", name="McDonald Farms", city="NEW York")
    other = create("companies", name="Other", city="Boston")
    compiler = Compiler(load_schema("companies"))

    def found(name, operator, value):
        return compiler.page(Query(filter_groups=[[Filter(name, operator, value)]]), 10, None)[0]

    assert found("name", "CONTAINS_TOKEN", "MCDONALD") == [farms.pk]
    assert found("name", "CONTAINS_TOKEN", "mcDon*") == [farms.pk]
    assert found("city", "CONTAINS_TOKEN", "new") == [farms.pk]
    assert found("city", "NOT_CONTAINS_TOKEN", "YORK") == [other.pk]


def test_contains_token_finds_the_word_in_that_property_alone(author):
    """On a searchable property CONTAINS_TOKEN is a word of that property's value (HubSpot's
    "contains an exact token"), accents aside, read from the property-word index without the
    record's JSON; "ross*" is a word's start; NOT_CONTAINS_TOKEN is the rest; an edit and a
    change of searchable properties move the words."""
    from scheda.objects import services as objects
    from scheda.records.query import Compiler, Filter, Query

    de_rossi = create("contacts", author, firstname="Anna", lastname="De Rossi")
    accented = create("contacts", author, firstname="Luca", lastname="Rössi")
    rossini = create("contacts", author, firstname="Rossi", lastname="Rossini", jobtitle="Rossi Ltd")
    nameless = create("contacts", author, firstname="Mario")
    # A letter SQLite's tokenizer cuts a word at: not one word to it, so the value's text decides.
    tai_lue = create("contacts", author, lastname="Ka\u19b0b")
    compiler = Compiler(load_schema("contacts"))

    def found(operator, value, name="lastname"):
        return compiler.page(Query(filter_groups=[[Filter(name, operator, value)]]), 10, None)[0]

    assert found("CONTAINS_TOKEN", "rossi") == found("CONTAINS_TOKEN", "Rössi") == [de_rossi.pk, accented.pk]
    assert compiler.count(Query(filter_groups=[[Filter("lastname", "CONTAINS_TOKEN", "ROSSI")]])) == 2
    assert found("CONTAINS_TOKEN", "ross*") == [de_rossi.pk, accented.pk, rossini.pk]
    assert found("CONTAINS_TOKEN", "ross") == []
    assert found("NOT_CONTAINS_TOKEN", "rossi") == [rossini.pk, nameless.pk, tai_lue.pk]
    assert found("CONTAINS_TOKEN", "ka\u19b0b") == found("CONTAINS_TOKEN", "KA\u19b0B*") == [tai_lue.pk]
    # A word typed with its accent apart (o + U+0308) is the same word.
    assert found("CONTAINS_TOKEN", "ro\u0308ssi") == [de_rossi.pk, accented.pk]
    sql, _ = compiler.condition(Filter("lastname", "CONTAINS_TOKEN", "rossi"))
    assert "properties" not in sql, sql  # the record's JSON is not read
    assert found("CONTAINS_TOKEN", "rossi", "jobtitle") == [rossini.pk]  # not searchable: the value's text
    records.update_record(de_rossi, {"lastname": "Verdi"}, author)
    assert found("CONTAINS_TOKEN", "rossi") == [accented.pk]
    assert found("CONTAINS_TOKEN", "verdi") == [de_rossi.pk]
    objects.update_property(objects.get_property(de_rossi.object_type, "jobtitle"), {"searchable": True})
    compiler = Compiler(load_schema("contacts"))
    assert found("CONTAINS_TOKEN", "ltd", "jobtitle") == [rossini.pk]
    assert "properties" not in compiler.condition(Filter("jobtitle", "CONTAINS_TOKEN", "ltd"))[0]


def test_a_types_text_search_reads_its_own_words(author):
    """The text search of one type finds each word, the last as a prefix, in any of the type's
    searchable properties, and nothing of another type. On SQLite it reads the words tagged with
    the type in the word index, so other types' words, an activity's included, are not read."""
    from django.test.utils import CaptureQueriesContext

    from scheda.records.query import Compiler, Query
    from scheda.records.search import search_ids

    thomas = create("contacts", author, firstname="Thomas", lastname="Ölberg", email="t.o@example.com")
    create("contacts", author, firstname="Anna", lastname="Thorn")
    create("companies", author, name="Thomas Ltd")
    records.create_record("notes", {"hs_note_body": "Thomas Olberg called about the budget", "hs_timestamp": "2024-01-01T00:00:00Z"}, author)
    underscored = create("contacts", author, firstname="De_Luca")
    contacts = load_schema("contacts").object_type
    with CaptureQueriesContext(connection) as captured:
        assert search_ids(contacts, "thomas olb") == [thomas.pk]
    assert search_ids(contacts, "Th") == [thomas.pk, thomas.pk + 1]
    assert search_ids(contacts, "example") == [thomas.pk]  # the e-mail's words
    assert search_ids(contacts, "thomas ltd") == search_ids(contacts, "budget") == []  # another type's words
    assert search_ids(contacts, "de_luca") == search_ids(contacts, "de luc") == [underscored.pk]
    assert search_ids(contacts, "_") == []
    compiler = Compiler(load_schema("contacts"))
    assert compiler.count(Query(text="OLBERG")) == compiler.count(Query(text="thomas Ö")) == 1
    assert compiler.count(Query(text="budget")) == 0
    if connection.vendor == "sqlite":
        assert "record_words" in " ".join(q["sql"] for q in captured.captured_queries)
        assert compiler.where(Query(text="thomas Ö"))[1] == [f'"t{contacts.pk}xthomas" "t{contacts.pk}xo"*']


def test_the_migration_moves_sqlites_text_search_to_the_word_index(author):
    """Records written before the type words get theirs when the word index takes them, with
    their property words kept; the text index of every type's words goes (and comes back when
    the migration is undone)."""
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps

    from scheda.records.query import Compiler, Filter, Query

    ada = create("contacts", author, firstname="Ada", lastname="Lovelace")
    migration = import_module("scheda.records.migrations.0009_type_words")
    schema = load_schema("contacts")
    editor = SimpleNamespace(connection=connection)  # what the migration reads of its schema editor
    migration.backward(apps, editor)
    if connection.vendor == "sqlite":
        assert storage.read_words([ada.pk]) == {ada.pk: f"p{schema.properties['firstname'].pk}xada p{schema.properties['lastname'].pk}xlovelace"}
        with connection.cursor() as cursor:
            cursor.execute("SELECT rowid FROM record_fts WHERE record_fts MATCH 'lovelace'")
            assert cursor.fetchall() == [(ada.pk,)]
    migration.forward(apps, editor)
    compiler = Compiler(schema)
    assert compiler.page(Query(text="ada lov"), 10, None)[0] == [ada.pk]
    query = Query(filter_groups=[[Filter("lastname", "CONTAINS_TOKEN", "lovelace")]])
    assert compiler.page(query, 10, None)[0] == [ada.pk]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'record_fts'")
            assert cursor.fetchone() == (0,)


def test_the_migration_writes_the_property_words_of_records_already_there(author):
    """Records written before the property-word index get their words when it is made."""
    from importlib import import_module

    from django.apps import apps

    from scheda.records.query import Compiler, Filter, Query

    ada = create("contacts", author, firstname="Ada", lastname="Lovelace <b>King</b>")
    written = storage.read_words([ada.pk])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("UPDATE records_record SET property_words = ''")
        else:
            cursor.execute("DELETE FROM record_words")
    import_module("scheda.records.migrations.0008_property_words").fill(apps, connection)
    assert storage.read_words([ada.pk]) == written and "king" in written[ada.pk]
    query = Query(filter_groups=[[Filter("lastname", "CONTAINS_TOKEN", "lovelace")]])
    assert Compiler(load_schema("contacts")).page(query, 10, None)[0] == [ada.pk]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's text index per object type")
def test_every_object_type_has_a_text_index_of_its_own():
    """Rare words are looked up in the type's own GIN index (bench/search.py measures why)."""
    from scheda.objects.models import ObjectType
    from scheda.objects.services import create_object_type

    create_object_type(name="pets", singular="Pet", plural="Pets", primary_display_property="pet_name",
                       properties=[{"name": "pet_name", "label": "Name", "type": "string", "field_type": "text"}])
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'records_record' AND indexdef LIKE '%%gin%%'")
        found = dict(cursor.fetchall())
    for type_id in ObjectType.objects.values_list("id", flat=True):
        assert f"USING gin (search_vector) WHERE (object_type_id = {type_id})" in found.get(f"rs_{type_id}", ""), found
    assert len(found) == ObjectType.objects.count()  # no index over every type's records beside them


def test_search_by_email_and_domain():
    ada = create("contacts", email="ada.lovelace@example.com")
    acme = create(
        "companies", name="Acme", domain="acme.co.uk", website="https://www.acme.co.uk/about"
    )
    assert search.search_ids(ada.object_type, "ada.lovelace@example.com") == [ada.pk]
    assert search.search_ids(ada.object_type, "ada.lovelace@exa") == [ada.pk]
    assert search.search_ids(ada.object_type, "lovelace") == [ada.pk]
    assert search.search_ids(acme.object_type, "acme.co.uk") == [acme.pk]
    assert search.search_ids(acme.object_type, "www.acme") == [acme.pk]


def test_search_follows_updates():
    record = create("contacts", firstname="Ada")
    contacts = record.object_type
    records.update_record(record, {"firstname": "Grace"}, Author())
    assert search.search_ids(contacts, "ada") == []
    assert search.search_ids(contacts, "gra") == [record.pk]


def test_search_ignores_html_markup():
    activity = note(hs_note_body="<p>Discussed <b>renewal</b> pricing</p>")
    notes = activity.object_type
    assert search.search_ids(notes, "renewal pric") == [activity.pk]
    assert search.search_ids(notes, "b") == []


def test_only_searchable_properties_are_searched():
    record = create("contacts", firstname="Ada", jobtitle="Countess")
    assert search.search_ids(record.object_type, "countess") == []
    assert search.search_ids(record.object_type, "ada") == [record.pk]


def test_a_change_of_searchable_properties_rewrites_every_records_text(author):
    """Making a property searchable, unsearchable or archiving it changes what finds the records
    already there, not only those written later; an activity's timeline entries follow too."""
    from scheda.activities.models import TimelineEntry
    from scheda.objects import services as objects

    countess = create("contacts", author, firstname="Ada", jobtitle="Countess")
    untouched = create("contacts", author, firstname="Grace")
    contacts = countess.object_type
    objects.update_property(objects.get_property(contacts, "jobtitle"), {"searchable": True})
    assert search.search_ids(contacts, "countess") == [countess.pk]
    objects.set_property_roles(contacts, searchable=["lastname", "email"])
    assert search.search_ids(contacts, "countess") == search.search_ids(contacts, "ada") == []
    assert Record.objects.get(pk=untouched.pk).search_text == ""
    objects.set_property_roles(contacts, searchable=["firstname"])
    assert search.search_ids(contacts, "ada") == [countess.pk]
    custom = objects.create_property(contacts, {"name": "motto", "label": "Motto", "type": "string",
                                                "field_type": "text", "searchable": True})
    records.update_record(countess, {"motto": "Poetical science"}, author)
    assert search.search_ids(contacts, "poetical") == [countess.pk]
    objects.archive_property(custom)
    assert search.search_ids(contacts, "poetical") == []
    assert search.search_ids(contacts, "ada") == [countess.pk]

    activity = create("notes", author, [(countess.pk, 202)], hs_timestamp="2024-01-01T10:00:00Z",
                      hs_note_body="renewal pricing")
    assert list(TimelineEntry.objects.filter(activity=activity).values_list("text", flat=True)) == ["renewal pricing"]
    notes = activity.object_type
    objects.set_property_roles(notes, searchable=[])
    assert search.search_ids(notes, "renewal") == []
    assert list(TimelineEntry.objects.filter(activity=activity).values_list("text", flat=True)) == [""]


def test_a_large_types_text_is_rewritten_by_scheda_reindex(author, settings, caplog):
    """Above SCHEDA_REWRITE_TEXT_IN_REQUEST records the role change leaves the text to `scheda
    reindex` (1M contacts take minutes), which rewrites only the records whose text differs."""
    from django.core.management import CommandError, call_command

    from scheda.objects import services as objects

    settings.SCHEDA_REWRITE_TEXT_IN_REQUEST = 1
    countess = create("contacts", author, firstname="Ada", jobtitle="Countess")
    create("contacts", author, firstname="Grace", jobtitle="Admiral")
    create("contacts", author, firstname="Edith")
    contacts = countess.object_type
    objects.set_property_roles(contacts, searchable=["firstname", "jobtitle"])
    assert search.search_ids(contacts, "countess") == []
    assert "scheda reindex contacts" in caplog.text
    out = io.StringIO()
    call_command("reindex", "contacts", stdout=out)
    assert out.getvalue() == "Contacts: 2 records rewritten\n"
    assert search.search_ids(contacts, "countess") == [countess.pk] and search.search_ids(contacts, "ada") == [countess.pk]
    out = io.StringIO()
    call_command("reindex", "0-1", stdout=out)
    assert out.getvalue() == "Contacts: 0 records rewritten\n"
    with pytest.raises(CommandError, match="Unknown object type"):
        call_command("reindex", "spaceships")


def test_association_type_ids_used_here_exist():
    assert set(
        AssociationType.objects.filter(id__in=[279, 1, 4, 201, 202, 449]).values_list(
            "id", flat=True
        )
    ) == {279, 1, 4, 201, 202, 449}


def test_clearing_every_checkbox_clears_the_value(author):
    record = create("contacts", author, email="box@example.com", hs_buying_role="CHAMPION")
    records.update_record(record, {"hs_buying_role": ";"}, author)
    assert "hs_buying_role" not in record.properties


def test_system_writes_cannot_change_record_columns(author):
    record = create("contacts", author, email="cols@example.com")
    with pytest.raises(ValidationFailed) as failure:
        records.update_record(record, {"createdate": "2001-01-01T00:00:00Z"}, Author(Source.SYSTEM))
    assert failure.value.errors[0].code == "READ_ONLY_VALUE"
