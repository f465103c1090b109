"""Associations between records, association types and user-defined labels."""

import pytest
from django.db import transaction

from scheda.associations import services
from scheda.associations.models import Association, AssociationType
from scheda.associations.services import Pair
from scheda.errors import Conflict, LimitExceeded, ValidationFailed
from scheda.objects.services import create_object_type, get_object_type
from scheda.records import services as records
from scheda.records.services import Author

pytestmark = pytest.mark.django_db


def create(object_type, **properties):
    return records.create_record(object_type, properties, Author())


def linked(record) -> set[tuple[int, int]]:
    return set(
        Association.objects.filter(from_record=record).values_list("to_record_id", "type_id")
    )


def codes(caught) -> list[str]:
    return [e.code for e in caught.value.errors]


@pytest.fixture
def ada():
    return create("contacts", firstname="Ada")


@pytest.fixture
def acme():
    return create("companies", name="Acme")


@pytest.fixture
def initech():
    return create("companies", name="Initech")


def test_standard_types_are_installed():
    kind = services.get_type(279)
    assert (kind.from_object_type.name, kind.to_object_type.name, kind.label) == (
        "contacts",
        "companies",
        None,
    )
    assert kind.inverse_id == 280 and kind.inverse.inverse_id == 279
    primary = services.get_type(1)
    assert primary.label == "Primary" and primary.limit == 1 and primary.inverse_id == 2
    assert services.get_type(449).inverse_id == 449  # contact to contact is its own inverse
    assert services.get_type(5).limit == 1  # a deal's primary company
    with pytest.raises(records.NotFound):
        services.get_type(123_456)


def test_associate_many_writes_both_directions(ada, acme, initech):
    assert services.associate_many([Pair(ada.pk, acme.pk, 279), Pair(ada.pk, initech.pk, 279)]) == 2
    assert linked(ada) == {(acme.pk, 279), (initech.pk, 279)}
    assert linked(acme) == {(ada.pk, 280)}
    assert linked(initech) == {(ada.pk, 280)}
    # Again: nothing new, nothing doubled.
    assert services.associate_many([Pair(ada.pk, acme.pk, 279)]) == 0
    assert services.associate_many([Pair(acme.pk, ada.pk, 280)]) == 0
    assert Association.objects.count() == 4
    assert services.associate_many([]) == 0


def test_a_label_implies_the_unlabeled_type(ada, acme):
    services.associate_many([Pair(acme.pk, ada.pk, 2)])  # written from the company's side
    assert linked(ada) == {(acme.pk, 1), (acme.pk, 279)}
    assert linked(acme) == {(ada.pk, 2), (ada.pk, 280)}


def test_associations_of(ada, acme, initech):
    services.associate_many([Pair(ada.pk, acme.pk, 1), Pair(ada.pk, initech.pk, 279)])
    found = records.associations_of([ada.pk])[ada.pk]
    assert [(a.to_record_id, a.type_id) for a in found] == [
        (acme.pk, 1),
        (acme.pk, 279),
        (initech.pk, 279),
    ]
    assert {a.type.to_object_type.name for a in found} == {"companies"}
    deals = get_object_type("deals")
    assert records.associations_of([ada.pk], to_type=deals) == {}


@pytest.mark.parametrize("type_id", [280, 3, 341, 1_000_000])
def test_wrong_type_for_the_records_fails(ada, acme, type_id):
    with pytest.raises(ValidationFailed) as caught:
        services.associate_many([Pair(ada.pk, acme.pk, type_id)])
    assert codes(caught) == ["UNKNOWN_TYPE" if type_id == 1_000_000 else "INVALID_TYPE_FOR_RECORDS"]
    assert not Association.objects.exists()


def test_self_association_fails(ada):
    with pytest.raises(ValidationFailed) as caught:
        services.associate_many([Pair(ada.pk, ada.pk, 449)])
    assert codes(caught) == ["SELF_ASSOCIATION"]


def test_missing_or_archived_record_fails_and_nothing_is_written(ada, acme, initech):
    records.archive_record(initech, Author())
    for missing in (999_999, initech.pk):
        with pytest.raises(ValidationFailed) as caught:
            services.associate_many([Pair(ada.pk, acme.pk, 279), Pair(ada.pk, missing, 279)])
        assert codes(caught) == ["RECORD_NOT_FOUND"]
        assert caught.value.errors[0].context == {"index": 1, "id": str(missing)}
        assert not Association.objects.exists()


def test_every_bad_pair_is_reported(ada, acme):
    with pytest.raises(ValidationFailed) as caught:
        services.associate_many(
            [Pair(ada.pk, 999_999, 279), Pair(ada.pk, acme.pk, 4), Pair(ada.pk, acme.pk, 279)]
        )
    assert [(e.code, e.context["index"]) for e in caught.value.errors] == [
        ("RECORD_NOT_FOUND", 0),
        ("INVALID_TYPE_FOR_RECORDS", 1),
    ]


def test_primary_company_is_replaced(ada, acme, initech):
    services.associate_many([Pair(ada.pk, acme.pk, 1)])
    services.associate_many([Pair(ada.pk, initech.pk, 1)])
    # One primary company; the old one stays associated, unlabeled.
    assert linked(ada) == {(acme.pk, 279), (initech.pk, 1), (initech.pk, 279)}
    assert linked(acme) == {(ada.pk, 280)}
    assert linked(initech) == {(ada.pk, 2), (ada.pk, 280)}


def test_two_primary_companies_in_one_call_fails(ada, acme, initech):
    services.associate_many([Pair(ada.pk, acme.pk, 279)])
    with pytest.raises(LimitExceeded):
        services.associate_many(
            [Pair(ada.pk, acme.pk, 1), Pair(ada.pk, initech.pk, 1)], replace_single=False
        )
    assert linked(ada) == {(acme.pk, 279)}


def test_a_company_may_be_primary_for_many_contacts(acme):
    contacts = [create("contacts", firstname=f"C{i}") for i in range(3)]
    services.associate_many([Pair(c.pk, acme.pk, 1) for c in contacts])
    assert {to for to, kind in linked(acme) if kind == 2} == {c.pk for c in contacts}


# --- labels -----------------------------------------------------------------------------------


def test_single_label(ada, acme):
    contacts, companies = get_object_type("contacts"), get_object_type("companies")
    label = services.create_label(contacts, companies, " Billing contact ")
    inverse = label.inverse
    assert label.id >= services.FIRST_USER_TYPE_ID and inverse.id >= services.FIRST_USER_TYPE_ID
    assert (label.label, inverse.label) == ("Billing contact", "Billing contact")
    assert label.category == inverse.category == AssociationType.Category.USER_DEFINED
    assert inverse.inverse_id == label.id
    assert (inverse.from_object_type, inverse.to_object_type) == (companies, contacts)
    services.associate_many([Pair(ada.pk, acme.pk, label.id)])
    assert linked(ada) == {(acme.pk, label.id), (acme.pk, 279)}
    assert linked(acme) == {(ada.pk, inverse.id), (ada.pk, 280)}
    with pytest.raises(Conflict):
        services.create_label(contacts, companies, "Billing contact")
    with pytest.raises(ValidationFailed):
        services.create_label(contacts, companies, "  ")


def test_paired_label_between_records_of_one_type():
    contacts = get_object_type("contacts")
    boss, worker = create("contacts", firstname="Boss"), create("contacts", firstname="Worker")
    manager = services.create_label(contacts, contacts, "Manager", "Employee")
    employee = manager.inverse
    assert (manager.label, employee.label) == ("Manager", "Employee")
    assert manager.id != employee.id and employee.inverse_id == manager.id
    services.associate_many([Pair(worker.pk, boss.pk, manager.id)])
    assert linked(worker) == {(boss.pk, manager.id), (boss.pk, 449)}
    assert linked(boss) == {(worker.pk, employee.id), (worker.pk, 449)}


def test_single_label_between_records_of_one_type_is_its_own_inverse():
    contacts = get_object_type("contacts")
    sibling = services.create_label(contacts, contacts, "Sibling")
    assert sibling.inverse_id == sibling.id
    a, b = create("contacts", firstname="A"), create("contacts", firstname="B")
    services.associate_many([Pair(a.pk, b.pk, sibling.id)])
    assert linked(b) == {(a.pk, sibling.id), (a.pk, 449)}


def test_at_most_50_labels_per_pair():
    contacts, companies, deals = (get_object_type(n) for n in ("contacts", "companies", "deals"))
    for i in range(services.LABEL_LIMIT):
        services.create_label(contacts, companies, f"Label {i}")
    before = AssociationType.objects.count()
    with pytest.raises(LimitExceeded) as caught:
        services.create_label(contacts, companies, "One too many")
    assert codes(caught) == ["LABEL_LIMIT"]
    assert AssociationType.objects.count() == before
    # Other pairs have their own allowance.
    assert services.create_label(contacts, deals, "Label 0").label == "Label 0"


def test_label_limit_set_by_set_limit(ada, acme, initech):
    contacts, companies = get_object_type("contacts"), get_object_type("companies")
    billing = services.create_label(contacts, companies, "Billing")
    assert services.set_limit(billing, 1).limit == 1
    billing.refresh_from_db()
    assert billing.limit == 1
    services.associate_many([Pair(ada.pk, acme.pk, billing.id)])
    before = set(Association.objects.values_list("from_record_id", "to_record_id", "type_id"))
    with pytest.raises(LimitExceeded) as caught:
        services.associate_many([Pair(ada.pk, initech.pk, billing.id)])
    assert codes(caught) == ["LABEL_LIMIT"]
    # Refused: nothing of it was written, not even the unlabeled association.
    assert (
        set(Association.objects.values_list("from_record_id", "to_record_id", "type_id")) == before
    )
    # The other side has no limit: a company may be the billing company of many contacts.
    other = create("contacts", firstname="Other")
    services.associate_many([Pair(other.pk, acme.pk, billing.id)])
    services.set_limit(billing, None)
    services.associate_many([Pair(ada.pk, initech.pk, billing.id)])
    assert {to for to, kind in linked(ada) if kind == billing.id} == {acme.pk, initech.pk}



def test_a_record_has_at_most_the_limit_of_associations_with_one_object_type(monkeypatch, ada, acme, initech):
    """Counted on both sides of what is written, over every label: the third company of a contact
    is refused, whichever way round it is asked; deals keep their own allowance."""
    monkeypatch.setattr(services, "ASSOCIATION_LIMIT", 2)
    contacts, companies = get_object_type("contacts"), get_object_type("companies")
    billing = services.create_label(contacts, companies, "Billing")
    services.associate_many([Pair(ada.pk, acme.pk, 279), Pair(ada.pk, initech.pk, billing.id)])
    third = create("companies", name="Third")
    before = set(Association.objects.values_list("from_record_id", "to_record_id", "type_id"))
    for pair in (Pair(ada.pk, third.pk, 279), Pair(third.pk, ada.pk, 280)):
        with pytest.raises(LimitExceeded) as caught:
            services.associate_many([pair])
        assert codes(caught) == ["ASSOCIATION_LIMIT"] and caught.value.errors[0].context["id"] == str(ada.pk)
    assert set(Association.objects.values_list("from_record_id", "to_record_id", "type_id")) == before
    deals = [create("deals", dealname=f"D{i}") for i in range(2)]
    services.associate_many([Pair(ada.pk, deal.pk, 4) for deal in deals])


@pytest.mark.parametrize("limit", [0, -1, services.ASSOCIATION_LIMIT + 1])
def test_set_limit_range(limit):
    kind = services.get_type(279)
    with pytest.raises(ValidationFailed):
        services.set_limit(kind, limit)
    kind.refresh_from_db()
    assert kind.limit is None


def test_limit_in_a_create_rolls_back_the_record(ada, acme, initech):
    contacts, companies = get_object_type("contacts"), get_object_type("companies")
    billing = services.set_limit(services.create_label(contacts, companies, "Billing"), 1)
    count = records.Record.objects.count()
    with pytest.raises(LimitExceeded):
        records.create_record(
            "contacts",
            {"firstname": "X"},
            Author(),
            [(acme.pk, billing.id), (initech.pk, billing.id)],
        )
    assert records.Record.objects.count() == count


def test_update_label(ada, acme):
    contacts, companies = get_object_type("contacts"), get_object_type("companies")
    label = services.create_label(contacts, companies, "Manager", "Managed by")
    services.update_label(label, "Boss", "Bossed by")
    label.refresh_from_db()
    assert (label.label, label.inverse.label) == ("Boss", "Bossed by")
    with pytest.raises(ValidationFailed):
        services.update_label(services.get_type(1), "Main")
    assert services.get_type(1).label == "Primary"
    with pytest.raises(ValidationFailed):
        services.update_label(label, "")


def test_delete_label_keeps_the_unlabeled_association(ada, acme):
    contacts, companies = get_object_type("contacts"), get_object_type("companies")
    label = services.create_label(contacts, companies, "Manager", "Managed by")
    ids = {label.id, label.inverse_id}
    services.associate_many([Pair(ada.pk, acme.pk, label.id)])
    services.delete_label(label)
    assert not AssociationType.objects.filter(id__in=ids).exists()
    assert linked(ada) == {(acme.pk, 279)}
    assert linked(acme) == {(ada.pk, 280)}
    with pytest.raises(ValidationFailed):
        services.delete_label(services.get_type(1))
    with pytest.raises(ValidationFailed):
        services.delete_label(services.get_type(279))
    assert AssociationType.objects.filter(id__in=[1, 2, 279, 280]).count() == 4


# --- default types ------------------------------------------------------------------------


def test_default_type_for_a_pair_with_a_hubspot_type():
    contacts, companies = get_object_type("contacts"), get_object_type("companies")
    assert services.default_type(contacts, companies).id == 279
    deals = get_object_type("deals")
    assert services.default_type(deals, deals).id == 451


def test_default_type_created_once_between_two_types():
    contacts, products = get_object_type("contacts"), get_object_type("products")
    assert services.types_between(contacts, products) == []
    made = services.default_type(contacts, products)
    assert made.id >= services.FIRST_USER_TYPE_ID and made.label is None
    assert made.category == AssociationType.Category.HUBSPOT_DEFINED
    assert made.inverse.inverse_id == made.id
    assert (made.inverse.from_object_type, made.inverse.to_object_type) == (products, contacts)
    count = AssociationType.objects.count()
    assert services.default_type(contacts, products) == made
    assert services.default_type(products, contacts) == made.inverse
    assert AssociationType.objects.count() == count


def test_default_type_made_meanwhile_by_another_request_is_read(monkeypatch):
    """Two requests find no type for a new pair and both make it: the database keeps one, and
    the request that lost reads the winner's instead of failing or splitting the associations."""
    contacts, products = get_object_type("contacts"), get_object_type("products")
    made = services.default_type(contacts, products)
    count = AssociationType.objects.count()
    misses = iter([None])  # this request looked before the other's commit
    find = services._find_default
    monkeypatch.setattr(services, "_find_default", lambda a, b: next(misses, None) or find(a, b))
    assert services.default_type(contacts, products) == made
    assert AssociationType.objects.count() == count


def test_default_type_created_once_within_one_type():
    products = get_object_type("products")
    made = services.default_type(products, products)
    assert made.inverse_id == made.id and made.label is None
    count = AssociationType.objects.count()
    assert services.default_type(products, products) == made
    assert AssociationType.objects.count() == count
    a = create("products", name="A")
    b = create("products", name="B")
    services.associate_many([Pair(a.pk, b.pk, made.id)])
    assert linked(b) == {(a.pk, made.id)}


def test_custom_object_default_type():
    pets = create_object_type(
        name="pets",
        singular="Pet",
        plural="Pets",
        primary_display_property="pet_name",
        properties=[{"name": "pet_name", "label": "Name", "type": "string", "field_type": "text"}],
    )
    contacts = get_object_type("contacts")
    made = services.default_type(pets, contacts)
    assert made.category == AssociationType.Category.USER_DEFINED
    assert services.default_type(pets, contacts) == made
    assert services.default_type(contacts, pets) == made.inverse
    assert len(services.types_between(pets, contacts)) == 1
    rex = create("pets", pet_name="Rex")
    owner = create("contacts", firstname="Olga")
    with transaction.atomic():
        services.associate_many([Pair(owner.pk, rex.pk, made.inverse_id)])
    assert linked(rex) == {(owner.pk, made.id)}
    same = services.default_type(pets, pets)
    assert same.inverse_id == same.id and services.default_type(pets, pets) == same
