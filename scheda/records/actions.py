"""The record page's "Actions" menu (OBJ-4, OBJ-5) and the pages and dialogs behind its items:
follow, view all properties, property history, clone, merge and undo merge, delete, restore
activity, export and record access. Views parse, call a service in records.services (or
activities.services), render. A dialog is an htmx partial swapped into the record page's
#record-action-dialog; opened without htmx the same partial renders as a page of its own."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from scheda.accounts import tiers
from scheda.accounts.access import LEVELS, record_access
from scheda.accounts.models import Team, User
from scheda.accounts.permissions import OWNER, rights_of
from scheda.activities import services as activities
from scheda.errors import SchedaError
from scheda.objects.models import PropertyDefinition, PropertyGroup
from scheda.objects.services import Schema, load_schema
from scheda.records import services
from scheda.records.display import Presenter
from scheda.records.models import Follow, Merge, PropertyChange, Record
from scheda.records.pages import is_id, page_record, ui_author
from scheda.records.search import search_ids

# Candidates the merge dialog shows for what has been typed.
MERGE_CANDIDATES = 10
# A spreadsheet runs a cell starting with these as a formula: exported values get a quote first.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Request(HttpRequest):
    htmx: HtmxDetails  # set by django_htmx's middleware


def menu_flags(user) -> dict[str, Exists]:
    """What the menu asks of the record, as annotations: whether the user follows it, whether a
    merge into it can be undone."""
    return {"following": Exists(Follow.objects.filter(record_id=OuterRef("pk"), user_id=user.pk or 0)),  # signed in
            "merged": Exists(Merge.objects.filter(primary_id=OuterRef("pk"), undone_at=None))}


def menu_context(request: HttpRequest, record: Record) -> dict[str, Any]:
    """What records/actions/menu.html needs besides `record`: one query (whether the user follows
    it, whether a merge into it can be undone), and which items this user may use."""
    rights = rights_of(request.user)
    editable = rights.can_edit(record)
    if hasattr(record, "following") and hasattr(record, "merged"):  # read with the record (`menu_flags`)
        following, merged = record.following, record.merged
    else:
        flags = menu_flags(request.user)
        following, merged = Record.objects.filter(pk=record.pk).annotate(**flags).values_list(*flags).first() or (False, False)
    return {"record_actions": {
        "following": following,
        "can_undo_merge": editable and rights.may(record.object_type, "merge") and merged,
        "can_edit": editable, "can_merge": editable and rights.may(record.object_type, "merge"),
        "can_delete": editable and rights.may(record.object_type, "delete"),
        "can_export": rights.may(record.object_type, "export"),
        "access_panel": tiers.has("record_access_panel"),
    }}


# --- helpers ----------------------------------------------------------------------------------


def record_url(record: Record) -> str:
    return reverse("record", args=[record.object_type.name, record.pk])


def _go(request: Request, url: str) -> HttpResponse:
    """Leave a dialog for another page: htmx follows HX-Redirect, a plain form a redirect."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _dialog(request: Request, template: str, record: Record, context: dict[str, Any]) -> HttpResponse:
    """A dialog's partial for htmx; the same partial on a page of its own otherwise."""
    context = {"record": record, "name": services.display_name(record), **context}
    if request.htmx:
        return render(request, template, context)
    return render(request, "records/actions/page.html", {"dialog_template": template, **context})


def _users(ids: set[int]) -> dict[int, User]:
    return {u.pk: u for u in User.objects.filter(pk__in=ids)} if ids else {}


def _owner_ids(values: list[Any]) -> set[int]:
    return {int(v) for v in values if v is not None and is_id(v)}


def _groups(schema: Schema) -> list[tuple[str, list[PropertyDefinition]]]:
    """The schema's visible properties by property group, in the groups' and properties' order."""
    by_group: dict[str, list[PropertyDefinition]] = defaultdict(list)
    for prop in schema.properties.values():
        if not prop.hidden:
            by_group[prop.group_name].append(prop)
    labels = dict(PropertyGroup.objects.filter(object_type=schema.object_type, archived=False)
                  .order_by("display_order", "id").values_list("name", "label"))
    order = [*labels, *sorted(set(by_group) - set(labels))]
    return [(labels.get(name, name or _("Other properties")),
             sorted(by_group[name], key=lambda p: (p.display_order < 0, p.display_order, p.label.lower())))
            for name in order if by_group.get(name)]


# --- follow, clone ------------------------------------------------------------------------------


@login_required
@require_POST
def follow(request: Request, object_name: str, record_id: int, action: str) -> HttpResponse:
    """"Follow"/"Unfollow": answers the menu's button in its new state."""
    record = page_record(request, object_name, record_id)
    if action == "follow":
        services.follow(record, request.user)
    else:
        services.unfollow(record, request.user)
    if not request.htmx:
        return redirect(record_url(record))
    return render(request, "records/actions/menu.html#follow",
                  {"record": record, "record_actions": {"following": action == "follow"}})


@login_required
@require_POST
def clone(request: Request, object_name: str, record_id: int) -> HttpResponse:
    """"Clone": a copy of the record (services.clone_record), opened at once."""
    record = page_record(request, object_name, record_id, edit=True)
    try:
        copy = services.clone_record(record, ui_author(request))
    except SchedaError as error:
        messages.error(request, error.message)
        return redirect(record_url(record))
    messages.success(request, _("Cloned from %(name)s") % {"name": services.display_name(record)})
    return redirect(record_url(copy))


# --- view all properties, property history ------------------------------------------------------


@login_required
@require_GET
def properties(request: Request, object_name: str, record_id: int) -> HttpResponse:
    """"View all properties": every property by group, with a search and "Hide blank properties"."""
    record = page_record(request, object_name, record_id)
    schema = load_schema(record.object_type)
    values = services.values_of(record)
    owner_names = [n for n, p in schema.properties.items() if p.referenced_object_type == "OWNER"]
    presenter = Presenter(schema, _users(_owner_ids([values.get(n) for n in owner_names])))
    groups = [(label, [{"prop": prop, "value": presenter.show(prop.name, values.get(prop.name))} for prop in props])
              for label, props in _groups(schema)]
    return render(request, "records/actions/properties.html", {
        "record": record, "name": services.display_name(record), "groups": groups,
        "hide_blank": request.GET.get("hide_blank") == "on", "query": request.GET.get("q", "")[:200]})


@login_required
@require_GET
def history(request: Request, object_name: str, record_id: int) -> HttpResponse:
    """"View property history": every version of each property (or of `?property=`), newest
    first, with when, from where and by whom."""
    record = page_record(request, object_name, record_id)
    schema = load_schema(record.object_type)
    wanted = request.GET.get("property", "")
    error = ""
    if wanted and wanted not in schema.properties:
        error = _("There is no property %(name)s on this record") % {"name": wanted}
    found = {} if error else services.property_history(schema, record, [wanted] if wanted else None)
    versions = [v for changes in found.values() for v in changes]
    owners = _owner_ids([v.value for name, changes in found.items() if schema.properties[name].referenced_object_type == "OWNER"
                         for v in changes])
    users = _users(owners | {v.user_id for v in versions if v.user_id})
    presenter = Presenter(schema, users)
    sources = dict(PropertyChange.Source.choices)
    ordered = [prop for _label, props in _groups(schema) for prop in props]
    ordered += [p for p in schema.properties.values() if p.hidden]
    sections = [{"prop": prop, "versions": [{
        "value": presenter.show(prop.name, v.value), "timestamp": datetime.fromisoformat(v.timestamp.replace("Z", "+00:00")),
        "source": sources.get(v.source, v.source), "user": users.get(v.user_id) if v.user_id else None,
    } for v in found[prop.name]]} for prop in ordered if found.get(prop.name)]
    return render(request, "records/actions/history.html", {
        "record": record, "name": services.display_name(record), "sections": sections, "error": error,
        "selected": wanted, "choices": [(p.name, p.label) for p in sorted(schema.properties.values(), key=lambda p: p.label.lower())]})


# --- merge, undo merge ----------------------------------------------------------------------------


def _candidates(request: Request, record: Record, query: str) -> list[dict[str, Any]]:
    """Records of the same object type matching what was typed that the user may change, this
    one left out."""
    ids = [i for i in search_ids(record.object_type, query, limit=MERGE_CANDIDATES + 1,
                                 owners=rights_of(request.user).owners(record.object_type, "edit")) if i != record.pk]
    found = Record.objects.filter(id__in=ids[:MERGE_CANDIDATES]).select_related("object_type").order_by("id")
    return [{"record": other, "name": services.display_name(other),
             "detail": other.properties.get("email") or other.properties.get("domain") or ""} for other in found]


@login_required
def merge(request: Request, object_name: str, record_id: int) -> HttpResponse:
    """"Merge": GET the dialog (or, with `q`, the records matching it); POST `other` (a record
    id) and `primary` ("this" or "other": whose values win) to merge, then open the primary."""
    record = page_record(request, object_name, record_id, edit=True)
    rights = rights_of(request.user)
    rights.check(record.object_type, "merge")
    query = (request.GET.get("q") or request.POST.get("q") or "").strip()[:200]
    if request.method == "GET" and request.htmx and request.htmx.target == "merge-candidates":
        return render(request, "records/actions/merge.html#candidates",
                      {"record": record, "candidates": _candidates(request, record, query), "query": query})
    error, chosen = "", request.POST.get("other", "")
    if request.method == "POST":
        other = Record.objects.select_related("object_type").filter(pk=int(chosen)).first() if is_id(chosen) else None
        if other is None or not rights.can_edit(other):
            error = _("Choose a record to merge with")
        else:
            primary, merged = (record, other) if request.POST.get("primary", "this") == "this" else (other, record)
            try:
                services.merge_records(primary, merged, ui_author(request))
            except SchedaError as failure:
                error = failure.message
            else:
                messages.success(request, _("%(merged)s was merged into %(primary)s") % {
                    "merged": services.display_name(merged), "primary": services.display_name(primary)})
                return _go(request, record_url(primary))
    candidates = _candidates(request, record, query) if query else []
    return _dialog(request, "records/actions/merge.html", record, {
        "candidates": candidates, "query": query, "error": error, "chosen": chosen,
        "primary": request.POST.get("primary", "this")})


@login_required
def undo_merge(request: Request, object_name: str, record_id: int) -> HttpResponse:
    """"Undo merge": GET the merges into this record not undone yet; POST `merge` to undo one."""
    record = page_record(request, object_name, record_id, edit=True)
    rights_of(request.user).check(record.object_type, "merge")
    error = ""
    if request.method == "POST":
        value = request.POST.get("merge", "")
        found = Merge.objects.filter(pk=int(value), primary=record).select_related("merged__object_type").first() if is_id(value) else None
        if found is None or not rights_of(request.user).can_view(found.merged):
            error = _("Choose a merge of this record to undo")
        else:
            try:
                services.unmerge(found, ui_author(request))
            except SchedaError as failure:
                error = failure.message
            else:
                messages.success(request, _("Merge undone"))
                return _go(request, record_url(record))
    rights = rights_of(request.user)
    merges = [m for m in Merge.objects.filter(primary=record, undone_at=None).select_related("merged__object_type", "merged_by")
              .order_by("-merged_at", "-id") if rights.can_view(m.merged)]
    for item in merges:
        item.merged_name = services.display_name(item.merged)  # type: ignore[attr-defined]
    return _dialog(request, "records/actions/undo_merge.html", record, {"merges": merges, "error": error})


# --- delete, restore activity ------------------------------------------------------------------------


@login_required
def delete(request: Request, object_name: str, record_id: int) -> HttpResponse:
    """"Delete": GET the confirmation; POST moves the record to the recycle bin and opens the
    object's index."""
    record = page_record(request, object_name, record_id, edit=True)
    rights_of(request.user).check(record.object_type, "delete")
    error = ""
    if request.method == "POST":
        try:
            services.archive_record(record, ui_author(request))
        except SchedaError as failure:
            error = failure.message
        else:
            return _go(request, f"/{record.object_type.name}/")
    return _dialog(request, "records/actions/delete.html", record, {
        "days": settings.SCHEDA_RECYCLE_BIN_DAYS, "error": error})


@login_required
def restore(request: Request, object_name: str, record_id: int) -> HttpResponse:
    """Restore a deleted record from the recycle bin: GET the confirmation, POST to restore and
    open it. The recycle bin (the object's index) links here."""
    record = page_record(request, object_name, record_id, archived=True, edit=True)
    rights_of(request.user).check(record.object_type, "delete")
    error = ""
    if request.method == "POST":
        try:
            services.restore_record(record, ui_author(request))
        except SchedaError as failure:
            error = failure.message
        else:
            messages.success(request, _("%(name)s was restored") % {"name": services.display_name(record)})
            return _go(request, record_url(record))
    return _dialog(request, "records/actions/restore.html", record, {"error": error})


@login_required
@require_http_methods(["GET", "POST"])
def restore_activity(request: Request, object_name: str, record_id: int) -> HttpResponse:
    """"Restore activity": GET lists the activities deleted from this record's timeline in the
    recycle-bin window; POST `activity` restores one of them and reloads the record page."""
    record = page_record(request, object_name, record_id, edit=True)
    deleted = activities.deleted_activities(record)
    if request.method == "POST":
        chosen = next((a for a in deleted if str(a.pk) == request.POST.get("activity", "")), None)
        if chosen is None:
            raise Http404(_("No such activity"))
        activities.restore_activity(chosen, ui_author(request))
        return _go(request, record_url(record))
    return _dialog(request, "records/actions/restore_activity.html", record,
                   {"deleted": deleted, "days": settings.SCHEDA_RECYCLE_BIN_DAYS})


# --- export -----------------------------------------------------------------------------------------


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_START) else value


@login_required
@require_GET
def export(request: Request, object_name: str, record_id: int) -> HttpResponse:
    """"Export": GET the dialog; with `download`, the record as CSV (label, internal name,
    value of every property), then its associated records when `associations` is on."""
    record = page_record(request, object_name, record_id)
    rights = rights_of(request.user)
    rights.check(record.object_type, "export")
    name = services.display_name(record)
    if "download" not in request.GET:
        return _dialog(request, "records/actions/export.html", record, {})
    schema = load_schema(record.object_type)
    values = services.values_of(record)
    users = _users(_owner_ids([values.get(n) for n, p in schema.properties.items() if p.referenced_object_type == "OWNER"]))
    # Only letters, digits and dashes: nothing a header or a file system could read otherwise.
    slug = slugify(name) if name != f"#{record.pk}" else ""
    filename = f"{slug or record.object_type.name}-{record.pk}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so spreadsheet programs read UTF-8
    writer = csv.writer(response)
    writer.writerow([_("Property"), _("Internal name"), _("Value")])
    presenter = Presenter(schema, users)
    for _label, props in _groups(schema):
        for prop in props:
            writer.writerow([_cell(prop.label), prop.name, _cell(presenter.show(prop.name, values.get(prop.name)))])
    if request.GET.get("associations") == "on":
        writer.writerow([])
        writer.writerow([_("Association"), _("Object"), _("Record ID"), _("Name")])
        linked = [a for a in services.associations_of([record.pk])[record.pk] if not a.type.to_object_type.is_activity]
        others = Record.objects.select_related("object_type").in_bulk([a.to_record_id for a in linked])
        # Only the associated records the user may see are written out.
        linked = [a for a in linked if rights.can_view(others[a.to_record_id])]
        for association in linked:
            other_type, other = association.type.to_object_type, others[association.to_record_id]
            writer.writerow([_cell(association.type.label or _("Associated")), other_type.singular_label, other.pk,
                             _cell(services.display_name(other))])
    return response


# --- record access -------------------------------------------------------------------------------------


@login_required
@require_GET
def access(request: Request, object_name: str, record_id: int) -> HttpResponse:
    """"View record access": the owner, who owned it before, and who can open it (filters:
    team, access level)."""
    record = page_record(request, object_name, record_id)
    tiers.check("record_access_panel")
    schema = load_schema(record.object_type)
    past = services.property_history(schema, record, [OWNER]).get(OWNER, []) if OWNER in schema.properties else []
    users = _users(_owner_ids([record.properties.get(OWNER), *(v.value for v in past)]) | {v.user_id for v in past if v.user_id})
    owners = []
    # Newest first: each version says who became owner, from whom (the next older one), when and by whom.
    for position, version in enumerate(past):
        before = past[position + 1].value if position + 1 < len(past) else ""
        owners.append({"owner": _owner_name(version.value, users), "previous": _owner_name(before, users),
                       "timestamp": datetime.fromisoformat(version.timestamp.replace("Z", "+00:00")),
                       "by": users.get(version.user_id) if version.user_id else None})
    team = request.GET.get("team", "")
    level = request.GET.get("level", "")
    people = [a for a in record_access(record)
              if (not is_id(team) or any(t.pk == int(team) for t in a.teams)) and (not level or a.level == level)]
    context = {"owner": _owner_name(record.properties.get(OWNER), users), "owners": owners, "people": people,
               "teams": Team.objects.all(), "levels": LEVELS.items(), "team": team, "level": level}
    if request.htmx and request.htmx.target == "record-access-people":
        return render(request, "records/actions/access.html#people", {"record": record, **context})
    return _dialog(request, "records/actions/access.html", record, context)


def _owner_name(value: Any, users: dict[int, User]) -> str:
    if value in (None, ""):
        return ""
    user = users.get(int(value)) if is_id(value) else None
    return str(user) if user else str(value)
