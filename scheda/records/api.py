"""/crm/v3/objects/{objectType}: records of every object type, as HubSpot's CRM API serves them.
Endpoints parse, call the record services, and render."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from django.http import HttpRequest
from ninja import Router
from pydantic import Field

from scheda.accounts.permissions import OWNER
from scheda.api.auth import (
    can_view,
    check_edit,
    hidden,
    owned_values,
    owners,
    require_action,
    require_records,
)
from scheda.api.params import bool_param, int_param, list_param
from scheda.api.schemas import ERRORS, Paging, Schema, StandardError, author, now
from scheda.associations.models import AssociationType
from scheda.associations.services import pair_record_missing
from scheda.errors import FieldError, Forbidden, NotFound, ValidationFailed, unstorable
from scheda.objects import catalogue
from scheda.objects.services import Schema as ObjectSchema
from scheda.objects.services import get_object_type, load_schema
from scheda.objects.types import PropertyValueError, WriteContext, format_datetime
from scheda.records import services, storage
from scheda.records.models import Record
from scheda.records.query import Compiler, Filter, Query
from scheda.records.services import RecordInput
from scheda.transactions import retried

router = Router(tags=["Objects"])
BATCH_LIMIT = 100
Value = str | int | float | bool | None


# --- request and response bodies (HubSpot's models) -------------------------------------------------


class AssociationSpec(Schema):
    associationCategory: str = "HUBSPOT_DEFINED"
    associationTypeId: int


class PublicObjectId(Schema):
    id: str


class AssociationInput(Schema):
    to: PublicObjectId
    types: list[AssociationSpec] = Field(min_length=1)


class CreateInput(Schema):
    properties: dict[str, Value] = {}
    associations: list[AssociationInput] = []


class UpdateInput(Schema):
    properties: dict[str, Value]


class BatchCreate(Schema):
    inputs: list[CreateInput]


class BatchUpdateInput(Schema):
    id: str
    idProperty: str | None = None
    properties: dict[str, Value]


class BatchUpdate(Schema):
    inputs: list[BatchUpdateInput]


class BatchUpsertInput(Schema):
    id: str
    idProperty: str
    properties: dict[str, Value] = {}


class BatchUpsert(Schema):
    inputs: list[BatchUpsertInput]


class BatchRead(Schema):
    inputs: list[PublicObjectId]
    properties: list[str] = []
    propertiesWithHistory: list[str] = []
    idProperty: str | None = None


class BatchArchive(Schema):
    inputs: list[PublicObjectId]


class FilterInput(Schema):
    propertyName: str
    operator: str
    value: Value = None
    highValue: Value = None
    values: list[Value] | None = None


class FilterGroup(Schema):
    filters: list[FilterInput] = []


class SearchRequest(Schema):
    filterGroups: list[FilterGroup] = []
    sorts: list[str | dict[str, str]] = []
    query: str | None = None
    properties: list[str] = []
    limit: int = Field(10, ge=0, le=200)
    after: str | None = None


class MergeInput(Schema):
    primaryObjectId: str
    objectIdToMerge: str


class GdprDeleteInput(Schema):
    objectId: str
    idProperty: str | None = None


class ValueWithTimestamp(Schema):
    value: str
    timestamp: str
    sourceType: str
    sourceId: str | None = None
    updatedByUserId: int | None = None


class AssociatedId(Schema):
    id: str
    type: str


class AssociatedIds(Schema):
    results: list[AssociatedId]


class PublicObject(Schema):
    id: str
    properties: dict[str, str | None]
    propertiesWithHistory: dict[str, list[ValueWithTimestamp]] | None = None
    createdAt: str
    updatedAt: str
    archived: bool
    archivedAt: str | None = None
    associations: dict[str, AssociatedIds] | None = None


class UpsertedObject(PublicObject):
    new: bool


class ObjectPage(Schema):
    results: list[PublicObject]
    paging: Paging | None = None


class SearchPage(ObjectPage):
    total: int


class BatchResult(Schema):
    status: str
    results: list[PublicObject]
    numErrors: int | None = None
    errors: list[StandardError] | None = None
    requestedAt: str | None = None
    startedAt: str
    completedAt: str


class BatchUpsertResult(BatchResult):
    results: list[UpsertedObject]  # type: ignore[assignment]


# --- rendering --------------------------------------------------------------------------------------


def default_properties(schema: ObjectSchema) -> list[str]:
    """What HubSpot returns when no properties are asked for: the display properties and the
    system dates and id."""
    object_type = schema.object_type
    names = [object_type.primary_display_property, *object_type.secondary_display_properties,
             "createdate", "lastmodifieddate", "hs_object_id"]
    return [n for n in dict.fromkeys(names) if n in schema.properties]


def render(schema: ObjectSchema, record: Record, properties: list[str] | None, with_history: list[str] | None = None,
           associations: dict[str, list[dict[str, str]]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(record.pk),
        "properties": services.api_properties(schema, record, properties if properties else default_properties(schema)),
        "createdAt": format_datetime(record.created_at),
        "updatedAt": format_datetime(record.updated_at),
        "archived": record.archived,
    }
    if record.archived and record.archived_at:
        body["archivedAt"] = format_datetime(record.archived_at)
    if with_history:
        history = services.property_history(schema, record, with_history)
        body["propertiesWithHistory"] = {
            name: [{"value": v.value, "timestamp": v.timestamp, "sourceType": str(v.source),
                    "sourceId": v.source_id or None, "updatedByUserId": v.user_id} for v in versions]
            for name, versions in history.items()
        }
    if associations is not None:
        body["associations"] = {name: {"results": rows} for name, rows in associations.items() if rows}
    return body


def associations_for(request: HttpRequest, record_ids: list[int],
                     names: list[str] | None) -> dict[int, dict[str, list[dict[str, str]]]]:
    """The v3 `associations` of records: per object type asked for, the associated ids with
    each association type's name, in one query (and one more for a user who may not view every
    associated record: those are left out)."""
    if not names:
        return {}
    types = [get_object_type(name) for name in names]
    wanted = {t.pk: name for t, name in zip(types, names, strict=True)}
    found = services.associations_of(record_ids, to_types=wanted)
    reach = {t.pk: owners(request, t) for t in types}
    target_type = {a.to_record_id: a.type.to_object_type_id for rows in found.values() for a in rows}
    shown = set(target_type)
    if any(o is not None for o in reach.values()):
        owner_of = dict(Record.objects.filter(pk__in=shown).values_list("pk", f"properties__{OWNER}"))
        shown = {i for i in shown
                 if (o := reach[target_type[i]]) is None or str(owner_of.get(i) or "") in o}
    out: dict[int, dict[str, list[dict[str, str]]]] = defaultdict(lambda: {name: [] for name in wanted.values()})
    for record_id, rows in found.items():
        for association in rows:
            if association.to_record_id in shown:
                out[record_id][wanted[association.type.to_object_type_id]].append(
                    {"id": str(association.to_record_id), "type": type_name(association.type)})
    return out


# Pairs of object types with a "Primary" association: there HubSpot calls the primary type
# "contact_to_company" and the unlabeled one "contact_to_company_unlabeled".
PRIMARY_PAIRS = {(f, t) for _id, f, t, label, _inverse in catalogue.ASSOCIATION_TYPES if label == "Primary"}


def type_name(association_type: AssociationType) -> str:
    """HubSpot's v3 name of an association type ("contact_to_company", ...)."""
    from_type, to_type = association_type.from_object_type, association_type.to_object_type
    base = f"{from_type.singular_label}_to_{to_type.singular_label}".lower().replace(" ", "_")
    if association_type.label is None:
        return f"{base}_unlabeled" if (from_type.name, to_type.name) in PRIMARY_PAIRS else base
    if association_type.label == "Primary":
        return base
    return association_type.name


def schema_for(request: HttpRequest, object_type: str, access: str) -> ObjectSchema:
    """The schema of the path's object type; the token must reach its records to `access` them
    (scopes, then the user's access to the object type)."""
    schema = load_schema(object_type)
    require_records(request, schema.object_type, access)
    return schema


def record_id(value: str, name: str = "id") -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound(f"No record with id {value!r}", [FieldError(f"{value!r} is not a record id", "INVALID_ID", name)]) from None
    if number <= 0 or number > 2**62:
        raise NotFound(f"No record with id {value!r}", [FieldError(f"{value!r} is not a record id", "INVALID_ID", name)])
    return number


def cursor(value: str | None) -> int | None:
    """An `after` paging cursor: the id of the last record of the previous page."""
    if not value:
        return None
    if not value.isdigit():
        raise ValidationFailed(f"{value!r} is not a paging cursor: pass paging.next.after back as it came",
                               [FieldError("Not a paging cursor", "INVALID_CURSOR", "after")])
    return int(value)


def find(schema: ObjectSchema, value: str, id_property: str | None, archived: bool = False) -> Record:
    """A record by id, or by the value of a unique property (`idProperty`)."""
    if id_property and id_property != "hs_object_id":
        prop = schema.properties.get(id_property)
        if prop is None or not prop.unique:
            raise ValidationFailed(f"{id_property!r} is not a unique property of {schema.object_type.plural_label}",
                                   [FieldError("idProperty must name a unique property", "INVALID_ID_PROPERTY", "idProperty")])
        try:
            normalised = schema.types[id_property].normalise(prop, value, WriteContext())
        except PropertyValueError:
            if unstorable(value):  # no record holds it, and PostgreSQL would refuse to compare it
                raise missing(schema, value, id_property, archived) from None
            normalised = value
        found = [i for i, _ in storage.holders(schema.object_type.pk, id_property, [normalised])] if not archived else []
        if not found:
            raise missing(schema, value, id_property, archived)
        return Record.objects.select_related("object_type").get(pk=found[0])
    return services.get_record(schema.object_type, record_id(value), archived=archived)


def missing(schema: ObjectSchema, value: str, id_property: str | None, archived: bool = False) -> NotFound:
    if id_property and id_property != "hs_object_id":
        return NotFound(f"No {schema.object_type.singular_label.lower()} with {id_property} {value!r}",
                        [FieldError("Not found", "OBJECT_NOT_FOUND", "id")])
    return services.missing_record(record_id(value), archived)


def find_visible(request: HttpRequest, schema: ObjectSchema, value: str, id_property: str | None,
                 archived: bool = False) -> Record:
    """`find`, among the records the token's user may view: a hidden record answers exactly as
    a missing one, so that its existence does not leak."""
    record = find(schema, value, id_property, archived)
    if not can_view(request, record):
        raise missing(schema, value, id_property, archived)
    return record


def check_targets(request: HttpRequest, pairs: list[tuple[int, int]]) -> None:
    """Associating new records with records the user may not view answers as with missing ones."""
    refused = hidden(request, [to_id for to_id, _ in pairs])
    for index, (to_id, _type) in enumerate(pairs):
        if to_id in refused:
            error = pair_record_missing(to_id, index)
            raise ValidationFailed(error.message, [error])


def check_batch(inputs: list) -> None:
    if len(inputs) > BATCH_LIMIT:
        raise ValidationFailed(f"A batch takes at most {BATCH_LIMIT} inputs; this one has {len(inputs)}",
                               [FieldError(f"At most {BATCH_LIMIT} inputs", "TOO_MANY_INPUTS", "inputs")])


def association_pairs(schema: ObjectSchema, items: list[AssociationInput]) -> list[tuple[int, int]]:
    return [(record_id(item.to.id, "to.id"), spec.associationTypeId) for item in items for spec in item.types]


# --- endpoints: GDPR delete before the generic routes ----------------------------------------------------


@router.post("/contacts/gdpr-delete", response={204: None, **ERRORS}, summary="GDPR delete a contact")
def gdpr_delete(request: HttpRequest, payload: GdprDeleteInput):
    schema = schema_for(request, "contacts", "write")
    require_action(request, schema.object_type, "delete")
    record = find_visible(request, schema, payload.objectId, payload.idProperty)
    check_edit(request, record)
    services.delete_records_permanently([record.pk], author(request))
    return 204, None


@router.get("/{object_type}", response={200: ObjectPage, **ERRORS}, exclude_none=True, summary="List records")
def list_records(request: HttpRequest, object_type: str):
    schema = schema_for(request, object_type, "read")
    limit = int_param(request, "limit", 10, 1, 100)
    query = Query(archived=bool_param(request, "archived"), owners=owners(request, schema.object_type))
    ids, next_after = Compiler(schema).page(query, limit, cursor(request.GET.get("after")))
    return page(request, schema, ids, next_after)


def page(request: HttpRequest, schema: ObjectSchema, ids: list[int], next_after: int | None) -> dict[str, Any]:
    records = Record.objects.in_bulk(ids)
    names = list_param(request, "associations")
    linked = associations_for(request, ids, names)
    properties = list_param(request, "properties")
    history = list_param(request, "propertiesWithHistory")
    body: dict[str, Any] = {"results": [render(schema, records[i], properties, history, linked.get(i, {}) if names else None)
                                        for i in ids if i in records]}
    if next_after is not None:
        body["paging"] = {"next": {"after": str(next_after), "link": f"{request.path}?after={next_after}"}}
    return body


@router.post("/{object_type}", response={201: PublicObject, **ERRORS}, exclude_none=True, summary="Create a record")
def create(request: HttpRequest, object_type: str, payload: CreateInput):
    schema = schema_for(request, object_type, "write")
    values = owned_values(request, schema.object_type, payload.properties, creating=True, has_owner=OWNER in schema.properties)
    pairs = association_pairs(schema, payload.associations)
    check_targets(request, pairs)
    record = services.create_record(schema.object_type, values, author(request), pairs)
    return 201, render(schema, record, list(payload.properties) or None)


# --- batch --------------------------------------------------------------------------------------------


def batch_body(results: list[dict[str, Any]], started: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": now()}
    if errors:
        body.update(numErrors=len(errors), errors=errors)
    return body


@router.post("/{object_type}/batch/create", response={201: BatchResult, **ERRORS}, exclude_none=True, summary="Create a batch of records")
def batch_create(request: HttpRequest, object_type: str, payload: BatchCreate):
    schema = schema_for(request, object_type, "write")
    check_batch(payload.inputs)
    started = now()
    inputs = [RecordInput(owned_values(request, schema.object_type, item.properties, creating=True,
                                       has_owner=OWNER in schema.properties, index=index),
                          association_pairs(schema, item.associations)) for index, item in enumerate(payload.inputs)]
    check_targets(request, [pair for item in inputs for pair in item.associations])
    created = services.create_records(schema.object_type, inputs, author(request), schema=schema)
    return 201, batch_body([render(schema, record, list(item.properties) or None)
                            for record, item in zip(created, payload.inputs, strict=True)], started)


@router.post("/{object_type}/batch/read", response={200: BatchResult, 207: BatchResult, **ERRORS}, exclude_none=True, summary="Read a batch of records")
def batch_read(request: HttpRequest, object_type: str, payload: BatchRead):
    schema = schema_for(request, object_type, "read")
    check_batch(payload.inputs)
    started = now()
    archived = bool_param(request, "archived")
    found: list[Record] = []
    missing: list[str] = []
    if payload.idProperty and payload.idProperty != "hs_object_id":
        for item in payload.inputs:
            try:
                found.append(find_visible(request, schema, item.id, payload.idProperty, archived))
            except NotFound:
                missing.append(item.id)
    else:
        wanted = {}
        for item in payload.inputs:
            try:
                wanted[item.id] = int(item.id)
            except ValueError:
                missing.append(item.id)
        records = Record.objects.filter(object_type=schema.object_type, archived=archived).select_related(
            "object_type").in_bulk(list(wanted.values()))
        records = {pk: r for pk, r in records.items() if can_view(request, r)}
        for key, number in wanted.items():
            (found.append(records[number]) if number in records else missing.append(key))
    results = [render(schema, r, payload.properties or None, payload.propertiesWithHistory or None) for r in dict.fromkeys(found)]
    errors = [{"status": "error", "category": "OBJECT_NOT_FOUND", "message": "Could not get some records",
               "context": {"ids": missing}, "errors": []}] if missing else None
    return (207 if errors else 200), batch_body(results, started, errors)


@router.post("/{object_type}/batch/update", response={200: BatchResult, **ERRORS}, exclude_none=True, summary="Update a batch of records")
def batch_update(request: HttpRequest, object_type: str, payload: BatchUpdate):
    schema = schema_for(request, object_type, "write")
    check_batch(payload.inputs)
    started = now()
    ids = [find_visible(request, schema, item.id, item.idProperty).pk if item.idProperty else record_id(item.id)
           for item in payload.inputs]
    current = Record.objects.filter(object_type=schema.object_type, archived=False).select_related("object_type").in_bulk(ids)
    invisible = {i for i, r in current.items() if not can_view(request, r)}
    updates = []
    for index, (number, item) in enumerate(zip(ids, payload.inputs, strict=True)):
        if number in current and number not in invisible:
            check_edit(request, current[number], index=index)
        updates.append((number, owned_values(request, schema.object_type, item.properties, creating=False, index=index)))
    written = services.update_records(schema.object_type, updates, author(request), schema=schema, hidden=invisible)
    return batch_body([render(schema, written[i], list(item.properties) or None)
                       for i, item in zip(ids, payload.inputs, strict=True)], started)


@router.post("/{object_type}/batch/upsert", response={200: BatchUpsertResult, **ERRORS}, exclude_none=True, summary="Create or update records by a unique property")
def batch_upsert(request: HttpRequest, object_type: str, payload: BatchUpsert):
    schema = schema_for(request, object_type, "write")
    check_batch(payload.inputs)
    started = now()
    results: list[dict[str, Any]] = []

    def found(item: Any) -> Record | None:
        try:
            return find(schema, item.id, item.idProperty)
        except NotFound:
            return None

    @retried  # one transaction, run again whole if it still collides with another writer's
    def upsert_all() -> None:
        results.clear()
        existing_records = [found(item) for item in payload.inputs]
        # Locked in id order before any is written: two batches of the same records in other
        # orders would otherwise each hold one and wait for the other (a deadlock).
        storage.lock_records([r.pk for r in existing_records if r is not None])
        for index, (item, existing) in enumerate(zip(payload.inputs, existing_records, strict=True)):
            if existing is None:
                values = {**item.properties} if item.idProperty == "hs_object_id" else {**item.properties, item.idProperty: item.id}
                values = owned_values(request, schema.object_type, values, creating=True,
                                      has_owner=OWNER in schema.properties, index=index)
                created = services.create_record(schema.object_type, values, author(request))
                results.append({**render(schema, created, list(values)), "new": True})
            else:
                if not can_view(request, existing):
                    # Its unique value is taken: say so without naming the record.
                    message = (f"You don't have permission to edit the {schema.object_type.singular_label.lower()} with "
                               f"{item.idProperty} {item.id!r}")
                    raise Forbidden(message, [FieldError(message, "FORBIDDEN", "id", {"index": index})])
                check_edit(request, existing, index=index)
                properties = owned_values(request, schema.object_type, item.properties, creating=False, index=index)
                updated = services.update_record(existing, properties, author(request))
                results.append({**render(schema, updated, list(item.properties) or None), "new": False})

    upsert_all()
    return {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": now()}


@router.post("/{object_type}/batch/archive", response={204: None, **ERRORS}, summary="Archive a batch of records")
def batch_archive(request: HttpRequest, object_type: str, payload: BatchArchive):
    schema = schema_for(request, object_type, "write")
    check_batch(payload.inputs)
    require_action(request, schema.object_type, "bulk_delete")
    ids = [record_id(item.id) for item in payload.inputs]
    current = Record.objects.filter(object_type=schema.object_type, archived=False).select_related("object_type").in_bulk(ids)
    # Records the user may not view are passed over, as missing ones are; one they may view but
    # not edit refuses the whole batch.
    visible = {i for i, record in current.items() if can_view(request, record)}
    for index, number in enumerate(ids):
        if number in visible:
            check_edit(request, current[number], index=index)
    services.archive_records(schema.object_type, [i for i in ids if i in visible], author(request))
    return 204, None


# --- search and merge ------------------------------------------------------------------------------------


def parse_sort(sorts: list[str | dict[str, str]]) -> tuple[str, bool]:
    if not sorts:
        return "hs_object_id", False
    if len(sorts) > 1:
        raise ValidationFailed("Search takes one sort", [FieldError("At most one sort", "TOO_MANY_SORTS", "sorts")])
    sort = sorts[0]
    if isinstance(sort, str) and sort.strip().startswith("{"):
        try:
            sort = json.loads(sort)
        except ValueError:
            raise ValidationFailed("A sort is a property name or {propertyName, direction}",
                                   [FieldError("Unreadable sort", "INVALID_SORT", "sorts")]) from None
    if isinstance(sort, dict):
        direction = str(sort.get("direction", "ASCENDING")).upper()
        if direction not in ("ASCENDING", "DESCENDING"):
            raise ValidationFailed("direction is ASCENDING or DESCENDING", [FieldError("Bad direction", "INVALID_SORT", "sorts.direction")])
        return str(sort.get("propertyName", "")), direction == "DESCENDING"
    return (sort[1:], True) if sort.startswith("-") else (sort, False)


@router.post("/{object_type}/search", response={200: SearchPage, **ERRORS}, exclude_none=True, summary="Search records")
def search(request: HttpRequest, object_type: str, payload: SearchRequest):
    schema = schema_for(request, object_type, "read")
    sort, descending = parse_sort(payload.sorts)
    query = Query(
        filter_groups=[[Filter(f.propertyName, f.operator, f.value, f.highValue, f.values) for f in group.filters]
                       for group in payload.filterGroups],
        text=payload.query or "", sort=sort, descending=descending, owners=owners(request, schema.object_type),
    )
    compiler = Compiler(schema)
    ids, next_after = compiler.page(query, payload.limit, cursor(payload.after)) if payload.limit else ([], None)
    records = Record.objects.in_bulk(ids)
    body: dict[str, Any] = {
        "total": compiler.count(query),
        "results": [render(schema, records[i], payload.properties or None) for i in ids if i in records],
    }
    if next_after is not None:
        body["paging"] = {"next": {"after": str(next_after), "link": None}}
    return body


@router.post("/{object_type}/merge", response={200: PublicObject, **ERRORS}, exclude_none=True, summary="Merge two records")
def merge(request: HttpRequest, object_type: str, payload: MergeInput):
    schema = schema_for(request, object_type, "write")
    require_action(request, schema.object_type, "merge")
    primary = find_visible(request, schema, str(record_id(payload.primaryObjectId, "primaryObjectId")), None)
    merged = find_visible(request, schema, str(record_id(payload.objectIdToMerge, "objectIdToMerge")), None)
    check_edit(request, primary, "primaryObjectId")
    check_edit(request, merged, "objectIdToMerge")
    services.merge_records(primary, merged, author(request))
    primary.refresh_from_db()
    return render(schema, primary, None)


# --- one record: after the fixed paths above, which its pattern would shadow -----------------------


@router.get("/{object_type}/{object_id}", response={200: PublicObject, **ERRORS}, exclude_none=True, summary="Read a record")
def read(request: HttpRequest, object_type: str, object_id: str):
    schema = schema_for(request, object_type, "read")
    record = find_visible(request, schema, object_id, request.GET.get("idProperty"), bool_param(request, "archived"))
    names = list_param(request, "associations")
    linked = associations_for(request, [record.pk], names).get(record.pk, {}) if names else None
    return render(schema, record, list_param(request, "properties"), list_param(request, "propertiesWithHistory"), linked)


@router.patch("/{object_type}/{object_id}", response={200: PublicObject, **ERRORS}, exclude_none=True, summary="Update a record")
def update(request: HttpRequest, object_type: str, object_id: str, payload: UpdateInput):
    schema = schema_for(request, object_type, "write")
    record = find_visible(request, schema, object_id, request.GET.get("idProperty"))
    check_edit(request, record)
    properties = owned_values(request, schema.object_type, payload.properties, creating=False)
    record = services.update_record(record, properties, author(request))
    return render(schema, record, list(payload.properties) or None)


@router.delete("/{object_type}/{object_id}", response={204: None, **ERRORS}, summary="Archive a record")
def archive(request: HttpRequest, object_type: str, object_id: str):
    schema = schema_for(request, object_type, "write")
    require_action(request, schema.object_type, "delete")
    number = record_id(object_id)
    record = Record.objects.filter(pk=number, object_type=schema.object_type, archived=False).select_related("object_type").first()
    # A missing record, or one the user may not view, is answered alike: nothing to archive.
    if record is not None and can_view(request, record):
        check_edit(request, record)
        services.archive_records(schema.object_type, [number], author(request))
    return 204, None
