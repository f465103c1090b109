"""Writers of records: the only code that changes a record. Every write runs in one
transaction, validates everything before writing anything, and leaves a PropertyChange."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from scheda.activities import timeline
from scheda.associations import services as associations
from scheda.associations.models import Association, AssociationType
from scheda.errors import ChangedMeanwhile, Conflict, FieldError, NotFound, ValidationFailed
from scheda.objects.models import ObjectType
from scheda.objects.services import PIPELINE_PROPERTIES, Schema, load_schema
from scheda.objects.types import (
    PropertyValueError,
    Stored,
    WriteContext,
    format_datetime,
    plain_text,
    type_for,
)
from scheda.pipelines import services as pipelines
from scheda.records import search, storage
from scheda.records.models import Follow, Merge, PropertyChange, Record
from scheda.transactions import retried

Source = PropertyChange.Source
# System properties a create may set (HubSpot lets imports and the API back-date records).
SETTABLE_ON_CREATE = {"createdate"}
# Sources that may write read-only values: the system itself, and merges moving them.
SYSTEM_SOURCES = {Source.SYSTEM, Source.MERGE}
# A create of this many records refreshes the planner's statistics (storage.refresh_statistics).
STATISTICS_AFTER = 1000
RECORD_FIELDS = [f.attname for f in Record._meta.concrete_fields]


@dataclass
class RecordInput:
    """One record to create: its property values and the records to associate it with as
    (record id, association type id)."""

    properties: dict[str, Any]
    associations: Sequence[tuple[int, int]] = field(default_factory=tuple)


@dataclass
class Author:
    """Who and what writes: kept on every PropertyChange."""

    source: str = Source.SYSTEM
    source_id: str = ""
    user: Any = None

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None


# --- validation -----------------------------------------------------------------------------


def _prepare(schema: Schema, current: dict[str, Any], raw: dict[str, Any], author: Author, *, creating: bool,
             ctx: WriteContext, index: int | None, errors: list[FieldError]) -> dict[str, Stored | None]:
    """Normalise one record's input into the values to write (None clears a value). Appends a
    FieldError per bad value; validates every value even after the first error, so a user sees
    them all at once."""
    new: dict[str, Stored | None] = {}
    where = {} if index is None else {"index": index}
    first_error = len(errors)
    if not isinstance(raw, dict):
        errors.append(FieldError("properties must be an object of name: value", "INVALID_INPUT", "properties", where))
        return new
    for name, value in raw.items():
        prop = schema.properties.get(name)
        if prop is None:
            errors.append(FieldError(f'Property "{name}" does not exist', "PROPERTY_DOESNT_EXIST", name,
                                     {**where, "propertyName": [name]}))
            continue
        # Record columns (id, create and modified dates) are the system's; a create may back-date.
        system_write = (creating and name in SETTABLE_ON_CREATE) or (
            author.source in SYSTEM_SOURCES and name not in storage.COLUMNS)
        if (prop.read_only or prop.calculated) and not system_write:
            errors.append(FieldError(f'"{name}" is a read-only property', "READ_ONLY_VALUE", name, where))
            continue
        if value is None or (isinstance(value, str) and value.strip() == "") or value == []:
            if prop.required and (creating or current.get(name) is not None):
                errors.append(FieldError(f'"{name}" is required and cannot be empty', "REQUIRED_PROPERTY", name, where))
            elif not creating:
                new[name] = None
            continue
        if name in PIPELINE_PROPERTIES and not prop.options:
            new[name] = str(value).strip()  # checked against the pipelines below
            continue
        try:
            normalised = schema.types[name].normalise(prop, value, ctx)
            if normalised == "" and not creating:
                new[name] = None  # e.g. ";" for checkboxes: nothing chosen clears the value
            elif normalised != "":
                new[name] = normalised
        except PropertyValueError as exc:
            errors.append(FieldError(f'Property "{name}": {exc.message}', exc.code, name, where))
    if creating:
        # One error per property: one already reported (a bad or empty value) is not also "required".
        reported = {e.name for e in errors[first_error:]} if len(errors) > first_error else set()
        for name in schema.required:
            if new.get(name) is None and name not in reported:
                errors.append(FieldError(f'"{name}" is required', "REQUIRED_PROPERTY", name, where))
    for error in pipelines.apply_pipeline_rules(schema.object_type, current, new, ctx):
        error.context.update(where)
        errors.append(error)
    # A task's completion date is the system's: set when it is completed, cleared when reopened.
    status = new.get("hs_task_status", current.get("hs_task_status"))
    if "hs_task_completion_date" in schema.properties and "hs_task_status" in new and status != current.get("hs_task_status"):
        new["hs_task_completion_date"] = format_datetime(timezone.now()) if status == "COMPLETED" else None
    return new


def _search_text(schema: Schema, values: dict[str, Any]) -> tuple[str, str]:
    """The record's search text (the words of its searchable values, for the text search) and
    its property words (the same, each tagged with its property, for CONTAINS_TOKEN)."""
    parts = []
    for name in schema.searchable:
        value = values.get(name)
        if value is not None:
            parts.append((schema.properties[name].pk, plain_text(str(value))))
    # Words only, as the query is split: PostgreSQL's parser would otherwise keep
    # "ada@example.com" or "acme.com" as one token, which no query of words matches.
    return " ".join(search.WORD.findall(" ".join(text for _, text in parts))), search.property_words(parts)


def _check_unique(schema: Schema, rows: list[tuple[int | None, dict[str, Any]]], errors: list[FieldError]) -> None:
    """One active record per value of each unique property (e-mail for contacts, domain for
    companies). `rows` are (record id or None when new, values about to be written); the
    error names the record that holds the value."""
    for name in schema.unique:
        wanted: dict[Any, list[int]] = defaultdict(list)
        for index, (_record_id, values) in enumerate(rows):
            if values.get(name) is not None:
                wanted[values[name]].append(index)
        if not wanted:
            continue
        # A record of this write holds no value it keeps (only one it changes away from).
        own = {record_id for record_id, values in rows if record_id is not None and name in values}
        holders = _holders(schema.object_type, name, list(wanted))
        for value, indexes in wanted.items():
            holder = next((h for h in holders.get(value, []) if h not in own), None)
            label = schema.properties[name].label
            if holder is not None:
                for index in indexes:
                    errors.append(FieldError(
                        f"A {schema.object_type.singular_label.lower()} with {label} {value!r} already exists (record {holder})",
                        "DUPLICATE_VALUE", name, {"index": index, "existingId": str(holder)}))
            elif len(indexes) > 1:
                for index in indexes[1:]:
                    errors.append(FieldError(f"{label} {value!r} appears more than once in this request",
                                             "DUPLICATE_VALUE", name, {"index": index}))


def _holders(object_type: ObjectType, name: str, values: list[Any]) -> dict[Any, list[int]]:
    holders: dict[Any, list[int]] = defaultdict(list)
    for record_id, value in storage.holders(object_type.pk, name, values):
        holders[value].append(record_id)
    return holders


def _fail(errors: list[FieldError], conflict: bool = False) -> None:
    if not errors:
        return
    duplicate = [e for e in errors if e.code == "DUPLICATE_VALUE" and "existingId" in e.context]
    if duplicate and len(duplicate) == len(errors):
        raise Conflict(duplicate[0].message, errors, existing_id=int(duplicate[0].context["existingId"]))
    message = errors[0].message if len(errors) == 1 else f"{len(errors)} errors: {errors[0].message}; ..."
    raise ValidationFailed(message, errors)


# --- writing ----------------------------------------------------------------------------------


def _dumps(values: dict[str, Any]) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def _write_changes(rows: list[tuple[int, str]], author: Author, when) -> None:
    """History rows: (record id, the values written as JSON)."""
    if not rows:
        return
    timestamp = connection.ops.adapt_datetimefield_value(when)
    storage.insert_rows("records_propertychange", 'record_id, "values", timestamp, source, source_id, user_id',
                        [(record_id, values, timestamp, author.source, author.source_id, author.user_id)
                         for record_id, values in rows])


def _unique_violation(schema: Schema, exc: IntegrityError) -> Conflict:
    return Conflict(f"A {schema.object_type.singular_label.lower()} with one of these unique values already exists",
                    [FieldError(str(exc), "DUPLICATE_VALUE", ",".join(schema.unique))])


def create_records(object_type: str | ObjectType, inputs: Iterable[RecordInput | dict[str, Any]], author: Author,
                   *, schema: Schema | None = None, ctx: WriteContext | None = None) -> list[Record]:
    """Create records, all or none. The one path for the UI, the API (single and batch),
    imports and the data generator. Returns the new records in input order, as written: built
    from the rows, not read back (a batch of 100 read back was a fifth of an API batch create)."""
    schema = schema or load_schema(object_type)
    ctx = ctx or WriteContext()
    items = [i if isinstance(i, RecordInput) else RecordInput(i) for i in inputs]
    now = timezone.now()
    errors: list[FieldError] = []
    prepared: list[dict[str, Any]] = []
    index = None if len(items) == 1 else 0
    for position, item in enumerate(items):
        values = _prepare(schema, {}, item.properties, author, creating=True, ctx=ctx,
                          index=position if index is not None else None, errors=errors)
        prepared.append({k: v for k, v in values.items() if v is not None})
    _check_unique(schema, [(None, v) for v in prepared], errors)
    _fail(errors)
    # Everything a row needs but its id is made before the write transaction, and the records
    # answered are built after it: on SQLite that transaction holds the one write lock, which
    # another worker's batch waits for meanwhile.
    adapt = connection.ops.adapt_datetimefield_value
    rows: list[NewRow] = []
    for values in prepared:
        backdated = values.pop("createdate", None)
        created_at = _parse_datetime(str(backdated)) if backdated else now
        rows.append(NewRow(values, created_at, adapt(created_at), _dumps(values), *_search_text(schema, values)))
    ids = _insert_records(schema, items, rows, author, now)
    alias = connection.alias
    created = []
    for record_id, row in zip(ids, rows, strict=True):
        # The model's fields in order, as Django builds a record it reads (Model.from_db).
        record = Record.from_db(alias, RECORD_FIELDS, (record_id, schema.object_type.pk, row.values, row.search_text,
                                                       row.created_at, row.created_at, author.user_id, False, None, None))
        Record.object_type.field.set_cached_value(record, schema.object_type)
        created.append(record)
    if len(created) >= STATISTICS_AFTER:
        storage.refresh_statistics()
    return created


class NewRow(NamedTuple):
    """A record about to be created, but for its id."""

    values: dict[str, Any]
    created_at: Any
    stamp: Any  # created_at as the database takes it
    written: str  # values as JSON
    search_text: str
    words: str


@retried  # run again whole (ids, history, associations) if it collides with another writer's
def _insert_records(schema: Schema, items: list[RecordInput], rows: list[NewRow], author: Author, now) -> list[int]:
    ids = storage.allocate_ids(len(rows))
    try:
        storage.insert_records([(record_id, schema.object_type.pk, row.written, row.search_text, row.stamp, row.stamp,
                                 author.user_id, False, row.words) for record_id, row in zip(ids, rows, strict=True)])
    except IntegrityError as exc:
        raise _unique_violation(schema, exc) from exc
    # A create's history holds every value it wrote.
    _write_changes([(record_id, row.written) for record_id, row in zip(ids, rows, strict=True)], author, now)
    pairs = [associations.Pair(record_id, to_id, type_id)
             for record_id, item in zip(ids, items, strict=True) for to_id, type_id in item.associations]
    if pairs:  # (its savepoint is two statements more under the lock)
        # Activities reach their records' timelines, whose entries copy from the rows just written
        # (read back, 2,000 notes' rows were a sixth of their write lock); associations made with
        # a new record are no event.
        new = {record_id: {"properties": row.values, "created_at": row.created_at, "search_text": row.search_text}
               for record_id, row in zip(ids, rows, strict=True)} if schema.object_type.is_activity else None
        associations.associate_many(pairs, events=False, new_activities=new)
    return ids


def _parse_datetime(value: str):
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def create_record(object_type: str | ObjectType, properties: dict[str, Any], author: Author,
                  associations: Sequence[tuple[int, int]] = ()) -> Record:
    (record,) = create_records(object_type, [RecordInput(properties, associations)], author)
    return record


@retried
def update_records(object_type: str | ObjectType, updates: Sequence[tuple[int, dict[str, Any]]], author: Author,
                   *, schema: Schema | None = None, hidden: Collection[int] = (),
                   expected: Mapping[int, Mapping[str, int]] | None = None,
                   seen: Mapping[int, Mapping[str, Any]] | None = None) -> dict[int, Record]:
    """Change property values of existing active records, all or none. Only values that differ
    are written and kept in the history. Returns the records named, by id, as they stand after
    the write: read under the lock, not again after it. `hidden`
    records (the author may not view them) are answered as missing ones. `expected` maps a
    record id to the versions (property_version) its properties were read at: a value that
    would change a property written since raises ChangedMeanwhile, checked under the lock.
    `seen` does the same with the values the author saw (a board card's stage), not versions."""
    schema = schema or load_schema(object_type)
    ctx = WriteContext()
    ids = [record_id for record_id, _ in updates]
    query = Record.objects.filter(object_type=schema.object_type, archived=False, id__in=ids)
    if connection.features.has_select_for_update:
        # In id order, as every writer locks records: two batches of the same records never deadlock.
        query = query.select_for_update().order_by("id")
    found = {record.pk: record for record in query}
    for record_id in hidden:
        found.pop(record_id, None)
    current = {record_id: record.properties for record_id, record in found.items()}
    errors: list[FieldError] = []
    planned: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    for position, (record_id, raw) in enumerate(updates):
        where = None if len(updates) == 1 else position
        if record_id not in current:
            errors.append(FieldError(f"No active {schema.object_type.singular_label.lower()} with id {record_id}",
                                     "OBJECT_NOT_FOUND", "id", {"id": str(record_id)}))
            continue
        values = _prepare(schema, current[record_id], raw, author, creating=False, ctx=ctx, index=where, errors=errors)
        changed = {k: v for k, v in values.items() if current[record_id].get(k) != v}
        merged = {k: v for k, v in {**current[record_id], **changed}.items() if v is not None}
        planned.append((record_id, changed, merged))
    if any(e.code == "OBJECT_NOT_FOUND" for e in errors) and len(updates) == 1:
        raise NotFound(errors[0].message, errors)
    _check_unique(schema, [(record_id, changed) for record_id, changed, _ in planned], errors)
    _fail(errors)
    if expected:
        _check_versions(expected, {record_id: changed for record_id, changed, _ in planned}, current)
    if seen:
        _check_seen(seen, {record_id: changed for record_id, changed, _ in planned}, current)
    planned = [p for p in planned if p[1]]
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    texts = {record_id: _search_text(schema, merged) for record_id, _, merged in planned}
    try:
        storage.write_records([(_dumps(merged), *texts[record_id], stamp, record_id) for record_id, _, merged in planned])
    except IntegrityError as exc:
        raise _unique_violation(schema, exc) from exc
    searchable = set(schema.searchable)
    storage.index_text(schema.object_type.pk, [(record_id, *texts[record_id]) for record_id, changed, _ in planned
                                               if searchable.intersection(changed)], replace=True)
    _write_changes([(record_id, _dumps(changed)) for record_id, changed, _ in planned], author, now)
    if schema.object_type.is_activity:
        # Its entries copy its time, owner, status and search text (rewritten above whatever changed).
        timeline.activities_changed([record_id for record_id, _, _ in planned])
    else:
        timeline.properties_changed([(record_id, changed, current[record_id]) for record_id, changed, _ in planned],
                                    author.user_id, now)
    for record_id, _, merged in planned:  # in order, so a record named twice ends as written: its last values
        found[record_id].properties, found[record_id].search_text, found[record_id].updated_at = merged, texts[record_id][0], now
    for record in found.values():
        Record.object_type.field.set_cached_value(record, schema.object_type)
    return found


REWRITE_BATCH = 2_000


def rewrite_search_text(object_type: ObjectType) -> int:
    """Every record's search text and property words follow the type's searchable properties
    now, with the text indexes and its activities' timeline entries; only records whose text
    differs are written. Batches in id order, each one transaction (a savepoint inside the
    caller's): `scheda reindex`, stopped halfway, starts again where it is needed. Returns how
    many changed."""
    schema = load_schema(object_type)
    rewritten, last = 0, 0
    while True:
        with transaction.atomic():
            rows = list(Record.objects.filter(object_type=object_type, pk__gt=last).order_by("pk")
                        .values_list("pk", "properties", "search_text")[:REWRITE_BATCH])
            if not rows:
                return rewritten
            last = rows[-1][0]
            words = storage.read_words([pk for pk, _, _ in rows])
            changed = [(pk, *texts) for pk, values, old in rows
                       if (texts := _search_text(schema, values)) != (old, words.get(pk, ""))]
            if not changed:
                continue
            storage.write_texts(object_type.pk, changed)
            if object_type.is_activity:
                timeline.activities_changed([pk for pk, _, _ in changed])
            rewritten += len(changed)


def update_record(record: Record, properties: dict[str, Any], author: Author,
                  *, expected: Mapping[str, int] | None = None, seen: Mapping[str, Any] | None = None) -> Record:
    """Change one record; `expected` (property -> property_version read before the edit) or
    `seen` (property -> the value shown) refuses to overwrite a property someone changed
    meanwhile (ChangedMeanwhile)."""
    written = update_records(record.object_type, [(record.pk, properties)], author,
                             expected={record.pk: expected} if expected else None, seen={record.pk: seen} if seen else None)
    for name in RECORD_FIELDS:  # the caller's instance as written, without reading it again
        setattr(record, name, getattr(written[record.pk], name))
    return record


def property_version(record_id: int, name: str) -> int:
    """The version of one property of a record an edit starts from: the id of the last
    PropertyChange that wrote it, 0 if none did. One query, walking the (record, id) index
    back, so a change to another property does not make an edit of this one stale."""
    return PropertyChange.objects.filter(record_id=record_id, values__has_key=name) \
        .order_by("-id").values_list("id", flat=True).first() or 0


def record_version(record_id: int) -> int:
    """The version a form of several of a record's properties starts from: the id of the last
    PropertyChange of the record, 0 if none. Expected of every property the form saves, it
    refuses a save over any of them changed since, and not over a change to another one."""
    return PropertyChange.objects.filter(record_id=record_id).order_by("-id").values_list("id", flat=True).first() or 0


def _check_versions(expected: Mapping[int, Mapping[str, int]], changed: dict[int, dict[str, Any]],
                    current: dict[int, dict[str, Any]]) -> None:
    """Raise ChangedMeanwhile for the first property a write would change that was written
    after the version it was read at. A value the write leaves as it is (someone else saved the
    same) is no conflict. One query per record, over its changes since the oldest version."""
    for record_id, versions in expected.items():
        names = [name for name in versions if name in changed.get(record_id, {})]
        if not names:
            continue
        since = PropertyChange.objects.filter(record_id=record_id, id__gt=min(versions[n] for n in names)) \
            .select_related("user").order_by("-id")
        for change in since:
            name = next((n for n in names if n in change.values and change.pk > versions[n]), None)
            if name is not None:
                raise ChangedMeanwhile(
                    f'Property "{name}" was changed after version {versions[name]}',
                    [FieldError(f"Changed meanwhile (now version {change.pk})", "CHANGED_MEANWHILE", name,
                                {"version": str(change.pk)})],
                    name=name, version=change.pk, user=change.user, source=change.source,
                    value=current[record_id].get(name))


def _check_seen(seen: Mapping[int, Mapping[str, Any]], changed: dict[int, dict[str, Any]],
                current: dict[int, dict[str, Any]]) -> None:
    """Raise ChangedMeanwhile for the first property a write would change whose value is no
    longer the one the author saw, naming the change that wrote it."""
    for record_id, values in seen.items():
        for name, value in values.items():
            if name in changed.get(record_id, {}) and current[record_id].get(name) != value:
                change = PropertyChange.objects.filter(record_id=record_id, values__has_key=name) \
                    .select_related("user").order_by("-id").first()
                raise ChangedMeanwhile(
                    f'Property "{name}" is no longer {value!r}',
                    [FieldError("Changed meanwhile", "CHANGED_MEANWHILE", name, {"version": str(change.pk if change else 0)})],
                    name=name, version=change.pk if change else 0, user=change.user if change else None,
                    source=change.source if change else Source.SYSTEM, value=current[record_id].get(name))


# --- reading ----------------------------------------------------------------------------------


def get_record(object_type: str | ObjectType, record_id: int | str, *, archived: bool = False) -> Record:
    try:
        record_id = int(record_id)
    except (TypeError, ValueError):
        raise NotFound(f"No record with id {record_id!r}") from None
    found = Record.objects.filter(pk=record_id, archived=archived).select_related("object_type").first()
    expected = object_type if isinstance(object_type, ObjectType) else None
    if found is None or (expected and found.object_type_id != expected.pk) or (
            not expected and found.object_type.name != object_type and found.object_type.object_type_id != object_type):
        raise missing_record(record_id, archived)
    return found


def missing_record(record_id: int, archived: bool = False) -> NotFound:
    """The error for a record that is not there; also what a record hidden from the reader
    answers, so that it cannot be told from a missing one."""
    return NotFound(f"No {'archived ' if archived else ''}record with id {record_id}",
                    [FieldError(f"No record with id {record_id}", "OBJECT_NOT_FOUND", "id")])


def display_name(record: Record) -> str:
    values = record.properties
    if record.object_type.name == "contacts":
        name = f"{values.get('firstname') or ''} {values.get('lastname') or ''}".strip()
        return name or str(values.get("email") or gettext("Unnamed contact"))
    return str(values.get(record.object_type.primary_display_property) or f"#{record.pk}")


def values_of(record: Record) -> dict[str, Stored]:
    """All stored values of a record, its system properties included."""
    values: dict[str, Stored] = dict(record.properties)
    created, updated = format_datetime(record.created_at), format_datetime(record.updated_at)
    values.update(hs_object_id=record.pk, createdate=created, hs_createdate=created,
                  lastmodifieddate=updated, hs_lastmodifieddate=updated)
    return values


def api_properties(schema: Schema, record: Record, names: Iterable[str] | None = None) -> dict[str, str | None]:
    """Values as HubSpot sends them: strings, None for unset ones that were asked for."""
    values = values_of(record)
    names = list(names) if names is not None else [n for n in values if n in schema.properties]
    out: dict[str, str | None] = {}
    for name in names:
        prop = schema.properties.get(name)
        if prop is None:
            continue
        value = values.get(name)
        out[name] = None if value is None else type_for(prop).to_api(value)
    return out


def associations_of(record_ids: Iterable[int], to_type: ObjectType | None = None,
                    to_types: Iterable[int] | None = None) -> dict[int, list[Association]]:
    """Associations of records with active records (with records of `to_type`, or of the object
    type ids `to_types`, when given), one query, types and target object types included."""
    query = Association.objects.filter(from_record_id__in=list(record_ids), to_record__archived=False) \
        .select_related("type__to_object_type", "type__from_object_type").order_by("from_record_id", "to_record_id", "type_id")
    if to_type is not None:
        query = query.filter(type__to_object_type=to_type)
    if to_types is not None:
        query = query.filter(type__to_object_type_id__in=list(to_types))
    grouped: dict[int, list[Association]] = defaultdict(list)
    for association in query:
        grouped[association.from_record_id].append(association)
    return grouped


@dataclass
class Version:
    value: str
    timestamp: str
    source: str
    source_id: str
    user_id: int | None


def property_history(schema: Schema, record: Record, names: Iterable[str] | None = None) -> dict[str, list[Version]]:
    """Every value each property has had, newest first (HubSpot's propertiesWithHistory)."""
    wanted = set(names) if names is not None else None
    history: dict[str, list[Version]] = defaultdict(list)
    for change in record.changes.order_by("-id"):
        for name, value in change.values.items():
            prop = schema.properties.get(name)
            if prop is None or (wanted is not None and name not in wanted):
                continue
            history[name].append(Version("" if value is None else type_for(prop).to_api(value),
                                         format_datetime(change.timestamp), change.source, change.source_id, change.user_id))
    created = format_datetime(record.created_at)
    for name in ("hs_object_id", "createdate"):
        if name in schema.properties and (wanted is None or name in wanted):
            history[name].append(Version(type_for(schema.properties[name]).to_api(values_of(record)[name]),
                                         created, Source.SYSTEM, "", None))
    return dict(history)


# --- archive, restore, delete ------------------------------------------------------------------


@transaction.atomic
def archive_records(object_type: str | ObjectType, ids: Sequence[int], author: Author) -> list[int]:
    """Move records to the recycle bin; they can be restored for SCHEDA_RECYCLE_BIN_DAYS days.
    Associations stay, hidden while the record is archived, and come back with it."""
    schema_type = object_type if isinstance(object_type, ObjectType) else load_schema(object_type).object_type
    found = list(Record.objects.filter(object_type=schema_type, id__in=ids, archived=False).values_list("id", flat=True))
    now = timezone.now()
    Record.objects.filter(id__in=found).update(archived=True, archived_at=now, updated_at=now)
    return found


def archive_record(record: Record, author: Author) -> None:
    if record.archived:
        raise ValidationFailed(f"Record {record.pk} is already deleted", [FieldError("Already deleted", "ALREADY_ARCHIVED", "id")])
    archive_records(record.object_type, [record.pk], author)
    record.refresh_from_db()


@transaction.atomic
def restore_record(record: Record, author: Author) -> Record:
    record = Record.objects.select_related("object_type").filter(pk=record.pk).first() or _gone(record.pk)
    if not record.archived:
        raise ValidationFailed(f"Record {record.pk} is not deleted", [FieldError("Not deleted", "NOT_ARCHIVED", "id")])
    if record.merged_into_id:
        raise ValidationFailed(f"Record {record.pk} was merged into {record.merged_into_id}: undo the merge instead",
                               [FieldError("Merged record", "MERGED", "id", {"primaryId": str(record.merged_into_id)})])
    limit = timezone.now() - timedelta(days=settings.SCHEDA_RECYCLE_BIN_DAYS)
    if record.archived_at and record.archived_at < limit:
        raise ValidationFailed(f"Record {record.pk} was deleted more than {settings.SCHEDA_RECYCLE_BIN_DAYS} days ago",
                               [FieldError("Too old to restore", "RESTORE_EXPIRED", "id")])
    schema = load_schema(record.object_type)
    errors: list[FieldError] = []
    _check_unique(schema, [(record.pk, record.properties)], errors)
    _fail(errors)
    try:
        with transaction.atomic():
            Record.objects.filter(pk=record.pk).update(archived=False, archived_at=None, updated_at=timezone.now())
    except IntegrityError as exc:
        raise _unique_violation(schema, exc) from exc
    record.refresh_from_db()
    return record


def _gone(record_id: int):
    raise NotFound(f"Record {record_id} was permanently deleted and cannot be restored",
                   [FieldError("Permanently deleted", "OBJECT_NOT_FOUND", "id")])


@transaction.atomic
def delete_records_permanently(ids: Sequence[int], author: Author) -> int:
    """Delete records for good with their history, associations and follows (a GDPR delete)."""
    ids = list(ids)
    Merge.objects.filter(merged_id__in=ids).delete()
    Merge.objects.filter(primary_id__in=ids).delete()
    Association.objects.filter(to_record_id__in=ids).delete()
    Association.objects.filter(from_record_id__in=ids).delete()
    PropertyChange.objects.filter(record_id__in=ids).delete()
    Follow.objects.filter(record_id__in=ids).delete()
    Record.objects.filter(merged_into_id__in=ids).update(merged_into=None)
    from scheda.activities.services import drop_attachments

    drop_attachments(ids)
    deleted, _ = Record.objects.filter(id__in=ids).delete()
    storage.drop_text(ids)
    return deleted


def purge_recycle_bin() -> int:
    """Permanently delete records that have been in the recycle bin past the restore window."""
    limit = timezone.now() - timedelta(days=settings.SCHEDA_RECYCLE_BIN_DAYS)
    ids = list(Record.objects.filter(archived=True, archived_at__lt=limit).values_list("id", flat=True))
    return delete_records_permanently(ids, Author()) if ids else 0


# --- clone, follow --------------------------------------------------------------------------


@transaction.atomic
def clone_record(record: Record, author: Author) -> Record:
    """A copy of a record as HubSpot makes one: unique and system values are not copied, nor
    activities; associations with other (non-activity) records are."""
    schema = load_schema(record.object_type)
    properties = {
        name: value for name, value in record.properties.items()
        if name in schema.properties and not schema.properties[name].unique
        and not schema.properties[name].read_only and not schema.properties[name].calculated
    }
    pairs = [(a.to_record_id, a.type_id) for a in associations_of([record.pk])[record.pk]
             if not a.type.to_object_type.is_activity and a.to_record_id != record.pk]
    return create_record(schema.object_type, properties, Author(author.source, f"clone:{record.pk}", author.user), pairs)


def follow(record: Record, user) -> None:
    Follow.objects.get_or_create(record=record, user=user)


def unfollow(record: Record, user) -> None:
    Follow.objects.filter(record=record, user=user).delete()


# --- merge and unmerge ------------------------------------------------------------------------


def _association_rows(record_id: int) -> list[tuple[int, int]]:
    return list(Association.objects.filter(from_record_id=record_id).values_list("to_record_id", "type_id"))


@retried
def merge_records(primary: Record, merged: Record, author: Author) -> Merge:
    """Merge `merged` into `primary`: the primary's values win unless empty; the merged
    record's associations (activities included) move to the primary; the merged record is
    archived. Everything needed to undo it is kept on the Merge."""
    if primary.pk == merged.pk:
        raise ValidationFailed("A record cannot be merged into itself", [FieldError("Same record", "MERGE_SELF", "objectIdToMerge")])
    storage.lock_records([primary.pk, merged.pk])  # in id order: a merge of b into a beside one of a into b waits
    records = {r.pk: r for r in Record.objects.filter(pk__in=[primary.pk, merged.pk])}
    for name, record in (("primaryObjectId", primary), ("objectIdToMerge", merged)):
        if record.pk not in records or records[record.pk].archived:
            raise NotFound(f"No active record with id {record.pk}", [FieldError(f"No active record {record.pk}", "OBJECT_NOT_FOUND", name)])
    primary, merged = records[primary.pk], records[merged.pk]
    if primary.object_type_id != merged.object_type_id:
        raise ValidationFailed("Only records of one object type can be merged",
                               [FieldError("Different object types", "MERGE_TYPE_MISMATCH", "objectIdToMerge")])
    schema = load_schema(primary.object_type)
    written = {
        name: value for name, value in merged.properties.items()
        if primary.properties.get(name) in (None, "") and name in schema.properties
        and not schema.properties[name].calculated
    }
    now = timezone.now()
    merge = Merge.objects.create(primary=primary, merged=merged, merged_at=now, merged_by=author.user, snapshot={})
    merge_author = Author(Source.MERGE, f"merge:{merge.pk}", author.user)
    moved = _association_rows(merged.pk)
    before = set(_association_rows(primary.pk))
    Record.objects.filter(pk=merged.pk).update(archived=True, archived_at=now, merged_into=primary, updated_at=now)
    Association.objects.filter(from_record_id=merged.pk).delete()
    Association.objects.filter(to_record_id=merged.pk).delete()
    types = {t.pk: t for t in AssociationType.objects.filter(id__in={type_id for _, type_id in moved})}
    single_taken = {type_id for _, type_id in before if types.get(type_id) and types[type_id].limit == 1}
    wanted = [(to_id, type_id) for to_id, type_id in moved
              if to_id != primary.pk and type_id not in single_taken]
    added: list[tuple[int, int]] = []
    rows = []
    for to_id, type_id in wanted:
        if (to_id, type_id) not in before:
            added.append((to_id, type_id))
            rows.append((primary.pk, to_id, type_id))
            rows.append((to_id, primary.pk, types[type_id].inverse_id or type_id))
    associations._insert(rows)
    timeline.associated([(primary.pk, to_id) for to_id, _ in added], events=False)
    timeline.event(primary.pk, "merge", author.user_id, merged=merged.pk, name=display_name(merged))
    if written:
        update_records(schema.object_type, [(primary.pk, written)], merge_author, schema=schema)
    from scheda.activities.models import Attachment

    # Files uploaded to the merged record go to the primary's Attachments card (and back on undo).
    files = list(Attachment.objects.filter(record_id=merged.pk).values_list("pk", flat=True))
    Attachment.objects.filter(pk__in=files).update(record=primary)
    merge.snapshot = {
        "primary_before": {name: primary.properties.get(name) for name in written},
        "written": written,
        "moved": [list(row) for row in moved],
        "added": [list(row) for row in added],
        "attachments": files,
    }
    merge.save(update_fields=["snapshot"])
    return merge


@retried
def unmerge(merge: Merge, author: Author) -> tuple[Record, Record]:
    """Undo a merge: the merged record comes back with its values and associations, and the
    primary loses what the merge gave it, except values someone has changed since."""
    # Both records locked (in id order) before the merge is read: two undos of one merge take
    # turns, and the second finds it undone.
    storage.lock_records([merge.primary_id, merge.merged_id])
    merge = Merge.objects.select_related("primary", "merged").filter(pk=merge.pk).first() or _gone(merge.merged_id)
    if merge.undone_at:
        raise ValidationFailed("This merge was already undone", [FieldError("Already undone", "MERGE_UNDONE", "mergeId")])
    primary, merged = merge.primary, merge.merged
    if primary.archived:
        raise ValidationFailed(f"Restore record {primary.pk} before undoing its merge",
                               [FieldError("Primary record is deleted", "PRIMARY_ARCHIVED", "primaryObjectId")])
    if merged.merged_into_id != primary.pk:
        raise ValidationFailed("The merged record has changed since; this merge cannot be undone",
                               [FieldError("Merged record changed", "MERGE_STALE", "mergeId")])
    schema = load_schema(primary.object_type)
    snapshot = merge.snapshot
    restore = {name: snapshot["primary_before"].get(name) for name, value in snapshot["written"].items()
               if primary.properties.get(name) == value}
    source_id = f"unmerge:{merge.pk}"
    if restore:
        update_records(schema.object_type, [(primary.pk, restore)], Author(Source.MERGE, source_id, author.user), schema=schema)
    for to_id, type_id in snapshot["added"]:
        kind = AssociationType.objects.filter(pk=type_id).first()
        Association.objects.filter(from_record_id=primary.pk, to_record_id=to_id, type_id=type_id).delete()
        if kind is not None:
            Association.objects.filter(from_record_id=to_id, to_record_id=primary.pk, type_id=kind.inverse_id).delete()
    gone = {to_id for to_id, _ in snapshot["added"]} - set(
        Association.objects.filter(from_record_id=primary.pk).values_list("to_record_id", flat=True))
    timeline.dissociated([(primary.pk, to_id) for to_id in gone], events=False)
    timeline.event(primary.pk, "unmerge", author.user_id, merged=merged.pk, name=display_name(merged))
    errors: list[FieldError] = []
    _check_unique(schema, [(merged.pk, merged.properties)], errors)
    _fail(errors)
    Record.objects.filter(pk=merged.pk).update(archived=False, archived_at=None, merged_into=None, updated_at=timezone.now())
    alive = set(Record.objects.filter(pk__in={to for to, _ in snapshot["moved"]}).values_list("pk", flat=True))
    types = {t.pk: t for t in AssociationType.objects.filter(id__in={k for _, k in snapshot["moved"]})}
    rows = []
    for to_id, type_id in snapshot["moved"]:
        if to_id in alive and type_id in types:
            rows.append((merged.pk, to_id, type_id))
            rows.append((to_id, merged.pk, types[type_id].inverse_id or type_id))
    associations._insert(rows)
    timeline.associated([(merged.pk, to_id) for to_id, _ in snapshot["moved"] if to_id in alive], events=False)
    from scheda.activities.models import Attachment

    Attachment.objects.filter(pk__in=snapshot.get("attachments", []), record_id=primary.pk).update(record=merged)
    merge.undone_at, merge.undone_by = timezone.now(), author.user
    merge.save(update_fields=["undone_at", "undone_by"])
    primary.refresh_from_db()
    merged.refresh_from_db()
    return primary, merged
