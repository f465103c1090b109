"""The object types a user goes to: HubSpot's four CRM objects and every custom object (not
products, line items or quotes, which live inside deals, nor activities)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from scheda.accounts import tiers
from scheda.accounts.permissions import NONE, rights_of
from scheda.objects.models import ObjectType
from scheda.objects.services import with_schema

CRM_OBJECTS = ("contacts", "companies", "deals", "tickets")


def navigable_object_types(user: Any = None) -> list[ObjectType]:
    """In their order, kept with the schema (no query on a page that read a schema); with
    `user`, only those the user may open: some of their records visible, and custom objects
    only on the tier that has them."""
    object_types: list[ObjectType] = with_schema("navigation", lambda: list(ObjectType.objects.filter(
        Q(name__in=CRM_OBJECTS) | Q(is_custom=True), archived=False, is_activity=False).order_by("id")))
    if user is None:
        return object_types
    rights = rights_of(user)
    custom = tiers.has("custom_objects")
    return [t for t in object_types if (custom or not t.is_custom) and rights.level(t) != NONE]
