"""The "Create" dialog (OBJ-3): the properties an admin chose for an object's creation form,
each rendered by its type; a duplicate warning while typing a unique value (a contact's e-mail,
a company's domain); records to associate with, found as the user types; "Create" and "Create
and add another". The record services validate and write; refused values come back next to
their fields with what was typed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from scheda.accounts.models import User
from scheda.accounts.permissions import Rights, rights_of
from scheda.associations import services as associations
from scheda.errors import FieldError, SchedaError
from scheda.objects.models import ObjectType, PropertyDefinition
from scheda.objects.services import Schema, load_schema
from scheda.objects.types import PropertyValueError, WriteContext
from scheda.pipelines.services import pipeline_properties, pipelines_of
from scheda.records import services as records
from scheda.records import storage
from scheda.records.models import Record
from scheda.records.pages import is_id, page_object_type, ui_author
from scheda.records.search import search_ids
from scheda.records.services import display_name
from scheda.web.navigation import navigable_object_types

# What HubSpot's create forms ask for when an admin has not chosen (ObjectType.create_form_properties).
DEFAULT_CREATE_PROPERTIES = {
    "contacts": ["email", "firstname", "lastname", "jobtitle", "phone", "hubspot_owner_id", "lifecyclestage"],
    "companies": ["domain", "name", "hubspot_owner_id", "industry", "city"],
    "deals": ["dealname", "pipeline", "dealstage", "amount", "closedate", "hubspot_owner_id"],
    "tickets": ["subject", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority", "hubspot_owner_id"],
}
# Records offered to associate with, per search.
ASSOCIATE_RESULTS = 8


@dataclass
class Field:
    """One input of the form: its property, how it is rendered and what the user typed."""

    prop: PropertyDefinition
    widget: str
    value: Any = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    required: bool = False
    error: str = ""
    duplicate: tuple[int, str] | None = None  # the active record that holds this unique value
    stage_name: str = ""  # a pipeline's: the stage input its choice refreshes

    @property
    def input_type(self) -> str:
        return self.widget if self.widget in ("number", "date", "email", "url", "tel") else "text"


def form_properties(schema: Schema) -> list[PropertyDefinition]:
    """The properties the dialog asks for: the admin's choice or the object's defaults, then
    every required property not among them (a record cannot be created without it)."""
    object_type = schema.object_type
    names = list(object_type.create_form_properties or DEFAULT_CREATE_PROPERTIES.get(object_type.name) or [
        object_type.primary_display_property, "hubspot_owner_id"])
    names += [name for name in schema.required if name not in names]
    shown = []
    for name in dict.fromkeys(names):
        prop = schema.properties.get(name)
        if prop is not None and not (prop.read_only or prop.calculated) and (not prop.hidden or prop.required):
            shown.append(prop)
    return shown


def _widget(prop: PropertyDefinition, pipeline_names: tuple[str, str]) -> str:
    if prop.referenced_object_type == "OWNER":
        return "owner"
    if prop.name == pipeline_names[0]:
        return "pipeline"
    if prop.name == pipeline_names[1]:
        return "stage"
    if prop.type == "enumeration":
        return {"checkbox": "checkboxes", "booleancheckbox": "bool"}.get(prop.field_type, "select")
    if prop.type in ("bool", "number", "date"):
        return prop.type
    if prop.type == "datetime":
        # HubSpot's date picker (fieldType "date"): the day, at midnight UTC.
        return "date"
    if prop.type == "phone_number" or prop.field_type == "phonenumber":
        return "tel"
    if prop.format in ("email", "url"):
        return prop.format
    if prop.field_type in ("textarea", "html"):
        return "textarea"
    return "text"


@dataclass
class Form:
    object_type: ObjectType
    schema: Schema
    fields: list[Field]
    errors: list[str] = field(default_factory=list)
    associate_type: ObjectType | None = None
    associate_types: list[ObjectType] = field(default_factory=list)
    chosen: list[tuple[Record, str]] = field(default_factory=list)

    def by_name(self) -> dict[str, Field]:
        return {f.prop.name: f for f in self.fields}


def build_form(object_type: ObjectType, data=None, user=None) -> Form:
    """The form, empty (owner: the user creating) or with what was posted in `data`."""
    schema = load_schema(object_type)
    pipeline_names = pipeline_properties(object_type)
    props = form_properties(schema)
    widgets = {prop.name: _widget(prop, pipeline_names) for prop in props}
    owners = ([(str(u.pk), str(u)) for u in User.objects.filter(is_active=True).order_by("first_name", "last_name", "email")]
              if "owner" in widgets.values() else [])
    pipelines = pipelines_of(object_type) if {"pipeline", "stage"} & set(widgets.values()) else []
    fields = []
    for prop in props:
        widget = widgets[prop.name]
        if data is None:
            value: Any = str(user.pk) if widget == "owner" and user is not None else ""
        else:
            value = data.getlist(prop.name) if widget == "checkboxes" else data.get(prop.name, "").strip()
        fields.append(Field(prop, widget, value, required=prop.required))
    chosen_pipeline = next((f.value for f in fields if f.widget == "pipeline"), "") or (data or {}).get(pipeline_names[0], "")
    for item in fields:
        if item.widget == "owner":
            item.options = owners
        elif item.widget == "pipeline":
            item.options = [(p.pipeline_id, p.label) for p in pipelines]
            item.value = item.value or (pipelines[0].pipeline_id if pipelines else "")
            item.stage_name = pipeline_names[1]
        elif item.widget == "stage":
            item.options = stage_options(pipelines, chosen_pipeline)
        elif item.widget in ("select", "checkboxes"):
            item.options = [(o["value"], o["label"]) for o in item.prop.options if not o.get("hidden")]
        elif item.widget == "bool":
            item.options = [("true", _("Yes")), ("false", _("No"))]
    others = list(navigable_object_types(user))
    wanted = (data.get("associate_type") if data is not None else None) or ("companies" if object_type.name == "contacts" else "contacts")
    form = Form(object_type, schema, fields, associate_types=others,
                associate_type=next((t for t in others if t.name == wanted), others[0] if others else None))
    if data is not None:
        form.chosen = _chosen(data.getlist("associate"), rights_of(user))
    return form


def stage_options(pipelines: list, pipeline_id: str) -> list[tuple[str, str]]:
    pipeline = next((p for p in pipelines if p.pipeline_id == pipeline_id), pipelines[0] if pipelines else None)
    return [(s.stage_id, s.label) for s in pipeline.stages.all() if not s.archived] if pipeline else []


def _chosen(ids: list[str], rights: Rights) -> list[tuple[Record, str]]:
    """The records picked to associate with, still active, of an object the dialog offers
    (never line items or quotes, whose association types a pick must not create) and that the
    user may see."""
    wanted = [int(i) for i in ids if is_id(i)][:50]
    if not wanted:
        return []
    found = Record.objects.filter(pk__in=wanted, archived=False, object_type__in=navigable_object_types(rights.user)
                                  ).select_related("object_type")
    return [(r, display_name(r)) for r in found.order_by("object_type_id", "id") if rights.can_view(r)]


def _properties(form: Form) -> dict[str, Any]:
    """The values to create with: what the user filled in (an empty input sets nothing)."""
    values: dict[str, Any] = {}
    for item in form.fields:
        if item.widget == "checkboxes":
            if item.value:
                values[item.prop.name] = ";".join(item.value)
        elif item.value != "":
            values[item.prop.name] = item.value
    return values


def _show_errors(form: Form, errors: list[FieldError], message: str) -> None:
    """Each error next to its field, in the CRM's words; others above the buttons."""
    fields = form.by_name()
    singular = str(form.object_type.singular_label).lower()
    for error in errors or [FieldError(message, "", "")]:
        item = fields.get(error.name)
        if item is None:
            form.errors.append(error.message)
            continue
        if error.code == "REQUIRED_PROPERTY":
            item.error = _("%(property)s is required") % {"property": item.prop.label}
        elif error.code == "DUPLICATE_VALUE" and "existingId" in error.context:
            item.error = duplicate_message(singular, item.prop)
            holder = Record.objects.select_related("object_type").filter(pk=int(error.context["existingId"])).first()
            item.duplicate = (holder.pk, display_name(holder)) if holder else None
        else:
            item.error = error.message


def duplicate_message(singular: str, prop: PropertyDefinition) -> str:
    return _("A %(object)s with this %(property)s already exists") % {"object": singular, "property": str(prop.label).lower()}


def _render(request: HttpRequest, form: Form, created: tuple[Record, str] | None = None) -> HttpResponse:
    context = {"form": form, "object_type": form.object_type, "created": created,
               "singular": str(form.object_type.singular_label).lower(), "page": not request.htmx}  # type: ignore[attr-defined]
    if request.htmx:  # type: ignore[attr-defined]
        # Opening the dialog swaps it into #dialog; a submit swaps the form inside it.
        return render(request, "web/create.html#dialog" if request.method == "GET" else "web/create.html#form", context)
    return render(request, "web/create.html", context)


@login_required
def create(request: HttpRequest, object_name: str) -> HttpResponse:
    """GET: the dialog. POST: create the record (and its associations, in one transaction)."""
    object_type = page_object_type(request, object_name)
    rights = rights_of(request.user)
    rights.check_create(object_type)
    if request.method != "POST":
        return _render(request, build_form(object_type, user=request.user))
    form = build_form(object_type, request.POST, user=request.user)
    properties = _properties(form)
    if not properties:
        # The services accept a record without values (the API may); from this form it is a slip.
        form.errors.append(_("Fill in at least one property to create a %(object)s")
                           % {"object": str(object_type.singular_label).lower()})
        return _render(request, form)
    try:
        with transaction.atomic():
            pairs = [(record.pk, associations.default_type(object_type, record.object_type).pk) for record, _n in form.chosen]
            record = records.create_record(object_type, rights.owned_values(object_type, properties, creating=True), ui_author(request),
                                           associations=pairs)
    except SchedaError as exc:
        _show_errors(form, exc.errors, exc.message)
        return _render(request, form)
    url = f"/{object_type.name}/{record.pk}/"
    if request.POST.get("action") == "another":
        fresh = build_form(object_type, user=request.user)
        fresh.associate_type = form.associate_type
        return _render(request, fresh, created=(record, display_name(record)))
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)  # type: ignore[attr-defined]


@login_required
@require_GET
def duplicate(request: HttpRequest, object_name: str) -> HttpResponse:
    """The inline warning under a unique property's input: which active record has this value."""
    object_type = page_object_type(request, object_name)
    schema = load_schema(object_type)
    name = request.GET.get("property", "")
    prop = schema.properties.get(name) if name in schema.unique else None
    if prop is None:
        raise Http404(_("No such property"))
    holder = None
    raw = request.GET.get(name, "").strip()
    if raw:
        try:
            value = schema.types[name].normalise(prop, raw, WriteContext())
        except PropertyValueError:
            value = None  # not a valid value yet: the submit says what is wrong
        found = storage.holders(object_type.pk, name, [value]) if value not in (None, "") else []
        if found:
            holder = Record.objects.select_related("object_type").get(pk=found[0][0])
    item = Field(prop, "text", raw)
    # A record the user may not see is not named or linked: the warning alone says it exists.
    if holder is not None and rights_of(request.user).can_view(holder):
        item.duplicate = (holder.pk, display_name(holder))
    context = {"field": item, "object_type": object_type, "singular": str(object_type.singular_label).lower(),
               "warning": duplicate_message(str(object_type.singular_label).lower(), prop) if holder else ""}
    return render(request, "web/create.html#duplicate", context)


@login_required
@require_GET
def stages(request: HttpRequest, object_name: str) -> HttpResponse:
    """The stage input for the pipeline just chosen: its stages, the first one selected."""
    object_type = page_object_type(request, object_name)
    pipeline_name, stage_name = pipeline_properties(object_type)
    schema = load_schema(object_type)
    prop = schema.properties.get(stage_name)
    if prop is None:
        raise Http404(_("No such property"))
    item = Field(prop, "stage", "", stage_options(pipelines_of(object_type), request.GET.get(pipeline_name, "")),
                 required=prop.required)
    return render(request, "web/create.html#field", {"field": item, "object_type": object_type})


@login_required
@require_GET
def associate_search(request: HttpRequest, object_name: str) -> HttpResponse:
    """Records of the chosen object type matching what the user types, under those already
    picked (kept checked)."""
    object_type = page_object_type(request, object_name)
    rights = rights_of(request.user)
    others = {t.name: t for t in navigable_object_types(request.user)}
    target = others.get(request.GET.get("associate_type", ""))
    chosen = _chosen(request.GET.getlist("associate"), rights)
    picked = {record.pk for record, _n in chosen}
    results: list[tuple[Record, str]] = []
    query = request.GET.get("associate_q", "")[:200]
    if target is not None and query.strip():
        ids = [i for i in search_ids(target, query, limit=ASSOCIATE_RESULTS + len(picked),
                                     owners=rights.owners(target)) if i not in picked]
        found = {r.pk: r for r in Record.objects.filter(pk__in=ids[:ASSOCIATE_RESULTS])}
        for record_id in ids[:ASSOCIATE_RESULTS]:
            record = found[record_id]
            record.object_type = target
            results.append((record, display_name(record)))
    context = {"object_type": object_type, "chosen": chosen, "results": results, "query": query.strip()}
    return render(request, "web/create.html#associate_results", context)
