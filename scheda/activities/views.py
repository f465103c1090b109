"""The Activities tab of a record page: htmx partials over the timeline and activity services.
Views parse, call a service, render; a refused write re-renders its form with the message next
to the field."""

from __future__ import annotations

import html
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import linebreaksbr
from django.template.loader import render_to_string
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from scheda.accounts.models import Team, User
from scheda.accounts.permissions import Rights, rights_of
from scheda.activities import services, timeline
from scheda.activities.timeline import ACTIVITY_KINDS, EVENT_KINDS, Filters
from scheda.errors import ChangedMeanwhile, Forbidden, SchedaError
from scheda.objects.services import Schema, load_schema
from scheda.objects.types import PropertyValueError
from scheda.records import services as records
from scheda.records.display import Presenter
from scheda.records.models import Record
from scheda.records.pages import changed_meanwhile, is_id, opened, ui_author
from scheda.web.limits import too_large

TABS = [("", _("Activity")), ("notes", _("Notes")), ("emails", _("Emails")), ("calls", _("Calls")),
        ("tasks", _("Tasks")), ("meetings", _("Meetings"))]
KIND_LABELS = {"notes": _("Note"), "emails": _("Email"), "calls": _("Call"), "tasks": _("Task"), "meetings": _("Meeting")}
# The properties each activity's form edits, in order; the first is what the form cannot leave empty.
FORM_FIELDS = {
    "notes": ["hs_note_body", "hs_timestamp"],
    "emails": ["hs_email_subject", "hs_email_text", "hs_email_direction", "hs_timestamp"],
    "calls": ["hs_call_body", "hs_call_title", "hs_call_direction", "hs_call_disposition", "hs_timestamp"],
    "tasks": ["hs_task_subject", "hs_task_body", "hs_timestamp", "hs_task_priority", "hs_task_type"],
    "meetings": ["hs_meeting_title", "hs_meeting_body", "hs_timestamp", "hs_meeting_location", "hs_meeting_outcome"],
}
TITLE = {"notes": None, "emails": "hs_email_subject", "calls": "hs_call_title", "tasks": "hs_task_subject",
         "meetings": "hs_meeting_title"}
BODY = {"notes": "hs_note_body", "emails": "hs_email_html", "calls": "hs_call_body", "tasks": "hs_task_body",
        "meetings": "hs_meeting_body"}


# Where an activity's actions live, "/activities/"; the item partial appends "<id>/<action>/"
# itself, as reversing a URL per button was most of a timeline page's render time.
ACTIVITY_BASE = "/activities/"


def _record(request: HttpRequest, record_id: int, *, edit: bool = False) -> Record:
    """The active record whose timeline a request acts on, if the user may see it (and, with
    `edit`, change it: logging, editing or deleting its activities)."""
    record = Record.objects.select_related("object_type").filter(pk=record_id, archived=False).first()
    if record is None:
        raise Http404(_("No such record"))
    return opened(request, record, edit=edit)


def _filters(data) -> Filters:
    kinds = set(data.getlist("event"))
    if data.get("type"):
        kinds = {data["type"]} | (kinds & set(EVENT_KINDS))
    return Filters(kinds=kinds, users={int(u) for u in data.getlist("user") if is_id(u)},
                   teams={int(t) for t in data.getlist("team") if is_id(t)}, query=data.get("q", "")[:200])


def _event_text(record: Record, item: timeline.Item, users: dict[int, User], schema: Schema) -> str:
    data = item.data
    if item.kind == "created":
        return _("%(object)s created") % {"object": record.object_type.singular_label}
    if item.kind in ("lifecycle_stage", "deal_stage", "ticket_status", "owner"):
        prop = schema.properties.get(data.get("property", ""))
        labels = {o["value"]: o["label"] for o in (prop.options if prop else [])}

        def shown(value: Any) -> str:
            if item.kind == "owner" and value:
                return str(users.get(int(value), value))
            return str(labels.get(value, value) if value not in (None, "") else _("(no value)"))
        return _("%(property)s changed from %(old)s to %(new)s") % {
            "property": prop.label if prop else data.get("property"), "old": shown(data.get("from")), "new": shown(data.get("to"))}
    if item.kind in ("merge", "unmerge"):
        template = _("Merged %(name)s into this record") if item.kind == "merge" else _("Undid the merge of %(name)s")
        return template % {"name": data.get("name", "")}
    template = _("Associated %(object)s %(id)s") if item.kind == "association_added" else _("Removed association with %(object)s %(id)s")
    return template % {"object": data.get("object_type", ""), "id": data.get("other", "")}


def _present(record: Record, items: list[timeline.Item], words: list[str], users: dict[int, User], *,
             editable: bool, extra: str = "") -> None:
    """Each item's markup (`item.html`): title, body (highlighted when searching), who, when, and
    the buttons that change it when the user may change `record` (`editable`); `extra` goes in
    its extra part (the comments, when one item is shown with them). Made here, not by a template:
    at some forty tags an item they were two thirds of the record page's render (docs/DECISIONS.md 23)."""
    schema = load_schema(record.object_type)
    words_of = _Words()
    when_format = get_format("DATETIME_FORMAT")  # once, not per item: the lookup is a third of date_format's time
    for item in items:
        who = users.get(item.user_id) if item.user_id else None
        moment = timezone.localtime(item.occurred_at)
        when = format_html('<time datetime="{}">{}</time>', moment.isoformat(), dateformat.format(moment, when_format))
        pinned = " is-pinned" if item.pinned else ""
        if item.activity is None:
            item.html = format_html(  # type: ignore[attr-defined]
                '<article class="activity{}" id="item-{}"><p class="event"><span class="event-text">{}</span>{} {}</p></article>',
                pinned, item.key, _event_text(record, item, users, schema),
                format_html(' · <span class="meta">{}</span>', who) if who else "", when)
            continue
        kind, values = item.kind, item.activity.properties
        title = str(values.get(TITLE[kind]) or "") if TITLE[kind] else ""
        body = values.get(BODY[kind]) or ""
        if words:
            shown = _marked(timeline.highlight(html.unescape(services._plain(body or (values.get("hs_email_text") or ""))), words))
        elif body:
            shown = mark_safe(body)  # rich text, sanitised when written
        else:  # an e-mail with only its plain text, which is not HTML: escaped here
            shown = linebreaksbr((values.get("hs_email_text") or "") if kind == "emails" else "", autoescape=True)
        badges = (words_of.upcoming if item.upcoming else "") + (words_of.pinned if item.pinned else "")
        item.html = format_html(  # type: ignore[attr-defined]
            '<article class="activity{pinned}" id="item-{key}" data-activity="{id}">'
            '<details class="activity-details" open><summary><span class="kind">{label}</span>{title} {when}{badges}</summary>'
            '<div class="activity-body">{body}</div>{who}<div class="activity-actions">{actions}</div>'
            '<div class="activity-extra">{extra}</div></details></article>',
            pinned=pinned, key=item.key, id=item.activity.pk, label=KIND_LABELS[kind],
            title=format_html(' <span class="title">{}</span>', _marked(timeline.highlight(title, words))) if title else "",
            when=when, badges=mark_safe(badges), body=shown, who=format_html('<p class="meta">{}</p>', who) if who else "",
            actions=words_of.actions(item, kind == "tasks" and values.get("hs_task_status") != "COMPLETED", editable),
            extra=extra)


def _marked(pieces: list[tuple[str, bool]]) -> SafeString:
    return mark_safe("".join(format_html("<mark>{}</mark>", piece) if hit else escape(piece) for piece, hit in pieces))


class _Words:
    """An item's badges and buttons, their words translated and escaped once for all the items."""

    def __init__(self) -> None:
        self.upcoming = format_html(' <span class="badge">{}</span>', gettext("Upcoming"))
        self.pinned = format_html(' <span class="badge">{}</span>', gettext("Pinned"))
        self.complete, self.edit, self.comment = escape(gettext("Mark as complete")), escape(gettext("Edit")), escape(gettext("Add comment"))
        self.pin, self.unpin, self.delete = escape(gettext("Pin")), escape(gettext("Unpin")), escape(gettext("Delete"))
        self.counts: dict[tuple[str, int], str] = {}

    def count(self, what: str, n: int) -> str:
        if (what, n) not in self.counts:
            text = (ngettext("%(count)s comment", "%(count)s comments", n) if what == "comments"
                    else ngettext("%(count)s association", "%(count)s associations", n))
            self.counts[what, n] = escape(text % {"count": n})
        return self.counts[what, n]

    def actions(self, item: timeline.Item, open_task: bool, editable: bool) -> SafeString:
        """The item's buttons, those that change it only when `editable`. The ids in them are numbers."""
        base, here = f"{ACTIVITY_BASE}{item.activity.pk}/", f"#item-{item.key}"  # type: ignore[union-attr]
        tab = 'hx-target="#activities-tab" hx-swap="outerHTML"'
        buttons = [
            (open_task and editable, f'hx-post="{base}complete/" {tab}', self.complete),
            (editable, f'hx-get="{base}edit/" hx-target="{here} .activity-extra"', self.edit),
            (True, f'hx-get="{base}comments/" hx-target="{here}" hx-swap="outerHTML"', self.count("comments", item.comments)),
            (editable, f'hx-get="{base}comments/" hx-target="{here}" hx-swap="outerHTML"', self.comment),
            (True, f'hx-get="{base}associations/" hx-target="{here} .activity-extra"', self.count("associations", item.associations)),
            (editable, f'hx-post="{base}{"unpin" if item.pinned else "pin"}/" {tab}', self.unpin if item.pinned else self.pin),
            (editable, f'hx-post="{base}delete/" {tab}', self.delete),
        ]
        return mark_safe("".join(f'<button type="button" {attributes}>{label}</button>' for shown, attributes, label in buttons if shown))


def tab_context(request: HttpRequest, record: Record, filters: Filters | None = None, *, after: str | None = None,
                users: dict[int, User] | None = None) -> dict[str, Any]:
    """What the tab shows; `users` (every user by id, as a page may have read them already) name
    who did what, and the active ones fill the "All users" menu."""
    filters = filters or Filters()
    tabbed = filters.kinds & set(ACTIVITY_KINDS)
    if users is None:
        users = {u.pk: u for u in User.objects.order_by("first_name", "last_name", "email")}
    page = timeline.timeline(record, filters, after=after)
    editable = rights_of(request.user).can_edit(record)
    _present(record, [i for i in [page.pinned, *page.upcoming, *page.items] if i], filters.words, users, editable=editable)
    return {
        "record": record, "page": page, "filters": filters, "editable": editable,
        "users": [u for u in users.values() if u.is_active],
        "teams": Team.objects.all(),
        "tabs": TABS, "event_kinds": EVENT_KINDS.items(), "kind_labels": KIND_LABELS,
        "selected_type": next(iter(tabbed)) if len(tabbed) == 1 else "",
        "filter_query": _filter_query(request),
    }


def _filter_query(request: HttpRequest) -> str:
    """The filters of the current request, for the "Load more" of the next page."""
    if request.method != "GET":
        return ""
    query = request.GET.copy()
    query.pop("after", None)
    return query.urlencode()


def _render(request: HttpRequest, record: Record, partial: str, **extra: Any) -> HttpResponse:
    return render(request, f"activities/tab.html#{partial}", tab_context(request, record, **extra))


@login_required
@require_GET
def timeline_view(request: HttpRequest, record_id: int) -> HttpResponse:
    record = _record(request, record_id)
    try:
        filters = _filters(request.GET)
        if request.GET.get("after"):
            return _render(request, record, "more", filters=filters, after=request.GET["after"])
        return _render(request, record, "timeline", filters=filters)
    except SchedaError as error:
        return render(request, "activities/tab.html#problem", {"message": error.message})


def _form_fields(kind: str, values: dict[str, Any], errors: dict[str, str]) -> list[dict[str, Any]]:
    schema = load_schema(kind)
    fields = []
    for name in FORM_FIELDS[kind]:
        prop = schema.properties[name]
        value = values.get(name, "")
        if prop.type == "datetime" and value and "T" in str(value):
            value = str(value)[:16]  # what a datetime-local input shows
        fields.append({"name": name, "label": prop.label, "type": prop.type, "field_type": prop.field_type,
                       "options": prop.options, "value": value, "error": errors.get(name, ""), "required": name == FORM_FIELDS[kind][0]})
    return fields


def _field_errors(error: SchedaError) -> dict[str, str]:
    found = {e.name: e.message for e in error.errors if e.name}
    return found or {"": error.message}


def _submitted(kind: str, data) -> dict[str, Any]:
    return {name: data.get(name, "") for name in FORM_FIELDS[kind] if name in data}


def form_context(record: Record, kind: str, values: dict[str, Any] | None = None,
                 errors: dict[str, str] | None = None) -> dict[str, Any]:
    """A quick action's form, empty or as posted with its errors."""
    errors = errors or {}
    return {"record": record, "kind": kind, "prefix": "new", "kind_label": KIND_LABELS[kind],
            "fields": _form_fields(kind, values or {}, errors), "form_error": errors.get("", "")}


@login_required
def activity_form(request: HttpRequest, record_id: int, kind: str) -> HttpResponse:
    """A quick action ("Note", "Email", "Call", "Task", "Meeting"): GET the form, POST to log."""
    record = _record(request, record_id, edit=True)
    if kind not in FORM_FIELDS:
        return HttpResponse(status=404)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = _submitted(kind, request.POST)
        try:
            services.log_activity(kind, {k: v for k, v in values.items() if v != ""}, ui_author(request), on=[record])
            return _render(request, record, "tab")
        except SchedaError as error:
            errors = _field_errors(error)
    response = render(request, "activities/tab.html#form", form_context(record, kind, values, errors))
    if errors:
        response["HX-Retarget"], response["HX-Reswap"] = "#activity-form", "innerHTML"
    return response


def _activity(activity_id: int, record: Record) -> Record:
    """The activity, if it is on `record`'s timeline: a page acts only on what it shows."""
    found = Record.objects.select_related("object_type").filter(pk=activity_id, archived=False,
                                                                  object_type__is_activity=True).first()
    if found is None or not timeline.TimelineEntry.objects.filter(record_id=record.pk, activity_id=found.pk).exists():
        raise Http404(_("No such activity"))
    return found


def _record_of(request: HttpRequest) -> Record:
    """The record page an activity action comes from (its `record` parameter); a POST changes
    the record's timeline, so it takes the right to edit the record."""
    value = request.GET.get("record") or request.POST.get("record") or ""
    if not is_id(value):
        raise Http404(_("No such record"))
    return _record(request, int(value), edit=request.method == "POST")


@login_required
@require_POST
def activity_action(request: HttpRequest, activity_id: int, action: str) -> HttpResponse:
    """Pin, unpin, delete, complete or reopen an activity; answers the refreshed tab. (Deleted
    ones come back through the record's "Restore activity" dialog.)"""
    record = _record_of(request)
    author = ui_author(request)
    activity = _activity(activity_id, record)
    try:
        if action == "pin":
            record = services.pin(record, activity, author)
        elif action == "unpin":
            record = services.pin(record, None, author)
        elif action == "delete":
            services.delete_activity(activity, author)
        elif action in ("complete", "reopen"):
            services.complete_task(activity, author, done=action == "complete")
        else:
            return HttpResponse(status=404)
    except SchedaError as error:
        return render(request, "activities/tab.html#problem", {"message": error.message})
    return _render(request, record, "tab")


def _item_response(request: HttpRequest, record: Record, activity: Record, *, retarget: bool = False,
                   **extra: Any) -> HttpResponse:
    """One activity of the timeline re-rendered; `retarget` swaps it for the whole item, from a
    form inside it."""
    item = timeline.item_of(record, activity)
    if item is None:
        return _render(request, record, "tab")
    users = {u.pk: u for u in User.objects.filter(pk=item.user_id)} if item.user_id else {}
    comments = ""
    if extra.get("show_comments") or extra.get("comment_error"):
        comments = render_to_string("activities/tab.html#comments", {
            "record": record, "item": item, "activity_base": ACTIVITY_BASE, "comments": services.comments_of(activity),
            **extra}, request)
    _present(record, [item], [], users, editable=rights_of(request.user).can_edit(record), extra=comments)
    response = HttpResponse(item.html)  # type: ignore[attr-defined]
    if retarget:
        response["HX-Retarget"], response["HX-Reswap"] = f"#item-{item.key}", "outerHTML"
    return response


@login_required
def comments(request: HttpRequest, activity_id: int) -> HttpResponse:
    """GET an activity's comments; POST "Add comment"."""
    record = _record_of(request)
    activity = _activity(activity_id, record)
    if request.method == "POST":
        try:
            services.add_comment(activity, request.user, request.POST.get("body", ""))  # type: ignore[arg-type]
        except SchedaError as error:
            return _item_response(request, record, activity, comment_error=error.message, draft=request.POST.get("body", ""))
    return _item_response(request, record, activity, show_comments=True)


@login_required
def edit_activity(request: HttpRequest, activity_id: int) -> HttpResponse:
    """Expand an activity to edit it in place: GET the form, POST the change. The form carries
    the activity's version (records.record_version): a save over a change made meanwhile is
    refused next to the field, with who changed it and the value now, and saving again overwrites."""
    record = _record_of(request)
    activity = _activity(activity_id, record)
    kind = activity.object_type.name
    values, errors = dict(activity.properties), {}
    version: int | str = records.record_version(activity.pk) if request.method == "GET" else request.POST.get("version", "")
    if request.method == "POST":
        values = _submitted(kind, request.POST)
        expected = {name: int(version) for name in values} if is_id(version) else None
        try:
            records.update_record(activity, {k: (v if v != "" else None) for k, v in values.items()}, ui_author(request),
                                  expected=expected)
            return _item_response(request, record, _activity(activity_id, record), retarget=True)
        except ChangedMeanwhile as error:
            errors = {error.context["name"]: changed_meanwhile(error, Presenter(load_schema(kind)))}
            version = error.context["version"]
        except SchedaError as error:
            errors = _field_errors(error)
    return render(request, "activities/tab.html#edit", {
        "record": record, "activity": activity, "prefix": f"edit-{activity.pk}", "fields": _form_fields(kind, values, errors),
        "form_error": errors.get("", ""), "version": version})


@login_required
def activity_associations(request: HttpRequest, activity_id: int) -> HttpResponse:
    """"[x] associations": GET the editor (with `q`, records to add); POST add= / remove= ids."""
    record = _record_of(request)
    activity = _activity(activity_id, record)
    error = ""
    if request.method == "POST":
        try:
            add = [int(i) for i in request.POST.getlist("add")]
            remove = [int(i) for i in request.POST.getlist("remove")]
            rights = rights_of(request.user)
            named = Record.objects.filter(pk__in=[*add, *remove]).select_related("object_type")
            if len(named) < len(set(add + remove)) or not all(rights.can_view(r) for r in named):
                raise ValueError("a record the user may not see")
            services.edit_associations(activity, ui_author(request), add=add, remove=remove)
        except ValueError:
            error = str(_("Choose a record to add"))
        except SchedaError as failure:
            error = failure.message
    query = request.GET.get("q", "").strip()
    rights = rights_of(request.user)
    associated = services.associated_records(activity)
    # Records the user may not see are counted, not named.
    current = [r for r in associated if rights.can_view(r)]
    candidates = _find_records(query, {r.pk for r in associated}, rights) if query else []
    for other in [*current, *candidates]:
        other.name = records.display_name(other)  # type: ignore[attr-defined]
    return render(request, "activities/tab.html#associations", {
        "record": record, "activity": activity, "current": current, "candidates": candidates, "q": query, "error": error,
        "restricted": len(associated) - len(current), "on_this_record": any(r.pk == record.pk for r in current)})


def _find_records(query: str, exclude: set[int], rights: Rights) -> list[Record]:
    from scheda.records.search import search_ids

    found = []
    for name in ("contacts", "companies", "deals", "tickets"):
        object_type = load_schema(name).object_type
        ids = [i for i in search_ids(object_type, query, limit=6, owners=rights.owners(object_type)) if i not in exclude]
        found += list(Record.objects.filter(id__in=ids[:5]).select_related("object_type"))
    return found


@login_required
@require_POST
def upload_email(request: HttpRequest, record_id: int) -> HttpResponse:
    """Log an e-mail from an uploaded .eml file (or a pasted message), on this record and the
    contacts it names."""
    record = _record(request, record_id, edit=True)
    upload = request.FILES.get("file")
    pasted = request.POST.get("raw", "").strip()
    try:
        if too_large(request) or (upload is not None and upload.size and upload.size > services.MAX_EML_BYTES):
            raise PropertyValueError(str(_("The message is larger than 25 MB")), "INVALID_EML")
        if upload is None and not pasted:
            raise PropertyValueError(str(_("Choose an .eml file or paste the message")), "INVALID_EML")
        raw = upload.read() if upload is not None else pasted.encode()
        services.log_email_message(raw, ui_author(request), on=[record], rights=rights_of(request.user))
    except PropertyValueError as error:
        return _upload_error(request, record, error.message)
    except SchedaError as error:
        return _upload_error(request, record, error.message)
    return _render(request, record, "tab")


def _upload_error(request: HttpRequest, record: Record, message: str) -> HttpResponse:
    response = render(request, "activities/tab.html#upload", {"record": record, "upload_error": message})
    response["HX-Retarget"], response["HX-Reswap"] = "#activity-form", "innerHTML"
    return response




def unread_count(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the topbar's count of unread notifications, queried only when a page
    shows it (the partials do not)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": lambda: services.Notification.objects.filter(user=user, read_at=None).count()}


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first, each linking to a record that shows the activity;
    viewing them marks them read."""
    shown = services.recent_notifications(request.user, rights_of(request.user))  # type: ignore[arg-type]
    response = render(request, "activities/notifications.html", {"notifications": shown})
    services.mark_read(request.user, [n.pk for n in shown])  # type: ignore[arg-type]
    return response


@login_required
@require_GET
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Download a file of a record or of an activity, if the user may see the record (or one
    of the records whose timeline shows the activity)."""
    found = services.Attachment.objects.filter(
        Q(activity__archived=False) | Q(activity=None, record__archived=False), pk=attachment_id).select_related(
        "record__object_type").first()
    if found is None:
        raise Http404(_("No such file"))
    rights = rights_of(request.user)
    places = [found.record] if found.record is not None else Record.objects.filter(
        pk__in=timeline.TimelineEntry.objects.filter(activity_id=found.activity_id).values("record_id"),
        archived=False).select_related("object_type")
    if not any(rights.can_view(place) for place in places):
        raise Forbidden(str(_("You don't have permission to view this file")))
    # Always a download, of a type from our own list, never sniffed, and sandboxed should a
    # browser render it anyway: a stored HTML or SVG file must not run as a page of Scheda's.
    served = found.content_type if found.content_type in services.ATTACHMENT_TYPES.values() else "application/octet-stream"
    response = FileResponse(found.file.open("rb"), as_attachment=True, filename=services.file_name(found.name),
                            content_type=served)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
