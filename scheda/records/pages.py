"""What the views of a record's pages share: the record a URL names (if the user may open it),
who a UI write is by, and what a form saved over a change made meanwhile says."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from scheda.accounts import tiers
from scheda.accounts.permissions import rights_of
from scheda.errors import ChangedMeanwhile, NotFound
from scheda.objects.models import ObjectType
from scheda.objects.services import get_object_type
from scheda.records.display import Presenter
from scheda.records.models import PropertyChange, Record
from scheda.records.services import Author, Source


def is_id(value: object) -> bool:
    """Whether a submitted value is a database id: ASCII digits that fit a 64-bit integer
    ("²".isdigit() is true, and SQLite overflows on longer numbers)."""
    text = str(value)
    return text.isascii() and text.isdigit() and len(text) <= 18


def page_record(request: HttpRequest, object_name: str, record_id: int, *, archived: bool = False,
                edit: bool = False, annotate: dict[str, Any] | None = None) -> Record:
    """The active (or, with `archived`, deleted) record `record_id` if it is of the object the
    URL names (by name or HubSpot type id), 404 otherwise; Forbidden (a 403 page) if the user
    may not view it, or with `edit` change it, or its object's tier is not on. `annotate`: what
    else the page reads of the record, in the same query."""
    if not is_id(record_id):
        raise Http404(_("No such record"))
    record = (Record.objects.select_related("object_type").filter(pk=record_id, archived=archived)
              .annotate(**(annotate or {})).first())
    if record is None or object_name not in (record.object_type.name, record.object_type.object_type_id):
        raise Http404(_("No such record"))
    return opened(request, record, edit=edit)


def opened(request: HttpRequest, record: Record, *, edit: bool = False) -> Record:
    """`record` if its object's tier is on and the user may view it (with `edit`, change it);
    Forbidden otherwise."""
    check_tier(record.object_type)
    rights = rights_of(request.user)
    if edit:
        rights.check_edit(record)
    else:
        rights.check_view(record)
    return record


def check_tier(object_type: ObjectType) -> None:
    """Custom objects are an Enterprise feature: below it their pages say so."""
    if object_type.is_custom:
        tiers.check("custom_objects")


def page_object_type(request: HttpRequest, object_name: str) -> ObjectType:
    """The active, non-activity object type a URL names by its name, 404 otherwise; Forbidden
    if the user may view none of its records or its tier is not on."""
    try:
        object_type = get_object_type(object_name)
    except NotFound:
        raise Http404(_("No such object")) from None
    if object_type.is_activity or object_type.archived or object_type.name != object_name:
        raise Http404(_("No such object"))
    check_tier(object_type)
    rights_of(request.user).check_object(object_type)
    return object_type


def ui_author(request: HttpRequest) -> Author:
    return Author(Source.UI, user=request.user)


def changed_meanwhile(error: ChangedMeanwhile, presenter: Presenter) -> str:
    """The message next to a field someone changed after the form was opened: who (a user, or
    the source: API, import...) and the value now. The form then carries the newer version, so
    saving it again overwrites on purpose."""
    who = error.context["user"] or PropertyChange.Source(error.context["source"]).label
    now = Truncator(presenter.show(error.context["name"], error.context["value"])).chars(80) or "—"
    return _('Changed by %(name)s meanwhile: now "%(value)s". Save again to overwrite.') % {"name": who, "value": now}
