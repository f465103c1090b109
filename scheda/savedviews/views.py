"""Index pages (/<object_name>/): a table of an object's records with columns, filters, sort,
keyset paging, a count and saved views as tabs; deals and tickets also as a board. Views parse,
call a service, render; htmx swaps #index-page and the URL keeps the state."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from scheda.accounts.permissions import rights_of
from scheda.errors import ChangedMeanwhile, NotFound, SchedaError, ValidationFailed
from scheda.objects.models import ObjectType
from scheda.objects.services import Schema, load_schema
from scheda.objects.types import WriteContext
from scheda.pipelines.services import pipeline_properties, pipelines_of
from scheda.records import services as records
from scheda.records.display import Presenter
from scheda.records.models import PropertyChange
from scheda.records.pages import page_object_type, ui_author
from scheda.records.services import display_name
from scheda.savedviews import board as boards
from scheda.savedviews import services
from scheda.savedviews.index import (
    VALUELESS,
    State,
    cursor,
    default_state,
    fetch,
    filter_problem,
    is_indexed,
    kind_of,
    operators_of,
    page_of,
    parse_state,
)
from scheda.savedviews.models import SavedView


def _schema(request: HttpRequest, object_name: str) -> Schema:
    return load_schema(page_object_type(request, object_name))


def _state(schema: Schema, request: HttpRequest, data: QueryDict, saved: list[SavedView]) -> tuple[State, SavedView | None]:
    view_key = data.get("view") or "all"
    view = next((v for v in saved if str(v.pk) == view_key), None)
    if view is not None:
        base = State(view=str(view.pk), columns=[c for c in view.columns if c in schema.properties], filters=view.filters,
                     sort=view.sort if is_indexed(schema, view.sort) else "hs_object_id", descending=view.descending, mode=view.mode)
    else:
        base = default_state(schema, "mine" if view_key == "mine" else "all", request.user.pk or 0)
    state = parse_state(schema, data, base)
    state.owners = rights_of(request.user).owners(schema.object_type)
    return state, view


def _has_board(schema: Schema) -> bool:
    return pipeline_properties(schema.object_type)[1] in schema.properties and bool(pipelines_of(schema.object_type))


def index_context(request: HttpRequest, schema: Schema, data: QueryDict, *, form_errors: dict[str, str] | None = None,
                  form_values: dict[str, Any] | None = None) -> dict[str, Any]:
    object_type: ObjectType = schema.object_type
    saved = services.views_of(object_type, request.user)
    adding_only = data.get("add_only") == "1"
    new: dict[str, str] = {}
    if adding_only:  # the "Add filter" form changed its property: the new filter is not applied yet
        data = data.copy()
        new = {key: data.getlist(key)[-1] if data.getlist(key) else "" for key in ("fp", "fo", "fv")}
        for key in ("fp", "fo", "fv"):
            data.setlist(key, data.getlist(key)[:-1])
    state, view = _state(schema, request, data, saved)
    presenter, ctx = Presenter(schema), WriteContext()
    # A refused filter goes back into the "Add filter" form with its message; the page shows the rest.
    adding: dict[str, Any] = {"propertyName": new.get("fp", ""), "operator": "", "value": "", "field": "", "error": ""}
    good = []
    for item in state.filters:
        problem = filter_problem(schema, item, ctx)
        if problem and not adding["error"]:
            adding.update(item, field=problem[0], error=problem[1])
        elif not problem:
            good.append(item)
    state.filters = good
    has_board = _has_board(schema)
    if state.mode == "board" and not has_board:
        state.mode = "table"
    plural, singular = str(object_type.plural_label), str(object_type.singular_label)
    tabs = [("all", _("All %(objects)s") % {"objects": plural.lower()}, False),
            ("mine", _("My %(objects)s") % {"objects": plural.lower()}, False)]
    tabs += [(str(v.pk), v.name, v.owner_id == request.user.pk) for v in saved]
    filterable = [p for name, p in sorted(schema.properties.items(), key=lambda kv: str(kv[1].label).lower())
                  if is_indexed(schema, name) and not p.hidden]
    adding_prop = schema.properties.get(adding["propertyName"])
    context: dict[str, Any] = {
        "object_type": object_type, "object_name": object_type.name, "plural": plural, "singular": singular,
        "state": state, "view": view, "tabs": tabs, "has_board": has_board,
        "index_url": reverse("record_index", args=[object_type.name]),
        "filters": [(i, schema.properties[f["propertyName"]].label, dict(operators_of(schema.properties[f["propertyName"]]))[f["operator"]],
                     "" if f["operator"] in VALUELESS else presenter.show(f["propertyName"], f["value"]) or "--", state.without_filter(i))
                    for i, f in enumerate(state.filters)],
        "filterable": filterable, "adding": adding,
        "adding_operators": operators_of(adding_prop) if adding_prop and adding_prop in filterable else [],
        "adding_choices": [(o["value"], o["label"]) for o in presenter.field(adding_prop.name, None)["options"]]
        if adding_prop and kind_of(adding_prop) == "choice" else [],
        "adding_kind": kind_of(adding_prop) if adding_prop else "",
        "all_columns": sorted(((n, p.label) for n, p in schema.properties.items() if not p.hidden), key=lambda c: str(c[1]).lower()),
        "form_errors": form_errors or {}, "form_values": form_values or {},
        "view_name_value": (form_values or {}).get("name", ""),
        # The state each form carries along besides what it edits.
        "keep_all": state.params(), "keep_for_search": state.params(text=""),
        "keep_for_columns": state.params(edited=True, columns=[]), "keep_for_filter": state.params(edited=True),
        "keep_for_pipeline": state.params(pipeline=""),
        "table_query": state.query_string(mode="table"), "board_query": state.query_string(mode="board"),
    }
    if state.mode == "board":
        pipelines, pipeline = boards.pick_pipeline(schema, state.pipeline)
        query = state.query(schema, ctx=ctx)
        columns = boards.board(schema, query, pipeline, ctx) if pipeline else []
        context.update(pipelines=pipelines, pipeline=pipeline, columns=[
            (c, [(r, display_name(r), boards.card_facts(presenter, r)) for r in c.cards]) for c in columns],
            board_message=data.get("message", ""))
        return context
    try:
        page = page_of(schema, state.query(schema, ctx=ctx), after=cursor(data.get("after")), before=cursor(data.get("before")), ctx=ctx)
    except ValidationFailed:  # a cursor the user may not page from: the first page
        page = page_of(schema, state.query(schema, ctx=ctx), ctx=ctx)
    name_column = object_type.primary_display_property if object_type.name != "contacts" else None
    context.update(
        page=page,
        headers=[(name, schema.properties[name].label, is_indexed(schema, name),
                  ("descending" if state.descending else "ascending") if name == state.sort else "none", state.sort_by(name))
                 for name in state.columns],
        name_sort=(name_column, state.sort_by(name_column), ("descending" if state.descending else "ascending") if name_column == state.sort else "none")
        if name_column and is_indexed(schema, name_column) else None,
        rows=[(r, display_name(r), [presenter.show(n, records.values_of(r).get(n)) or "--" for n in state.columns]) for r in page.records],
        next_query=state.query_string() + f"&after={page.next_after}" if page.next_after else "",
        previous_query=state.query_string() + f"&before={page.previous_before}" if page.previous_before else "",
    )
    return context


def _render(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    partial = request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
    template = "savedviews/index.html#index-page" if partial else "savedviews/index.html"
    return render(request, template, context, status=status)


@login_required
@require_GET
def record_index(request: HttpRequest, object_name: str) -> HttpResponse:
    schema = _schema(request, object_name)
    return _render(request, index_context(request, schema, request.GET))


def _view_data(schema: Schema, request: HttpRequest, data: QueryDict, saved: list[SavedView]) -> dict[str, Any]:
    state, _view = _state(schema, request, data, saved)
    return {"columns": state.columns, "filters": state.filters, "sort": state.sort, "descending": state.descending,
            "mode": state.mode}


def _refused(request: HttpRequest, schema: Schema, exc: SchedaError) -> HttpResponse:
    errors = {e.name: e.message for e in exc.errors} or {"name": exc.message}
    values = {"name": request.POST.get("name", "")}
    return _render(request, index_context(request, schema, request.POST, form_errors=errors, form_values=values), status=400)


@login_required
@require_POST
def create_view(request: HttpRequest, object_name: str) -> HttpResponse:
    """"Save as new": the page's current columns, filters, sort and mode under a new name."""
    schema = _schema(request, object_name)
    saved = services.views_of(schema.object_type, request.user)
    data = _view_data(schema, request, request.POST, saved)
    data.update(name=request.POST.get("name", ""), shared=request.POST.get("shared") == "everyone")
    try:
        view = services.create_view(schema.object_type, request.user, data)
    except ValidationFailed as exc:
        return _refused(request, schema, exc)
    return HttpResponseRedirect(f"{reverse('record_index', args=[object_name])}?view={view.pk}")


@login_required
@require_POST
def update_view(request: HttpRequest, object_name: str, view_id: int) -> HttpResponse:
    """"Save view": the current state into the view the page shows."""
    schema = _schema(request, object_name)
    try:
        view = services.get_view(schema.object_type, request.user, view_id)
        saved = services.views_of(schema.object_type, request.user)
        services.update_view(view, request.user, _view_data(schema, request, request.POST, saved))
    except NotFound:
        raise Http404(_("No such view")) from None
    except ValidationFailed as exc:
        return _refused(request, schema, exc)
    return HttpResponseRedirect(f"{reverse('record_index', args=[object_name])}?view={view.pk}")


@login_required
@require_POST
def delete_view(request: HttpRequest, object_name: str, view_id: int) -> HttpResponse:
    schema = _schema(request, object_name)
    try:
        services.delete_view(services.get_view(schema.object_type, request.user, view_id), request.user)
    except NotFound:
        raise Http404(_("No such view")) from None
    except ValidationFailed as exc:
        return _refused(request, schema, exc)
    return HttpResponseRedirect(reverse("record_index", args=[object_name]))


@login_required
@require_GET
def board_column(request: HttpRequest, object_name: str) -> HttpResponse:
    """"Load more" of one column: the next cards of a stage."""
    schema = _schema(request, object_name)
    saved = services.views_of(schema.object_type, request.user)
    state, _view = _state(schema, request, request.GET, saved)
    _pipelines, pipeline = boards.pick_pipeline(schema, state.pipeline)
    if pipeline is None:
        raise Http404(_("No such pipeline"))
    stage = next((s for s in pipeline.stages.all() if s.stage_id == request.GET.get("stage") and not s.archived), None)
    if stage is None:
        raise Http404(_("No such stage"))
    ctx = WriteContext()
    query = state.query(schema, ctx=ctx)  # leaves out a refused filter
    try:
        ids, after = boards.cards(schema, query, pipeline, stage, cursor(request.GET.get("after")), ctx)
    except ValidationFailed:
        raise Http404(_("No such page")) from None
    presenter = Presenter(schema)
    cards = [(r, display_name(r), boards.card_facts(presenter, r)) for r in fetch(schema, query, ids)]
    return render(request, "savedviews/index.html#more-cards", {
        "cards": cards, "column": boards.Column(stage, [], after, 0, None), "state": state, "object_name": object_name,
        "keep_all": state.params(),
        "pipeline": pipeline, "index_url": reverse("record_index", args=[object_name])})


@login_required
@require_POST
def board_move(request: HttpRequest, object_name: str) -> HttpResponse:
    """A card dropped on (or moved by its select to) another stage: the stage is written through
    records.services.update_record, whose pipeline rules may refuse it; the board comes back from
    the database either way, so a refused card is where it was, with the message above. The card
    carries the stage it was shown in: a card someone else moved meanwhile is not moved again
    unseen; the board shows it where it is now, and moving it from there overwrites."""
    schema = _schema(request, object_name)
    stage_name = pipeline_properties(schema.object_type)[1]
    message, record = "", None
    try:
        found = records.get_record(schema.object_type, request.POST.get("record", ""))
        rights = rights_of(request.user)
        if not rights.can_view(found):  # answered as a missing record: its name is not shown
            raise NotFound(_("No such record"))
        record = found
        rights.check_edit(record)
        shown = request.POST.get("from")  # the stage the card was in on the user's board
        records.update_record(record, {stage_name: request.POST.get("stage", "")}, ui_author(request),
                              seen={stage_name: shown} if shown else None)
    except ChangedMeanwhile as exc:
        presenter = Presenter(schema)
        message = _("%(name)s was moved to %(stage)s by %(who)s meanwhile: move it again to overwrite.") % {
            "name": display_name(record) if record else _("The record"), "stage": presenter.show(stage_name, exc.context["value"]),
            "who": exc.context["user"] or PropertyChange.Source(exc.context["source"]).label}
    except SchedaError as exc:
        message = _("%(name)s could not be moved: %(reason)s") % {
            "name": display_name(record) if record else _("The record"), "reason": exc.errors[0].message if exc.errors else exc.message}
    data = request.POST.copy()
    data["mode"] = "board"
    data["message"] = message
    context = index_context(request, schema, data)
    return render(request, "savedviews/index.html#board", context, status=200)
