"""Writers of the schema: property definitions and custom object types."""

import pytest
from django.db import connection

from scheda.errors import Conflict, NotFound, ValidationFailed
from scheda.objects import services
from scheda.objects.models import ObjectType, PropertyDefinition
from scheda.records import search, storage
from scheda.records import services as records
from scheda.records.models import Record

pytestmark = pytest.mark.django_db

COLOURS = [{"label": "Red", "value": "red"}, {"label": "Blue", "value": "blue"}]


def index_of(prop: PropertyDefinition) -> str | None:
    """The SQL of the property's index, or None when it has none."""
    name = storage.index_name(prop)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        else:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", [name]
            )
        row = cursor.fetchone()
    return row[0] if row else None


@pytest.fixture
def contacts():
    return services.get_object_type("contacts")


def error_codes(exc) -> list[str]:
    return [e.code for e in exc.value.errors]


# --- object types ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["contacts", "0-1", "contact", "Contacts", " CONTACT "])
def test_get_object_type_contacts(key):
    assert services.get_object_type(key).object_type_id == "0-1"


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("company", "companies"),
        ("companies", "companies"),
        ("0-2", "companies"),
        ("deal", "deals"),
        ("ticket", "tickets"),
        ("line_item", "line_items"),
        ("note", "notes"),
        ("0-46", "notes"),
    ],
)
def test_get_object_type_by_name_id_or_singular(key, name):
    assert services.get_object_type(key).name == name


@pytest.mark.parametrize("key", ["widgets", "0-999", "", "contactss"])
def test_get_object_type_unknown(key):
    with pytest.raises(NotFound) as caught:
        services.get_object_type(key)
    assert error_codes(caught) == ["UNKNOWN_OBJECT_TYPE"]


def test_load_schema_by_any_key():
    for key in ("contacts", "0-1", "contact"):
        schema = services.load_schema(key)
        assert schema.object_type.name == "contacts"
        assert {"email", "firstname", "hs_object_id"} <= schema.properties.keys()
        assert "email" in schema.unique and "hs_object_id" not in schema.unique
        assert {"email", "firstname", "lastname"} <= set(schema.searchable)
    assert services.load_schema("company").object_type.name == "companies"


@pytest.mark.parametrize("key", ["widgets", "0-999", "con\x00tacts", "p_widgets"])
def test_load_schema_of_an_unknown_type(key):
    """The API's paths name the type: whatever they hold is HubSpot's 404, never a database error."""
    with pytest.raises(NotFound) as caught:
        services.load_schema(key)
    assert error_codes(caught) == ["UNKNOWN_OBJECT_TYPE"]


# --- create_property ------------------------------------------------------------------------


def test_create_property(contacts):
    prop = services.create_property(
        contacts,
        {
            "name": "favourite_colour",
            "label": "Favourite colour",
            "type": "enumeration",
            "field_type": "select",
            "options": COLOURS,
        },
    )
    prop.refresh_from_db()
    assert prop.group_name == "contactinformation"  # the first group when none is named
    assert prop.options == [
        {"label": "Red", "value": "red", "displayOrder": 0, "hidden": False, "description": ""},
        {"label": "Blue", "value": "blue", "displayOrder": 1, "hidden": False, "description": ""},
    ]
    assert not prop.hubspot_defined
    assert "favourite_colour" in services.load_schema("contacts").properties
    created = index_of(prop)
    assert created is not None and "favourite_colour" in created and "UNIQUE" not in created.upper()
    record = records.create_record("contacts", {"favourite_colour": "blue"}, records.Author())
    assert record.properties == {"favourite_colour": "blue"}


@pytest.mark.parametrize(
    "name",
    [
        "Colour",
        "1colour",
        "_colour",
        "colour-name",
        "colour name",
        "colour\n",
        "x" * 101,
        "",
        "colour;drop",
        "côlour",
    ],
)
def test_create_property_name_rules(contacts, name):
    with pytest.raises(ValidationFailed) as caught:
        services.create_property(
            contacts, {"name": name, "label": "L", "type": "string", "field_type": "text"}
        )
    assert "INVALID_PROPERTY_NAME" in error_codes(caught)
    assert not PropertyDefinition.objects.filter(object_type=contacts, name=name).exists()


def test_create_property_longest_name(contacts):
    prop = services.create_property(
        contacts, {"name": "x" * 100, "label": "L", "type": "string", "field_type": "text"}
    )
    assert index_of(prop) is not None


def test_create_property_needs_a_label(contacts):
    with pytest.raises(ValidationFailed) as caught:
        services.create_property(
            contacts, {"name": "nolabel", "type": "string", "field_type": "text"}
        )
    assert error_codes(caught) == ["REQUIRED_FIELD"]


@pytest.mark.parametrize(
    ("type_", "field_type", "code"),
    [
        ("string", "number", "INVALID_FIELD_TYPE"),
        ("number", "text", "INVALID_FIELD_TYPE"),
        ("bool", "select", "INVALID_FIELD_TYPE"),
        ("datetime", "text", "INVALID_FIELD_TYPE"),
        ("date", None, "INVALID_FIELD_TYPE"),
        ("enumeration", "textarea", "INVALID_FIELD_TYPE"),
        ("json", "text", "INVALID_TYPE"),
    ],
)
def test_create_property_type_pairs(contacts, type_, field_type, code):
    with pytest.raises(ValidationFailed) as caught:
        services.create_property(
            contacts,
            {
                "name": "p",
                "label": "P",
                "type": type_,
                "field_type": field_type,
                "options": COLOURS,
            },
        )
    assert error_codes(caught) == [code]
    assert not PropertyDefinition.objects.filter(object_type=contacts, name="p").exists()


@pytest.mark.parametrize(
    ("type_", "field_type"),
    [
        ("string", "text"),
        ("string", "textarea"),
        ("string", "html"),
        ("string", "phonenumber"),
        ("number", "number"),
        ("date", "date"),
        ("datetime", "date"),
        ("bool", "booleancheckbox"),
        ("enumeration", "booleancheckbox"),
        ("phone_number", "phonenumber"),
    ],
)
def test_create_property_valid_pairs(contacts, type_, field_type):
    prop = services.create_property(
        contacts, {"name": "p", "label": "P", "type": type_, "field_type": field_type}
    )
    assert (prop.type, prop.field_type) == (type_, field_type)


def test_create_property_all_errors_at_once(contacts):
    with pytest.raises(ValidationFailed) as caught:
        services.create_property(
            contacts,
            {
                "name": "Bad Name",
                "type": "string",
                "field_type": "date",
                "format": "iban",
                "group_name": "nogroup",
            },
        )
    assert set(error_codes(caught)) == {
        "INVALID_PROPERTY_NAME",
        "REQUIRED_FIELD",
        "INVALID_FIELD_TYPE",
        "INVALID_FORMAT",
        "UNKNOWN_GROUP",
    }


@pytest.mark.parametrize("field_type", ["select", "radio", "checkbox"])
def test_enumeration_needs_options(contacts, field_type):
    with pytest.raises(ValidationFailed) as caught:
        services.create_property(
            contacts,
            {"name": "tier", "label": "Tier", "type": "enumeration", "field_type": field_type},
        )
    assert error_codes(caught) == ["REQUIRED_FIELD"]
    assert caught.value.errors[0].name == "options"


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ([{"label": "A", "value": "a"}, {"label": "A again", "value": "a"}], "DUPLICATE_OPTION"),
        ([{"label": "Empty", "value": ""}], "INVALID_OPTION"),
        ([{"label": "No value"}], "INVALID_OPTION"),
        (["a", "b"], "INVALID_OPTION"),
        ([{"label": "Number", "value": 3}], "INVALID_OPTION"),
    ],
)
def test_bad_options(contacts, options, code):
    with pytest.raises(ValidationFailed) as caught:
        services.create_property(
            contacts,
            {
                "name": "tier",
                "label": "Tier",
                "type": "enumeration",
                "field_type": "select",
                "options": options,
            },
        )
    assert error_codes(caught) == [code]


def test_duplicate_name_is_a_conflict(contacts):
    with pytest.raises(Conflict) as caught:
        services.create_property(
            contacts, {"name": "email", "label": "Email 2", "type": "string", "field_type": "text"}
        )
    assert error_codes(caught) == ["PROPERTY_EXISTS"]
    # The same name on another object type is fine.
    other = services.create_property(
        services.get_object_type("deals"),
        {"name": "jobtitle", "label": "Job", "type": "string", "field_type": "text"},
    )
    assert other.object_type.name == "deals"


def test_duplicate_name_of_an_archived_property_is_a_conflict(contacts):
    prop = services.create_property(
        contacts, {"name": "nickname", "label": "Nickname", "type": "string", "field_type": "text"}
    )
    services.archive_property(prop)
    with pytest.raises(Conflict):
        services.create_property(
            contacts,
            {"name": "nickname", "label": "Nickname", "type": "string", "field_type": "text"},
        )


def test_unknown_group(contacts):
    with pytest.raises(ValidationFailed) as caught:
        services.create_property(
            contacts,
            {
                "name": "p",
                "label": "P",
                "type": "string",
                "field_type": "text",
                "group_name": "dealinformation",
            },
        )
    assert error_codes(caught) == ["UNKNOWN_GROUP"]


def test_unique_property_is_enforced_by_its_index(contacts):
    prop = services.create_property(
        contacts,
        {
            "name": "member_no",
            "label": "Member no",
            "type": "string",
            "field_type": "text",
            "unique": True,
        },
    )
    assert "UNIQUE" in index_of(prop).upper()
    first = records.create_record("contacts", {"member_no": "M-1"}, records.Author())
    with pytest.raises(Conflict) as caught:
        records.create_record("contacts", {"member_no": "M-1"}, records.Author())
    assert caught.value.existing_id == first.pk


# --- update_property ------------------------------------------------------------------------


def test_update_property_label_and_options(contacts, owner):
    prop = services.create_property(
        contacts,
        {
            "name": "tier",
            "label": "Tier",
            "type": "enumeration",
            "field_type": "select",
            "options": COLOURS,
        },
    )
    services.update_property(
        prop,
        {
            "label": "Level",
            "options": [*COLOURS, {"label": "Gold", "value": "gold"}],
            "name": "ignored",
        },
        user=owner,
    )
    prop.refresh_from_db()
    assert prop.label == "Level" and prop.name == "tier"
    assert [o["value"] for o in prop.options] == ["red", "blue", "gold"]
    assert prop.updated_by == owner
    assert records.create_record("contacts", {"tier": "gold"}, records.Author()).properties == {
        "tier": "gold"
    }


def test_update_property_cannot_remove_all_options(contacts):
    prop = services.create_property(
        contacts,
        {
            "name": "tier",
            "label": "Tier",
            "type": "enumeration",
            "field_type": "select",
            "options": COLOURS,
        },
    )
    with pytest.raises(ValidationFailed) as caught:
        services.update_property(prop, {"options": []})
    assert error_codes(caught) == ["REQUIRED_FIELD"]
    prop.refresh_from_db()
    assert len(prop.options) == 2


def test_update_property_bad_field_type(contacts):
    prop = services.create_property(
        contacts, {"name": "score", "label": "Score", "type": "number", "field_type": "number"}
    )
    with pytest.raises(ValidationFailed) as caught:
        services.update_property(prop, {"field_type": "textarea"})
    assert error_codes(caught) == ["INVALID_FIELD_TYPE"]


def test_update_property_type_when_unused(contacts):
    prop = services.create_property(
        contacts, {"name": "score", "label": "Score", "type": "string", "field_type": "text"}
    )
    services.update_property(prop, {"type": "number", "field_type": "number"})
    prop.refresh_from_db()
    assert (prop.type, prop.field_type) == ("number", "number")
    assert index_of(prop) is not None
    assert records.create_record("contacts", {"score": "7"}, records.Author()).properties == {
        "score": 7
    }


def test_update_property_type_when_in_use_fails(contacts):
    prop = services.create_property(
        contacts, {"name": "score", "label": "Score", "type": "string", "field_type": "text"}
    )
    records.create_record("contacts", {"score": "high"}, records.Author())
    with pytest.raises(ValidationFailed) as caught:
        services.update_property(prop, {"type": "number", "field_type": "number"})
    assert error_codes(caught) == ["PROPERTY_IN_USE"]
    prop.refresh_from_db()
    assert prop.type == "string"
    assert index_of(prop) is not None


def test_make_unique_and_back(contacts):
    prop = services.create_property(
        contacts,
        {"name": "member_no", "label": "Member no", "type": "string", "field_type": "text"},
    )
    records.create_record("contacts", {"member_no": "M-1"}, records.Author())
    services.update_property(prop, {"unique": True})
    assert "UNIQUE" in index_of(prop).upper()
    with pytest.raises(Conflict):
        records.create_record("contacts", {"member_no": "M-1"}, records.Author())
    services.update_property(prop, {"unique": False})
    assert "UNIQUE" not in index_of(prop).upper()
    records.create_record("contacts", {"member_no": "M-1"}, records.Author())
    assert Record.objects.filter(properties__member_no="M-1").count() == 2


def test_make_unique_with_duplicate_values_fails_cleanly(contacts):
    prop = services.create_property(
        contacts,
        {"name": "member_no", "label": "Member no", "type": "string", "field_type": "text"},
    )
    records.create_records(
        "contacts", [{"member_no": "M-1"}, {"member_no": "M-1"}], records.Author()
    )
    with pytest.raises(ValidationFailed) as caught:
        services.update_property(prop, {"unique": True})
    assert error_codes(caught) == ["NON_UNIQUE_VALUES"]
    prop.refresh_from_db()
    assert prop.unique is False
    # The old, non-unique index is still there and writes still work.
    created = index_of(prop)
    assert created is not None and "UNIQUE" not in created.upper()
    records.create_record("contacts", {"member_no": "M-1"}, records.Author())


def test_archived_duplicates_do_not_block_unique(contacts):
    prop = services.create_property(
        contacts,
        {"name": "member_no", "label": "Member no", "type": "string", "field_type": "text"},
    )
    first, _ = records.create_records("contacts", [{"member_no": "M-1"}, {"member_no": "M-1"}], records.Author())
    records.archive_records("contacts", [first.pk], records.Author())
    services.update_property(prop, {"unique": True})
    prop.refresh_from_db()
    assert prop.unique and "UNIQUE" in index_of(prop).upper()


def test_system_property_type_cannot_change(contacts):
    email = services.load_schema("contacts").properties["email"]
    for change in ({"type": "number"}, {"field_type": "textarea"}, {"unique": False}):
        with pytest.raises(ValidationFailed) as caught:
            services.update_property(email, change)
        assert error_codes(caught) == ["READ_ONLY_DEFINITION"]
    email.refresh_from_db()
    assert email.unique and email.type == "string"
    # Its label can change.
    services.update_property(email, {"label": "E-mail"})
    email.refresh_from_db()
    assert email.label == "E-mail"


# --- archive_property -----------------------------------------------------------------------


def test_archive_property_keeps_values(contacts, owner):
    prop = services.create_property(
        contacts, {"name": "nickname", "label": "Nickname", "type": "string", "field_type": "text"}
    )
    record = records.create_record("contacts", {"nickname": "Ace"}, records.Author())
    assert index_of(prop) is not None
    services.archive_property(prop, user=owner)
    prop.refresh_from_db()
    assert prop.archived and prop.archived_at is not None and prop.updated_by == owner
    assert index_of(prop) is None
    assert "nickname" not in services.load_schema("contacts").properties
    record.refresh_from_db()
    assert record.properties["nickname"] == "Ace"
    # An archived property can no longer be written.
    with pytest.raises(ValidationFailed) as caught:
        records.create_record("contacts", {"nickname": "Bee"}, records.Author())
    assert error_codes(caught) == ["PROPERTY_DOESNT_EXIST"]


@pytest.mark.parametrize(
    "name", ["email", "hs_object_id", "createdate", "hubspot_owner_id", "firstname"]
)
def test_system_properties_cannot_be_archived(name):
    prop = services.load_schema("contacts").properties[name]
    with pytest.raises(ValidationFailed) as caught:
        services.archive_property(prop)
    assert error_codes(caught) == ["READ_ONLY_DEFINITION"]
    prop.refresh_from_db()
    assert not prop.archived


# --- custom objects -------------------------------------------------------------------------


def make_pets(**overrides):
    spec = dict(
        name="pets",
        singular="Pet",
        plural="Pets",
        primary_display_property="pet_name",
        properties=[
            {"name": "pet_name", "label": "Name", "type": "string", "field_type": "text"},
            {
                "name": "species",
                "label": "Species",
                "type": "enumeration",
                "field_type": "select",
                "options": [{"label": "Dog", "value": "dog"}, {"label": "Cat", "value": "cat"}],
            },
            {
                "name": "chip_id",
                "label": "Chip",
                "type": "string",
                "field_type": "text",
                "unique": True,
            },
            {"name": "weight", "label": "Weight", "type": "number", "field_type": "number"},
        ],
        required=["pet_name", "species"],
        searchable=["chip_id"],
        secondary_display_properties=["species"],
        associated_objects=["contacts"],
    )
    spec.update(overrides)
    return services.create_object_type(**spec)


def test_create_custom_object(owner):
    pets = make_pets(user=owner)
    assert pets.object_type_id == "2-1"
    assert (
        pets.is_custom
        and pets.singular_label == "Pet"
        and pets.secondary_display_properties == ["species"]
    )
    schema = services.load_schema("pets")
    props = schema.properties
    assert {"hs_object_id", "createdate", "lastmodifieddate", "hubspot_owner_id"} <= props.keys()
    assert props["hs_object_id"].hubspot_defined and not props["pet_name"].hubspot_defined
    assert props["pet_name"].required and props["species"].required and not props["weight"].required
    assert (
        props["pet_name"].searchable
        and props["chip_id"].searchable
        and not props["weight"].searchable
    )
    assert props["pet_name"].group_name == "pets_information"
    assert props["pet_name"].created_by == owner
    assert schema.unique == ["chip_id"]
    for key in ("pets", "pet", "2-1"):
        assert services.get_object_type(key) == pets
    assert make_pets(name="cars", singular="Car", plural="Cars").object_type_id == "2-2"


def test_custom_object_records_follow_its_schema():
    pets = make_pets()
    with pytest.raises(ValidationFailed) as caught:
        records.create_record("pets", {"weight": "4.5"}, records.Author())
    assert sorted(e.name for e in caught.value.errors if e.code == "REQUIRED_PROPERTY") == [
        "pet_name",
        "species",
    ]
    with pytest.raises(ValidationFailed) as caught:
        records.create_record("pet", {"pet_name": "Rex", "species": "parrot"}, records.Author())
    assert error_codes(caught) == ["INVALID_OPTION"]
    assert not Record.objects.filter(object_type=pets).exists()
    rex = records.create_record(
        "2-1",
        {"pet_name": "Rex", "species": "dog", "weight": "4.5", "chip_id": "C1"},
        records.Author(),
    )
    assert rex.object_type == pets
    assert rex.properties == {"pet_name": "Rex", "species": "dog", "weight": 4.5, "chip_id": "C1"}
    assert search.search_ids(pets, "re") == [rex.pk]
    assert search.search_ids(pets, "c1") == [rex.pk]
    with pytest.raises(Conflict) as caught:
        records.create_record(
            "pets", {"pet_name": "Max", "species": "cat", "chip_id": "C1"}, records.Author()
        )
    assert caught.value.existing_id == rex.pk


def test_custom_object_can_be_associated():
    from scheda.associations import services as associations

    pets = make_pets()
    contacts = services.get_object_type("contacts")
    kind = associations.types_between(pets, contacts)
    assert len(kind) == 1 and kind[0].label is None and kind[0].inverse.from_object_type == contacts


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"name": "Pets"}, "INVALID_NAME"),
        ({"name": "my-pets"}, "INVALID_NAME"),
        ({"singular": ""}, "REQUIRED_FIELD"),
        ({"primary_display_property": "nickname"}, "UNKNOWN_PROPERTY"),
        ({"required": ["pet_name", "owner_name"]}, "UNKNOWN_PROPERTY"),
        ({"searchable": ["colour"]}, "UNKNOWN_PROPERTY"),
        ({"secondary_display_properties": ["colour"]}, "UNKNOWN_PROPERTY"),
    ],
)
def test_create_custom_object_validation(overrides, code):
    with pytest.raises(ValidationFailed) as caught:
        make_pets(**overrides)
    assert error_codes(caught) == [code]
    assert not ObjectType.objects.filter(is_custom=True).exists()


def test_create_custom_object_bad_property_writes_nothing():
    with pytest.raises(ValidationFailed):
        make_pets(
            properties=[
                {"name": "pet_name", "label": "Name", "type": "string", "field_type": "text"},
                {
                    "name": "species",
                    "label": "Species",
                    "type": "enumeration",
                    "field_type": "select",
                },
            ],
            searchable=[],
            secondary_display_properties=[],
        )
    assert not ObjectType.objects.filter(name="pets").exists()
    assert not PropertyDefinition.objects.filter(name="pet_name").exists()


def test_create_custom_object_name_taken():
    make_pets()
    with pytest.raises(Conflict):
        make_pets()
    with pytest.raises(Conflict):
        make_pets(name="contacts")
    assert ObjectType.objects.filter(is_custom=True).count() == 1
