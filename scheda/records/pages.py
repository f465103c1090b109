"""What the views of a record's pages share: the record a URL names and who a UI write is by."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from scheda.errors import NotFound
from scheda.objects.models import ObjectType
from scheda.objects.services import get_object_type
from scheda.records.models import Record
from scheda.records.services import Author, Source


def is_id(value: object) -> bool:
    """Whether a submitted value is a database id: ASCII digits that fit a 64-bit integer
    ("²".isdigit() is true, and SQLite overflows on longer numbers)."""
    text = str(value)
    return text.isascii() and text.isdigit() and len(text) <= 18


def page_record(object_name: str, record_id: int, *, archived: bool = False) -> Record:
    """The active (or, with `archived`, deleted) record `record_id` if it is of the object the
    URL names (by name or HubSpot type id); 404 otherwise."""
    if not is_id(record_id):
        raise Http404(_("No such record"))
    record = Record.objects.select_related("object_type").filter(pk=record_id, archived=archived).first()
    if record is None or object_name not in (record.object_type.name, record.object_type.object_type_id):
        raise Http404(_("No such record"))
    return record


def page_object_type(object_name: str) -> ObjectType:
    """The active, non-activity object type a URL names by its name; 404 otherwise."""
    try:
        object_type = get_object_type(object_name)
    except NotFound:
        raise Http404(_("No such object")) from None
    if object_type.is_activity or object_type.archived or object_type.name != object_name:
        raise Http404(_("No such object"))
    return object_type


def ui_author(request: HttpRequest) -> Author:
    return Author(Source.UI, user=request.user)
