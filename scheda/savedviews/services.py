"""Writers of saved views: each checks the whole view and names the field at fault."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from scheda.errors import FieldError, NotFound, ValidationFailed, unstorable
from scheda.objects.models import ObjectType
from scheda.objects.services import load_schema
from scheda.pipelines.services import pipelines_of
from scheda.savedviews.index import VALUELESS, filter_problem, is_indexed
from scheda.savedviews.models import SavedView

FIELDS = {"name", "columns", "filters", "sort", "descending", "mode", "shared"}
MAX_COLUMNS, MAX_FILTERS = 30, 6


def views_of(object_type: ObjectType, user) -> list[SavedView]:
    """The tabs a user sees: their own views and the ones shared with everyone."""
    return list(SavedView.objects.filter(Q(owner=user) | Q(shared=True), object_type=object_type))


def get_view(object_type: ObjectType, user, view_id: int | str) -> SavedView:
    try:
        return next(v for v in views_of(object_type, user) if str(v.pk) == str(view_id))
    except StopIteration:
        raise NotFound(_("No such view"), [FieldError(_("No such view"), "OBJECT_NOT_FOUND", "view")]) from None


def _check(object_type: ObjectType, owner, data: dict[str, Any], view: SavedView | None) -> dict[str, Any]:
    schema = load_schema(object_type)
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    if "name" in data or view is None:
        name = str(data.get("name") or "").strip()
        if not name:
            errors.append(FieldError(_("Enter a name for the view"), "REQUIRED", "name"))
        elif len(name) > 100:
            errors.append(FieldError(_("A view's name has at most 100 characters"), "TOO_LONG", "name"))
        elif unstorable(name):
            errors.append(FieldError(_("A view's name cannot hold a NUL character"), "INVALID_VALUE", "name"))
        elif SavedView.objects.filter(object_type=object_type, owner=owner, name__iexact=name).exclude(
                pk=view.pk if view else 0).exists():
            errors.append(FieldError(_("You already have a view named %(name)s") % {"name": name}, "DUPLICATE", "name"))
        clean["name"] = name
    if "columns" in data:
        columns = data["columns"]
        if not isinstance(columns, list) or not columns or len(columns) > MAX_COLUMNS:
            errors.append(FieldError(_("Choose from 1 to %(max)s columns") % {"max": MAX_COLUMNS}, "INVALID_COLUMNS", "columns"))
        else:
            unknown = [c for c in columns if c not in schema.properties]
            if unknown:
                errors.append(FieldError(_("No such property: %(names)s") % {"names": ", ".join(map(str, unknown))},
                                         "PROPERTY_DOESNT_EXIST", "columns"))
            clean["columns"] = list(dict.fromkeys(columns))
    if "filters" in data:
        filters = data["filters"]
        if not isinstance(filters, list) or len(filters) > MAX_FILTERS:
            errors.append(FieldError(_("A view has at most %(max)s filters") % {"max": MAX_FILTERS}, "INVALID_FILTERS", "filters"))
        else:
            kept = []
            for item in filters:
                problem = filter_problem(schema, item) if isinstance(item, dict) else ("property", _("Not a filter"))
                if problem:
                    errors.append(FieldError(problem[1], "INVALID_FILTER", "filters"))
                    continue
                kept.append({"propertyName": item["propertyName"], "operator": item["operator"],
                             "value": None if item["operator"] in VALUELESS else str(item["value"]).strip()})
            clean["filters"] = kept
    if "sort" in data:
        if not is_indexed(schema, str(data["sort"])):
            errors.append(FieldError(_("Sort by an indexed property"), "INVALID_SORT", "sort"))
        clean["sort"] = data["sort"]
    if "descending" in data:
        clean["descending"] = bool(data["descending"])
    if "mode" in data:
        if data["mode"] not in SavedView.Mode.values:
            errors.append(FieldError(_("A view is a table or a board"), "INVALID_MODE", "mode"))
        elif data["mode"] == "board" and not pipelines_of(object_type):
            errors.append(FieldError(_("Only objects with pipelines have a board"), "INVALID_MODE", "mode"))
        clean["mode"] = data["mode"]
    if "shared" in data:
        clean["shared"] = bool(data["shared"])
    unknown_fields = set(data) - FIELDS
    if unknown_fields:
        errors.append(FieldError(_("Unknown field"), "UNKNOWN_FIELD", sorted(unknown_fields)[0]))
    if errors:
        raise ValidationFailed(errors[0].message, errors)
    return clean


def _own(view: SavedView, user) -> None:
    if view.owner_id != user.pk:
        message = _("Only the owner of a view can change it")
        raise ValidationFailed(message, [FieldError(message, "NOT_OWNER", "view")])


@transaction.atomic
def create_view(object_type: ObjectType, owner, data: dict[str, Any]) -> SavedView:
    clean = _check(object_type, owner, data, None)
    last = SavedView.objects.filter(object_type=object_type, owner=owner).aggregate(m=Max("position"))["m"]
    return SavedView.objects.create(object_type=object_type, owner=owner, position=(last or 0) + 1, **clean)


@transaction.atomic
def update_view(view: SavedView, user, data: dict[str, Any]) -> SavedView:
    _own(view, user)
    for name, value in _check(view.object_type, user, data, view).items():
        setattr(view, name, value)
    view.save()
    return view


@transaction.atomic
def delete_view(view: SavedView, user) -> None:
    _own(view, user)
    view.delete()


@transaction.atomic
def reorder_views(object_type: ObjectType, user, view_ids: list[int]) -> None:
    """The user's own views in the given order; every one of them must be listed once."""
    own = {v.pk: v for v in SavedView.objects.filter(object_type=object_type, owner=user)}
    if sorted(view_ids) != sorted(own):
        message = _("List each of your views once")
        raise ValidationFailed(message, [FieldError(message, "INVALID_ORDER", "views")])
    for position, view_id in enumerate(view_ids, start=1):
        own[view_id].position = position
    SavedView.objects.bulk_update(own.values(), ["position"])
