"""Property definitions and groups through HubSpot's own SDK against a live server."""

import json

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import SimplePublicObjectInputForCreate
from hubspot.crm.properties import (
    ApiException,
    BatchInputPropertyCreate,
    BatchInputPropertyName,
    BatchReadInputPropertyName,
    OptionInput,
    PropertyCreate,
    PropertyGroupCreate,
    PropertyGroupUpdate,
    PropertyName,
    PropertyUpdate,
)


def body_of(error: pytest.ExceptionInfo) -> dict:
    return json.loads(error.value.body)


def colours(name: str, group: str = "contactinformation") -> PropertyCreate:
    return PropertyCreate(name=name, label="Favourite colour", type="enumeration", field_type="select",
                          group_name=group, description="Which one", options=[
                              OptionInput(label="Red", value="red", hidden=False, display_order=0),
                              OptionInput(label="Blue", value="blue", hidden=False, display_order=1)])


def test_create_read_update_archive_a_property(hubspot, unique):
    core = hubspot.crm.properties.core_api
    name = f"colour_{unique}"
    created = core.create("contacts", colours(name))
    assert (created.name, created.type, created.field_type, created.group_name) == (name, "enumeration", "select", "contactinformation")
    assert [(o.value, o.label, o.display_order, o.hidden) for o in created.options] == [("red", "Red", 0, False), ("blue", "Blue", 1, False)]
    assert created.hubspot_defined is False and created.archived is False and created.created_at is not None
    assert created.modification_metadata.archivable is True and created.modification_metadata.read_only_definition is False
    assert created.description == "Which one"

    read = core.get_by_name("contacts", name)
    assert read.to_dict() == created.to_dict()
    assert name in [p.name for p in core.get_all("contacts").results]

    updated = core.update("contacts", name, PropertyUpdate(label="Colour", options=[
        OptionInput(label="Red", value="red", hidden=False), OptionInput(label="Green", value="green", hidden=True)]))
    assert updated.label == "Colour"
    assert [(o.value, o.hidden) for o in updated.options] == [("red", False), ("green", True)]

    core.archive("contacts", name)
    with pytest.raises(ApiException) as missing:
        core.get_by_name("contacts", name)
    assert missing.value.status == 404 and body_of(missing)["category"] == "OBJECT_NOT_FOUND"
    archived = core.get_by_name("contacts", name, archived=True)
    assert archived.archived is True and archived.archived_at is not None
    assert name not in [p.name for p in core.get_all("contacts").results]
    assert name in [p.name for p in core.get_all("contacts", archived=True).results]


def test_standard_properties_are_listed_as_hubspot_defines_them(hubspot):
    email = hubspot.crm.properties.core_api.get_by_name("contacts", "email")
    assert (email.type, email.field_type, email.hubspot_defined) == ("string", "text", True)
    assert email.modification_metadata.archivable is False and email.modification_metadata.read_only_definition is True
    object_id = hubspot.crm.properties.core_api.get_by_name("0-1", "hs_object_id")
    assert object_id.modification_metadata.read_only_value is True and object_id.has_unique_value is True


def test_a_new_property_takes_values_on_records(hubspot, unique):
    name = f"shoe_{unique}"
    hubspot.crm.properties.core_api.create("contacts", PropertyCreate(
        name=name, label="Shoe size", type="number", field_type="number", group_name="contactinformation"))
    contact = hubspot.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties={name: "42.5"}))
    assert hubspot.crm.contacts.basic_api.get_by_id(contact.id, properties=[name]).properties[name] == "42.5"


def test_a_unique_property_refuses_duplicate_values(hubspot, unique):
    name = f"badge_{unique}"
    created = hubspot.crm.properties.core_api.create("companies", PropertyCreate(
        name=name, label="Badge", type="string", field_type="text", group_name="companyinformation", has_unique_value=True))
    assert created.has_unique_value is True
    hubspot.crm.companies.basic_api.create({"properties": {name: "b-1"}})
    from hubspot.crm.companies import ApiException as CompaniesError

    with pytest.raises(CompaniesError) as conflict:
        hubspot.crm.companies.basic_api.create({"properties": {name: "b-1"}})
    assert conflict.value.status == 409


def test_a_wrong_field_type_is_a_400_naming_field_type(hubspot, unique):
    with pytest.raises(ApiException) as bad:
        hubspot.crm.properties.core_api.create("contacts", PropertyCreate(
            name=f"bad_{unique}", label="Bad", type="number", field_type="text", group_name="contactinformation"))
    body = body_of(bad)
    assert bad.value.status == 400 and body["category"] == "VALIDATION_ERROR"
    assert body["errors"][0]["in"] == "fieldType" and body["errors"][0]["code"] == "INVALID_FIELD_TYPE"


def test_an_enumeration_without_options_and_an_unknown_group_are_400(hubspot, unique):
    core = hubspot.crm.properties.core_api
    with pytest.raises(ApiException) as no_options:
        core.create("contacts", PropertyCreate(name=f"e_{unique}", label="E", type="enumeration", field_type="select",
                                               group_name="contactinformation"))
    assert no_options.value.status == 400 and body_of(no_options)["errors"][0]["in"] == "options"
    with pytest.raises(ApiException) as no_group:
        core.create("contacts", PropertyCreate(name=f"g_{unique}", label="G", type="string", field_type="text",
                                               group_name=f"nowhere_{unique}"))
    assert no_group.value.status == 400 and body_of(no_group)["errors"][0]["in"] == "groupName"


def test_a_missing_required_field_is_a_400(server, unique):
    status, _, body = server.call("POST", "/crm/v3/properties/contacts", {"name": f"x_{unique}", "type": "string"})
    assert status == 400 and body["category"] == "VALIDATION_ERROR"
    assert {e["in"] for e in body["errors"]} == {"label", "fieldType"}


def test_a_duplicate_name_is_a_409(hubspot, unique):
    core = hubspot.crm.properties.core_api
    core.create("deals", PropertyCreate(name=f"dup_{unique}", label="Dup", type="string", field_type="text", group_name="dealinformation"))
    with pytest.raises(ApiException) as conflict:
        core.create("deals", PropertyCreate(name=f"dup_{unique}", label="Dup", type="string", field_type="text", group_name="dealinformation"))
    assert conflict.value.status == 409 and body_of(conflict)["category"] == "CONFLICT"
    with pytest.raises(ApiException) as system:
        core.create("deals", PropertyCreate(name="dealname", label="Again", type="string", field_type="text", group_name="dealinformation"))
    assert system.value.status == 409


def test_an_unknown_object_type_or_property_is_a_404(hubspot, unique):
    core = hubspot.crm.properties.core_api
    with pytest.raises(ApiException) as no_type:
        core.get_all(f"widgets_{unique}")
    assert no_type.value.status == 404 and body_of(no_type)["errors"][0]["in"] == "objectType"
    with pytest.raises(ApiException) as no_property:
        core.get_by_name("contacts", f"nothing_{unique}")
    assert no_property.value.status == 404 and body_of(no_property)["errors"][0]["in"] == "propertyName"
    with pytest.raises(ApiException) as no_update:
        core.update("contacts", f"nothing_{unique}", PropertyUpdate(label="X"))
    assert no_update.value.status == 404


def test_archiving_a_hubspot_defined_property_is_a_400(hubspot):
    with pytest.raises(ApiException) as refused:
        hubspot.crm.properties.core_api.archive("contacts", "email")
    assert refused.value.status == 400 and body_of(refused)["errors"][0]["code"] == "READ_ONLY_DEFINITION"
    assert hubspot.crm.properties.core_api.get_by_name("contacts", "email").archived is False


def test_a_system_property_takes_a_new_label_but_not_a_new_type(hubspot):
    core = hubspot.crm.properties.core_api
    before = core.get_by_name("tickets", "subject")
    renamed = core.update("tickets", "subject", PropertyUpdate(label="Ticket subject", type=before.type, field_type=before.field_type))
    assert renamed.label == "Ticket subject"
    core.update("tickets", "subject", PropertyUpdate(label=before.label))
    with pytest.raises(ApiException) as refused:
        core.update("tickets", "subject", PropertyUpdate(type="string", field_type="textarea"))
    assert refused.value.status == 400


def test_a_system_property_keeps_its_format(server):
    status, _, body = server.call("PATCH", "/crm/v3/properties/contacts/firstname", {"textDisplayHint": "email"})
    assert status == 400 and body["errors"][0]["code"] == "READ_ONLY_DEFINITION"
    status, _, body = server.call("PATCH", "/crm/v3/properties/contacts/email", {"textDisplayHint": "email"})
    assert status == 200 and body["textDisplayHint"] == "email"


def test_missing_scopes_are_a_403(server, unique):
    reader = HubSpot(access_token=server.token_with("crm.objects.contacts.read"), host=server.url)
    assert reader.crm.properties.core_api.get_by_name("contacts", "email").name == "email"
    with pytest.raises(ApiException) as no_write:
        reader.crm.properties.core_api.create("contacts", PropertyCreate(
            name=f"s_{unique}", label="S", type="string", field_type="text", group_name="contactinformation"))
    body = body_of(no_write)
    assert no_write.value.status == 403 and body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.schemas.contacts.write"]
    with pytest.raises(ApiException) as no_read:
        reader.crm.properties.core_api.get_all("companies")
    assert no_read.value.status == 403

    schema_writer = HubSpot(access_token=server.token_with("crm.schemas.contacts.write"), host=server.url)
    made = schema_writer.crm.properties.core_api.create("contacts", PropertyCreate(
        name=f"s_{unique}", label="S", type="string", field_type="text", group_name="contactinformation"))
    assert made.name == f"s_{unique}"
    with pytest.raises(ApiException) as other_object:
        schema_writer.crm.properties.core_api.create("deals", PropertyCreate(
            name=f"s_{unique}", label="S", type="string", field_type="text", group_name="dealinformation"))
    assert other_object.value.status == 403


def test_batch_create_read_and_archive(hubspot, unique):
    batch = hubspot.crm.properties.batch_api
    names = [f"b{i}_{unique}" for i in range(3)]
    created = batch.create("companies", BatchInputPropertyCreate(inputs=[
        PropertyCreate(name=n, label=n.upper(), type="string", field_type="text", group_name="companyinformation") for n in names]))
    assert created.status == "COMPLETE" and sorted(p.name for p in created.results) == names

    partly = batch.create("companies", BatchInputPropertyCreate(inputs=[
        PropertyCreate(name=f"b9_{unique}", label="Fine", type="bool", field_type="booleancheckbox", group_name="companyinformation"),
        PropertyCreate(name=names[0], label="Again", type="string", field_type="text", group_name="companyinformation")]))
    assert [p.name for p in partly.results] == [f"b9_{unique}"]
    assert partly.num_errors == 1 and partly.errors[0].category == "CONFLICT"
    assert partly.errors[0].context == {"name": [names[0]]}
    assert (partly.errors[0].errors[0]._in, partly.errors[0].errors[0].code) == ("name", "PROPERTY_EXISTS")

    read = batch.read("companies", BatchReadInputPropertyName(archived=False, inputs=[PropertyName(name=n) for n in names]))
    assert sorted(p.name for p in read.results) == names and not getattr(read, "errors", None)
    missing = batch.read("companies", BatchReadInputPropertyName(archived=False, inputs=[
        PropertyName(name=names[0]), PropertyName(name=f"none_{unique}")]))
    assert [p.name for p in missing.results] == [names[0]]
    assert missing.num_errors == 1 and missing.errors[0].context == {"name": [f"none_{unique}"]}

    batch.archive("companies", BatchInputPropertyName(inputs=[PropertyName(name=n) for n in names[:2]]))
    archived = batch.read("companies", BatchReadInputPropertyName(archived=True, inputs=[PropertyName(name=n) for n in names]))
    assert sorted(p.name for p in archived.results) == names[:2]


def test_batch_archive_is_all_or_nothing(hubspot, unique):
    core, batch = hubspot.crm.properties.core_api, hubspot.crm.properties.batch_api
    core.create("contacts", PropertyCreate(name=f"keep_{unique}", label="Keep", type="string", field_type="text",
                                           group_name="contactinformation"))
    with pytest.raises(ApiException) as refused:
        batch.archive("contacts", BatchInputPropertyName(inputs=[PropertyName(name=f"keep_{unique}"), PropertyName(name="email")]))
    assert refused.value.status == 400
    with pytest.raises(ApiException) as unknown:
        batch.archive("contacts", BatchInputPropertyName(inputs=[PropertyName(name=f"keep_{unique}"), PropertyName(name=f"no_{unique}")]))
    assert unknown.value.status == 404
    assert core.get_by_name("contacts", f"keep_{unique}").archived is False


def test_property_groups(hubspot, unique):
    groups, core = hubspot.crm.properties.groups_api, hubspot.crm.properties.core_api
    name = f"grp_{unique}"
    created = groups.create("deals", PropertyGroupCreate(name=name, label="My group", display_order=7))
    assert (created.name, created.label, created.display_order, created.archived) == (name, "My group", 7, False)
    assert groups.get_by_name("deals", name).to_dict() == created.to_dict()
    assert name in [g.name for g in groups.get_all("deals").results]
    assert "dealinformation" in [g.name for g in groups.get_all("0-3").results]

    updated = groups.update("deals", name, PropertyGroupUpdate(label="Renamed", display_order=2))
    assert (updated.label, updated.display_order) == ("Renamed", 2)

    with pytest.raises(ApiException) as duplicate:
        groups.create("deals", PropertyGroupCreate(name=name, label="Again"))
    assert duplicate.value.status == 409

    core.create("deals", PropertyCreate(name=f"in_{unique}", label="In", type="string", field_type="text", group_name=name))
    with pytest.raises(ApiException) as not_empty:
        groups.archive("deals", name)
    assert not_empty.value.status == 400 and body_of(not_empty)["errors"][0]["code"] == "GROUP_NOT_EMPTY"
    moved = core.update("deals", f"in_{unique}", PropertyUpdate(group_name="dealinformation"))
    assert moved.group_name == "dealinformation"
    groups.archive("deals", name)
    with pytest.raises(ApiException) as gone:
        groups.get_by_name("deals", name)
    assert gone.value.status == 404
    assert name not in [g.name for g in groups.get_all("deals").results]


def test_group_errors(hubspot, server, unique):
    groups = hubspot.crm.properties.groups_api
    with pytest.raises(ApiException) as bad_name:
        groups.create("contacts", PropertyGroupCreate(name="Not A Name", label="X"))
    assert bad_name.value.status == 400 and body_of(bad_name)["errors"][0]["in"] == "name"
    with pytest.raises(ApiException) as unknown:
        groups.update("contacts", f"none_{unique}", PropertyGroupUpdate(label="X"))
    assert unknown.value.status == 404
    reader = HubSpot(access_token=server.token_with("crm.schemas.contacts.read"), host=server.url)
    assert reader.crm.properties.groups_api.get_by_name("contacts", "contactinformation").name == "contactinformation"
    with pytest.raises(ApiException) as no_scope:
        reader.crm.properties.groups_api.create("contacts", PropertyGroupCreate(name=f"g_{unique}", label="G"))
    assert no_scope.value.status == 403


def test_display_hints_round_trip(server, unique):
    status, _, body = server.call("POST", "/crm/v3/properties/deals", {
        "name": f"fee_{unique}", "label": "Fee", "type": "number", "fieldType": "number", "groupName": "dealinformation",
        "showCurrencySymbol": True, "formField": True})
    assert status == 201, body
    assert body["showCurrencySymbol"] is True and body["numberDisplayHint"] == "currency"
    status, _, body = server.call("POST", "/crm/v3/properties/contacts", {
        "name": f"mail_{unique}", "label": "Mail", "type": "string", "fieldType": "text", "groupName": "contactinformation",
        "textDisplayHint": "email"})
    assert status == 201 and body["textDisplayHint"] == "email"
    status, _, body = server.call("POST", "/crm/v3/properties/contacts", {
        "name": f"hint_{unique}", "label": "Hint", "type": "number", "fieldType": "number", "groupName": "contactinformation",
        "numberDisplayHint": "sideways"})
    assert status == 400 and body["errors"][0]["in"] == "numberDisplayHint"
    status, _, body = server.call("POST", "/crm/v3/properties/contacts", {
        "name": f"calc_{unique}", "label": "Calc", "type": "number", "fieldType": "calculation_equation",
        "groupName": "contactinformation", "calculationFormula": "1 + 1"})
    assert status == 400 and body["errors"][0]["in"] == "calculationFormula"


def test_openapi_lists_the_property_and_schema_paths(server):
    status, _, spec = server.call("GET", "/api/openapi.json", anonymous=True)
    assert status == 200
    paths = spec["paths"]
    for path, methods in {
        "/crm/v3/properties/{object_type}": {"get", "post"},
        "/crm/v3/properties/{object_type}/{property_name}": {"get", "patch", "delete"},
        "/crm/v3/properties/{object_type}/batch/create": {"post"},
        "/crm/v3/properties/{object_type}/batch/read": {"post"},
        "/crm/v3/properties/{object_type}/batch/archive": {"post"},
        "/crm/v3/properties/{object_type}/groups": {"get", "post"},
        "/crm/v3/properties/{object_type}/groups/{group_name}": {"get", "patch", "delete"},
        "/crm-object-schemas/v3/schemas": {"get", "post"},
        "/crm-object-schemas/v3/schemas/{object_type}": {"get", "patch", "delete"},
    }.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            assert {"400", "403", "404"} <= set(paths[path][method]["responses"]), (path, method)
