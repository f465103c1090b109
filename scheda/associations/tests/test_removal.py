"""Service functions behind the v4 API: removing associations and reading a page of them."""

import pytest

from scheda.associations import services
from scheda.associations.models import Association
from scheda.associations.services import Pair
from scheda.objects.services import get_object_type
from scheda.records import services as records
from scheda.records.services import Author

pytestmark = pytest.mark.django_db


def create(object_type, **properties):
    return records.create_record(object_type, properties, Author())


def rows(record) -> set[tuple[int, int]]:
    return set(Association.objects.filter(from_record=record).values_list("to_record_id", "type_id"))


def test_dissociate_removes_every_type_both_ways_and_counts_pairs():
    ada, acme, initech = create("contacts", firstname="Ada"), create("companies", name="Acme"), create("companies", name="Initech")
    services.associate_many([Pair(ada.pk, acme.pk, 1), Pair(ada.pk, initech.pk, 279)])
    assert services.dissociate([(ada.pk, acme.pk), (acme.pk, initech.pk)]) == 1
    assert rows(ada) == {(initech.pk, 279)}
    assert rows(acme) == set()
    assert rows(initech) == {(ada.pk, 280)}


def test_remove_types_keeps_the_unlabeled_association_unless_it_is_removed():
    ada, acme, initech = create("contacts", firstname="Ada"), create("companies", name="Acme"), create("companies", name="Initech")
    services.associate_many([Pair(ada.pk, acme.pk, 1), Pair(ada.pk, initech.pk, 279)])
    services.remove_types([Pair(ada.pk, acme.pk, 1)])
    assert (acme.pk, 279) in rows(ada) and (acme.pk, 1) not in rows(ada)
    assert rows(acme) == {(ada.pk, 280)}
    services.remove_types([Pair(ada.pk, acme.pk, 279)])
    assert rows(ada) == {(initech.pk, 279)} and rows(acme) == set()


def test_pair_errors_names_each_fault_and_none_for_good_pairs():
    ada, acme = create("contacts", firstname="Ada"), create("companies", name="Acme")
    errors = services.pair_errors([Pair(ada.pk, acme.pk, 279), Pair(ada.pk, 10**12, 279), Pair(ada.pk, acme.pk, 3),
                                   Pair(ada.pk, acme.pk, 987_654)])
    assert errors[0] is None
    assert [e.code for e in errors[1:] if e] == ["RECORD_NOT_FOUND", "INVALID_TYPE_FOR_RECORDS", "UNKNOWN_TYPE"]


def test_associated_page_groups_types_and_pages_by_record_id():
    ada = create("contacts", firstname="Ada")
    companies = [create("companies", name=f"C{n}") for n in range(3)]
    services.associate_many([Pair(ada.pk, companies[0].pk, 1)] + [Pair(ada.pk, c.pk, 279) for c in companies])
    archived = create("companies", name="Gone")
    services.associate_many([Pair(ada.pk, archived.pk, 279)])
    records.archive_record(archived, Author())
    first, after = services.associated_page(ada.pk, get_object_type("companies"), 2)
    assert [(to, sorted(t.pk for t in kinds)) for to, kinds in first] == [(companies[0].pk, [1, 279]), (companies[1].pk, [279])]
    assert after == companies[1].pk
    rest, after = services.associated_page(ada.pk, get_object_type("companies"), 2, after)
    assert [to for to, _ in rest] == [companies[2].pk] and after is None
    assert services.associated_page(ada.pk, get_object_type("deals"), 10) == ([], None)
