"""A record's timeline: its activities and system events, newest first, after the pinned
activity and the upcoming ones.

The write half keeps TimelineEntry rows in step; the record and association services call it
in their transactions (they are the only writers). The read half pages the entries with a
keyset on (occurred_at, id) and a fixed number of queries, however long the timeline."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import F, Q
from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scheda.activities.models import Comment, TimelineEntry
from scheda.errors import FieldError, ValidationFailed
from scheda.records import storage
from scheda.records.models import Record
from scheda.records.search import WORD

ACTIVITY_KINDS = ("notes", "emails", "calls", "meetings", "tasks")
# Property -> event kind: the changes a timeline shows ("Filter activity" lists them).
TRACKED = {
    "lifecyclestage": "lifecycle_stage",
    "dealstage": "deal_stage",
    "hs_pipeline_stage": "ticket_status",
    "hubspot_owner_id": "owner",
}
EVENT_KINDS = {
    "created": _("Record created"),
    "lifecycle_stage": _("Lifecycle stage"),
    "deal_stage": _("Deal stage"),
    "ticket_status": _("Ticket status"),
    "owner": _("Owner assignment"),
    "merge": _("Merged records"),
    "unmerge": _("Merge undone"),
    "association_added": _("Association added"),
    "association_removed": _("Association removed"),
}
OPEN_MEETING = {None, "", "SCHEDULED", "RESCHEDULED"}
UPCOMING_LIMIT = 50
PAGE_SIZE = 25


# --- the write half ---------------------------------------------------------------------------


def _moment(value: Any, fallback: datetime) -> datetime:
    if not value:
        return fallback
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _owner(properties: dict[str, Any], owners: set[int]) -> int | None:
    try:
        owner = int(properties.get("hubspot_owner_id") or 0)
    except (TypeError, ValueError):
        return None
    return owner if owner in owners else None


def _entry_fields(kind: str, activity: dict[str, Any], owners: set[int]) -> dict[str, Any]:
    """What an activity's entry copies from it: when, whose, whether it is open, its search text."""
    properties = activity["properties"]
    if kind == "tasks":
        is_open = properties.get("hs_task_status") != "COMPLETED"
    elif kind == "meetings":
        is_open = properties.get("hs_meeting_outcome") in OPEN_MEETING
    else:
        is_open = False
    return {"kind": kind, "occurred_at": _moment(properties.get("hs_timestamp"), activity["created_at"]),
            "user_id": _owner(properties, owners), "open": is_open, "text": activity["search_text"]}


def _insert(entries: Iterable[dict[str, Any]], *, skip_existing: bool = False) -> None:
    """Timeline rows (TimelineEntry's fields by name) in a statement a thousand, as records are
    written (storage.insert_rows): Django's bulk_create of a batch update's 100 lifecycle stage
    events took a fifth of the API call, profiled."""
    adapt = connection.ops.adapt_datetimefield_value
    storage.insert_rows("activities_timelineentry", "record_id, kind, occurred_at, activity_id, user_id, open, data, text", [
        (e["record_id"], e["kind"], adapt(e["occurred_at"]), e.get("activity_id"), e.get("user_id"), e.get("open", False),
         json.dumps(e.get("data", {}), ensure_ascii=False), e.get("text", "")) for e in entries], skip_existing=skip_existing)


def _records(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    return {row["id"]: dict(row) for row in Record.objects.filter(id__in=set(ids)).values(
        "id", "properties", "created_at", "search_text", "object_type__name")}


def _kinds(ids: Iterable[int]) -> dict[int, tuple[str, bool]]:
    """Each record's object type name and whether it is an activity."""
    return {record_id: (name, bool(is_activity)) for record_id, name, is_activity in storage.rows_for_ids(
        "SELECT r.id, t.name, t.is_activity FROM records_record r JOIN objects_objecttype t ON t.id = r.object_type_id"
        " WHERE r.id IN ({ids})", ids)}


def _owner_ids(rows: Iterable[dict[str, Any]]) -> set[int]:
    from scheda.accounts.models import User

    wanted = {str(r["properties"].get("hubspot_owner_id")) for r in rows if r["properties"].get("hubspot_owner_id")}
    ids = {int(w) for w in wanted if w.isdigit()}
    return set(User.objects.filter(id__in=ids).values_list("id", flat=True)) if ids else set()


def associated(pairs: Iterable[tuple[int, int]], *, user_id: int | None = None, events: bool = True,
               new_activities: Mapping[int, dict[str, Any]] | None = None) -> None:
    """Records newly associated, as (record, other) pairs in either direction: an activity goes
    onto the other record's timeline; two records that are not activities each get an
    "association added" event (unless `events` is off, as when a record is created with them).
    `new_activities`: activities just created, by id, as `_records` would read them back."""
    write(pairs, added=True, user_id=user_id, events=events, new_activities=new_activities)


def dissociated(pairs: Iterable[tuple[int, int]], *, user_id: int | None = None, events: bool = True) -> None:
    """Records no longer associated: the activity leaves the other's timeline; two records
    that are not activities each get an "association removed" event."""
    write(pairs, added=False, user_id=user_id, events=events)


def write(pairs: Iterable[tuple[int, int]], *, added: bool, user_id: int | None, events: bool,
          new_activities: Mapping[int, dict[str, Any]] | None = None) -> None:
    unique = {(min(a, b), max(a, b)) for a, b in pairs if a != b}
    if not unique:
        return
    kinds = _kinds({i for pair in unique for i in pair})
    activity_pairs: list[tuple[int, int]] = []  # (record, activity)
    plain: list[tuple[int, int]] = []
    for a, b in unique:
        if a not in kinds or b not in kinds:
            continue
        a_activity, b_activity = kinds[a][1], kinds[b][1]
        if a_activity != b_activity:
            activity_pairs.append((b, a) if a_activity else (a, b))
        elif not a_activity:
            plain.append((a, b))
    if activity_pairs and added:
        # Only the activities' own rows are read whole (unless just written): their entries copy from them.
        wanted = {activity for _, activity in activity_pairs}
        known = {i: new_activities[i] for i in wanted & new_activities.keys()} if new_activities else {}
        activities = {**_records(wanted - known.keys()), **known}  # (no query for no ids)
        owners = _owner_ids(activities.values())
        _insert([{"record_id": record, "activity_id": activity,
                  **_entry_fields(kinds[activity][0], activities[activity], owners)}
                 for record, activity in activity_pairs], skip_existing=True)
    elif activity_pairs:
        condition = Q(pk__in=[])
        for record, activity in activity_pairs:
            condition |= Q(record_id=record, activity_id=activity)
        TimelineEntry.objects.filter(condition).delete()
    if plain and events:
        now = timezone.now()
        kind = "association_added" if added else "association_removed"
        _insert([{"record_id": one, "kind": kind, "occurred_at": now, "user_id": user_id,
                  "data": {"other": other, "object_type": kinds[other][0]}}
                 for a, b in plain for one, other in ((a, b), (b, a))])


def activities_changed(ids: Iterable[int]) -> None:
    """Activities changed: their entries follow (time, owner, status, search text)."""
    activities = _records(ids)
    if not activities:
        return
    owners = _owner_ids(activities.values())
    rows = []
    for activity_id, row in activities.items():
        fields = _entry_fields(row["object_type__name"], row, owners)
        rows.append((connection.ops.adapt_datetimefield_value(fields["occurred_at"]), fields["user_id"], fields["open"],
                     fields["text"], activity_id))
    with connection.cursor() as cursor:  # one statement for a batch, not one per activity
        cursor.executemany("UPDATE activities_timelineentry SET occurred_at = %s, user_id = %s, open = %s, text = %s"
                           " WHERE activity_id = %s", rows)


def properties_changed(rows: Iterable[tuple[int, dict[str, Any], dict[str, Any]]], user_id: int | None, when: datetime) -> None:
    """Tracked properties changed on records (record id, new values, old values): one event each."""
    _insert([{"record_id": record_id, "kind": TRACKED[name], "occurred_at": when, "user_id": user_id,
              "data": {"property": name, "from": old.get(name), "to": value}}
             for record_id, changed, old in rows for name, value in changed.items() if name in TRACKED])


def event(record_id: int, kind: str, user_id: int | None, **data: Any) -> None:
    TimelineEntry.objects.create(record_id=record_id, kind=kind, occurred_at=timezone.now(), user_id=user_id, data=data)


# --- the read half ----------------------------------------------------------------------------


@dataclass
class Filters:
    """What the tabs and menus above a timeline select; empty means everything."""

    kinds: set[str] = field(default_factory=set)
    users: set[int] = field(default_factory=set)
    teams: set[int] = field(default_factory=set)
    query: str = ""

    @property
    def words(self) -> list[str]:
        return WORD.findall(self.query.lower())

    def condition(self) -> Q:
        q = Q()
        if self.kinds:
            unknown = self.kinds - set(ACTIVITY_KINDS) - set(EVENT_KINDS)
            if unknown:
                raise ValidationFailed(f"Unknown activity type {sorted(unknown)[0]!r}",
                                       [FieldError("Unknown activity type", "INVALID_FILTER", "type")])
            q &= Q(kind__in=self.kinds)
        if self.users or self.teams:
            from scheda.accounts.models import Team

            members = set(Team.members.through.objects.filter(team_id__in=self.teams).values_list("user_id", flat=True))
            q &= Q(user_id__in=self.users | members)
        for word in self.words:
            q &= Q(text__contains_any_case=word)
        return q


@dataclass
class Item:
    """One line of the timeline, as the page shows it."""

    key: str
    kind: str
    occurred_at: datetime
    activity: Record | None = None
    data: dict[str, Any] = field(default_factory=dict)
    user_id: int | None = None
    pinned: bool = False
    upcoming: bool = False
    comments: int = 0
    associations: int = 0

    @property
    def is_activity(self) -> bool:
        return self.activity is not None


@dataclass
class Page:
    pinned: Item | None
    upcoming: list[Item]
    items: list[Item]
    after: str | None


def _cursor(at: datetime, entry_id: int) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{entry_id}".encode()).decode().rstrip("=")


def _parse_cursor(after: str) -> tuple[datetime, int]:
    try:
        text = base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)).decode()
        at, entry_id = text.split("|")
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError("a cursor's time has its zone")
        return moment, int(entry_id)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("Not a timeline cursor", [FieldError("Not a timeline cursor", "INVALID_CURSOR", "after")]) from None


def _item(entry: TimelineEntry, **extra: Any) -> Item:
    return Item(key=f"e{entry.pk}", kind=entry.kind, occurred_at=entry.occurred_at, activity=entry.activity,
                data=entry.data, user_id=entry.user_id, **extra)


def timeline(record: Record, filters: Filters | None = None, *, after: str | None = None,
             limit: int = PAGE_SIZE, now: datetime | None = None) -> Page:
    """A page of `record`'s timeline. The first page (no `after`) carries the pinned activity
    and the upcoming ones; every page then lists the rest newest first, `limit` at a time."""
    filters = filters or Filters()
    now = now or timezone.now()
    base = (TimelineEntry.objects.filter(record_id=record.pk)
            .filter(Q(activity__isnull=True) | Q(activity__archived=False)).filter(filters.condition())
            .select_related("activity"))
    pinned_id = _pinned_id(record)
    if pinned_id:
        base = base.exclude(activity_id=pinned_id)
    upcoming_q = Q(open=True, occurred_at__gt=now)
    pinned, upcoming = None, []
    if after is None:
        if pinned_id:
            entry = (TimelineEntry.objects.filter(record_id=record.pk, activity_id=pinned_id, activity__archived=False)
                     .filter(filters.condition()).select_related("activity").first())
            pinned = _item(entry, pinned=True) if entry else None
        upcoming = [_item(e, upcoming=True) for e in base.filter(upcoming_q).order_by("occurred_at", "id")[:UPCOMING_LIMIT]]
    rest = base.exclude(upcoming_q)
    if after is not None:
        at, entry_id = _parse_cursor(after)
        # (occurred_at, id) < (at, entry_id), which PostgreSQL reads as one range of the (record,
        # time, id) index whatever plan it keeps. Written as an OR, the plan a kept connection
        # kept read every entry of a busy record and sorted them (32 ms against 0.3 at data set L).
        # SQLite gets Django's OR.
        rest = rest.filter(TupleLessThan(Tuple(F("occurred_at"), F("id")), (at, entry_id)))
    entries = list(rest.order_by("-occurred_at", "-id")[:limit + 1])
    items = [_item(e) for e in entries[:limit]]
    more = len(entries) > limit
    # "Record created" is the record's own row, not an entry: it joins the page it falls in.
    created_shown = _created_wanted(filters) and (after is None or (record.created_at, 0) < _parse_cursor(after))
    if created_shown and (not more or (record.created_at, 0) > (entries[limit - 1].occurred_at, entries[limit - 1].pk)):
        items.append(Item(key="created", kind="created", occurred_at=record.created_at,
                          user_id=record.created_by_id))
        items.sort(key=lambda i: (i.occurred_at, 1 if i.key != "created" else 0), reverse=True)
        if len(items) > limit:
            items, more = items[:limit], True
    last = items[-1] if items else None
    after_next = None
    if more and last is not None:
        after_next = _cursor(last.occurred_at, 0 if last.key == "created" else int(last.key[1:]))
    _count(record, [i for i in [pinned, *upcoming, *items] if i and i.activity])
    return Page(pinned, upcoming, items, after_next)


def item_of(record: Record, activity: Record) -> Item | None:
    """One activity as a line of `record`'s timeline (None if it is not on it), with its counts."""
    entry = TimelineEntry.objects.select_related("activity").filter(record_id=record.pk, activity_id=activity.pk).first()
    if entry is None:
        return None
    item = _item(entry, pinned=_pinned_id(record) == activity.pk)
    _count(record, [item])
    return item


def _created_wanted(filters: Filters) -> bool:
    return not filters.words and not filters.users and not filters.teams and (not filters.kinds or "created" in filters.kinds)


def _pinned_id(record: Record) -> int | None:
    value = record.properties.get("hs_pinned_engagement_id")
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


def _count(record: Record, items: list[Item]) -> None:
    """Comment and association counts of the activities on a page, in one statement. Written as
    SQL: composing it from two grouped querysets and their union cost the ORM more than running
    it (a third of the timeline's time on the record page)."""
    from scheda.associations.models import Association, AssociationType

    ids = [i.activity.pk for i in items if i.activity]
    if not ids:
        return
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT activity_id, count(*), 0 FROM {Comment._meta.db_table} WHERE activity_id IN ({marks})"
            " GROUP BY activity_id UNION ALL"
            f" SELECT a.from_record_id, count(*), 1 FROM {Association._meta.db_table} a"
            f" JOIN {Record._meta.db_table} r ON r.id = a.to_record_id JOIN {AssociationType._meta.db_table} t ON t.id = a.type_id"
            f" WHERE a.from_record_id IN ({marks}) AND NOT r.archived AND t.label IS NULL GROUP BY a.from_record_id",
            [*ids, *ids])
        counts = {(activity_id, what): n for activity_id, n, what in cursor.fetchall()}
    for item in items:
        assert item.activity is not None
        item.comments = counts.get((item.activity.pk, 0), 0)
        item.associations = counts.get((item.activity.pk, 1), 0)


def highlight(text: str, words: list[str]) -> list[tuple[str, bool]]:
    """`text` cut into (piece, matched) runs, the matched words of a search marked."""
    if not words or not text:
        return [(text, False)]
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)
    pieces: list[tuple[str, bool]] = []
    start = 0
    for match in pattern.finditer(text):
        if match.start() > start:
            pieces.append((text[start:match.start()], False))
        pieces.append((match.group(), True))
        start = match.end()
    if start < len(text):
        pieces.append((text[start:], False))
    return pieces
