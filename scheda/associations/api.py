"""/crm/v4: HubSpot's associations v4 — associations between records with their labels, in
one and in batches, the labels (association types) between two object types, and their limits.
Endpoints parse, call the association services, and render."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest
from ninja import Body, Router
from pydantic import Field

from scheda.api.auth import (
    MissingScope,
    can_view,
    check_edit,
    hidden,
    owners,
    require_object,
    require_records,
    require_right,
    rights,
)
from scheda.api.params import int_param
from scheda.api.schemas import ERRORS, Paging, Schema, now
from scheda.associations import services
from scheda.associations.models import Association, AssociationType
from scheda.associations.services import Pair
from scheda.errors import FieldError, Forbidden, NotFound, ValidationFailed
from scheda.objects import catalogue
from scheda.objects.models import ObjectType
from scheda.objects.services import get_object_type
from scheda.records.models import Record
from scheda.records.services import get_record, missing_record

router = Router(tags=["Associations v4"])
BATCH_LIMIT = 2000
READ_BATCH_LIMIT = 1000
PAGE_LIMIT = 500
Category = Literal["HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED"]


# --- request and response bodies (HubSpot's models) -------------------------------------------------


class AssociationSpec(Schema):
    associationCategory: Category
    associationTypeId: int


class ObjectId(Schema):
    id: str


class LabelsBetweenObjectPair(Schema):
    fromObjectTypeId: str
    fromObjectId: str
    toObjectTypeId: str
    toObjectId: str
    labels: list[str]


class SpecWithLabel(Schema):
    category: Category
    typeId: int
    label: str | None = None


class SpecsWithLabel(Schema):
    results: list[SpecWithLabel]


class MultiAssociated(Schema):
    toObjectId: str
    associationTypes: list[SpecWithLabel]


class AssociatedPage(Schema):
    results: list[MultiAssociated]
    paging: Paging | None = None


class MultiPost(Schema):
    from_: ObjectId = Field(alias="from")
    to: ObjectId
    types: list[AssociationSpec]


class BatchMultiPost(Schema):
    inputs: list[MultiPost]


class DefaultPost(Schema):
    from_: ObjectId = Field(alias="from")
    to: ObjectId


class BatchDefaultPost(Schema):
    inputs: list[DefaultPost]


class FetchRequest(Schema):
    id: str
    after: str | None = None


class BatchFetch(Schema):
    inputs: list[FetchRequest]


class MultiArchive(Schema):
    from_: ObjectId = Field(alias="from")
    to: list[ObjectId]


class BatchMultiArchive(Schema):
    inputs: list[MultiArchive]


class DefaultAssociation(Schema):
    from_: ObjectId = Field(alias="from")
    to: ObjectId
    associationSpec: AssociationSpec


class MultiWithLabel(Schema):
    from_: ObjectId = Field(alias="from")
    to: list[MultiAssociated]
    paging: Paging | None = None


class BatchErrorDetail(Schema):
    message: str
    code: str | None = None
    in_: str | None = Field(None, alias="in")
    context: dict[str, list[str]] | None = None


class BatchError(Schema):
    """HubSpot's StandardError as the SDK reads it: `links` present, contexts of string lists."""

    status: str
    category: str
    message: str
    errors: list[BatchErrorDetail]
    context: dict[str, list[str]]
    links: dict[str, str]


class BatchResponse(Schema):
    status: str
    numErrors: int | None = None
    errors: list[BatchError] | None = None
    startedAt: str
    completedAt: str


class BatchLabelsResponse(BatchResponse):
    results: list[LabelsBetweenObjectPair]


class BatchDefaultResponse(BatchResponse):
    results: list[DefaultAssociation]


class BatchReadResponse(BatchResponse):
    results: list[MultiWithLabel]


class LabelCreate(Schema):
    label: str
    name: str = ""
    inverseLabel: str | None = None


class LabelUpdate(Schema):
    associationTypeId: int
    label: str
    inverseLabel: str | None = None


class ConfigurationInput(Schema):
    category: Category
    typeId: int
    maxToObjectIds: int


class BatchConfigurationInput(Schema):
    inputs: list[ConfigurationInput]


class TypeSpec(Schema):
    category: Category
    typeId: int


class BatchTypeSpec(Schema):
    inputs: list[TypeSpec]


class Configuration(Schema):
    category: Category
    typeId: int
    label: str | None = None
    userEnforcedMaxToObjectIds: int | None = None


class Configurations(Schema):
    results: list[Configuration]


class ConfigurationUpdate(Schema):
    category: Category
    typeId: int
    userEnforcedMaxToObjectIds: int | None = None


class BatchConfigurationResponse(BatchResponse):
    results: list[Configuration]


class BatchConfigurationUpdateResponse(BatchResponse):
    results: list[ConfigurationUpdate]


# --- parsing and rendering ----------------------------------------------------------------------


def object_pair(request: HttpRequest, from_name: str, to_name: str, access: str) -> tuple[ObjectType, ObjectType]:
    """The two object types of the path; the token needs `access` to both."""
    from_type, to_type = get_object_type(from_name), get_object_type(to_name)
    require_object(request, from_type, access)
    require_object(request, to_type, access)
    return from_type, to_type


def record_pair(request: HttpRequest, from_name: str, to_name: str, access: str) -> tuple[ObjectType, ObjectType]:
    """The two object types of associations between records: the token's scopes to `access`
    both; then, for a user, reading needs view access to both types, writing edit access to the
    "from" type and view access to the "to" type."""
    from_type, to_type = object_pair(request, from_name, to_name, access)
    require_records(request, from_type, access)
    require_records(request, to_type, "read")
    return from_type, to_type


def definitions_pair(request: HttpRequest, from_name: str, to_name: str, access: str) -> tuple[ObjectType, ObjectType]:
    """The two object types of association labels and limits: definitions, which a user changes
    with the right to manage properties and objects."""
    pair = object_pair(request, from_name, to_name, access)
    if access == "write":
        require_right(request, "manage_properties")
    return pair


def may(request: HttpRequest, object_type: ObjectType, access: str) -> bool:
    try:
        require_object(request, object_type, access)
    except (MissingScope, Forbidden):
        return False
    return True


def parse_id(value: str | int, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 0 < number <= 2**62:
        raise NotFound(f"No record with id {value!r}", [FieldError(f"{value!r} is not a record id", "INVALID_ID", name)])
    return number


def spec(association_type: AssociationType) -> dict[str, Any]:
    return {"category": association_type.category, "typeId": association_type.pk, "label": association_type.label}


def check_spec(item: AssociationSpec, types: dict[int, AssociationType], from_type: ObjectType,
               to_type: ObjectType) -> FieldError | None:
    """The type must join `from_type` to `to_type`, under its own category."""
    kind = types.get(item.associationTypeId)
    if kind is None:
        return FieldError(f"Association type {item.associationTypeId} does not join {from_type.plural_label} to "
                          f"{to_type.plural_label}", "INVALID_ASSOCIATION_TYPE", "associationTypeId",
                          {"associationTypeId": item.associationTypeId})
    if kind.category != item.associationCategory:
        return FieldError(f"Association type {kind.pk} is {kind.category}, not {item.associationCategory}",
                          "INVALID_ASSOCIATION_CATEGORY", "associationCategory", {"associationTypeId": kind.pk})
    return None


def types_of(from_type: ObjectType, to_type: ObjectType) -> dict[int, AssociationType]:
    return {t.pk: t for t in services.types_between(from_type, to_type)}


def labels_between(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], list[str]]:
    """The labels each pair of records is associated under, from -> to."""
    out: dict[tuple[int, int], list[str]] = defaultdict(list)
    froms = {f for f, _ in pairs}
    if not froms:
        return out
    wanted = set(pairs)
    rows = (Association.objects.filter(from_record_id__in=froms, to_record_id__in={t for _, t in pairs})
            .exclude(type__label=None).order_by("type_id").values_list("from_record_id", "to_record_id", "type__label"))
    for from_id, to_id, label in rows:
        if (from_id, to_id) in wanted:
            out[(from_id, to_id)].append(label or "")
    return out


def labels_body(from_type: ObjectType, to_type: ObjectType, from_id: int, to_id: int, labels: list[str]) -> dict[str, Any]:
    return {"fromObjectTypeId": from_type.object_type_id, "fromObjectId": str(from_id),
            "toObjectTypeId": to_type.object_type_id, "toObjectId": str(to_id), "labels": labels}


def default_bodies(forward: AssociationType, from_id: int, to_id: int) -> list[dict[str, Any]]:
    """Both directions of a default association, as HubSpot reports them."""
    inverse_id = forward.inverse_id or forward.pk
    return [
        {"from": {"id": str(from_id)}, "to": {"id": str(to_id)},
         "associationSpec": {"associationCategory": forward.category, "associationTypeId": forward.pk}},
        {"from": {"id": str(to_id)}, "to": {"id": str(from_id)},
         "associationSpec": {"associationCategory": forward.category, "associationTypeId": inverse_id}},
    ]


def associated(rows: list[tuple[int, list[AssociationType]]]) -> list[dict[str, Any]]:
    return [{"toObjectId": str(to_id), "associationTypes": [spec(t) for t in kinds]} for to_id, kinds in rows]


def batch_error(error: FieldError, context: dict[str, list[str]]) -> dict[str, Any]:
    detail = error.as_dict()
    if error.context:
        detail["context"] = {key: [str(v) for v in (value if isinstance(value, list) else [value])]
                             for key, value in error.context.items()}
    return {"status": "error", "category": "VALIDATION_ERROR", "message": error.message,
            "errors": [detail], "context": context, "links": {}}


def batch_body(results: list[dict[str, Any]], started: str, errors: list[dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": now()}
    if errors:
        body.update(numErrors=len(errors), errors=errors)
    return body


def check_batch(inputs: list, limit: int = BATCH_LIMIT) -> None:
    if len(inputs) > limit:
        raise ValidationFailed(f"A batch takes at most {limit} inputs; this one has {len(inputs)}",
                               [FieldError(f"At most {limit} inputs", "TOO_MANY_INPUTS", "inputs")])


def record_of(request: HttpRequest, object_type: ObjectType, value: str, name: str) -> Record:
    """A record the token's user may view: a hidden one answers as a missing one."""
    record = get_record(object_type, parse_id(value, name))
    if not can_view(request, record):
        raise missing_record(record.pk)
    return record


def check_pairs(request: HttpRequest, pairs: list[tuple[int, int]], inputs: list[int], from_type: ObjectType) -> set[int]:
    """Before writing associations between the records of `pairs` (from, to): the records the
    user may not view, to be answered as missing; a "from" record (of `from_type`; others fail
    as before) they may view but not edit refuses the whole call, naming it (`inputs` gives
    each pair's input index)."""
    found = rights(request)
    if found is None:
        return set()
    records = Record.objects.filter(pk__in={i for pair in pairs for i in pair}).select_related("object_type").in_bulk()
    invisible = {pk for pk, record in records.items() if not found.can_view(record)}
    for (from_id, _to_id), index in zip(pairs, inputs, strict=True):
        if from_id in records and from_id not in invisible and records[from_id].object_type_id == from_type.pk:
            check_edit(request, records[from_id], "from.id", index=index)
    return invisible


def typed_ids(ids: set[int]) -> dict[int, int]:
    """The object type id of each active record among `ids`."""
    return dict(Record.objects.filter(pk__in=ids, archived=False).values_list("pk", "object_type_id"))


# --- limits (definition configurations): fixed paths first ------------------------------------------


def configuration(association_type: AssociationType) -> dict[str, Any]:
    return {**spec(association_type), "userEnforcedMaxToObjectIds": association_type.limit}


@router.get("/associations/definitions/configurations/all", response={200: Configurations, **ERRORS},
            exclude_none=True, summary="Read the limits of every association type")
def all_configurations(request: HttpRequest):
    readable = {t.pk for t in ObjectType.objects.filter(archived=False) if may(request, t, "read")}
    kinds = AssociationType.objects.exclude(limit=None).filter(from_object_type__in=readable, to_object_type__in=readable)
    return {"results": [configuration(t) for t in kinds]}


@router.get("/associations/definitions/configurations/{from_object_type}/{to_object_type}",
            response={200: Configurations, **ERRORS}, exclude_none=True,
            summary="Read the limits of the association types between two object types")
def pair_configurations(request: HttpRequest, from_object_type: str, to_object_type: str):
    from_type, to_type = object_pair(request, from_object_type, to_object_type, "read")
    return {"results": [configuration(t) for t in services.types_between(from_type, to_type) if t.limit is not None]}


def configurable(request: HttpRequest, from_object_type: str, to_object_type: str,
                 items: list[ConfigurationInput] | list[TypeSpec]) -> list[AssociationType]:
    from_type, to_type = definitions_pair(request, from_object_type, to_object_type, "write")
    check_batch(items)
    types = types_of(from_type, to_type)
    found = []
    for item in items:
        error = check_spec(AssociationSpec(associationCategory=item.category, associationTypeId=item.typeId), types,
                           from_type, to_type)
        if error is None and item.typeId in catalogue.SINGLE_ASSOCIATION_TYPES:
            error = FieldError(f"The limit of association type {item.typeId} is HubSpot's and cannot change",
                               "READ_ONLY", "typeId", {"typeId": item.typeId})
        if error is not None:
            raise ValidationFailed(error.message, [error])
        found.append(types[item.typeId])
    return found


@router.post("/associations/definitions/configurations/{from_object_type}/{to_object_type}/batch/create",
             response={201: BatchConfigurationResponse, **ERRORS}, exclude_none=True,
             summary="Set limits on association types")
def create_configurations(request: HttpRequest, from_object_type: str, to_object_type: str,
                          payload: BatchConfigurationInput):
    started = now()
    kinds = configurable(request, from_object_type, to_object_type, payload.inputs)
    with transaction.atomic():
        results = [configuration(services.set_limit(kind, item.maxToObjectIds))
                   for kind, item in zip(kinds, payload.inputs, strict=True)]
    return 201, batch_body(results, started, [])


@router.post("/associations/definitions/configurations/{from_object_type}/{to_object_type}/batch/update",
             response={200: BatchConfigurationUpdateResponse, **ERRORS}, exclude_none=True,
             summary="Change the limits of association types")
def update_configurations(request: HttpRequest, from_object_type: str, to_object_type: str,
                          payload: BatchConfigurationInput):
    started = now()
    kinds = configurable(request, from_object_type, to_object_type, payload.inputs)
    with transaction.atomic():
        results = [services.set_limit(kind, item.maxToObjectIds) for kind, item in zip(kinds, payload.inputs, strict=True)]
    return batch_body([{"category": t.category, "typeId": t.pk, "userEnforcedMaxToObjectIds": t.limit} for t in results],
                      started, [])


@router.post("/associations/definitions/configurations/{from_object_type}/{to_object_type}/batch/purge",
             response={204: None, **ERRORS}, summary="Remove the limits of association types")
def purge_configurations(request: HttpRequest, from_object_type: str, to_object_type: str, payload: BatchTypeSpec):
    kinds = configurable(request, from_object_type, to_object_type, payload.inputs)
    with transaction.atomic():
        for kind in kinds:
            services.set_limit(kind, None)
    return 204, None


# --- labels (association types) between two object types ------------------------------------------


@router.get("/associations/{from_object_type}/{to_object_type}/labels", response={200: SpecsWithLabel, **ERRORS},
            exclude_none=True, summary="List the association types between two object types")
def list_labels(request: HttpRequest, from_object_type: str, to_object_type: str):
    from_type, to_type = object_pair(request, from_object_type, to_object_type, "read")
    return {"results": [spec(t) for t in services.types_between(from_type, to_type)]}


@router.post("/associations/{from_object_type}/{to_object_type}/labels", response={200: SpecsWithLabel, **ERRORS},
             exclude_none=True, summary="Create an association label")
def create_label(request: HttpRequest, from_object_type: str, to_object_type: str, payload: LabelCreate):
    from_type, to_type = definitions_pair(request, from_object_type, to_object_type, "write")
    made = services.create_label(from_type, to_type, payload.label, payload.inverseLabel, payload.name)
    made = services.get_type(made.pk)
    kinds = [made] if made.inverse is None or made.inverse.pk == made.pk else [made, made.inverse]
    return {"results": [spec(t) for t in kinds]}


def label_of(from_type: ObjectType, to_type: ObjectType, type_id: int) -> AssociationType:
    kind = services.get_type(type_id)
    if (kind.from_object_type_id, kind.to_object_type_id) != (from_type.pk, to_type.pk):
        raise ValidationFailed(f"Association type {type_id} does not join {from_type.plural_label} to {to_type.plural_label}",
                               [FieldError("Type of another pair of object types", "INVALID_ASSOCIATION_TYPE", "associationTypeId")])
    return kind


@router.put("/associations/{from_object_type}/{to_object_type}/labels", response={204: None, **ERRORS},
            summary="Rename an association label")
def update_label(request: HttpRequest, from_object_type: str, to_object_type: str, payload: LabelUpdate):
    from_type, to_type = definitions_pair(request, from_object_type, to_object_type, "write")
    services.update_label(label_of(from_type, to_type, payload.associationTypeId), payload.label, payload.inverseLabel)
    return 204, None


@router.delete("/associations/{from_object_type}/{to_object_type}/labels/{association_type_id}",
               response={204: None, **ERRORS}, summary="Delete an association label")
def delete_label(request: HttpRequest, from_object_type: str, to_object_type: str, association_type_id: int):
    from_type, to_type = definitions_pair(request, from_object_type, to_object_type, "write")
    services.delete_label(label_of(from_type, to_type, association_type_id))
    return 204, None


# --- batches ----------------------------------------------------------------------------------------


@router.post("/associations/{from_object_type}/{to_object_type}/batch/create",
             response={201: BatchLabelsResponse, 207: BatchLabelsResponse, **ERRORS}, exclude_none=True, by_alias=True,
             summary="Associate records, with labels, in a batch")
def batch_create(request: HttpRequest, from_object_type: str, to_object_type: str, payload: BatchMultiPost):
    from_type, to_type = record_pair(request, from_object_type, to_object_type, "write")
    check_batch(payload.inputs)
    started = now()
    types = types_of(from_type, to_type)
    failed: dict[int, FieldError] = {}
    pairs: list[tuple[int, Pair]] = []  # (index of the input, pair)
    for index, item in enumerate(payload.inputs):
        try:
            from_id, to_id = parse_id(item.from_.id, "from.id"), parse_id(item.to.id, "to.id")
        except NotFound as exc:
            failed[index] = exc.errors[0]
            continue
        if not item.types:
            failed[index] = FieldError("An input needs at least one type", "REQUIRED_FIELD", "types")
        for association in item.types:
            error = check_spec(association, types, from_type, to_type)
            if error is not None:
                failed.setdefault(index, error)
            else:
                pairs.append((index, Pair(from_id, to_id, association.associationTypeId)))
    pairs = [(i, p) for i, p in pairs if i not in failed]
    invisible = check_pairs(request, [(p.from_id, p.to_id) for _, p in pairs], [i for i, _ in pairs], from_type)
    for (index, _pair), error in zip(pairs, services.pair_errors([p for _, p in pairs], types, hidden=invisible), strict=True):
        if error is not None:
            failed.setdefault(index, error)
    good = [p for i, p in pairs if i not in failed]
    services.associate_many(good)
    done = list(dict.fromkeys((p.from_id, p.to_id) for p in good))
    labels = labels_between(done)
    results = [labels_body(from_type, to_type, f, t, labels.get((f, t), [])) for f, t in done]
    errors = [batch_error(error, {"fromId": [payload.inputs[i].from_.id], "toId": [payload.inputs[i].to.id]})
              for i, error in sorted(failed.items())]
    return (207 if errors else 201), batch_body(results, started, errors)


@router.post("/associations/{from_object_type}/{to_object_type}/batch/associate/default",
             response={200: BatchDefaultResponse, 207: BatchDefaultResponse, **ERRORS}, exclude_none=True, by_alias=True,
             summary="Associate records without a label, in a batch")
def batch_create_default(request: HttpRequest, from_object_type: str, to_object_type: str, payload: BatchDefaultPost):
    from_type, to_type = record_pair(request, from_object_type, to_object_type, "write")
    check_batch(payload.inputs)
    started = now()
    failed: dict[int, FieldError] = {}
    pairs: list[tuple[int, Pair]] = []
    forward = services.default_type(from_type, to_type)
    for index, item in enumerate(payload.inputs):
        try:
            pairs.append((index, Pair(parse_id(item.from_.id, "from.id"), parse_id(item.to.id, "to.id"), forward.pk)))
        except NotFound as exc:
            failed[index] = exc.errors[0]
    invisible = check_pairs(request, [(p.from_id, p.to_id) for _, p in pairs], [i for i, _ in pairs], from_type)
    for (index, _pair), error in zip(pairs, services.pair_errors([p for _, p in pairs], hidden=invisible), strict=True):
        if error is not None:
            failed[index] = error
    good = [p for i, p in pairs if i not in failed]
    services.associate_many(good)
    results = [body for p in dict.fromkeys(good) for body in default_bodies(forward, p.from_id, p.to_id)]
    errors = [batch_error(error, {"fromId": [payload.inputs[i].from_.id], "toId": [payload.inputs[i].to.id]})
              for i, error in sorted(failed.items())]
    return (207 if errors else 200), batch_body(results, started, errors)


@router.post("/associations/{from_object_type}/{to_object_type}/batch/read",
             response={200: BatchReadResponse, 207: BatchReadResponse, **ERRORS}, exclude_none=True, by_alias=True,
             summary="Read the associations of records in a batch")
def batch_read(request: HttpRequest, from_object_type: str, to_object_type: str, payload: BatchFetch):
    from_type, to_type = record_pair(request, from_object_type, to_object_type, "read")
    check_batch(payload.inputs, READ_BATCH_LIMIT)
    started = now()
    wanted: dict[str, int] = {}
    missing: list[str] = []
    for item in payload.inputs:
        try:
            wanted[item.id] = parse_id(item.id, "id")
        except NotFound:
            missing.append(item.id)
    kinds = typed_ids(set(wanted.values()))
    invisible = hidden(request, kinds)
    reach = owners(request, to_type)
    results = []
    for item in payload.inputs:
        number = wanted.get(item.id)
        if number is None:
            continue
        if kinds.get(number) != from_type.pk or number in invisible:
            missing.append(item.id)
            continue
        try:
            after = parse_id(item.after, "after") if item.after else None
        except NotFound:
            after = None
        rows, next_after = services.associated_page(number, to_type, PAGE_LIMIT, after, owners=reach)
        body: dict[str, Any] = {"from": {"id": str(number)}, "to": associated(rows)}
        if next_after is not None:
            body["paging"] = {"next": {"after": str(next_after)}}
        results.append(body)
    errors = [{"status": "error", "category": "OBJECT_NOT_FOUND", "message": f"No {from_type.plural_label.lower()} with "
               f"these ids", "context": {"ids": list(dict.fromkeys(missing))}, "errors": [], "links": {}}] if missing else []
    return (207 if errors else 200), batch_body(results, started, errors)


@router.post("/associations/{from_object_type}/{to_object_type}/batch/archive", response={204: None, **ERRORS},
             summary="Remove the associations between records, in a batch")
def batch_archive(request: HttpRequest, from_object_type: str, to_object_type: str, payload: BatchMultiArchive):
    from_type, to_type = record_pair(request, from_object_type, to_object_type, "write")
    check_batch(payload.inputs)
    indexed = [(index, (parse_id(item.from_.id, "from.id"), parse_id(to.id, "to.id")))
               for index, item in enumerate(payload.inputs) for to in item.to]
    pairs = [pair for _, pair in indexed]
    kinds = typed_ids({i for pair in pairs for i in pair})
    invisible = check_pairs(request, pairs, [index for index, _ in indexed], from_type)
    services.dissociate([(f, t) for f, t in pairs if kinds.get(f) == from_type.pk and kinds.get(t) == to_type.pk
                         and f not in invisible and t not in invisible])
    return 204, None


@router.post("/associations/{from_object_type}/{to_object_type}/batch/labels/archive", response={204: None, **ERRORS},
             summary="Remove labels from associations, in a batch")
def batch_archive_labels(request: HttpRequest, from_object_type: str, to_object_type: str, payload: BatchMultiPost):
    from_type, to_type = record_pair(request, from_object_type, to_object_type, "write")
    check_batch(payload.inputs)
    types = types_of(from_type, to_type)
    pairs, inputs = [], []
    for index, item in enumerate(payload.inputs):
        from_id, to_id = parse_id(item.from_.id, "from.id"), parse_id(item.to.id, "to.id")
        for association in item.types:
            error = check_spec(association, types, from_type, to_type)
            if error is not None:
                raise ValidationFailed(error.message, [error])
            pairs.append(Pair(from_id, to_id, association.associationTypeId))
            inputs.append(index)
    kinds = typed_ids({p.from_id for p in pairs} | {p.to_id for p in pairs})
    invisible = check_pairs(request, [(p.from_id, p.to_id) for p in pairs], inputs, from_type)
    services.remove_types([p for p in pairs if kinds.get(p.from_id) == from_type.pk and kinds.get(p.to_id) == to_type.pk
                           and p.from_id not in invisible and p.to_id not in invisible])
    return 204, None


# --- one record's associations ----------------------------------------------------------------------


@router.put("/objects/{from_object_type}/{from_object_id}/associations/default/{to_object_type}/{to_object_id}",
            response={200: BatchDefaultResponse, **ERRORS}, exclude_none=True, by_alias=True,
            summary="Associate two records without a label")
def create_default(request: HttpRequest, from_object_type: str, from_object_id: str, to_object_type: str,
                   to_object_id: str):
    from_type, to_type = record_pair(request, from_object_type, to_object_type, "write")
    started = now()
    source, target = record_of(request, from_type, from_object_id, "fromObjectId"), record_of(request, to_type, to_object_id, "toObjectId")
    check_edit(request, source, "fromObjectId")
    forward = services.default_type(from_type, to_type)
    services.associate_many([Pair(source.pk, target.pk, forward.pk)])
    return batch_body(default_bodies(forward, source.pk, target.pk), started, [])


@router.get("/objects/{from_object_type}/{from_object_id}/associations/{to_object_type}",
            response={200: AssociatedPage, **ERRORS}, exclude_none=True, summary="List a record's associations")
def list_associations(request: HttpRequest, from_object_type: str, from_object_id: str, to_object_type: str):
    from_type, to_type = record_pair(request, from_object_type, to_object_type, "read")
    source = record_of(request, from_type, from_object_id, "objectId")
    limit = int_param(request, "limit", PAGE_LIMIT, 1, PAGE_LIMIT)
    after = request.GET.get("after")
    rows, next_after = services.associated_page(source.pk, to_type, limit, parse_id(after, "after") if after else None,
                                                owners=owners(request, to_type))
    body: dict[str, Any] = {"results": associated(rows)}
    if next_after is not None:
        body["paging"] = {"next": {"after": str(next_after), "link": f"{request.path}?after={next_after}&limit={limit}"}}
    return body


@router.put("/objects/{from_object_type}/{from_object_id}/associations/{to_object_type}/{to_object_id}",
            response={201: LabelsBetweenObjectPair, **ERRORS}, exclude_none=True,
            summary="Associate two records with labels")
def create(request: HttpRequest, from_object_type: str, from_object_id: str, to_object_type: str, to_object_id: str,
           payload: list[AssociationSpec] = Body(...)):  # noqa: B008 - ninja's way to take a list as the body
    from_type, to_type = record_pair(request, from_object_type, to_object_type, "write")
    source, target = record_of(request, from_type, from_object_id, "fromObjectId"), record_of(request, to_type, to_object_id, "toObjectId")
    check_edit(request, source, "fromObjectId")
    if not payload:
        raise ValidationFailed("Name at least one association type", [FieldError("At least one type", "REQUIRED_FIELD", "body")])
    types = types_of(from_type, to_type)
    errors = [e for e in (check_spec(item, types, from_type, to_type) for item in payload) if e is not None]
    if errors:
        raise ValidationFailed(errors[0].message, errors)
    services.associate_many([Pair(source.pk, target.pk, item.associationTypeId) for item in payload])
    labels = labels_between([(source.pk, target.pk)]).get((source.pk, target.pk), [])
    return 201, labels_body(from_type, to_type, source.pk, target.pk, labels)


@router.delete("/objects/{from_object_type}/{from_object_id}/associations/{to_object_type}/{to_object_id}",
               response={204: None, **ERRORS}, summary="Remove every association between two records")
def archive(request: HttpRequest, from_object_type: str, from_object_id: str, to_object_type: str, to_object_id: str):
    from_type, to_type = record_pair(request, from_object_type, to_object_type, "write")
    source, target = record_of(request, from_type, from_object_id, "fromObjectId"), record_of(request, to_type, to_object_id, "toObjectId")
    check_edit(request, source, "fromObjectId")
    services.dissociate([(source.pk, target.pk)])
    return 204, None

