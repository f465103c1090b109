"""Records through HubSpot's own SDK against a live server."""

import pytest
from hubspot.crm.contacts import ApiException as ContactsError
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)


def test_create_read_update_archive_a_contact(hubspot, unique):
    contacts = hubspot.crm.contacts.basic_api
    created = contacts.create(SimplePublicObjectInputForCreate(
        properties={"email": f"Ada.{unique}@Example.com", "firstname": "Ada", "lastname": "Lovelace"}))
    assert created.properties["email"] == f"ada.{unique}@example.com"
    assert created.created_at is not None and created.archived is False
    read = contacts.get_by_id(created.id, properties=["email", "firstname", "lifecyclestage"])
    assert read.properties == {"email": f"ada.{unique}@example.com", "firstname": "Ada", "lifecyclestage": None}
    updated = contacts.update(created.id, SimplePublicObjectInput(properties={"lifecyclestage": "lead"}))
    assert updated.properties["lifecyclestage"] == "lead"
    with_history = contacts.get_by_id(created.id, properties_with_history=["lifecyclestage"])
    (version,) = with_history.properties_with_history["lifecyclestage"]
    assert version.value == "lead" and version.source_type == "API"
    contacts.archive(created.id)
    with pytest.raises(ContactsError) as missing:
        contacts.get_by_id(created.id)
    assert missing.value.status == 404
    assert contacts.get_by_id(created.id, archived=True).archived is True


def test_duplicate_email_is_a_conflict_naming_the_existing_contact(hubspot, unique):
    contacts = hubspot.crm.contacts.basic_api
    first = contacts.create(SimplePublicObjectInputForCreate(properties={"email": f"dup.{unique}@example.com"}))
    with pytest.raises(ContactsError) as conflict:
        contacts.create(SimplePublicObjectInputForCreate(properties={"email": f"DUP.{unique}@example.com"}))
    assert conflict.value.status == 409
    body = __import__("json").loads(conflict.value.body)
    assert body["category"] == "CONFLICT" and body["status"] == "error" and body["correlationId"]
    assert body["context"]["id"] == [first.id]
    assert body["errors"][0]["in"] == "email"


def test_unknown_property_names_the_property(hubspot, unique):
    with pytest.raises(ContactsError) as bad:
        hubspot.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties={"shoe_size": "42"}))
    body = __import__("json").loads(bad.value.body)
    assert bad.value.status == 400 and body["category"] == "VALIDATION_ERROR"
    assert body["errors"][0]["in"] == "shoe_size" and body["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"


def test_batch_create_read_and_search(hubspot, unique):
    batch = hubspot.crm.contacts.batch_api
    created = batch.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
        SimplePublicObjectInputForCreate(properties={"email": f"b{i}.{unique}@example.com", "firstname": f"B{unique}",
                                                     "lastname": f"Number{i}"}) for i in range(5)]))
    assert len(created.results) == 5
    ids = sorted(r.id for r in created.results)
    read = batch.read(BatchReadInputSimplePublicObjectId(inputs=[{"id": i} for i in ids], properties=["lastname"]))
    assert sorted(r.properties["lastname"] for r in read.results) == [f"Number{i}" for i in range(5)]
    search = hubspot.crm.contacts.search_api.do_search(PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "firstname", "operator": "EQ", "value": f"B{unique}"}]}],
        sorts=["-lastname"], properties=["lastname"], limit=2))
    assert search.total == 5
    assert [r.properties["lastname"] for r in search.results] == ["Number4", "Number3"]
    rest = hubspot.crm.contacts.search_api.do_search(PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "firstname", "operator": "EQ", "value": f"B{unique}"}]}],
        sorts=["-lastname"], properties=["lastname"], limit=10, after=search.paging.next.after))
    assert [r.properties["lastname"] for r in rest.results] == ["Number2", "Number1", "Number0"]
    assert rest.paging is None
