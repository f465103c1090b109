"""Custom object schemas through HubSpot's own SDK against a live server, and records of the
objects they define."""

import json

import pytest
from hubspot import HubSpot
from hubspot.crm.objects import ApiException as ObjectsError
from hubspot.crm.objects import (
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.properties import PropertyCreate
from hubspot.crm.schemas import (
    ApiException,
    ObjectSchemaEgg,
    ObjectTypeDefinitionLabels,
    ObjectTypeDefinitionPatch,
    ObjectTypePropertyCreate,
    OptionInput,
)


def body_of(error: pytest.ExceptionInfo) -> dict:
    return json.loads(error.value.body)


def egg(name: str, **changes) -> ObjectSchemaEgg:
    fields = dict(
        name=name,
        labels=ObjectTypeDefinitionLabels(singular="Car", plural="Cars"),
        description="Cars we sell",
        primary_display_property="model",
        secondary_display_properties=["colour"],
        required_properties=["model"],
        searchable_properties=["model", "vin"],
        associated_objects=["CONTACT", "companies"],
        properties=[
            ObjectTypePropertyCreate(name="model", label="Model", type="string", field_type="text"),
            ObjectTypePropertyCreate(name="vin", label="VIN", type="string", field_type="text", has_unique_value=True),
            ObjectTypePropertyCreate(name="year", label="Year", type="number", field_type="number",
                                     number_display_hint="unformatted"),
            ObjectTypePropertyCreate(name="colour", label="Colour", type="enumeration", field_type="radio", options=[
                OptionInput(label="Red", value="red", hidden=False), OptionInput(label="Black", value="black", hidden=False)]),
        ],
    )
    fields.update(changes)
    return ObjectSchemaEgg(**fields)


@pytest.fixture
def cars(hubspot, unique):
    return hubspot.crm.schemas.core_api.create(egg(f"cars_{unique}"))


def test_create_a_custom_object(cars, unique):
    assert cars.name == f"cars_{unique}" and cars.object_type_id.startswith("2-")
    assert cars.fully_qualified_name == f"p_cars_{unique}"
    assert (cars.labels.singular, cars.labels.plural, cars.description) == ("Car", "Cars", "Cars we sell")
    assert cars.primary_display_property == "model" and cars.secondary_display_properties == ["colour"]
    assert cars.required_properties == ["model"]
    assert set(cars.searchable_properties) == {"model", "vin"}
    by_name = {p.name: p for p in cars.properties}
    assert {"model", "vin", "year", "colour", "hs_object_id", "createdate"} <= set(by_name)
    assert by_name["vin"].has_unique_value is True and by_name["colour"].field_type == "radio"
    assert by_name["hs_object_id"].hubspot_defined is True and by_name["model"].hubspot_defined is False
    assert by_name["model"].group_name == f"cars_{unique}_information"
    assert {(a.from_object_type_id, a.to_object_type_id) for a in cars.associations} == {(cars.object_type_id, "0-1"),
                                                                                       (cars.object_type_id, "0-2")}
    assert cars.archived is False and cars.created_at is not None


def test_read_a_schema_by_id_name_or_fully_qualified_name(hubspot, cars):
    core = hubspot.crm.schemas.core_api
    for key in (cars.object_type_id, cars.name, cars.fully_qualified_name):
        assert core.get_by_id(key).to_dict() == cars.to_dict()
    assert cars.object_type_id in [s.object_type_id for s in core.get_all().results]
    assert all(s.object_type_id.startswith("2-") for s in core.get_all().results)


def test_records_of_a_custom_object(hubspot, cars, unique):
    objects = hubspot.crm.objects
    created = objects.basic_api.create(cars.object_type_id, SimplePublicObjectInputForCreate(
        properties={"model": f"Model {unique}", "vin": f"VIN{unique}", "year": "1967", "colour": "red"}))
    assert created.properties["model"] == f"Model {unique}"
    read = objects.basic_api.get_by_id(cars.name, created.id, properties=["model", "year", "colour"])
    assert (read.properties["year"], read.properties["colour"]) == ("1967", "red")
    assert objects.basic_api.get_by_id(cars.fully_qualified_name, created.id).id == created.id
    objects.basic_api.create(cars.object_type_id, SimplePublicObjectInputForCreate(properties={"model": "Other", "year": "2001"}))

    found = objects.search_api.do_search(cars.object_type_id, PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "year", "operator": "LT", "value": "2000"}]}], properties=["model"]))
    assert found.total == 1 and found.results[0].properties["model"] == f"Model {unique}"
    text = objects.search_api.do_search(cars.name, PublicObjectSearchRequest(query=unique, properties=["model"]))
    assert [r.id for r in text.results] == [created.id]

    with pytest.raises(ObjectsError) as required:
        objects.basic_api.create(cars.object_type_id, SimplePublicObjectInputForCreate(properties={"year": "1990"}))
    assert required.value.status == 400
    with pytest.raises(ObjectsError) as duplicate:
        objects.basic_api.create(cars.object_type_id, SimplePublicObjectInputForCreate(
            properties={"model": "Copy", "vin": f"VIN{unique}"}))
    assert duplicate.value.status == 409


def test_properties_api_on_a_custom_object(hubspot, cars):
    made = hubspot.crm.properties.core_api.create(cars.object_type_id, PropertyCreate(
        name="mileage", label="Mileage", type="number", field_type="number", group_name=f"{cars.name}_information"))
    assert made.name == "mileage"
    assert "mileage" in [p.name for p in hubspot.crm.properties.core_api.get_all(cars.fully_qualified_name).results]
    assert "mileage" in [p.name for p in hubspot.crm.schemas.core_api.get_by_id(cars.object_type_id).properties]
    record = hubspot.crm.objects.basic_api.create(cars.name, SimplePublicObjectInputForCreate(
        properties={"model": "T", "mileage": "120000"}))
    assert record.properties["mileage"] == "120000"


def test_update_a_schema(hubspot, cars):
    core = hubspot.crm.schemas.core_api
    updated = core.update(cars.object_type_id, ObjectTypeDefinitionPatch(
        labels=ObjectTypeDefinitionLabels(singular="Vehicle", plural="Vehicles"), primary_display_property="vin",
        secondary_display_properties=["model", "year"], required_properties=["model", "vin"],
        searchable_properties=["vin"], description="All vehicles"))
    assert (updated.labels.singular, updated.labels.plural, updated.description) == ("Vehicle", "Vehicles", "All vehicles")
    assert updated.primary_display_property == "vin" and updated.secondary_display_properties == ["model", "year"]
    assert set(updated.required_properties) == {"model", "vin"} and updated.searchable_properties == ["vin"]
    assert not hasattr(updated, "properties")  # PATCH answers HubSpot's ObjectTypeDefinition
    read = core.get_by_id(cars.name).to_dict()
    assert {key: read[key] for key in updated.to_dict() if key in read} == {k: v for k, v in updated.to_dict().items() if k in read}
    with pytest.raises(ObjectsError) as required:
        hubspot.crm.objects.basic_api.create(cars.object_type_id, SimplePublicObjectInputForCreate(properties={"model": "No VIN"}))
    assert required.value.status == 400

    cleared = core.update(cars.name, ObjectTypeDefinitionPatch(clear_description=True))
    assert not cleared.description and cleared.labels.singular == "Vehicle"
    with pytest.raises(ApiException) as unknown:
        core.update(cars.name, ObjectTypeDefinitionPatch(required_properties=["wheels"]))
    assert unknown.value.status == 400 and body_of(unknown)["errors"][0]["in"] == "requiredProperties"
    with pytest.raises(ApiException) as bad_primary:
        core.update(cars.name, ObjectTypeDefinitionPatch(primary_display_property="wheels"))
    assert bad_primary.value.status == 400
    assert set(core.get_by_id(cars.name).required_properties) == {"model", "vin"}


def test_archive_is_refused_while_records_exist(hubspot, cars):
    core, objects = hubspot.crm.schemas.core_api, hubspot.crm.objects
    record = objects.basic_api.create(cars.object_type_id, SimplePublicObjectInputForCreate(properties={"model": "Last"}))
    with pytest.raises(ApiException) as refused:
        core.archive(cars.object_type_id)
    body = body_of(refused)
    assert refused.value.status == 400 and body["errors"][0]["code"] == "OBJECT_TYPE_IN_USE"
    assert "record" in body["message"]
    objects.basic_api.archive(cars.object_type_id, record.id)
    core.archive(cars.object_type_id)
    with pytest.raises(ApiException) as gone:
        core.get_by_id(cars.object_type_id)
    assert gone.value.status == 404
    assert cars.object_type_id not in [s.object_type_id for s in core.get_all().results]
    assert cars.object_type_id in [s.object_type_id for s in core.get_all(archived=True).results]
    with pytest.raises(ObjectsError) as no_records:
        objects.basic_api.create(cars.object_type_id, SimplePublicObjectInputForCreate(properties={"model": "After"}))
    assert no_records.value.status == 404


def test_schema_errors(hubspot, cars, unique):
    core = hubspot.crm.schemas.core_api
    with pytest.raises(ApiException) as duplicate:
        core.create(egg(cars.name))
    assert duplicate.value.status == 409
    with pytest.raises(ApiException) as bad_field_type:
        core.create(egg(f"bikes_{unique}", secondary_display_properties=[], searchable_properties=[], properties=[
            ObjectTypePropertyCreate(name="model", label="Model", type="string", field_type="number")]))
    assert bad_field_type.value.status == 400 and body_of(bad_field_type)["errors"][0]["in"] == "fieldType"
    with pytest.raises(ApiException) as unknown_association:
        core.create(egg(f"boats_{unique}", associated_objects=["spaceships"]))
    assert unknown_association.value.status == 400 and body_of(unknown_association)["errors"][0]["in"] == "associatedObjects"
    with pytest.raises(ApiException) as unknown_required:
        core.create(egg(f"vans_{unique}", required_properties=["wheels"]))
    assert unknown_required.value.status == 400 and body_of(unknown_required)["errors"][0]["in"] == "requiredProperties"
    for key in (f"planes_{unique}", "contacts", "0-1"):
        with pytest.raises(ApiException) as missing:
            core.get_by_id(key)
        assert missing.value.status == 404, key
    with pytest.raises(ApiException) as standard:
        core.archive("contacts")
    assert standard.value.status == 404
    assert [s for s in core.get_all().results if s.name in (f"bikes_{unique}", f"boats_{unique}", f"vans_{unique}")] == []


def test_schema_scopes(server, cars, unique):
    nothing = HubSpot(access_token=server.token_with("crm.objects.custom.write"), host=server.url)
    with pytest.raises(ApiException) as no_read:
        nothing.crm.schemas.core_api.get_all()
    assert no_read.value.status == 403 and body_of(no_read)["category"] == "MISSING_SCOPES"
    reader = HubSpot(access_token=server.token_with("crm.schemas.custom.read"), host=server.url)
    assert reader.crm.schemas.core_api.get_by_id(cars.object_type_id).name == cars.name
    for call in (lambda: reader.crm.schemas.core_api.create(egg(f"trucks_{unique}")),
                 lambda: reader.crm.schemas.core_api.update(cars.name, ObjectTypeDefinitionPatch(description="x")),
                 lambda: reader.crm.schemas.core_api.archive(cars.name)):
        with pytest.raises(ApiException) as no_write:
            call()
        assert no_write.value.status == 403
        assert body_of(no_write)["errors"][0]["context"]["requiredGranularScopes"] == ["crm.schemas.custom.write"]
    # Property definitions of a custom object: read with the object's scope, written with the schema scope.
    assert nothing.crm.properties.core_api.get_by_name(cars.object_type_id, "model").name == "model"
    from hubspot.crm.properties import ApiException as PropertiesError

    with pytest.raises(PropertiesError) as no_property_write:
        nothing.crm.properties.core_api.create(cars.object_type_id, PropertyCreate(
            name="doors", label="Doors", type="number", field_type="number", group_name=f"{cars.name}_information"))
    assert no_property_write.value.status == 403
    writer = HubSpot(access_token=server.token_with("crm.schemas.custom.write"), host=server.url)
    assert writer.crm.properties.core_api.create(cars.object_type_id, PropertyCreate(
        name="doors", label="Doors", type="number", field_type="number", group_name=f"{cars.name}_information")).name == "doors"


def test_records_survive_a_label_change(hubspot, cars):
    record = hubspot.crm.objects.basic_api.create(cars.object_type_id, SimplePublicObjectInputForCreate(properties={"model": "A"}))
    hubspot.crm.schemas.core_api.update(cars.object_type_id, ObjectTypeDefinitionPatch(
        labels=ObjectTypeDefinitionLabels(singular="Auto", plural="Autos")))
    updated = hubspot.crm.objects.basic_api.update(cars.name, record.id, SimplePublicObjectInput(properties={"colour": "black"}))
    assert updated.properties["colour"] == "black"


# --- the services these endpoints added, directly ----------------------------------------------------


@pytest.fixture
def boats(db):
    from scheda.objects import services

    return services.create_object_type(name="boats", singular="Boat", plural="Boats", primary_display_property="hull",
                                       properties=[{"name": "hull", "label": "Hull", "type": "string", "field_type": "text"},
                                                   {"name": "berth", "label": "Berth", "type": "string", "field_type": "text"}])


@pytest.mark.parametrize("key", ["boats", "boat", "p_boats", "p12345_boats", "P_BOATS"])
def test_get_object_type_takes_the_fully_qualified_name(boats, key):
    from scheda.objects import services

    assert services.get_object_type(key) == boats
    assert services.fully_qualified_name(boats) == "p_boats"
    assert services.load_schema(key).object_type == boats


def test_set_property_roles(boats):
    from scheda.errors import ValidationFailed
    from scheda.objects import services

    services.set_property_roles(boats, required=["berth"])
    schema = services.load_schema(boats)
    assert schema.required == ["berth"] and "hull" in schema.searchable
    services.set_property_roles(boats, searchable=["berth"])
    assert services.load_schema(boats).searchable == ["berth"]
    with pytest.raises(ValidationFailed):
        services.set_property_roles(boats, required=["mast"])
    assert services.load_schema(boats).required == ["berth"]


def test_archive_object_type(boats, author):
    from scheda.errors import NotFound, ValidationFailed
    from scheda.objects import services
    from scheda.records import services as records

    with pytest.raises(ValidationFailed):
        services.archive_object_type(services.get_object_type("contacts"))
    record = records.create_record(boats, {"hull": "H1"}, author)
    with pytest.raises(ValidationFailed) as refused:
        services.archive_object_type(boats)
    assert refused.value.errors[0].code == "OBJECT_TYPE_IN_USE"
    records.archive_records(boats, [record.pk], author)
    assert services.archive_object_type(boats).archived is True
    with pytest.raises(NotFound):
        services.get_object_type("p_boats")


def test_update_and_archive_groups(boats):
    from scheda.errors import NotFound, ValidationFailed
    from scheda.objects import services

    group = services.create_group(boats, "rigging", "Rigging")
    assert services.update_group(group, label="Sails", display_order=3).label == "Sails"
    with pytest.raises(ValidationFailed):
        services.update_group(group, label=" ")
    with pytest.raises(ValidationFailed):
        services.archive_group(services.get_group(boats, "boats_information"))
    services.archive_group(group)
    with pytest.raises(NotFound):
        services.get_group(boats, "rigging")
