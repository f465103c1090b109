"""The record page (HubSpot's three columns): the left sidebar with the header, quick actions and
property sections edited in place; the middle column's Overview and Activities tabs; the right
sidebar's association cards, attachments and account overview. Laid out per object, team and
user by scheda.layouts. Views parse, call a service, render."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from scheda.accounts import tiers
from scheda.accounts.permissions import Rights, owned_by, rights_of
from scheda.activities import services as activities
from scheda.activities.models import Attachment, TimelineEntry
from scheda.activities.views import KIND_LABELS, form_context, tab_context
from scheda.associations import services as associations
from scheda.associations.models import Association
from scheda.errors import ChangedMeanwhile, SchedaError
from scheda.layouts import services as layouts
from scheda.objects.models import ObjectType
from scheda.objects.services import load_schema
from scheda.records import services
from scheda.records.actions import menu_context, menu_flags
from scheda.records.display import Presenter, submitted
from scheda.records.models import PropertyChange, Record
from scheda.records.pages import changed_meanwhile, is_id, page_record, ui_author
from scheda.records.search import search_ids
from scheda.records.services import display_name
from scheda.web.limits import too_large

COMMUNICATIONS = ("emails", "calls", "meetings")
PREVIEWS = 5  # associated records shown per card; "View all" lists the rest


def initials(name: str) -> str:
    letters = [word[0] for word in name.replace("@", " ").split() if word[:1].isalnum()]
    return "".join(letters[:2]).upper() or "?"


# --- what the page shows --------------------------------------------------------------------


def _rows(presenter: Presenter, record: Record, names: list[str]) -> list[dict[str, Any]]:
    values = services.values_of(record)
    props = presenter.schema.properties
    return [{"name": n, "label": props[n].label, "value": presenter.show(n, values.get(n)),
             "editable": not (props[n].read_only or props[n].calculated)} for n in names if n in props]


def _record_source(record: Record) -> dict[str, Any]:
    """Where the record came from: its first write's source and user (OBJ-4's history)."""
    first = PropertyChange.objects.filter(record_id=record.pk).select_related("user").order_by("id").first()
    if first is None:
        return {}
    return {"source": PropertyChange.Source(first.source).label if first.source in PropertyChange.Source.values else first.source,
            "detail": first.source_id, "user": first.user, "created": record.created_at}


def _left(record: Record, layout: layouts.Layout, presenter: Presenter) -> list[dict[str, Any]]:
    sections = []
    for section in layout.left:
        shown = {"key": section["key"], "label": section["label"], "collapsed": section["key"] in layout.collapsed}
        if section["key"] == "record_source":
            shown["source"] = _record_source(record)
        else:
            shown["rows"] = _rows(presenter, record, section.get("properties", []))
        sections.append(shown)
    return sections


def _last_activities(record: Record) -> tuple[Any, Any]:
    """When the latest activity, and the latest e-mail, call or meeting, on the record's timeline
    happened (None where there is none): one query, kept on the record, as a company's page
    shows both in its account overview and the first again among its highlights."""
    if not hasattr(record, "_last_activities"):
        latest = (TimelineEntry.objects.filter(record_id=record.pk, activity__isnull=False, activity__archived=False,
                                               occurred_at__lte=timezone.now())
                  .order_by("-occurred_at").values("occurred_at"))
        record._last_activities = (Record.objects.filter(pk=record.pk)  # type: ignore[attr-defined]
                                   .annotate(any=Subquery(latest[:1]),
                                             communication=Subquery(latest.filter(kind__in=COMMUNICATIONS)[:1]))
                                   .values_list("any", "communication").first() or (None, None))
    return record._last_activities  # type: ignore[attr-defined]


def association_cards(record: Record, layout: layouts.Layout, users: dict[int, Any], rights: Rights,
                      after: int | None = None) -> list[dict[str, Any]]:
    """The right sidebar's cards of associated records the user may see: per object type its
    count and a page of records (with their labels and preview properties) from `after` on; the
    id to go on from when more remain. Queries per object type, not per record."""
    default_types = layouts.default_types(record.object_type)
    types = {t.name: t for t in default_types}
    wanted = [c for c in layout.right if c["key"] in types]
    owners = {t.pk: rights.owners(t) for t in default_types}
    visible = Q(pk__in=[])
    for other_type, type_id in default_types.items():
        visible |= Q(type_id=type_id) & owned_by(owners[other_type.pk], "to_record__")
    per_type = dict(Association.objects.filter(visible, from_record_id=record.pk, to_record__archived=False)
                    .values_list("type_id").annotate(n=Count("id")))
    counts = {t.pk: per_type.get(type_id, 0) for t, type_id in default_types.items()}
    pages = {c["key"]: associations.associated_page(record.pk, types[c["key"]], PREVIEWS, after,
                                                    default_type_id=default_types[types[c["key"]]],
                                                    owners=owners[types[c["key"]].pk])
             if counts.get(types[c["key"]].pk) else ([], None) for c in wanted}
    ids = [other_id for page, _more in pages.values() for other_id, _types in page]
    others = Record.objects.select_related("object_type").in_bulk(ids)
    cards = []
    for card in wanted:
        other_type = types[card["key"]]
        presenter = Presenter(load_schema(other_type), users)
        previews = []
        page, more = pages[card["key"]]
        for other_id, kinds in page:
            other = others.get(other_id)
            if other is None:
                continue
            previews.append({"record": other, "name": display_name(other), "labels": [t.label for t in kinds if t.label],
                             "rows": [r for r in _rows(presenter, other, card.get("properties", [])) if r["value"]]})
        cards.append({"key": card["key"], "object_type": other_type, "count": counts.get(other_type.pk, 0),
                      "previews": previews, "more": more, "collapsed": card["key"] in layout.collapsed})
    return cards


def account_overview(record: Record, contacts_count: int, rights: Rights) -> dict[str, Any]:
    """RS-5: the company's target account flag, contacts (those the user may see) and their
    buying roles, last engagement and last contact."""
    contacts = load_schema("contacts").object_type
    contact_ids = Association.objects.filter(from_record_id=record.pk, type__label=None,
                                             type__to_object_type=contacts).values("to_record_id")
    roles: Counter[str] = Counter()
    role_prop = load_schema(contacts).properties.get("hs_buying_role")
    labels = {o["value"]: o["label"] for o in role_prop.options} if role_prop else {}
    visible = rights.visible(Record.objects.filter(id__in=contact_ids, archived=False), contacts)
    for value in visible.values_list("properties__hs_buying_role", flat=True):
        for role in str(value or "").split(";"):
            if role:
                roles[labels.get(role, role)] += 1
    return {"target": bool(record.properties.get("hs_is_target_account")), "contacts": contacts_count,
            "roles": sorted(roles.items(), key=lambda item: (-item[1], item[0])),
            "last_engagement": _last_activities(record)[0], "last_contacted": _last_activities(record)[1]}


def overview_context(record: Record, layout: layouts.Layout, presenter: Presenter,
                     cards: list[dict[str, Any]]) -> dict[str, Any]:
    """The Overview tab (MC-10): data highlights, recent communications, associations by label."""
    values = services.values_of(record)
    highlights = []
    for name in layout.overview.get("highlights", []):
        if name == "last_activity_date":
            moment = _last_activities(record)[0]
            highlights.append({"label": _("Last activity date"), "value": presenter.show("createdate", moment.isoformat()) if moment else ""})
        elif name in presenter.schema.properties:
            highlights.append({"label": presenter.schema.properties[name].label, "value": presenter.show(name, values.get(name))})
    recent = list(TimelineEntry.objects.filter(record_id=record.pk, kind__in=COMMUNICATIONS, activity__archived=False,
                                               occurred_at__lte=timezone.now())
                  .select_related("activity", "user").order_by("-occurred_at", "-id")[:5])
    communications = []
    for entry in recent:
        props = entry.activity.properties if entry.activity else {}
        title = props.get("hs_email_subject") or props.get("hs_call_title") or props.get("hs_meeting_title") or ""
        communications.append({"kind": KIND_LABELS.get(entry.kind, entry.kind), "title": title, "at": entry.occurred_at,
                               "user": entry.user})
    by_label: dict[str, list[dict[str, Any]]] = {}
    for card in cards:
        for preview in card["previews"]:
            for label in preview["labels"] or [str(card["object_type"].plural_label)]:
                by_label.setdefault(label, []).append(preview)
    return {"overview_cards": layout.overview.get("cards", list(layouts.OVERVIEW_CARDS)), "highlights": highlights,
            "communications": communications, "associated_by_label": by_label}


def page_context(request: HttpRequest, record: Record, *, log: str = "") -> dict[str, Any]:
    layout = layouts.layout_for(request.user, record.object_type)
    schema = load_schema(record.object_type)
    presenter = Presenter(schema)
    rights = rights_of(request.user)
    cards = association_cards(record, layout, presenter.users, rights)
    name = display_name(record)
    context: dict[str, Any] = {
        "record": record, "name": name, "initials": initials(name), "layout": layout, "kind_labels": KIND_LABELS,
        "facts": [r for r in _rows(presenter, record, layout.header) if r["value"]],
        "sections": _left(record, layout, presenter), "right": _right(record, layout, cards, rights),
        "can_customise": rights.has("customise_layouts") and tiers.has("record_layouts"),
        "can_edit": rights.can_edit(record),
        "max_attachment_mb": _max_mb(), **menu_context(request, record),
    }
    context.update(tab_panel_context(request, record, layout.tab if not log else "activities", layout, presenter, cards, log=log))
    return context


def _right(record: Record, layout: layouts.Layout, cards: list[dict[str, Any]], rights: Rights) -> list[dict[str, Any]]:
    """The right sidebar's cards in the user's order, each with what its partial shows."""
    by_key = {c["key"]: c for c in cards}
    right = []
    for card in layout.right:
        key, shown = card["key"], {"key": card["key"], "collapsed": card["key"] in layout.collapsed}
        if key in by_key:
            right.append({**shown, "kind": "association", "card": by_key[key]})
        elif key == "attachments":
            right.append({**shown, "kind": "attachments", "attachments": activities.attachments_of(record)})
        elif key == "account_overview" and record.object_type.name == "companies":
            contacts = by_key["contacts"]["count"] if "contacts" in by_key else 0
            right.append({**shown, "kind": "account", "account": account_overview(record, contacts, rights)})
    return right


def tab_panel_context(request: HttpRequest, record: Record, tab: str, layout: layouts.Layout, presenter: Presenter,
                      cards: list[dict[str, Any]], *, log: str = "") -> dict[str, Any]:
    if tab == "activities":
        context = {"tab": tab, **tab_context(request, record, users=presenter.users)}
        if log in KIND_LABELS:
            context.update(form_context(record, log))
        return context
    return {"tab": "overview", **overview_context(record, layout, presenter, cards)}


def _max_mb() -> int:
    return settings.SCHEDA_MAX_ATTACHMENT_BYTES // (1024 * 1024)


# --- views ----------------------------------------------------------------------------------


@login_required
def record_page(request: HttpRequest, object_name: str, record_id: int) -> HttpResponse:
    record = page_record(request, object_name, record_id, annotate=menu_flags(request.user))
    return render(request, "records/record.html", page_context(request, record))


@login_required
@require_http_methods(["GET", "POST"])
def record_tab(request: HttpRequest, object_name: str, record_id: int, tab: str) -> HttpResponse:
    """A middle-column tab; POST (a click on it) also remembers it for this user and object.
    `log` opens the Activities tab with a quick action's form."""
    record = page_record(request, object_name, record_id)
    if tab not in layouts.TABS:
        raise Http404(_("No such tab"))
    if request.method == "POST":
        layouts.remember(request.user, record.object_type, tab=tab)
    layout = layouts.layout_for(request.user, record.object_type)
    presenter = Presenter(load_schema(record.object_type))
    cards = association_cards(record, layout, presenter.users, rights_of(request.user)) if tab == "overview" else []
    context = {"record": record, **tab_panel_context(request, record, tab, layout, presenter, cards,
                                                     log=request.POST.get("log") or request.GET.get("log", ""))}
    return render(request, "records/record.html#tab-panel", context)


@login_required
def property_row(request: HttpRequest, object_name: str, record_id: int, name: str) -> HttpResponse:
    """One property of a sidebar section, edited in place (LS-2): GET shows it (`edit` for its
    input), POST saves it; a refused value comes back next to the field, as typed. The editor
    carries the property's version (services.property_version): a save over a change made
    meanwhile is refused with who made it and the value now, and a fresh version, so saving
    again overwrites on purpose."""
    record = page_record(request, object_name, record_id, edit=request.method == "POST" or bool(request.GET.get("edit")))
    schema = load_schema(record.object_type)
    if name not in schema.properties:
        raise Http404(_("No such property"))
    presenter = Presenter(schema)
    prop = schema.properties[name]
    editable = not (prop.read_only or prop.calculated)
    if request.method == "POST" and editable:
        value = submitted(schema, [name], request.POST).get(name, "")
        version = request.POST.get("version", "")
        try:
            values = rights_of(request.user).owned_values(record.object_type, {name: value if value != "" else None}, creating=False)
            record = services.update_record(record, values, ui_author(request),
                                            expected={name: int(version)} if is_id(version) else None)
        except ChangedMeanwhile as error:
            return render(request, "records/record.html#property-editor", {
                "record": record, "field": presenter.field(name, value, changed_meanwhile(error, presenter)),
                "version": error.context["version"]})
        except SchedaError as error:
            message = next((e.message for e in error.errors if e.name == name), error.message)
            message = message.removeprefix(f'Property "{name}": ')  # the field it is next to says which
            return render(request, "records/record.html#property-editor", {
                "record": record, "field": presenter.field(name, value, message), "version": version})
    elif request.GET.get("edit") and editable:
        return render(request, "records/record.html#property-editor", {
            "record": record, "field": presenter.field(name, services.values_of(record).get(name)),
            "version": services.property_version(record.pk, name)})
    (row,) = _rows(presenter, record, [name])
    return render(request, "records/record.html#property-row", {"record": record, "row": row})


def _card_type(request: HttpRequest, record: Record, key: str) -> tuple[ObjectType, layouts.Layout]:
    """The object type of a right-sidebar card this user's layout shows, and that layout; 404
    before anything is written for a card the page would not show."""
    types = {t.name: t for t in layouts.associable_types(record.object_type)}
    layout = layouts.layout_for(request.user, record.object_type)
    if key not in types or key not in {c["key"] for c in layout.right}:
        raise Http404(_("No such card"))
    return types[key], layout


def _card_response(request: HttpRequest, record: Record, key: str, layout: layouts.Layout, *, after: int | None = None,
                   **extra: Any) -> HttpResponse:
    """A card re-rendered; with `after`, only its next previews ("Show more")."""
    presenter = Presenter(load_schema(record.object_type))
    layout.right = [c for c in layout.right if c["key"] == key]
    (card,) = association_cards(record, layout, presenter.users, rights_of(request.user), after)
    partial = "previews" if after is not None else "association-card"
    return render(request, f"records/record.html#{partial}", {"record": record, "card": card, **extra})


@login_required
def association_card(request: HttpRequest, object_name: str, record_id: int, to_object: str) -> HttpResponse:
    """A right-sidebar card of associated records. GET with `add` opens "Add" (search as you
    type, `q`, and a label to pick); POST `to` (+ `label`) associates, if the user may change the
    record and see the other one."""
    record = page_record(request, object_name, record_id, edit=request.method == "POST" or bool(request.GET.get("add")))
    other_type, layout = _card_type(request, record, to_object)
    labels = [t for t in associations.types_between(record.object_type, other_type) if t.label]
    extra: dict[str, Any] = {"labels": labels}
    if request.method == "POST":
        if not is_id(request.POST.get("to", "")):
            return _card_response(request, record, to_object, layout, adding=True, labels=labels,
                                  add_error=_("Choose a record to associate"))
        other_id = int(request.POST["to"])
        chosen = [int(i) for i in request.POST.getlist("label") if is_id(i)]
        default = associations.default_type(record.object_type, other_type)
        pairs = [associations.Pair(record.pk, other_id, default.pk),
                 *(associations.Pair(record.pk, other_id, t.pk) for t in labels if t.pk in chosen)]
        try:
            other = Record.objects.filter(pk=other_id, object_type=other_type, archived=False).first()
            if other is None or not rights_of(request.user).can_view(other):
                raise SchedaError(_("No such %(object)s") % {"object": str(other_type.singular_label).lower()})
            associations.associate_many(pairs, user_id=request.user.pk)
        except SchedaError as error:
            return _card_response(request, record, to_object, layout, adding=True, labels=labels, add_error=error.message)
        return _card_response(request, record, to_object, layout)
    if request.GET.get("add"):
        query = request.GET.get("q", "").strip()
        extra.update(adding=True, q=query, candidates=_candidates(record, other_type, query, rights_of(request.user)))
    after = request.GET.get("after", "")
    return _card_response(request, record, to_object, layout, after=int(after) if is_id(after) else None, **extra)


def _candidates(record: Record, other_type: ObjectType, query: str, rights: Rights) -> list[dict[str, Any]]:
    """Records of `other_type` the user may see matching the search, for "Add"; the latest ones
    before any is typed."""
    if query:
        ids = search_ids(other_type, query, limit=8, owners=rights.owners(other_type))
        found = Record.objects.filter(id__in=ids, archived=False).select_related("object_type")
    else:
        latest = rights.visible(Record.objects.filter(object_type=other_type, archived=False), other_type)
        found = latest.select_related("object_type").order_by("-updated_at")[:8]
    taken = set(Association.objects.filter(from_record_id=record.pk, to_record__in=[r.pk for r in found])
                .values_list("to_record_id", flat=True))
    return [{"record": r, "name": display_name(r), "associated": r.pk in taken} for r in found if r.pk != record.pk]


@login_required
@require_POST
def remove_association(request: HttpRequest, object_name: str, record_id: int, to_object: str, other_id: int) -> HttpResponse:
    """"Remove association": the two records are no longer associated, under any label."""
    record = page_record(request, object_name, record_id, edit=True)
    other_type, layout = _card_type(request, record, to_object)
    other = Record.objects.filter(pk=other_id, object_type=other_type).first()
    if other is None or not rights_of(request.user).can_view(other):
        raise Http404(_("No such record"))
    associations.dissociate([(record.pk, other.pk)], user_id=request.user.pk)
    return _card_response(request, record, to_object, layout)


def _attachments_response(request: HttpRequest, record: Record, **extra: Any) -> HttpResponse:
    return render(request, "records/record.html#attachments-card", {
        "record": record, "attachments": activities.attachments_of(record), "max_attachment_mb": _max_mb(), **extra})


@login_required
def attachments(request: HttpRequest, object_name: str, record_id: int) -> HttpResponse:
    """The Attachments card (RS-3): GET lists, POST uploads a file."""
    record = page_record(request, object_name, record_id, edit=request.method == "POST")
    if request.method == "POST":
        upload = request.FILES.get("file")
        if too_large(request) or (upload is not None and upload.size and upload.size > settings.SCHEDA_MAX_ATTACHMENT_BYTES):
            return _attachments_response(request, record, upload_error=_("The file is larger than %(mb)s MB") % {"mb": _max_mb()})
        if upload is None:
            return _attachments_response(request, record, upload_error=_("Choose a file to upload"))
        try:
            activities.attach_file(record, upload.name or "", upload.read(), ui_author(request))
        except SchedaError as error:
            return _attachments_response(request, record, upload_error=error.message)
    return _attachments_response(request, record)


@login_required
@require_POST
def delete_attachment(request: HttpRequest, object_name: str, record_id: int, attachment_id: int) -> HttpResponse:
    record = page_record(request, object_name, record_id, edit=True)
    found = Attachment.objects.filter(pk=attachment_id, record_id=record.pk).first()
    if found is None:
        raise Http404(_("No such file"))
    activities.delete_attachment(found)
    return _attachments_response(request, record)
