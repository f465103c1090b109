"""Bearer tokens with HubSpot's scope names."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from scheda.accounts.models import ApiToken
from scheda.accounts.services import authenticate_token
from scheda.errors import FieldError, SchedaError


class MissingScope(SchedaError):
    category = "MISSING_SCOPES"
    status = 403


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = authenticate_token(token)
        if found is not None and (found.last_used_at is None or timezone.now() - found.last_used_at > timedelta(minutes=1)):
            # Written at most once a minute: a busy integration does not write on every call.
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        return found


def require(request: HttpRequest, *scopes: str) -> None:
    """The token must carry one of `scopes`."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    if not any(scope in token.scopes for scope in scopes):
        raise MissingScope(
            f"This token lacks the scope this call needs: one of {', '.join(scopes)}",
            [FieldError(f"Missing scope {scopes[0]}", "MISSING_SCOPES", "scopes", {"requiredGranularScopes": list(scopes)})])


# HubSpot's scope family of each object type; activities go with contacts, as in HubSpot.
OBJECT_SCOPES = {
    "contacts": "crm.objects.contacts", "companies": "crm.objects.companies", "deals": "crm.objects.deals",
    "tickets": "tickets", "quotes": "crm.objects.quotes", "line_items": "crm.objects.line_items",
    "products": "e-commerce",
}


def require_object(request: HttpRequest, object_type, access: str) -> None:
    """`access` is "read" or "write"; the write scope also allows reading."""
    if object_type.is_custom:
        family = "crm.objects.custom"
    elif object_type.is_activity:
        family = OBJECT_SCOPES["contacts"]
    else:
        family = OBJECT_SCOPES.get(object_type.name, "crm.objects.custom")
    if "." not in family:  # single scopes such as "tickets" cover reading and writing
        require(request, family)
    elif access == "read":
        require(request, f"{family}.read", f"{family}.write")
    else:
        require(request, f"{family}.write")


# Object types with HubSpot schema scopes of their own (`crm.schemas.<family>.*`); activities go
# with contacts, custom objects with "custom".
SCHEMA_FAMILIES = {"contacts", "companies", "deals"}


def require_schema(request: HttpRequest, object_type, access: str) -> None:
    """Reading or writing an object type's property definitions. Reading takes the object's own
    read scope or a `crm.schemas` scope; writing takes `crm.schemas.<object>.write`, or the
    object's write scope for types without schema scopes (tickets, products, ...)."""
    if object_type.is_custom:
        family: str | None = "custom"
    elif object_type.is_activity:
        family = "contacts"
    else:
        family = object_type.name if object_type.name in SCHEMA_FAMILIES else None
    if family is None:
        require_object(request, object_type, access)
    elif access == "read":
        try:
            require_object(request, object_type, "read")
        except MissingScope:
            require(request, f"crm.schemas.{family}.read", f"crm.schemas.{family}.write")
    else:
        require(request, f"crm.schemas.{family}.write")
