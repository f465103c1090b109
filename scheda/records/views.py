"""The record page: the record's properties on the left, its timeline in the middle, its
associated records on the right (HubSpot's three columns)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from scheda.activities.services import attachments_of
from scheda.activities.views import tab_context
from scheda.associations.models import Association
from scheda.objects.services import load_schema
from scheda.records.actions import menu_context
from scheda.records.models import Record
from scheda.records.services import display_name

# The properties the left sidebar shows first, per object (LS-1's key facts).
KEY_PROPERTIES = {
    "contacts": ["email", "phone", "jobtitle", "lifecyclestage", "hubspot_owner_id"],
    "companies": ["domain", "phone", "industry", "city", "hubspot_owner_id"],
    "deals": ["amount", "dealstage", "closedate", "pipeline", "hubspot_owner_id"],
    "tickets": ["hs_pipeline_stage", "hs_ticket_priority", "hubspot_owner_id"],
}


@login_required
def record_page(request: HttpRequest, object_name: str, record_id: int) -> HttpResponse:
    record = Record.objects.select_related("object_type").filter(pk=record_id, archived=False).first()
    if record is None or object_name not in (record.object_type.name, record.object_type.object_type_id):
        raise Http404(_("No such record"))
    schema = load_schema(record.object_type)
    facts = [(schema.properties[name].label, record.properties.get(name)) for name in KEY_PROPERTIES.get(record.object_type.name, [])
             if name in schema.properties and record.properties.get(name) not in (None, "")]
    linked_ids = Association.objects.filter(from_record_id=record.pk, type__label=None).values("to_record_id")
    linked = Record.objects.filter(id__in=linked_ids, archived=False, object_type__is_activity=False).select_related("object_type")
    groups: dict[str, list[tuple[Record, str]]] = {}
    for other in linked.order_by("object_type_id", "id")[:200]:
        groups.setdefault(str(other.object_type.plural_label), []).append((other, display_name(other)))
    context = {"name": display_name(record), "facts": facts, "associated": groups,
               "attachments": attachments_of(record), **tab_context(request, record), **menu_context(request, record)}
    return render(request, "records/record.html", context)
