"""The object types a user goes to: HubSpot's four CRM objects and every custom object (not
products, line items or quotes, which live inside deals, nor activities)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from scheda.objects.models import ObjectType

CRM_OBJECTS = ("contacts", "companies", "deals", "tickets")


def navigable_object_types() -> QuerySet[ObjectType]:
    return ObjectType.objects.filter(Q(name__in=CRM_OBJECTS) | Q(is_custom=True), archived=False, is_activity=False)
