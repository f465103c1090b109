"""Writers of association types, labels and associations. Every association is written in both
directions in one transaction, so the two sides never disagree."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from scheda.accounts.permissions import owned_by
from scheda.activities import timeline
from scheda.associations.models import Association, AssociationType
from scheda.errors import (
    Conflict,
    FieldError,
    LimitExceeded,
    NotFound,
    ValidationFailed,
    check_texts,
)
from scheda.objects import catalogue
from scheda.objects.models import ObjectType
from scheda.objects.services import schema_changed
from scheda.records.storage import insert_rows, lock_records, rows_for_ids
from scheda.transactions import retried

# The most associations one record may have with records of one other object type.
ASSOCIATION_LIMIT = 50_000
# The most labels between one pair of object types (HubSpot's limit).
LABEL_LIMIT = 50
FIRST_USER_TYPE_ID = 10_000


class Pair(NamedTuple):
    """An association to write: `from_id` with `to_id` under `type_id` (and its inverse)."""

    from_id: int
    to_id: int
    type_id: int


def install_standard_association_types() -> None:
    by_name = {t.name: t for t in ObjectType.objects.all()}
    existing = set(AssociationType.objects.values_list("id", flat=True))
    rows = [
        AssociationType(
            id=type_id, from_object_type=by_name[from_name], to_object_type=by_name[to_name],
            category=AssociationType.Category.HUBSPOT_DEFINED, label=label,
            name=f"{from_name}_to_{to_name}" + (f"_{label.lower().replace(' ', '_')}" if label else ""),
            limit=1 if type_id in catalogue.SINGLE_ASSOCIATION_TYPES else None,
        )
        for type_id, from_name, to_name, label, _inverse in catalogue.ASSOCIATION_TYPES
        if type_id not in existing and from_name in by_name and to_name in by_name
    ]
    AssociationType.objects.bulk_create(rows)
    for type_id, _f, _t, _l, inverse in catalogue.ASSOCIATION_TYPES:
        if type_id not in existing:
            AssociationType.objects.filter(id=type_id).update(inverse_id=inverse)


def types_between(from_type: ObjectType, to_type: ObjectType) -> list[AssociationType]:
    return list(AssociationType.objects.filter(from_object_type=from_type, to_object_type=to_type))


def _next_type_ids(count: int) -> list[int]:
    start = max(FIRST_USER_TYPE_ID, (AssociationType.objects.aggregate(n=Max("id"))["n"] or 0) + 1)
    return list(range(start, start + count))


def default_type(from_type: ObjectType, to_type: ObjectType) -> AssociationType:
    """The unlabeled type between two object types, created for a pair that has none yet, so
    records of any two types can be associated."""
    for _ in range(3):
        found = _find_default(from_type, to_type)
        if found:
            return found
        try:
            with transaction.atomic():
                return _make_default(from_type, to_type)
        except IntegrityError:
            pass  # another writer made this pair's type (or took its ids) meanwhile: read it
    raise Conflict(f"The association type between {from_type.name} and {to_type.name} is being created by another request")


def _find_default(from_type: ObjectType, to_type: ObjectType) -> AssociationType | None:
    return AssociationType.objects.filter(from_object_type=from_type, to_object_type=to_type, label=None).first()


def _make_default(from_type: ObjectType, to_type: ObjectType) -> AssociationType:
    category = (AssociationType.Category.USER_DEFINED if from_type.is_custom or to_type.is_custom
                else AssociationType.Category.HUBSPOT_DEFINED)
    if from_type == to_type:
        (only,) = _next_type_ids(1)
        made = AssociationType.objects.create(id=only, from_object_type=from_type, to_object_type=to_type,
                                              category=category, name=f"{from_type.name}_to_{to_type.name}")
        made.inverse = made
        made.save(update_fields=["inverse"])
        schema_changed()  # record pages list the object types a record can be associated with
        return made
    forward_id, backward_id = _next_type_ids(2)
    forward = AssociationType.objects.create(id=forward_id, from_object_type=from_type, to_object_type=to_type,
                                             category=category, name=f"{from_type.name}_to_{to_type.name}")
    backward = AssociationType.objects.create(id=backward_id, from_object_type=to_type, to_object_type=from_type,
                                              category=category, name=f"{to_type.name}_to_{from_type.name}", inverse=forward)
    forward.inverse = backward
    forward.save(update_fields=["inverse"])
    schema_changed()
    return forward


@transaction.atomic
def create_label(from_type: ObjectType, to_type: ObjectType, label: str, inverse_label: str | None = None,
                 name: str = "") -> AssociationType:
    """A user-defined label: single (the same words both ways) or paired ("Manager" /
    "Employee"). Returns the type in the from -> to direction."""
    label = (label or "").strip()
    if not label:
        raise ValidationFailed("A label needs text", [FieldError("A label needs text", "REQUIRED_FIELD", "label")])
    check_texts(label=(label, 255), inverseLabel=(inverse_label, 255), name=(name, 255))
    default_type(from_type, to_type)
    pair = Q(from_object_type=from_type, to_object_type=to_type) | Q(from_object_type=to_type, to_object_type=from_type)
    labelled = AssociationType.objects.filter(pair, category=AssociationType.Category.USER_DEFINED).exclude(label=None)
    if labelled.filter(from_object_type=from_type, label=label).exists():
        raise Conflict(f"The label {label!r} already exists", [FieldError("Label exists", "DUPLICATE_LABEL", "label")])
    if labelled.filter(from_object_type=from_type, to_object_type=to_type).count() >= LABEL_LIMIT:
        raise LimitExceeded(f"At most {LABEL_LIMIT} labels between two object types",
                            [FieldError("Too many labels", "LABEL_LIMIT", "label")])
    user = AssociationType.Category.USER_DEFINED
    name = name or label.lower().replace(" ", "_")
    if from_type == to_type and not inverse_label:
        (only,) = _next_type_ids(1)
        made = AssociationType.objects.create(id=only, from_object_type=from_type, to_object_type=to_type,
                                              category=user, label=label, name=name)
        made.inverse = made
        made.save(update_fields=["inverse"])
        schema_changed()  # record pages list the object types a record can be associated with
        return made
    forward_id, backward_id = _next_type_ids(2)
    forward = AssociationType.objects.create(id=forward_id, from_object_type=from_type, to_object_type=to_type,
                                             category=user, label=label, name=name)
    backward = AssociationType.objects.create(id=backward_id, from_object_type=to_type, to_object_type=from_type,
                                              category=user, label=inverse_label or label,
                                              name=f"{name}_inverse" if inverse_label else name, inverse=forward)
    forward.inverse = backward
    forward.save(update_fields=["inverse"])
    schema_changed()
    return forward


def get_type(type_id: int) -> AssociationType:
    found = AssociationType.objects.select_related("inverse").filter(id=type_id).first()
    if found is None:
        raise NotFound(f"No association type {type_id}", [FieldError(f"No association type {type_id}", "UNKNOWN_TYPE", "associationTypeId")])
    return found


@transaction.atomic
def update_label(association_type: AssociationType, label: str, inverse_label: str | None = None) -> AssociationType:
    if association_type.category != AssociationType.Category.USER_DEFINED or association_type.label is None:
        raise ValidationFailed("Only user-defined labels can be changed", [FieldError("Not a user-defined label", "READ_ONLY", "associationTypeId")])
    if not label.strip():
        raise ValidationFailed("A label needs text", [FieldError("A label needs text", "REQUIRED_FIELD", "label")])
    check_texts(label=(label.strip(), 255), inverseLabel=(inverse_label, 255))
    association_type.label = label.strip()
    association_type.save(update_fields=["label"])
    inverse = association_type.inverse
    if inverse and inverse.pk != association_type.pk and inverse_label is not None:
        inverse.label = inverse_label.strip()
        inverse.save(update_fields=["label"])
    return association_type


@transaction.atomic
def delete_label(association_type: AssociationType) -> None:
    """Delete a user-defined label; records keep their unlabeled association."""
    if association_type.category != AssociationType.Category.USER_DEFINED or association_type.label is None:
        raise ValidationFailed("Only user-defined labels can be deleted", [FieldError("Not a user-defined label", "READ_ONLY", "associationTypeId")])
    ids = {association_type.pk, association_type.inverse_id}
    Association.objects.filter(type_id__in=ids).delete()
    AssociationType.objects.filter(id__in=ids).update(inverse=None)
    AssociationType.objects.filter(id__in=ids).delete()


def set_limit(association_type: AssociationType, limit: int | None) -> AssociationType:
    if limit is not None and not 1 <= limit <= ASSOCIATION_LIMIT:
        raise ValidationFailed(f"A limit is from 1 to {ASSOCIATION_LIMIT}", [FieldError("Limit out of range", "INVALID_LIMIT", "maxToObjectIds")])
    association_type.limit = limit
    association_type.save(update_fields=["limit"])
    return association_type


# --- associations between records -----------------------------------------------------------


@retried  # inside a caller's transaction a savepoint: limits are checked after the insert, and a refusal must undo it
def associate_many(pairs: Iterable[Pair], *, replace_single: bool = True, user_id: int | None = None,
                   events: bool = True, new_activities: Mapping[int, dict[str, Any]] | None = None) -> int:
    """Write associations (each with its inverse and, for a label, the unlabeled type too).
    Checks that every record exists and is active and that types fit the records' object types
    and limits; on any error raises ValidationFailed and writes nothing. Returns how many
    associations were new. Runs inside the caller's transaction. New associations reach the
    records' timelines (`events`: also as "association added" events, by `user_id`; `new_activities`:
    activities this transaction has just written, as timeline.write reads them)."""
    pairs = list(dict.fromkeys(pairs))
    if not pairs:
        return 0
    types = {t.pk: t for t in AssociationType.objects.filter(id__in={p.type_id for p in pairs})
             .select_related("from_object_type", "to_object_type")}
    errors = [error for error in pair_errors(pairs, types) if error is not None]
    if errors:
        raise ValidationFailed(errors[0].message, errors)
    # A label implies the unlabeled association of the same pair of records.
    defaults = {(t.from_object_type_id, t.to_object_type_id) for t in types.values()}
    unlabeled = {(t.from_object_type_id, t.to_object_type_id): t for t in AssociationType.objects.filter(label=None).filter(
        _pairs_q(defaults))}
    # Each type's rows, as (type, inverse type) ids: worked out once per type, not per pair.
    written: dict[int, list[tuple[int, int]]] = {}
    for kind in types.values():
        base = unlabeled.get((kind.from_object_type_id, kind.to_object_type_id))
        if base is None:
            base = default_type(kind.from_object_type, kind.to_object_type)
            unlabeled[(kind.from_object_type_id, kind.to_object_type_id)] = base
        written[kind.pk] = [(chosen.pk, chosen.inverse_id or chosen.pk) for chosen in {kind, base}]
    rows: list[tuple[int, int, int]] = []
    for pair in pairs:
        for type_id, inverse_id in written[pair.type_id]:
            rows.append((pair.from_id, pair.to_id, type_id))
            rows.append((pair.to_id, pair.from_id, inverse_id))
    all_types = {t.pk: t for t in AssociationType.objects.filter(id__in={r[2] for r in rows})}
    # Limits are counted after the insert: writers adding to the same records take turns, or
    # each would count only its own rows and together pass a limit.
    lock_records({r[0] for r in rows})
    before = _associated_pairs({(p.from_id, p.to_id) for p in pairs}) if events else set()
    if replace_single:
        _drop_replaced_singles(rows, all_types)
    inserted = _insert(rows)
    _check_limits(rows, all_types)
    # Without events only an activity's associations reach a timeline: the others are not read.
    reach = {k for k, t in types.items() if events or t.from_object_type.is_activity or t.to_object_type.is_activity}
    timeline.associated([(p.from_id, p.to_id) for p in pairs if p.type_id in reach and (p.from_id, p.to_id) not in before],
                        user_id=user_id, events=events, new_activities=new_activities)
    return inserted


def _associated_pairs(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of these pairs of records are associated already."""
    found: set[tuple[int, int]] = set()
    froms = sorted({f for f, _ in pairs})
    for start in range(0, len(froms), 500):
        rows = Association.objects.filter(from_record_id__in=froms[start:start + 500],
                                          to_record_id__in={t for _, t in pairs}).values_list("from_record_id", "to_record_id")
        found.update(row for row in rows if row in pairs)
    return found


def pair_errors(pairs: list[Pair], types: dict[int, AssociationType] | None = None, *,
                hidden: Collection[int] = ()) -> list[FieldError | None]:
    """What is wrong with each pair (None when nothing is): a record that does not exist or is
    archived (or is `hidden` from the user who asks, which answers the same), an unknown type, a
    type that does not join the records' object types, a record with itself. Reads only;
    associate_many refuses any pair this faults."""
    if types is None:
        types = {t.pk: t for t in AssociationType.objects.filter(id__in={p.type_id for p in pairs})}
    records = _active_types({p.from_id for p in pairs} | {p.to_id for p in pairs})
    for record_id in hidden:
        records.pop(record_id, None)
    errors: list[FieldError | None] = []
    for index, pair in enumerate(pairs):
        kind = types.get(pair.type_id)
        if pair.from_id not in records or pair.to_id not in records:
            errors.append(pair_record_missing(pair.from_id if pair.from_id not in records else pair.to_id, index))
        elif kind is None:
            errors.append(FieldError(f"No association type {pair.type_id}", "UNKNOWN_TYPE", "associationTypeId", {"index": index}))
        elif (records[pair.from_id], records[pair.to_id]) != (kind.from_object_type_id, kind.to_object_type_id):
            errors.append(FieldError(f"Association type {pair.type_id} does not join these records' object types",
                                     "INVALID_TYPE_FOR_RECORDS", "associationTypeId", {"index": index}))
        elif pair.from_id == pair.to_id:
            errors.append(FieldError("A record cannot be associated with itself", "SELF_ASSOCIATION", "to.id", {"index": index}))
        else:
            errors.append(None)
    return errors


@retried
def dissociate(pairs: Iterable[tuple[int, int]], *, user_id: int | None = None, events: bool = True) -> int:
    """Remove every association (all types, both directions) between each pair of records.
    Returns how many pairs of records were associated."""
    pairs = list(dict.fromkeys(pairs))
    lock_records({record_id for pair in pairs for record_id in pair})
    found: set[tuple[int, int]] = set()
    for start in range(0, len(pairs), 100):  # a short OR each time: SQLite limits expression depth
        both = Q(pk__in=[])
        for from_id, to_id in pairs[start:start + 100]:
            both |= Q(from_record_id=from_id, to_record_id=to_id) | Q(from_record_id=to_id, to_record_id=from_id)
        found.update(Association.objects.filter(both).values_list("from_record_id", "to_record_id"))
        Association.objects.filter(both).delete()
    timeline.dissociated([pair for pair in pairs if pair in found], user_id=user_id, events=events)
    return sum(1 for pair in pairs if pair in found)


@retried
def remove_types(pairs: Iterable[Pair], *, user_id: int | None = None) -> int:
    """Remove the associations of each pair of records under the pair's type (and its inverse).
    Removing the unlabeled type removes the association with every label, as in HubSpot; a
    label removed leaves the records associated, unlabeled. Returns how many rows went."""
    pairs = list(dict.fromkeys(pairs))
    types = {t.pk: t for t in AssociationType.objects.filter(id__in={p.type_id for p in pairs})}
    lock_records({record_id for pair in pairs for record_id in pair[:2]})
    removed = 0
    for pair in pairs:
        kind = types.get(pair.type_id)
        if kind is None:
            continue
        if kind.label is None:
            removed += dissociate([(pair.from_id, pair.to_id)], user_id=user_id)
            continue
        removed += Association.objects.filter(
            Q(from_record_id=pair.from_id, to_record_id=pair.to_id, type_id=kind.pk)
            | Q(from_record_id=pair.to_id, to_record_id=pair.from_id, type_id=kind.inverse_id or kind.pk)).delete()[0] // 2
    return removed


def pair_record_missing(record_id: int, index: int) -> FieldError:
    """A pair's record that is not there (or that the user may not view)."""
    return FieldError(f"Record {record_id} does not exist", "RECORD_NOT_FOUND", "to.id", {"index": index, "id": str(record_id)})


def associated_page(from_id: int, to_type: ObjectType, limit: int, after: int | None = None, *,
                    default_type_id: int | None = None,
                    owners: frozenset[str] | None = None) -> tuple[list[tuple[int, list[AssociationType]]], int | None]:
    """A page of the active records of `to_type` associated with record `from_id`, in id order,
    each with the types it is associated under; and the id to continue after, if more remain.
    With the id of the unlabeled type between the two objects the page is read from one range
    of the association index, not from all of the record's associations. `owners` narrows the
    page to the records those owners own (scheda.accounts.permissions `Rights.owners`)."""
    rows = Association.objects.filter(from_record_id=from_id, to_record__archived=False)
    rows = rows.filter(type_id=default_type_id) if default_type_id else rows.filter(type__to_object_type=to_type)
    rows = rows.filter(owned_by(owners, "to_record__"))
    if after is not None:
        rows = rows.filter(to_record_id__gt=after)
    # One query: the page's ids (one more, to know whether more remain) are a subquery of the
    # read of every type each is associated under.
    ids = rows.order_by("to_record_id").values("to_record_id").distinct()[:limit + 1]
    grouped: dict[int, list[AssociationType]] = {}
    labelled = Association.objects.filter(from_record_id=from_id, to_record_id__in=ids)
    for association in labelled.select_related("type").order_by("to_record_id", "type_id"):
        grouped.setdefault(association.to_record_id, []).append(association.type)
    page = list(grouped.items())
    return page[:limit], (page[limit - 1][0] if len(page) > limit else None)


def _active_types(ids: set[int]) -> dict[int, int]:
    """Object type id of each active record among `ids`."""
    return dict(rows_for_ids("SELECT id, object_type_id FROM records_record WHERE NOT archived AND id IN ({ids})", ids))


def _pairs_q(pairs: set[tuple[int, int]]) -> Q:
    q = Q(pk__in=[])
    for from_id, to_id in pairs:
        q |= Q(from_object_type_id=from_id, to_object_type_id=to_id)
    return q


def _drop_replaced_singles(rows: list[tuple[int, int, int]], types: dict[int, AssociationType]) -> None:
    """A HubSpot-defined single type (a contact's primary company) moves to the new record
    instead of failing: the old primary stays associated, unlabeled."""
    singles = {k for k, t in types.items() if t.limit == 1 and t.category == AssociationType.Category.HUBSPOT_DEFINED}
    wanted = {(f, k): t for f, t, k in rows if k in singles}
    if not wanted:
        return
    existing = rows_for_ids("SELECT id, from_record_id, to_record_id, type_id FROM associations_association"
                            f" WHERE type_id IN ({', '.join(str(int(k)) for k in sorted(singles))})"
                            " AND from_record_id IN ({ids})", {f for f, _k in wanted})
    for row_id, from_id, to_id, type_id in existing:
        if (from_id, type_id) in wanted and wanted[(from_id, type_id)] != to_id:
            Association.objects.filter(id=row_id).delete()
            Association.objects.filter(from_record_id=to_id, to_record_id=from_id, type_id=types[type_id].inverse_id).delete()


def _insert(rows: list[tuple[int, int, int]]) -> int:
    """Insert association rows, skipping those that exist; returns how many pairs were new."""
    rows = list(dict.fromkeys(rows))
    if not rows:
        return 0
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    written = insert_rows("associations_association", "from_record_id, to_record_id, type_id, created_at",
                          [(f, t, k, now) for f, t, k in rows], skip_existing=True)
    return written // 2


def _check_limits(rows: list[tuple[int, int, int]], types: dict[int, AssociationType]) -> None:
    """After writing: no record over ASSOCIATION_LIMIT associations with one object type, nor over
    a type's own limit. One grouped query per 900 records written to."""
    # A record's associations with one object type are those under the one unlabeled type
    # between the two; the write has a row of each it adds to. Named by id, not joined: joined,
    # PostgreSQL walked every association of each unlabeled type (40-590 ms for 900 records at L).
    limits = {k: types[k].limit or 0 for _f, _t, k in rows if types[k].limit}
    counted = {k for _f, _t, k in rows if types[k].label is None} | set(limits)
    over = rows_for_ids(
        f"SELECT from_record_id, type_id, count(*) FROM associations_association WHERE type_id IN"
        f" ({', '.join(str(int(k)) for k in sorted(counted))}) AND from_record_id IN ({{ids}})"
        f" GROUP BY from_record_id, type_id HAVING count(*) > {min([ASSOCIATION_LIMIT, *limits.values()])}",
        {f for f, _t, k in rows if k in counted})
    for from_id, type_id, n in over:
        if types[type_id].label is None and n > ASSOCIATION_LIMIT:
            raise LimitExceeded(f"Record {from_id} would have more than {ASSOCIATION_LIMIT} associations of one object type",
                                [FieldError("Association limit reached", "ASSOCIATION_LIMIT", "to.id", {"id": str(from_id)})])
    for from_id, type_id, n in over:
        kind = types[type_id]
        if kind.limit and n > kind.limit:
            raise LimitExceeded(f"Record {from_id} may have at most {kind.limit} association(s) labelled {kind.label!r}",
                                [FieldError("Label limit reached", "LABEL_LIMIT", "associationTypeId", {"id": str(from_id)})])
