"""What the views of a record's pages share: the record a URL names and who a UI write is by."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from scheda.records.models import Record
from scheda.records.services import Author, Source


def page_record(object_name: str, record_id: int, *, archived: bool = False) -> Record:
    """The active (or, with `archived`, deleted) record `record_id` if it is of the object the
    URL names (by name or HubSpot type id); 404 otherwise."""
    record = Record.objects.select_related("object_type").filter(pk=record_id, archived=archived).first()
    if record is None or object_name not in (record.object_type.name, record.object_type.object_type_id):
        raise Http404(_("No such record"))
    return record


def ui_author(request: HttpRequest) -> Author:
    return Author(Source.UI, user=request.user)
