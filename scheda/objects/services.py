"""Writers of the schema: object types, property groups and property definitions."""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from scheda.errors import Conflict, FieldError, NotFound, ValidationFailed, check_texts, unstorable
from scheda.objects import catalogue
from scheda.objects.models import ObjectType, PropertyDefinition, PropertyGroup, SchemaVersion
from scheda.objects.types import FIELD_TYPES, FORMATS, PropertyType, type_for
from scheda.records import storage

log = logging.getLogger(__name__)

# Properties every object type has, whatever an admin defines.
SYSTEM_PROPERTIES: list[dict[str, Any]] = [
    {"name": "hs_object_id", "label": "Record ID", "type": "number", "field_type": "number",
     "read_only": True, "calculated": True, "unique": True},
    {"name": "createdate", "label": "Create date", "type": "datetime", "field_type": "date",
     "read_only": True, "calculated": True},
    {"name": "lastmodifieddate", "label": "Last modified date", "type": "datetime", "field_type": "date",
     "read_only": True, "calculated": True},
    {"name": "hubspot_owner_id", "label": "Owner", "type": "enumeration", "field_type": "select",
     "referenced_object_type": "OWNER"},
]
PROPERTY_FIELDS = {
    "label", "description", "group_name", "type", "field_type", "format", "number_display_hint",
    "options", "referenced_object_type", "display_order", "required", "unique", "hidden",
    "read_only", "calculated", "searchable", "indexed",
}


@dataclass
class Schema:
    """An object type with its active property definitions, loaded in one query."""

    object_type: ObjectType
    properties: dict[str, PropertyDefinition]
    # What other modules derive from this version of the schema (a record page's built-in
    # layout, the object types it associates with), dropped with it when the schema changes.
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    # Derived once per loaded schema: bulk writes ask for these per record.
    @cached_property
    def types(self) -> dict[str, PropertyType]:
        return {name: type_for(prop) for name, prop in self.properties.items()}

    def type_of(self, name: str) -> PropertyType:
        return self.types[name]

    @cached_property
    def searchable(self) -> list[str]:
        return [p.name for p in self.properties.values() if p.searchable]

    @cached_property
    def unique(self) -> list[str]:
        return [p.name for p in self.properties.values() if p.unique and p.name not in storage.COLUMNS]

    @cached_property
    def required(self) -> list[str]:
        return [p.name for p in self.properties.values() if p.required and not (p.read_only or p.calculated)]


def get_object_type(key: str | ObjectType) -> ObjectType:
    """By HubSpot name ("contacts"), id ("0-1") or, as HubSpot allows, singular name ("contact")."""
    if isinstance(key, ObjectType):
        return key
    key = str(key).strip().lower()
    unknown = NotFound(f"Unknown object type {key!r}", [FieldError(f"Unknown object type {key!r}", "UNKNOWN_OBJECT_TYPE", "objectType")])
    if "\x00" in key:  # no name has one, and PostgreSQL refuses it in a query
        raise unknown
    plurals = (f"{key}s", f"{key[:-1]}ies") if key.endswith("y") else (f"{key}s",)
    for candidate in (key, *plurals):
        found = ObjectType.objects.filter(archived=False).filter(name=candidate).first()
        if found:
            return found
    found = ObjectType.objects.filter(archived=False, object_type_id=key).first()
    if found is None and FULLY_QUALIFIED_NAME.match(key):
        # HubSpot's fullyQualifiedName of a custom object, "p_<name>" (or "p<portal>_<name>").
        found = ObjectType.objects.filter(archived=False, is_custom=True, name=FULLY_QUALIFIED_NAME.sub("", key)).first()
    if found is None:
        raise unknown
    return found


FULLY_QUALIFIED_NAME = re.compile(r"^p[0-9]*_(?=[a-z])")


def fully_qualified_name(object_type: ObjectType) -> str:
    """HubSpot's fullyQualifiedName: "p_<name>" for a custom object, the name otherwise."""
    return f"p_{object_type.name}" if object_type.is_custom else object_type.name


# Schemas this process has loaded, by the key asked for, with the token they were loaded under.
_schemas: dict[str, tuple[str, Schema]] = {}


# Within one web request the token is read once (SchemaPerRequest): a page loads a dozen schemas,
# and one consistent schema per request is what a page should render anyway.
_request = threading.local()


def schema_token() -> str:
    token = getattr(_request, "token", None)
    if token is not None:
        return token
    # Every request reads it: by hand, a tenth of the ORM's 0.2 ms to compile the same query.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {SchemaVersion._meta.db_table} WHERE id = 1")
        row = cursor.fetchone()
    token = row[0] if row else ""
    if getattr(_request, "active", False):
        _request.token = token
    return token


def schema_changed() -> None:
    """Called by every writer of object types, groups, property definitions and association types."""
    SchemaVersion.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})
    _request.token = None


class SchemaPerRequest:
    """Middleware: each request checks the schema token once, at its first schema read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with one_request():
            return self.get_response(request)


@contextmanager
def one_request() -> Iterator[None]:
    """What runs inside reads the schema token once (a request; a test pinning a view's queries)."""
    _request.active, _request.token = True, None
    try:
        yield
    finally:
        _request.active, _request.token = False, None


_derived: dict[str, tuple[str, Any]] = {}


def with_schema(key: str, compute: Callable[[], Any]) -> Any:
    """A value derived from the schema as a whole (the object types the navigation lists),
    computed once per process and schema token, like the schemas themselves."""
    token = schema_token()
    cached = _derived.get(key)
    if cached is not None and token and cached[0] == token:
        return cached[1]
    value = compute()
    if token:
        _derived[key] = (token, value)
    return value


def load_schema(key: str | ObjectType) -> Schema:
    """The schema of an object type: one query when this process has it already (the token
    check), two when it has to load it."""
    cache_key = f"pk:{key.pk}" if isinstance(key, ObjectType) else str(key).strip().lower()
    token = schema_token()
    cached = _schemas.get(cache_key)
    if cached is not None and token and cached[0] == token:
        return cached[1]
    schema = _load_schema(key)
    if token:
        _schemas[cache_key] = (token, schema)
    return schema


def _load_schema(key: str | ObjectType) -> Schema:
    if isinstance(key, ObjectType):
        return Schema(key, {p.name: p for p in PropertyDefinition.objects.filter(object_type=key, archived=False)})
    key = str(key).strip().lower()
    if "\x00" in key:
        return _load_schema(get_object_type(key))  # which refuses it, before PostgreSQL would
    props = list(
        PropertyDefinition.objects.select_related("object_type")
        .filter(archived=False, object_type__archived=False)
        .filter(_type_key(key))
    )
    if not props:
        return _load_schema(get_object_type(key))
    object_type = props[0].object_type
    return Schema(object_type, {p.name: p for p in props if p.object_type_id == object_type.pk})


def _type_key(key: str) -> Q:
    return Q(object_type__name=key) | Q(object_type__object_type_id=key)


# --- property definitions -------------------------------------------------------------------


def _check_property(object_type: ObjectType, data: dict[str, Any], creating: bool) -> list[FieldError]:
    errors: list[FieldError] = []
    if creating and not storage.PROPERTY_NAME.match(data.get("name", "")):
        errors.append(FieldError(
            "A property name starts with a lower-case letter and has only a-z, 0-9 and _ (at most 100)",
            "INVALID_PROPERTY_NAME", "name"))
    if creating and not data.get("label"):
        errors.append(FieldError("A property needs a label", "REQUIRED_FIELD", "label"))
    for key, limit in (("label", 255), ("group_name", 100), ("description", None)):
        if isinstance(data.get(key), str):
            shown = "groupName" if key == "group_name" else key
            if limit is not None and len(data[key]) > limit:
                errors.append(FieldError(f"At most {limit} characters", "TOO_LONG", shown))
            elif problem := unstorable(data[key]):
                errors.append(FieldError(f"The text {problem}", "INVALID_VALUE", shown))
    ptype, field_type = data.get("type"), data.get("field_type")
    if ptype is not None and ptype not in FIELD_TYPES:
        errors.append(FieldError(f"Unknown property type {ptype!r}", "INVALID_TYPE", "type"))
    elif ptype is not None and field_type not in FIELD_TYPES[ptype]:
        errors.append(FieldError(
            f"Field type {field_type!r} does not go with type {ptype!r} (use one of {', '.join(sorted(FIELD_TYPES[ptype]))})",
            "INVALID_FIELD_TYPE", "fieldType"))
    if data.get("format", "") not in FORMATS:
        errors.append(FieldError(f"Unknown format {data['format']!r}", "INVALID_FORMAT", "format"))
    options = data.get("options")
    if options is not None:
        values = [o.get("value") for o in options if isinstance(o, dict)]
        if len(values) != len(options) or any(not isinstance(v, str) or not v for v in values):
            errors.append(FieldError("Each option needs a label and a non-empty value", "INVALID_OPTION", "options"))
        elif len(set(values)) != len(values):
            errors.append(FieldError("Option values must be distinct", "DUPLICATE_OPTION", "options"))
        elif any(unstorable(text) for o in options for text in (o.get(k) for k in ("label", "value", "description"))
                 if isinstance(text, str)):
            errors.append(FieldError("An option's text contains a NUL character or is not valid Unicode", "INVALID_OPTION", "options"))
    if ptype == "enumeration" and field_type != "booleancheckbox" and not options and not data.get("referenced_object_type") \
            and data.get("name") not in PIPELINE_PROPERTIES:
        errors.append(FieldError("An enumeration property needs options", "REQUIRED_FIELD", "options"))
    group = data.get("group_name")
    if group and not PropertyGroup.objects.filter(object_type=object_type, name=group, archived=False).exists():
        errors.append(FieldError(f"There is no property group {group!r}", "UNKNOWN_GROUP", "groupName"))
    return errors


# Enumerations whose options are the object's pipelines and stages.
PIPELINE_PROPERTIES = {"pipeline", "dealstage", "hs_pipeline", "hs_pipeline_stage"}


def _normalise_options(options: list[dict]) -> list[dict]:
    return [
        {
            "label": str(o.get("label") or o["value"]),
            "value": str(o["value"]),
            "displayOrder": int(o.get("displayOrder", i)),
            "hidden": bool(o.get("hidden", False)),
            "description": str(o.get("description", "")),
        }
        for i, o in enumerate(options)
    ]


@transaction.atomic
def create_property(object_type: ObjectType, data: dict[str, Any], user=None, hubspot_defined: bool = False) -> PropertyDefinition:
    data = {"group_name": _default_group(object_type), "format": "", **data}
    errors = _check_property(object_type, data, creating=True)
    if errors:
        raise ValidationFailed(errors[0].message, errors)
    if PropertyDefinition.objects.filter(object_type=object_type, name=data["name"]).exists():
        raise Conflict(f"A property named {data['name']!r} already exists", [
            FieldError(f"A property named {data['name']!r} already exists", "PROPERTY_EXISTS", "name")])
    fields = {k: v for k, v in data.items() if k in PROPERTY_FIELDS}
    if "options" in fields:
        fields["options"] = _normalise_options(fields["options"])
    prop = PropertyDefinition.objects.create(
        object_type=object_type, name=data["name"], hubspot_defined=hubspot_defined,
        created_by=user, updated_by=user, **fields)
    index_property(prop)
    schema_changed()
    return prop


def index_property(prop: PropertyDefinition) -> None:
    if prop.name in storage.COLUMNS:
        return
    if not prop.unique and not (prop.indexed and type_for(prop).indexed):
        return  # a unique property is always indexed: the index is what keeps it unique
    try:
        with transaction.atomic():
            storage.create_property_index(prop)
    except IntegrityError:
        raise ValidationFailed(
            f"Some {prop.object_type.plural_label} share a value of {prop.name!r}, so it cannot be unique",
            [FieldError("Existing values are not unique", "NON_UNIQUE_VALUES", "hasUniqueValue")]) from None


@transaction.atomic
def update_property(prop: PropertyDefinition, data: dict[str, Any], user=None) -> PropertyDefinition:
    changes = {k: v for k, v in data.items() if k in PROPERTY_FIELDS}
    if prop.hubspot_defined and any(changes[k] != getattr(prop, k) for k in ("type", "field_type", "unique", "format") if k in changes):
        raise ValidationFailed(f"{prop.name!r} is defined by the system: its type cannot change",
                               [FieldError("A system property's type cannot change", "READ_ONLY_DEFINITION", "type")])
    check = {"name": prop.name, "type": prop.type, "field_type": prop.field_type, "options": prop.options,
             "referenced_object_type": prop.referenced_object_type, **changes}
    errors = _check_property(prop.object_type, check, creating=False)
    if errors:
        raise ValidationFailed(errors[0].message, errors)
    if "options" in changes:
        changes["options"] = _normalise_options(changes["options"])
    retype = any(changes.get(k, getattr(prop, k)) != getattr(prop, k)
                 for k in ("type", "field_type", "format", "unique", "indexed"))
    if retype:
        from scheda.records.models import Record

        has_values = Record.objects.filter(object_type=prop.object_type, properties__has_key=prop.name).exists()
        if has_values and any(changes.get(k, getattr(prop, k)) != getattr(prop, k) for k in ("type", "field_type", "format")):
            raise ValidationFailed(f"Records have values of {prop.name!r}: its type cannot change",
                                   [FieldError("Records have values of this property", "PROPERTY_IN_USE", "type")])
        storage.drop_property_index(prop)
    searchable_changed = changes.get("searchable", prop.searchable) != prop.searchable
    for key, value in changes.items():
        setattr(prop, key, value)
    prop.updated_by = user
    prop.save()
    if retype:
        index_property(prop)
    schema_changed()
    if searchable_changed:
        _searchable_changed(prop.object_type)
    return prop


@transaction.atomic
def archive_property(prop: PropertyDefinition, user=None) -> None:
    """Archive a property: its values stay on the records (HubSpot keeps them too) and come back
    if the property is restored; it no longer shows, validates or is indexed."""
    if prop.hubspot_defined:
        raise ValidationFailed(f"{prop.name!r} is defined by the system and cannot be archived",
                               [FieldError("A system property cannot be archived", "READ_ONLY_DEFINITION", "name")])
    from django.utils import timezone

    storage.drop_property_index(prop)
    prop.archived, prop.archived_at, prop.updated_by = True, timezone.now(), user
    prop.save()
    schema_changed()
    if prop.searchable:
        _searchable_changed(prop.object_type)


def _searchable_changed(object_type: ObjectType) -> None:
    """The records' search text holds the searchable properties' values: it follows in the same
    transaction, up to SCHEDA_REWRITE_TEXT_IN_REQUEST records (1M contacts take ~5 minutes on
    PostgreSQL, past any request's timeout); a larger type's text is rewritten by `scheda
    reindex` (until then it follows as records are edited)."""
    from scheda.records.models import Record
    from scheda.records.services import rewrite_search_text

    if Record.objects.filter(object_type=object_type).count() <= settings.SCHEDA_REWRITE_TEXT_IN_REQUEST:
        rewrite_search_text(object_type)
    else:
        log.warning("The searchable properties of %s changed: run `scheda reindex %s` to rewrite their records' "
                    "search text", object_type.plural_label, object_type.name)


def _default_group(object_type: ObjectType) -> str:
    group = PropertyGroup.objects.filter(object_type=object_type, archived=False).order_by("display_order", "id").first()
    return group.name if group else ""


def get_property(object_type: ObjectType, name: str, archived: bool = False) -> PropertyDefinition:
    """A property definition by name: an active one, or with `archived` an archived one."""
    found = None if "\x00" in name else PropertyDefinition.objects.filter(object_type=object_type, name=name, archived=archived).first()
    if found is None:
        state = "archived " if archived else ""
        raise NotFound(f"No {state}property {name!r} on {object_type.plural_label}",
                       [FieldError(f"No {state}property {name!r}", "PROPERTY_DOESNT_EXIST", "propertyName")])
    return found


# --- groups ---------------------------------------------------------------------------------


def get_group(object_type: ObjectType, name: str) -> PropertyGroup:
    found = None if "\x00" in name else PropertyGroup.objects.filter(object_type=object_type, name=name, archived=False).first()
    if found is None:
        raise NotFound(f"No property group {name!r} on {object_type.plural_label}",
                       [FieldError(f"No property group {name!r}", "GROUP_DOESNT_EXIST", "groupName")])
    return found


@transaction.atomic
def update_group(group: PropertyGroup, label: str | None = None, display_order: int | None = None) -> PropertyGroup:
    if label is not None and not label.strip():
        raise ValidationFailed("A group needs a label", [FieldError("A group needs a label", "REQUIRED_FIELD", "label")])
    check_texts(label=(label, 255))
    if label is not None:
        group.label = label.strip()
    if display_order is not None:
        group.display_order = display_order
    group.save()
    schema_changed()
    return group


@transaction.atomic
def archive_group(group: PropertyGroup) -> None:
    """Archive a property group; refused while active properties are in it (move them first)."""
    held = list(PropertyDefinition.objects.filter(object_type=group.object_type, group_name=group.name, archived=False)
                .values_list("name", flat=True)[:5])
    if held:
        raise ValidationFailed(f"The group {group.name!r} still has properties ({', '.join(held)}): move or archive them first",
                               [FieldError("The group has properties", "GROUP_NOT_EMPTY", "groupName")])
    group.archived = True
    group.save()
    schema_changed()



@transaction.atomic
def create_group(object_type: ObjectType, name: str, label: str, display_order: int = -1) -> PropertyGroup:
    if not storage.PROPERTY_NAME.match(name or ""):
        raise ValidationFailed("A group name has only a-z, 0-9 and _", [FieldError("Invalid group name", "INVALID_NAME", "name")])
    check_texts(label=(label, 255))
    if PropertyGroup.objects.filter(object_type=object_type, name=name).exists():
        raise Conflict(f"A group named {name!r} already exists", [FieldError("Group exists", "GROUP_EXISTS", "name")])
    group = PropertyGroup.objects.create(object_type=object_type, name=name, label=label or name, display_order=display_order)
    schema_changed()
    return group


# --- object types ---------------------------------------------------------------------------


@transaction.atomic
def create_object_type(
    *, name: str, singular: str, plural: str, primary_display_property: str,
    properties: list[dict[str, Any]], required: list[str] = (), searchable: list[str] = (),  # type: ignore[assignment]
    secondary_display_properties: list[str] = (), associated_objects: list[str] = (),  # type: ignore[assignment]
    description: str = "", user=None,
) -> ObjectType:
    """A custom object type, with id "2-<n>" as HubSpot numbers them."""
    errors = []
    # Its default group is "<name>_information", which must fit in a group name too.
    if not storage.PROPERTY_NAME.match(name or "") or len(name) > 100 - len("_information"):
        errors.append(FieldError("An object name has only a-z, 0-9 and _ (at most 88)", "INVALID_NAME", "name"))
    elif ObjectType.objects.filter(name=name).exists():
        raise Conflict(f"An object type named {name!r} already exists", [FieldError("Object type exists", "OBJECT_TYPE_EXISTS", "name")])
    if not singular or not plural:
        errors.append(FieldError("An object type needs singular and plural labels", "REQUIRED_FIELD", "labels"))
    check_texts(labels__singular=(singular, 100), labels__plural=(plural, 100), description=(description, None))
    names = {p.get("name") for p in properties}
    for key, listed in (("primaryDisplayProperty", [primary_display_property]), ("requiredProperties", required),
                        ("searchableProperties", searchable), ("secondaryDisplayProperties", secondary_display_properties)):
        for item in listed:
            if item not in names:
                errors.append(FieldError(f"{item!r} is not one of the properties defined", "UNKNOWN_PROPERTY", key))
    if errors:
        raise ValidationFailed(errors[0].message, errors)
    number = 1 + max([int(t.split("-")[1]) for t in ObjectType.objects.filter(is_custom=True).values_list("object_type_id", flat=True)] or [0])
    object_type = ObjectType.objects.create(
        object_type_id=f"2-{number}", name=name, singular_label=singular, plural_label=plural,
        primary_display_property=primary_display_property,
        secondary_display_properties=list(secondary_display_properties), is_custom=True, description=description,
    )
    storage.create_search_index(object_type.pk)
    PropertyGroup.objects.create(object_type=object_type, name=f"{name}_information", label=f"{singular} information")
    for spec in SYSTEM_PROPERTIES:
        create_property(object_type, spec, user, hubspot_defined=True)
    for spec in properties:
        spec = dict(spec)
        spec.setdefault("required", spec.get("name") in required)
        spec.setdefault("searchable", spec.get("name") in searchable or spec.get("name") == primary_display_property)
        create_property(object_type, spec, user)
    from scheda.associations import services as associations

    for other in associated_objects:
        associations.default_type(object_type, get_object_type(other))
    schema_changed()
    return object_type


OBJECT_TYPE_FIELDS = {"singular_label", "plural_label", "primary_display_property", "secondary_display_properties",
                      "description", "archived", "create_form_properties"}


@transaction.atomic
def update_object_type(object_type: ObjectType, data: dict[str, Any]) -> ObjectType:
    form = data.get("create_form_properties")
    if form is not None and not (isinstance(form, list) and all(isinstance(name, str) for name in form)):
        raise ValidationFailed("The create form's properties are a list of property names",
                               [FieldError("Not a list of property names", "INVALID_INPUT", "create_form_properties")])
    names = set(PropertyDefinition.objects.filter(object_type=object_type, archived=False).values_list("name", flat=True))
    shown = [data.get("primary_display_property", object_type.primary_display_property),
             *data.get("secondary_display_properties", object_type.secondary_display_properties),
             *(data.get("create_form_properties") or [])]
    unknown = [name for name in shown if name and name not in names]
    if unknown:
        raise ValidationFailed(f"{unknown[0]!r} is not a property of {object_type.plural_label}",
                               [FieldError(f"Unknown property {unknown[0]!r}", "UNKNOWN_PROPERTY", "primaryDisplayProperty")])
    check_texts(labels__singular=(data.get("singular_label"), 100), labels__plural=(data.get("plural_label"), 100),
                description=(data.get("description"), None))
    if data.get("archived") and not object_type.is_custom:
        raise ValidationFailed("Standard objects cannot be archived", [FieldError("Standard object", "READ_ONLY", "archived")])
    for key, value in data.items():
        if key in OBJECT_TYPE_FIELDS:
            setattr(object_type, key, value)
    object_type.save()
    schema_changed()
    return object_type


@transaction.atomic
def set_property_roles(object_type: ObjectType, required: list[str] | None = None,
                       searchable: list[str] | None = None) -> None:
    """Make exactly the named properties required (and/or searchable); None leaves that role as is."""
    names = set(PropertyDefinition.objects.filter(object_type=object_type, archived=False).values_list("name", flat=True))
    searchable_changed = False
    for role, listed, key in (("required", required, "requiredProperties"), ("searchable", searchable, "searchableProperties")):
        if listed is None:
            continue
        unknown = [name for name in listed if name not in names]
        if unknown:
            raise ValidationFailed(f"{unknown[0]!r} is not a property of {object_type.plural_label}",
                                   [FieldError(f"Unknown property {unknown[0]!r}", "UNKNOWN_PROPERTY", key)])
        for prop in PropertyDefinition.objects.filter(object_type=object_type, archived=False):
            if getattr(prop, role) != (prop.name in listed):
                setattr(prop, role, prop.name in listed)
                prop.save(update_fields=[role, "updated_at"])
                searchable_changed = searchable_changed or role == "searchable"
    schema_changed()
    if searchable_changed:
        _searchable_changed(object_type)


@transaction.atomic
def archive_object_type(object_type: ObjectType) -> ObjectType:
    """Archive a custom object type; refused while it has active records (archive them first)."""
    from scheda.records.models import Record

    if not object_type.is_custom:
        raise ValidationFailed("Standard objects cannot be archived", [FieldError("Standard object", "READ_ONLY", "objectType")])
    count = Record.objects.filter(object_type=object_type, archived=False).count()
    if count:
        raise ValidationFailed(f"{object_type.plural_label} still has {count} record(s): archive them before the object type",
                               [FieldError("The object type has records", "OBJECT_TYPE_IN_USE", "objectType", {"records": count})])
    return update_object_type(object_type, {"archived": True})


# --- the standard objects -------------------------------------------------------------------


@transaction.atomic
def install_standard_objects() -> None:
    """Create (or complete) HubSpot's standard objects, properties, association types and
    pipelines. Idempotent: run after every migrate."""
    for spec in catalogue.OBJECT_TYPES:
        object_type, _ = ObjectType.objects.get_or_create(
            object_type_id=spec["object_type_id"],
            defaults={"name": spec["name"], "singular_label": spec["singular"], "plural_label": spec["plural"],
                      "primary_display_property": spec["primary_display_property"],
                      "secondary_display_properties": spec["secondary_display_properties"],
                      "is_activity": spec["is_activity"]},
        )
        storage.create_search_index(object_type.pk)
        groups = set(PropertyGroup.objects.filter(object_type=object_type).values_list("name", flat=True))
        for group_name, label, order in catalogue.PROPERTY_GROUPS.get(spec["name"], []):
            if group_name not in groups:
                PropertyGroup.objects.create(object_type=object_type, name=group_name, label=label, display_order=order)
        existing = set(PropertyDefinition.objects.filter(object_type=object_type).values_list("name", flat=True))
        for order, prop in enumerate(catalogue.PROPERTIES.get(spec["name"], [])):
            if prop["name"] in existing:
                continue
            data = {k: v for k, v in prop.items() if k != "group"}
            data["group_name"] = prop.get("group", "")
            data["display_order"] = order
            data["indexed"] = prop["name"] in catalogue.INDEXED.get(spec["name"], ()) or prop.get("unique", False)
            if prop.get("options"):
                data["options"] = [{"value": v, "label": label} for v, label in prop["options"]]
            create_property(object_type, data, hubspot_defined=True)
    from scheda.associations.services import install_standard_association_types
    from scheda.pipelines.services import install_standard_pipelines

    install_standard_association_types()
    install_standard_pipelines()
    schema_changed()
    storage.refresh_statistics()
