"""Property definitions (/crm/v3/properties) and custom object schemas
(/crm-object-schemas/v3/schemas), as HubSpot's CRM API serves them. Endpoints parse, call the
object services, and render."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any, Literal

from django.db import transaction
from django.http import HttpRequest
from ninja import Router
from pydantic import AfterValidator, Field

from scheda.accounts import tiers
from scheda.api.auth import require, require_right, require_schema
from scheda.api.params import bool_param
from scheda.api.schemas import ERRORS, Schema, StandardError, author, now
from scheda.associations.models import AssociationType
from scheda.errors import FieldError, NotFound, SchedaError, ValidationFailed, unstorable
from scheda.objects import services
from scheda.objects.models import ObjectType, PropertyDefinition, PropertyGroup
from scheda.objects.services import PIPELINE_PROPERTIES, get_object_type
from scheda.objects.types import format_datetime

properties_router = Router(tags=["Properties"])
schemas_router = Router(tags=["Schemas"])
BATCH_LIMIT = 100


def _storable(value: str) -> str:
    problem = unstorable(value)
    if problem:
        raise ValueError(f"The text {problem}")
    return value


# Request text and numbers as the database keeps them: valid Unicode without NUL characters,
# labels within their columns' lengths, 32-bit orders.
Text = Annotated[str, AfterValidator(_storable)]
Label = Annotated[str, Field(max_length=255), AfterValidator(_storable)]
ShortLabel = Annotated[str, Field(max_length=100), AfterValidator(_storable)]
Order = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
NumberDisplayHint = Literal["unformatted", "formatted", "currency", "percentage", "duration", "probability"]
# HubSpot's textDisplayHint values that a Scheda string format stands for, both ways.
TEXT_HINTS = {"email": "email", "domain_name": "domain", "url": "url"}
HINT_OF_FORMAT = {fmt: hint for hint, fmt in TEXT_HINTS.items()}


# --- request and response bodies (HubSpot's models) -------------------------------------------------


class OptionInput(Schema):
    label: Text
    value: Text
    displayOrder: Order | None = None
    hidden: bool = False
    description: Text | None = None


class PropertyCreate(Schema):
    name: Text
    label: Label
    type: Text
    fieldType: Text
    groupName: Text | None = None
    description: Text | None = None
    options: list[OptionInput] | None = None
    displayOrder: Order | None = None
    hasUniqueValue: bool | None = None
    hidden: bool | None = None
    formField: bool | None = None
    externalOptions: bool | None = None
    referencedObjectType: Annotated[str, Field(max_length=20), AfterValidator(_storable)] | None = None
    calculationFormula: Text | None = None
    numberDisplayHint: NumberDisplayHint | None = None
    textDisplayHint: Text | None = None
    showCurrencySymbol: bool | None = None


class PropertyUpdate(Schema):
    label: Label | None = None
    type: Text | None = None
    fieldType: Text | None = None
    groupName: Text | None = None
    description: Text | None = None
    options: list[OptionInput] | None = None
    displayOrder: Order | None = None
    hidden: bool | None = None
    formField: bool | None = None
    calculationFormula: Text | None = None
    numberDisplayHint: NumberDisplayHint | None = None
    textDisplayHint: Text | None = None
    showCurrencySymbol: bool | None = None


class PropertyName(Schema):
    name: Text


class BatchPropertyCreate(Schema):
    inputs: list[PropertyCreate]


class BatchPropertyRead(Schema):
    inputs: list[PropertyName]
    archived: bool = False


class BatchPropertyNames(Schema):
    inputs: list[PropertyName]


class PropertyGroupCreate(Schema):
    name: Text
    label: Label
    displayOrder: Order | None = None


class PropertyGroupUpdate(Schema):
    label: Label | None = None
    displayOrder: Order | None = None


class Option(Schema):
    label: str
    value: str
    displayOrder: int
    hidden: bool
    description: str


class ModificationMetadata(Schema):
    archivable: bool
    readOnlyDefinition: bool
    readOnlyValue: bool
    readOnlyOptions: bool | None = None


class Property(Schema):
    name: str
    label: str
    type: str
    fieldType: str
    description: str
    groupName: str
    options: list[Option]
    displayOrder: int
    calculated: bool
    externalOptions: bool
    hasUniqueValue: bool
    hidden: bool
    hubspotDefined: bool
    modificationMetadata: ModificationMetadata
    formField: bool
    referencedObjectType: str | None = None
    showCurrencySymbol: bool | None = None
    numberDisplayHint: str | None = None
    textDisplayHint: str | None = None
    createdUserId: str | None = None
    updatedUserId: str | None = None
    createdAt: str
    updatedAt: str
    archived: bool
    archivedAt: str | None = None


class Properties(Schema):
    results: list[Property]


class PropertyBatch(Schema):
    status: str
    results: list[Property]
    numErrors: int | None = None
    errors: list[StandardError] | None = None
    startedAt: str
    completedAt: str


class Group(Schema):
    name: str
    label: str
    displayOrder: int
    archived: bool


class Groups(Schema):
    results: list[Group]


class Labels(Schema):
    singular: ShortLabel | None = None
    plural: ShortLabel | None = None


class ObjectTypePropertyCreate(PropertyCreate):
    searchableInGlobalSearch: bool | None = None
    optionSortStrategy: Text | None = None


class ObjectSchemaEgg(Schema):
    name: Text
    labels: Labels
    description: Text | None = None
    primaryDisplayProperty: Text | None = None
    secondaryDisplayProperties: list[Text] = []
    requiredProperties: list[Text] = []
    searchableProperties: list[Text] = []
    properties: list[ObjectTypePropertyCreate] = []
    associatedObjects: list[Text] = []


class ObjectSchemaPatch(Schema):
    labels: Labels | None = None
    description: Text | None = None
    clearDescription: bool | None = None
    primaryDisplayProperty: Text | None = None
    secondaryDisplayProperties: list[Text] | None = None
    requiredProperties: list[Text] | None = None
    searchableProperties: list[Text] | None = None
    restorable: bool | None = None


class AssociationDefinition(Schema):
    id: str
    fromObjectTypeId: str
    toObjectTypeId: str
    name: str | None = None


class ObjectTypeDefinition(Schema):
    """What PATCH answers: the schema without its properties and associations."""

    id: str
    objectTypeId: str
    name: str
    fullyQualifiedName: str
    labels: Labels
    description: str | None = None
    primaryDisplayProperty: str | None = None
    secondaryDisplayProperties: list[str]
    requiredProperties: list[str]
    searchableProperties: list[str]
    createdAt: str
    updatedAt: str
    archived: bool


class ObjectSchema(ObjectTypeDefinition):
    properties: list[Property]
    associations: list[AssociationDefinition]


class ObjectSchemas(Schema):
    results: list[ObjectSchema]


# --- parsing ----------------------------------------------------------------------------------------


def property_data(payload: PropertyCreate | PropertyUpdate) -> dict[str, Any]:
    """HubSpot's camelCase property body as the model's fields; absent fields are left out."""
    if payload.calculationFormula is not None:
        raise ValidationFailed("Calculation formulas are not supported",
                               [FieldError("calculationFormula is not supported", "UNSUPPORTED", "calculationFormula")])
    given = payload.dict(exclude_none=True)
    names = {"name": "name", "label": "label", "type": "type", "fieldType": "field_type", "groupName": "group_name",
             "description": "description", "displayOrder": "display_order", "hasUniqueValue": "unique",
             "hidden": "hidden", "referencedObjectType": "referenced_object_type",
             "numberDisplayHint": "number_display_hint", "searchableInGlobalSearch": "searchable"}
    data = {field: given[key] for key, field in names.items() if key in given}
    if payload.options is not None:
        data["options"] = [option.dict(exclude_none=True) for option in payload.options]
    if payload.showCurrencySymbol and "number_display_hint" not in data:
        data["number_display_hint"] = "currency"
    if payload.textDisplayHint is not None:
        data["format"] = TEXT_HINTS.get(payload.textDisplayHint, "")
    return data


def object_type_for(request: HttpRequest, key: str, access: str) -> ObjectType:
    """The path's object type; the token needs its schema scope, and a user who changes its
    properties or groups the right to manage properties and objects."""
    object_type = get_object_type(key)
    require_schema(request, object_type, access)
    if access == "write":
        require_right(request, "manage_properties")
    return object_type


def user_of(request: HttpRequest):
    return author(request).user


# --- rendering --------------------------------------------------------------------------------------


def render_property(prop: PropertyDefinition) -> dict[str, Any]:
    read_only_value = prop.read_only or prop.calculated
    body: dict[str, Any] = {
        "name": prop.name,
        "label": prop.label,
        "type": prop.type,
        "fieldType": prop.field_type,
        "description": prop.description or "",
        "groupName": prop.group_name,
        "options": [{"label": o.get("label", o["value"]), "value": o["value"], "displayOrder": o.get("displayOrder", i),
                     "hidden": o.get("hidden", False), "description": o.get("description", "")}
                    for i, o in enumerate(prop.options)],
        "displayOrder": prop.display_order,
        "calculated": prop.calculated,
        "externalOptions": bool(prop.referenced_object_type),
        "hasUniqueValue": prop.unique,
        "hidden": prop.hidden,
        "hubspotDefined": prop.hubspot_defined,
        "modificationMetadata": {
            "archivable": not prop.hubspot_defined,
            "readOnlyDefinition": prop.hubspot_defined,
            "readOnlyValue": read_only_value,
        },
        "formField": not (read_only_value or prop.hidden),
        "createdAt": format_datetime(prop.created_at),
        "updatedAt": format_datetime(prop.updated_at),
        "archived": prop.archived,
    }
    if prop.type == "enumeration":
        body["modificationMetadata"]["readOnlyOptions"] = bool(prop.referenced_object_type) or prop.name in PIPELINE_PROPERTIES
    if prop.referenced_object_type:
        body["referencedObjectType"] = prop.referenced_object_type
    if prop.type == "number":
        body["showCurrencySymbol"] = prop.number_display_hint == "currency"
    if prop.number_display_hint:
        body["numberDisplayHint"] = prop.number_display_hint
    if prop.format:
        body["textDisplayHint"] = HINT_OF_FORMAT.get(prop.format, prop.format)
    if prop.created_by_id:
        body["createdUserId"] = str(prop.created_by_id)
    if prop.updated_by_id:
        body["updatedUserId"] = str(prop.updated_by_id)
    if prop.archived and prop.archived_at:
        body["archivedAt"] = format_datetime(prop.archived_at)
    return body


def render_group(group: PropertyGroup) -> dict[str, Any]:
    return {"name": group.name, "label": group.label, "displayOrder": group.display_order, "archived": group.archived}


def batch_error(error: SchedaError, name: str) -> dict[str, Any]:
    return {"status": "error", "category": error.category, "message": error.message,
            "errors": [e.as_dict() for e in error.errors], "context": {"name": [name]}, "links": {}}


def batch_body(results: list[dict[str, Any]], started: str, errors: list[dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": now()}
    if errors:
        body.update(numErrors=len(errors), errors=errors)
    return body


def check_batch(inputs: list) -> None:
    if len(inputs) > BATCH_LIMIT:
        raise ValidationFailed(f"A batch takes at most {BATCH_LIMIT} inputs; this one has {len(inputs)}",
                               [FieldError(f"At most {BATCH_LIMIT} inputs", "TOO_MANY_INPUTS", "inputs")])


# --- properties: fixed paths first, which /{object_type}/{property_name} would shadow ---------------


@properties_router.get("/{object_type}", response={200: Properties, **ERRORS}, exclude_none=True, summary="List properties")
def list_properties(request: HttpRequest, object_type: str):
    found = object_type_for(request, object_type, "read")
    archived = bool_param(request, "archived")
    return {"results": [render_property(p) for p in PropertyDefinition.objects.filter(object_type=found, archived=archived)]}


@properties_router.post("/{object_type}", response={201: Property, **ERRORS}, exclude_none=True, summary="Create a property")
def create_property(request: HttpRequest, object_type: str, payload: PropertyCreate):
    found = object_type_for(request, object_type, "write")
    return 201, render_property(services.create_property(found, property_data(payload), user_of(request)))


@properties_router.post("/{object_type}/batch/create", response={201: PropertyBatch, 207: PropertyBatch, **ERRORS},
                        exclude_none=True, by_alias=True, summary="Create a batch of properties")
def batch_create(request: HttpRequest, object_type: str, payload: BatchPropertyCreate):
    found = object_type_for(request, object_type, "write")
    check_batch(payload.inputs)
    started = now()
    results, errors = [], []
    for item in payload.inputs:
        try:
            results.append(render_property(services.create_property(found, property_data(item), user_of(request))))
        except SchedaError as error:
            errors.append(batch_error(error, item.name))
    return (207 if errors else 201), batch_body(results, started, errors)


@properties_router.post("/{object_type}/batch/read", response={200: PropertyBatch, 207: PropertyBatch, **ERRORS},
                        exclude_none=True, by_alias=True, summary="Read a batch of properties")
def batch_read(request: HttpRequest, object_type: str, payload: BatchPropertyRead):
    found = object_type_for(request, object_type, "read")
    check_batch(payload.inputs)
    started = now()
    names = list(dict.fromkeys(item.name for item in payload.inputs))
    props = {p.name: p for p in PropertyDefinition.objects.filter(object_type=found, archived=payload.archived, name__in=names)}
    errors = [batch_error(NotFound(f"No property {name!r} on {found.plural_label}",
                                   [FieldError(f"No property {name!r}", "PROPERTY_DOESNT_EXIST", "name")]), name)
              for name in names if name not in props]
    return (207 if errors else 200), batch_body([render_property(props[n]) for n in names if n in props], started, errors)


@properties_router.post("/{object_type}/batch/archive", response={204: None, **ERRORS}, summary="Archive a batch of properties")
def batch_archive(request: HttpRequest, object_type: str, payload: BatchPropertyNames):
    found = object_type_for(request, object_type, "write")
    check_batch(payload.inputs)
    with transaction.atomic():
        for name in dict.fromkeys(item.name for item in payload.inputs):
            services.archive_property(services.get_property(found, name), user_of(request))
    return 204, None


# --- groups -----------------------------------------------------------------------------------------


@properties_router.get("/{object_type}/groups", response={200: Groups, **ERRORS}, summary="List property groups")
def list_groups(request: HttpRequest, object_type: str):
    found = object_type_for(request, object_type, "read")
    return {"results": [render_group(g) for g in PropertyGroup.objects.filter(object_type=found, archived=False)]}


@properties_router.post("/{object_type}/groups", response={201: Group, **ERRORS}, summary="Create a property group")
def create_group(request: HttpRequest, object_type: str, payload: PropertyGroupCreate):
    found = object_type_for(request, object_type, "write")
    group = services.create_group(found, payload.name, payload.label,
                                  -1 if payload.displayOrder is None else payload.displayOrder)
    return 201, render_group(group)


@properties_router.get("/{object_type}/groups/{group_name}", response={200: Group, **ERRORS}, summary="Read a property group")
def read_group(request: HttpRequest, object_type: str, group_name: str):
    found = object_type_for(request, object_type, "read")
    return render_group(services.get_group(found, group_name))


@properties_router.patch("/{object_type}/groups/{group_name}", response={200: Group, **ERRORS}, summary="Update a property group")
def update_group(request: HttpRequest, object_type: str, group_name: str, payload: PropertyGroupUpdate):
    found = object_type_for(request, object_type, "write")
    group = services.update_group(services.get_group(found, group_name), payload.label, payload.displayOrder)
    return render_group(group)


@properties_router.delete("/{object_type}/groups/{group_name}", response={204: None, **ERRORS}, summary="Archive a property group")
def archive_group(request: HttpRequest, object_type: str, group_name: str):
    found = object_type_for(request, object_type, "write")
    services.archive_group(services.get_group(found, group_name))
    return 204, None


# --- one property -----------------------------------------------------------------------------------


@properties_router.get("/{object_type}/{property_name}", response={200: Property, **ERRORS}, exclude_none=True, summary="Read a property")
def read_property(request: HttpRequest, object_type: str, property_name: str):
    found = object_type_for(request, object_type, "read")
    return render_property(services.get_property(found, property_name, bool_param(request, "archived")))


@properties_router.patch("/{object_type}/{property_name}", response={200: Property, **ERRORS}, exclude_none=True, summary="Update a property")
def update_property(request: HttpRequest, object_type: str, property_name: str, payload: PropertyUpdate):
    found = object_type_for(request, object_type, "write")
    prop = services.get_property(found, property_name)
    return render_property(services.update_property(prop, property_data(payload), user_of(request)))


@properties_router.delete("/{object_type}/{property_name}", response={204: None, **ERRORS}, summary="Archive a property")
def archive_property(request: HttpRequest, object_type: str, property_name: str):
    found = object_type_for(request, object_type, "write")
    services.archive_property(services.get_property(found, property_name), user_of(request))
    return 204, None


# --- custom object schemas --------------------------------------------------------------------------


def custom_schemas(request: HttpRequest, access: str) -> None:
    """Custom object schemas: the token's scope, the Enterprise tier (whoever asks), and for a
    user who changes one the right to manage properties and objects."""
    require(request, *(("crm.schemas.custom.read", "crm.schemas.custom.write") if access == "read"
                       else ("crm.schemas.custom.write",)))
    tiers.check("custom_objects")
    if access == "write":
        require_right(request, "manage_properties")


def custom_type(request: HttpRequest, key: str, access: str) -> ObjectType:
    custom_schemas(request, access)
    object_type = get_object_type(key)
    if not object_type.is_custom:
        raise NotFound(f"{object_type.plural_label} is not a custom object",
                       [FieldError(f"{key!r} is not a custom object", "NOT_A_CUSTOM_OBJECT", "objectType")])
    return object_type


def render_schemas(object_types: list[ObjectType]) -> list[dict[str, Any]]:
    """Object types with their properties and association definitions, in two queries."""
    props: dict[int, list[PropertyDefinition]] = defaultdict(list)
    for prop in PropertyDefinition.objects.filter(object_type__in=object_types, archived=False):
        props[prop.object_type_id].append(prop)
    associations: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for kind in AssociationType.objects.filter(from_object_type__in=object_types).select_related(
            "from_object_type", "to_object_type").order_by("id"):
        associations[kind.from_object_type_id].append({
            "id": str(kind.pk), "fromObjectTypeId": kind.from_object_type.object_type_id,
            "toObjectTypeId": kind.to_object_type.object_type_id, "name": kind.name or None})
    out = []
    for object_type in object_types:
        mine = props[object_type.pk]
        out.append({
            "id": str(object_type.pk),
            "objectTypeId": object_type.object_type_id,
            "name": object_type.name,
            "fullyQualifiedName": services.fully_qualified_name(object_type),
            "labels": {"singular": object_type.singular_label, "plural": object_type.plural_label},
            "description": object_type.description or None,
            "primaryDisplayProperty": object_type.primary_display_property or None,
            "secondaryDisplayProperties": list(object_type.secondary_display_properties),
            "requiredProperties": [p.name for p in mine if p.required],
            "searchableProperties": [p.name for p in mine if p.searchable],
            "properties": [render_property(p) for p in mine],
            "associations": associations[object_type.pk],
            "createdAt": format_datetime(object_type.created_at),
            "updatedAt": format_datetime(object_type.updated_at),
            "archived": object_type.archived,
        })
    return out


@schemas_router.get("", response={200: ObjectSchemas, **ERRORS}, exclude_none=True, summary="List custom object schemas")
def list_schemas(request: HttpRequest):
    custom_schemas(request, "read")
    archived = bool_param(request, "archived")
    return {"results": render_schemas(list(ObjectType.objects.filter(is_custom=True, archived=archived)))}


@schemas_router.post("", response={201: ObjectSchema, **ERRORS}, exclude_none=True, summary="Create a custom object")
def create_schema(request: HttpRequest, payload: ObjectSchemaEgg):
    custom_schemas(request, "write")
    for index, other in enumerate(payload.associatedObjects):
        try:
            get_object_type(other)
        except NotFound:
            raise ValidationFailed(f"associatedObjects names an unknown object type {other!r}",
                                   [FieldError(f"Unknown object type {other!r}", "UNKNOWN_OBJECT_TYPE", "associatedObjects",
                                               {"index": [str(index)]})]) from None
    properties = [property_data(p) for p in payload.properties]
    primary = payload.primaryDisplayProperty or (properties[0]["name"] if properties else "")
    object_type = services.create_object_type(
        name=payload.name, singular=payload.labels.singular or "", plural=payload.labels.plural or "",
        primary_display_property=primary, properties=properties, required=payload.requiredProperties,
        searchable=payload.searchableProperties, secondary_display_properties=payload.secondaryDisplayProperties,
        associated_objects=payload.associatedObjects, description=payload.description or "", user=user_of(request))
    return 201, render_schemas([object_type])[0]


@schemas_router.get("/{object_type}", response={200: ObjectSchema, **ERRORS}, exclude_none=True, summary="Read a custom object schema")
def read_schema(request: HttpRequest, object_type: str):
    return render_schemas([custom_type(request, object_type, "read")])[0]


@schemas_router.patch("/{object_type}", response={200: ObjectTypeDefinition, **ERRORS}, exclude_none=True, summary="Update a custom object schema")
def update_schema(request: HttpRequest, object_type: str, payload: ObjectSchemaPatch):
    found = custom_type(request, object_type, "write")
    data: dict[str, Any] = {}
    if payload.labels and payload.labels.singular:
        data["singular_label"] = payload.labels.singular
    if payload.labels and payload.labels.plural:
        data["plural_label"] = payload.labels.plural
    if payload.primaryDisplayProperty is not None:
        data["primary_display_property"] = payload.primaryDisplayProperty
    if payload.secondaryDisplayProperties is not None:
        data["secondary_display_properties"] = payload.secondaryDisplayProperties
    if payload.description is not None:
        data["description"] = payload.description
    if payload.clearDescription:
        data["description"] = ""
    with transaction.atomic():
        found = services.update_object_type(found, data)
        if payload.requiredProperties is not None or payload.searchableProperties is not None:
            services.set_property_roles(found, payload.requiredProperties, payload.searchableProperties)
    return render_schemas([found])[0]


@schemas_router.delete("/{object_type}", response={204: None, **ERRORS}, summary="Archive a custom object schema")
def archive_schema(request: HttpRequest, object_type: str):
    services.archive_object_type(custom_type(request, object_type, "write"))
    return 204, None

