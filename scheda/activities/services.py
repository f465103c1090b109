"""Writers of activities and what hangs off them: logging (with HubSpot's automatic
associations), logged e-mail messages and their attachments, comments and mentions, pins,
completing tasks, editing an activity's associations, deleting and restoring."""

from __future__ import annotations

import email
import email.policy
import json
import re
import unicodedata
import uuid
from collections.abc import Sequence
from datetime import timedelta
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

import nh3
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from scheda.accounts.models import User
from scheda.accounts.permissions import Rights
from scheda.activities import timeline
from scheda.activities.models import (
    Attachment,
    AutoAssociation,
    Comment,
    Notification,
    TimelineEntry,
)
from scheda.associations import services as associations
from scheda.associations.models import Association
from scheda.errors import FieldError, NotFound, ValidationFailed
from scheda.objects.models import ObjectType
from scheda.objects.services import load_schema, with_schema
from scheda.objects.types import format_datetime, plain_text
from scheda.pipelines.models import PipelineStage
from scheda.records import services as records
from scheda.records.models import Record
from scheda.records.services import Author
from scheda.transactions import retried

# What each activity type must say: one of these properties, not empty.
BODY = {
    "notes": ("hs_note_body",),
    "emails": ("hs_email_subject", "hs_email_text", "hs_email_html"),
    "calls": ("hs_call_body", "hs_call_title"),
    "meetings": ("hs_meeting_title",),
    "tasks": ("hs_task_subject",),
}
MAX_EML_BYTES = 25 * 1024 * 1024  # what mail servers commonly accept for one message
MAX_COMMENT_CHARS = 65_536
# What a comment may keep of its HTML.
COMMENT_HTML = nh3.Cleaner(tags={"b", "i", "u", "strong", "em", "p", "br", "a", "ul", "ol", "li"})
MENTION = re.compile(r"@([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")
# HubSpot's primary company of a contact (and of a deal and a ticket).
PRIMARY_COMPANY = {"contacts": 1, "deals": 5, "tickets": 26}


def _plain(value: Any) -> str:
    return plain_text(str(value or "")).strip()


def _kind(name: str) -> ObjectType:
    if name not in timeline.ACTIVITY_KINDS:
        raise ValidationFailed(f"{name!r} is not an activity type", [FieldError("Not an activity type", "INVALID_TYPE", "type")])
    return load_schema(name).object_type


# --- logging --------------------------------------------------------------------------------


def auto_association(object_type: ObjectType) -> AutoAssociation:
    found = AutoAssociation.objects.filter(object_type=object_type).first()
    return found or AutoAssociation(object_type=object_type)


def set_auto_association(object_type: ObjectType, **flags: bool) -> AutoAssociation:
    setting = auto_association(object_type)
    for name, value in flags.items():
        if name not in {"primary_company", "open_deals", "open_tickets"}:
            raise ValidationFailed(f"No setting {name!r}", [FieldError("Unknown setting", "INVALID_SETTING", name)])
        setattr(setting, name, bool(value))
    setting.save()
    return setting


def automatic_targets(record: Record) -> list[int]:
    """The records an activity logged on `record` also goes to: the record's primary company,
    its open deals and (when turned on) open tickets, as the object's settings say."""
    setting = auto_association(record.object_type)
    name = record.object_type.name
    found: list[int] = []
    if setting.primary_company and name in PRIMARY_COMPANY:
        found += Association.objects.filter(from_record_id=record.pk, type_id=PRIMARY_COMPANY[name],
                                            to_record__archived=False).values_list("to_record_id", flat=True)
    for wanted, other, stage_property in ((setting.open_deals, "deals", "dealstage"),
                                          (setting.open_tickets, "tickets", "hs_pipeline_stage")):
        if not wanted or name == other:
            continue
        linked = Record.objects.filter(
            archived=False, object_type__name=other,
            id__in=Association.objects.filter(from_record_id=record.pk, type__label=None).values("to_record_id"))
        closed = {str(s.stage_id) for s in PipelineStage.objects.filter(pipeline__object_type__name=other) if s.is_closed}
        found += [r.pk for r in linked.only("id", "properties") if str(r.properties.get(stage_property)) not in closed]
    return found


@retried
def log_activity(kind: str, properties: dict[str, Any], author: Author, *, on: Sequence[Record] = (),
                 also: Sequence[int] = (), automatic: bool = True) -> Record:
    """Log an activity of `kind` on the records `on` (and on the records `also` names by id),
    with HubSpot's automatic associations for each record in `on`. Its time defaults to now,
    its owner to the author; a task starts as not started."""
    object_type = _kind(kind)
    values = dict(properties)
    values.setdefault("hs_timestamp", format_datetime(timezone.now()))
    if author.user_id:
        values.setdefault("hubspot_owner_id", str(author.user_id))
    if kind == "tasks":
        values.setdefault("hs_task_status", "NOT_STARTED")
    if not any(_plain(values.get(name)) for name in BODY[kind]):
        first = BODY[kind][0]
        raise ValidationFailed(f"Add a {first.split('_')[-1]} before saving",
                               [FieldError(f'"{first}" cannot be empty', "REQUIRED_PROPERTY", first)])
    targets = [r.pk for r in on] + list(also)
    if automatic:
        for record in on:
            targets += automatic_targets(record)
    pairs = _default_associations(object_type, targets, "associations")
    (activity,) = records.create_records(object_type, [records.RecordInput(values, pairs)], author)
    return activity


@retried
def edit_associations(activity: Record, author: Author, *, add: Sequence[int] = (), remove: Sequence[int] = ()) -> None:
    """Associate an activity with more records and stop associating it with others: it shows
    on, and leaves, their timelines. Unknown or deleted records are refused, all or nothing."""
    _require_activity(activity)
    pairs = _default_associations(activity.object_type, add, "add")
    associations.associate_many([associations.Pair(activity.pk, target, type_id) for target, type_id in pairs],
                                user_id=author.user_id)
    associations.dissociate([(activity.pk, other) for other in remove], user_id=author.user_id)


def _default_associations(activity_type: ObjectType, targets: Sequence[int], field: str) -> list[tuple[int, int]]:
    """(record, association type) for an activity to go on each of these active records, under
    the unlabeled type of its pair of objects; NotFound naming `field` if one does not exist."""
    targets = list(dict.fromkeys(targets))
    found = {r.pk: r.object_type for r in Record.objects.filter(id__in=targets, archived=False).select_related("object_type")}
    missing = [t for t in targets if t not in found]
    if missing:
        raise NotFound(f"Record {missing[0]} does not exist", [FieldError(f"No record {missing[0]}", "RECORD_NOT_FOUND", field)])
    return [(t, associations.default_type(activity_type, found[t]).pk) for t in targets if not found[t].is_activity]


def associated_records(activity: Record) -> list[Record]:
    ids = Association.objects.filter(from_record_id=activity.pk, type__label=None).values("to_record_id")
    return list(Record.objects.filter(id__in=ids, archived=False).select_related("object_type").order_by("object_type_id", "id"))


def _require_activity(activity: Record) -> None:
    if not activity.object_type.is_activity:
        raise ValidationFailed(f"Record {activity.pk} is not an activity", [FieldError("Not an activity", "NOT_AN_ACTIVITY", "id")])


# --- tasks, pins, delete and restore ------------------------------------------------------------


def complete_task(task: Record, author: Author, *, done: bool = True) -> Record:
    if task.object_type.name != "tasks":
        raise ValidationFailed(f"Record {task.pk} is not a task", [FieldError("Not a task", "NOT_A_TASK", "id")])
    return records.update_record(task, {"hs_task_status": "COMPLETED" if done else "NOT_STARTED"}, author)


def pin(record: Record, activity: Record | None, author: Author) -> Record:
    """Pin an activity to the top of a record's timeline (None unpins). One pin per record."""
    if activity is not None:
        _require_activity(activity)
        if not TimelineEntry.objects.filter(record_id=record.pk, activity_id=activity.pk).exists():
            raise ValidationFailed("Only an activity on this record's timeline can be pinned",
                                   [FieldError("Not on this timeline", "NOT_ON_TIMELINE", "activityId")])
    return records.update_record(record, {"hs_pinned_engagement_id": activity.pk if activity else None}, author)


def delete_activity(activity: Record, author: Author) -> None:
    """Delete an activity to the recycle bin: "Restore activity" brings it back for 90 days."""
    _require_activity(activity)
    records.archive_record(activity, author)


def restore_activity(activity: Record, author: Author) -> Record:
    _require_activity(activity)
    return records.restore_record(activity, author)


def deleted_activities(record: Record) -> list[Record]:
    """The activities of a record's timeline that were deleted and can still be restored, newest
    deletion first ("Restore activity")."""
    limit = timezone.now() - timedelta(days=settings.SCHEDA_RECYCLE_BIN_DAYS)
    # From the deleted activities (the recycle bin's own index, read alone) to this record's
    # entries, not from its (many) entries. The condition is `r.archived`, written as the
    # index's: SQLite uses a partial index only then. MATERIALIZED keeps that order on
    # PostgreSQL: once other records are archived its statistics expect hundreds of deleted
    # activities and, left to choose, it walked every record backwards by id to meet them (430 ms
    # at L). docs/DECISIONS.md 29.
    types = with_schema("activity type ids", lambda: ", ".join(
        str(int(pk)) for pk in ObjectType.objects.filter(is_activity=True).values_list("pk", flat=True)))
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH deleted AS MATERIALIZED (SELECT r.id, r.archived_at FROM records_record r"
            f" WHERE r.object_type_id IN ({types}) AND r.archived AND r.archived_at >= %s)"
            " SELECT d.id FROM deleted d WHERE EXISTS (SELECT 1 FROM activities_timelineentry e"
            " WHERE e.record_id = %s AND e.activity_id = d.id) ORDER BY d.archived_at DESC, d.id DESC LIMIT 50",
            [connection.ops.adapt_datetimefield_value(limit), record.pk])
        ids = [row[0] for row in cursor.fetchall()]
    found = {r.pk: r for r in Record.objects.filter(id__in=ids).select_related("object_type")}
    return [found[i] for i in ids if found[i].merged_into_id is None]  # merged ones come back by unmerging


# --- comments and mentions ---------------------------------------------------------------------


@transaction.atomic
def add_comment(activity: Record, author: User, body: str) -> Comment:
    """Comment on an activity. Each active user named as @their-email is notified, once per
    activity; mentioning oneself notifies no one."""
    _require_activity(activity)
    clean = COMMENT_HTML.clean(str(body or "")).strip()
    if not _plain(clean):
        raise ValidationFailed("A comment cannot be empty", [FieldError("Write a comment before saving", "REQUIRED_PROPERTY", "body")])
    if len(clean) > MAX_COMMENT_CHARS:
        raise ValidationFailed("A comment is at most 65,536 characters",
                               [FieldError("Comment too long", "TOO_LONG", "body")])
    now = timezone.now()
    comment = Comment.objects.create(activity=activity, author=author, body=clean, created_at=now)
    named = {address.lower() for address in MENTION.findall(_plain(clean))}
    mentioned = User.objects.filter(email__in=named, is_active=True).exclude(pk=author.pk)
    Notification.objects.bulk_create([
        Notification(user=user, kind=Notification.Kind.MENTION, activity=activity, comment=comment, actor=author, created_at=now)
        for user in mentioned], ignore_conflicts=True)
    return comment


def comments_of(activity: Record) -> list[Comment]:
    return list(Comment.objects.filter(activity=activity).select_related("author"))


def recent_notifications(user: User, rights: Rights, limit: int = 50) -> list[Notification]:
    """A user's latest notifications, each with `record`: a record whose timeline shows the
    activity and the user may see (None when the user may see none: a restricted activity)."""
    found = list(Notification.objects.filter(user=user).select_related("actor", "activity__object_type", "comment")
                 .order_by("-created_at", "-id")[:limit])
    places: dict[int, list[int]] = {}
    for activity_id, record_id in TimelineEntry.objects.filter(
            activity_id__in=[n.activity_id for n in found], record__archived=False).values_list("activity_id", "record_id"):
        places.setdefault(activity_id, []).append(record_id)
    targets = {r.pk: r for r in Record.objects.filter(id__in={i for ids in places.values() for i in ids})
               .select_related("object_type")}
    for notification in found:
        visible = [targets[i] for i in places.get(notification.activity_id, []) if i in targets and rights.can_view(targets[i])]
        notification.record = visible[0] if visible else None  # type: ignore[attr-defined]
    return found


def mark_read(user: User, ids: Sequence[int]) -> None:
    Notification.objects.filter(user=user, id__in=ids, read_at=None).update(read_at=timezone.now())


# --- logged e-mail messages ---------------------------------------------------------------------


def _address_list(message: EmailMessage, header: str) -> list[tuple[str, str]]:
    return [(name, address.lower()) for name, address in getaddresses(message.get_all(header, [])) if "@" in address]


def _person(name: str, address: str) -> dict[str, str]:
    first, _, last = name.partition(" ")
    return {"email": address, "firstName": first, "lastName": last}


@transaction.atomic
def log_email_message(raw: bytes, author: Author, *, on: Sequence[Record] = (), rights: Rights | None = None) -> Record:
    """Log a raw RFC 5322 message (an .eml file) as an e-mail activity: associated with the
    contacts whose addresses it names (those `rights`, the uploader's, may edit) and the records
    `on`, its HTML sanitised, its attachments kept as files."""
    if not raw or len(raw) > MAX_EML_BYTES:
        raise ValidationFailed("The message is empty or larger than 25 MB",
                               [FieldError("Empty or too large", "INVALID_EML", "file")])
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        senders = _address_list(message, "from")
        to, cc = _address_list(message, "to"), _address_list(message, "cc")
        subject = str(message.get("subject", "") or "")
        body_html = message.get_body(preferencelist=("html",))
        body_text = message.get_body(preferencelist=("plain",))
        html = body_html.get_content() if body_html is not None else ""
        text = body_text.get_content() if body_text is not None else ""
        files = [(file_name(str(part.get_filename() or "")), part.get_payload(decode=True) or b"")
                 for part in message.iter_attachments()]
        sent = parsedate_to_datetime(message["date"]) if message["date"] else timezone.now()
    except (ValueError, TypeError, LookupError, AttributeError) as exc:
        raise ValidationFailed(f"This is not an e-mail message this can read: {exc}",
                               [FieldError("Not a readable e-mail message", "INVALID_EML", "file")]) from None
    if not senders or not (to or cc):
        raise ValidationFailed("The message needs a From and a To address", [FieldError("No From or To address", "INVALID_EML", "file")])
    if not (subject or html or text):
        raise ValidationFailed("The message has neither subject nor body", [FieldError("Empty message", "INVALID_EML", "file")])
    users = set(User.objects.filter(email__in=[a for _, a in senders]).values_list("email", flat=True))
    outgoing = senders[0][1] in users
    addresses = [a for _, a in senders + to + cc]
    contact_type = load_schema("contacts").object_type
    named = {i for ids in records._holders(contact_type, "email", sorted(set(addresses))).values() for i in ids}
    contacts = Record.objects.filter(id__in=named, archived=False).select_related("object_type")
    if rights is not None:
        contacts = rights.visible(contacts, contact_type, "edit")
    properties = {
        "hs_email_subject": subject[:65_536], "hs_email_text": text, "hs_email_html": html,
        "hs_timestamp": format_datetime(sent if sent.tzinfo else sent.replace(tzinfo=timezone.get_current_timezone())),
        "hs_email_direction": "EMAIL" if outgoing else "INCOMING_EMAIL", "hs_email_status": "SENT",
        "hs_email_headers": json.dumps({"from": _person(*senders[0]), "to": [_person(*p) for p in to],
                                        "cc": [_person(*p) for p in cc]}),
    }
    activity = log_activity("emails", {k: v for k, v in properties.items() if v}, author,
                            on=list({r.pk: r for r in [*on, *contacts]}.values()))
    # The type served back is the one the name's extension maps to, never the message's own.
    kept = [Attachment.objects.create(activity=activity, file=ContentFile(content, name=_stored_name(name)), name=name,
                                      content_type=ATTACHMENT_TYPES.get(_extension(name), "application/octet-stream"),
                                      size=len(content), created_at=timezone.now())
            for name, content in files]
    if kept:
        records.update_record(activity, {"hs_attachment_ids": ";".join(str(a.pk) for a in kept)}, author)
    return activity


def attachments_of(record: Record) -> list[Attachment]:
    """Files uploaded to a record and files that came with the activities on its timeline (RS-3)."""
    ids = TimelineEntry.objects.filter(record_id=record.pk, activity__isnull=False, activity__archived=False).values("activity_id")
    return list(Attachment.objects.filter(Q(activity_id__in=ids) | Q(record_id=record.pk)).order_by("-created_at", "-id"))


# Files a record's Attachments card takes: documents, images, archives and messages, by the
# name's extension; the content type is ours, never the browser's, so a download cannot turn
# into a page of script. Formats with a fixed signature must start with it.
ATTACHMENT_TYPES = {
    "pdf": "application/pdf", "txt": "text/plain", "csv": "text/csv", "md": "text/markdown", "rtf": "application/rtf",
    "doc": "application/msword", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text", "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation", "png": "image/png", "jpg": "image/jpeg",
    "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "zip": "application/zip", "eml": "message/rfc822",
}
SIGNATURES = {"pdf": [b"%PDF-"], "png": [b"\x89PNG"], "jpg": [b"\xff\xd8\xff"], "jpeg": [b"\xff\xd8\xff"],
              "gif": [b"GIF87a", b"GIF89a"], "zip": [b"PK"], "docx": [b"PK"], "xlsx": [b"PK"], "pptx": [b"PK"],
              "odt": [b"PK"], "ods": [b"PK"], "odp": [b"PK"], "webp": [b"RIFF"]}


# Windows device names: a download saved as "con.txt" cannot be opened there.
DEVICE_NAMES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def file_name(raw: str) -> str:
    """The name a file is listed and downloaded under. Only its last part, so "../x", "/etc/x"
    or "C:\\x" pick no folder; no control or format characters (a NUL, a newline that would
    split the download's header, a right-to-left override that shows "gpj.exe" as "exe.jpg");
    no leading dots (hidden files) or trailing dots and spaces (which Windows drops); at most
    255 characters, the extension kept."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rpartition("/")[2]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
    name = " ".join(name.split()).lstrip(". ").rstrip(". ")
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 16:
        stem, dot, extension = name, "", ""
    if stem.lower() in DEVICE_NAMES:
        stem = f"_{stem}"
    return (stem[:255 - len(dot + extension)] + dot + extension) or "file"


def _extension(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def _stored_name(name: str) -> str:
    """A file's name on disk: random, with an allowed extension or none, so nothing a user
    names decides where it lands or what a server in front of the folder makes of it."""
    extension = _extension(name)
    return uuid.uuid4().hex + (f".{extension}" if extension in ATTACHMENT_TYPES else "")


def attach_file(record: Record, name: str, content: bytes, author: records.Author) -> Attachment:
    """Upload a file to a record's Attachments card: a name with an allowed extension, at most
    settings.SCHEDA_MAX_ATTACHMENT_BYTES, content that matches the extension where it can tell."""
    name = file_name(name)
    extension = _extension(name)
    if extension not in ATTACHMENT_TYPES:
        allowed = ", ".join(sorted(ATTACHMENT_TYPES))
        raise ValidationFailed(f"Files of this type cannot be attached (allowed: {allowed})",
                               [FieldError("File type not allowed", "INVALID_FILE_TYPE", "file")])
    if len(content) > settings.SCHEDA_MAX_ATTACHMENT_BYTES:
        limit = settings.SCHEDA_MAX_ATTACHMENT_BYTES // (1024 * 1024)
        raise ValidationFailed(f"The file is larger than {limit} MB", [FieldError("File too large", "FILE_TOO_LARGE", "file")])
    if not content:
        raise ValidationFailed("The file is empty", [FieldError("Empty file", "EMPTY_FILE", "file")])
    if extension in SIGNATURES and not any(content.startswith(sign) for sign in SIGNATURES[extension]):
        raise ValidationFailed(f"The file is not a .{extension} file",
                               [FieldError("Content does not match the file type", "INVALID_FILE_TYPE", "file")])
    return Attachment.objects.create(record=record, file=ContentFile(content, name=_stored_name(name)), name=name,
                                     content_type=ATTACHMENT_TYPES[extension], size=len(content),
                                     created_at=timezone.now(), uploaded_by=author.user)


@transaction.atomic
def delete_attachment(attachment: Attachment) -> None:
    """Remove a file uploaded to a record; a logged e-mail's files go only with the e-mail."""
    if attachment.record_id is None:
        raise ValidationFailed("This file came with an activity: delete the activity to remove it",
                               [FieldError("File of an activity", "ATTACHMENT_OF_ACTIVITY", "attachment")])
    name = attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: _delete_files([name]))


def drop_attachments(record_ids: Sequence[int]) -> None:
    """Attachments of records and activities deleted for good go with them, their files once the
    delete commits."""
    ids = list(record_ids)
    doomed = list(Attachment.objects.filter(Q(activity_id__in=ids) | Q(record_id__in=ids)))
    Attachment.objects.filter(pk__in=[a.pk for a in doomed]).delete()
    names = [a.file.name for a in doomed]
    if names:
        transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)


def sweep_files(older_than: timedelta) -> list[str]:
    """Delete uploaded files no row points at: a file is written before the transaction that
    records it commits, so a process killed in between, or a write that failed, leaves one
    behind; so does a kill between a delete's commit and the file's removal. Files younger than
    `older_than` are kept: their upload may not have committed yet. Returns the deleted names."""
    from django.apps import apps
    from django.core.files.storage import default_storage
    from django.db.models import FileField

    kept: set[str] = set()
    for model in apps.get_models():
        for model_field in model._meta.get_fields():
            if isinstance(model_field, FileField):
                kept.update(model._default_manager.exclude(**{model_field.name: ""}).values_list(model_field.name, flat=True))
    limit = timezone.now() - older_than
    swept: list[str] = []
    folders = [""] if default_storage.exists("") else []
    while folders:
        folder = folders.pop()
        children, names = default_storage.listdir(folder)
        folders += [f"{folder}{child}/" for child in children]
        for name in (f"{folder}{n}" for n in names):
            if name not in kept and default_storage.get_modified_time(name) < limit:
                default_storage.delete(name)
                swept.append(name)
    return sorted(swept)
