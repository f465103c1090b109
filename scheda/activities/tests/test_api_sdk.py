"""Activities through HubSpot's own SDK against a live server: each activity type is logged,
read, updated and associated with HubSpot's type ids; the same code path keeps the timeline
(the browser tests read what the API wrote)."""

import importlib

import pytest
from hubspot.crm.associations.v4 import AssociationSpec
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactInput

# Activity type -> (its SDK module, HubSpot's activity-to-contact type id, the property the body sits in)
KINDS = {
    "notes": ("hubspot.crm.objects.notes", 202, "hs_note_body"),
    "calls": ("hubspot.crm.objects.calls", 194, "hs_call_body"),
    "emails": ("hubspot.crm.objects.emails", 198, "hs_email_subject"),
    "meetings": ("hubspot.crm.objects.meetings", 200, "hs_meeting_title"),
    "tasks": ("hubspot.crm.objects.tasks", 204, "hs_task_subject"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_log_read_update_and_associate_each_activity_type(hubspot, unique, kind):
    module_name, type_id, body = KINDS[kind]
    module = importlib.import_module(module_name)
    api = getattr(hubspot.crm.objects, kind)
    contact = hubspot.crm.contacts.basic_api.create(ContactInput(properties={"email": f"{kind}.{unique}@example.com"})).id
    created = api.basic_api.create(module.SimplePublicObjectInputForCreate(
        properties={body: f"About {unique}", "hs_timestamp": "2026-11-20T09:30:00.000Z"},
        associations=[module.PublicAssociationsForObject(
            to=module.PublicObjectId(id=contact),
            types=[module.AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=type_id)])]))
    assert created.properties[body] == f"About {unique}"
    assert created.properties["hs_timestamp"].startswith("2026-11-20T09:30:00")
    read = api.basic_api.get_by_id(created.id, properties=[body], associations=["contacts"])
    assert read.associations["contacts"].results[0].id == contact
    updated = api.basic_api.update(created.id, module.SimplePublicObjectInput(properties={body: f"Changed {unique}"}))
    assert updated.properties[body] == f"Changed {unique}"
    linked = hubspot.crm.associations.v4.basic_api.get_page("contacts", contact, kind)
    assert [str(r.to_object_id) for r in linked.results] == [created.id]
    assert type_id - 1 in [t.type_id for t in linked.results[0].association_types]  # the contact-to-activity inverse


def test_a_task_missing_its_date_is_refused_with_the_field_named(hubspot, unique):
    from hubspot.crm.objects.tasks import ApiException, SimplePublicObjectInputForCreate

    with pytest.raises(ApiException) as caught:
        hubspot.crm.objects.tasks.basic_api.create(SimplePublicObjectInputForCreate(
            properties={"hs_task_subject": unique, "hs_timestamp": "next tuesday"}))
    assert caught.value.status == 400 and "hs_timestamp" in caught.value.body


def test_associate_an_existing_note_with_v4(hubspot, unique):
    from hubspot.crm.objects.notes import SimplePublicObjectInputForCreate

    contact = hubspot.crm.contacts.basic_api.create(ContactInput(properties={"email": f"v4.{unique}@example.com"})).id
    note = hubspot.crm.objects.notes.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"hs_note_body": unique, "hs_timestamp": "2026-11-20T09:30:00Z"})).id
    hubspot.crm.associations.v4.basic_api.create("notes", note, "contacts", contact,
                                                [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=202)])
    assert [str(r.to_object_id) for r in hubspot.crm.associations.v4.basic_api.get_page("contacts", contact, "notes").results] == [note]
