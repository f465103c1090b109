"""Bearer tokens with HubSpot's scope names, and what a token may do.

A token acts for its user (`ApiToken.user`), with that user's permissions, or for the account
(no user), with its scopes alone. Every API call checks the scopes first (`require`,
`require_object`, `require_schema`), then, for a user token, the user's rights: `rights(request)`
is the one place that reads them; the helpers below it answer the questions the endpoints ask."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import OperationalError
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from scheda.accounts import tiers
from scheda.accounts.models import ApiToken
from scheda.accounts.permissions import Rights, rights_of
from scheda.accounts.services import authenticate_token
from scheda.errors import FieldError, Forbidden, SchedaError

logger = logging.getLogger("scheda.api")

if TYPE_CHECKING:
    from scheda.objects.models import ObjectType
    from scheda.records.models import Record


class MissingScope(SchedaError):
    category = "MISSING_SCOPES"
    status = 403


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = authenticate_token(token)
        if found is not None and (found.last_used_at is None or timezone.now() - found.last_used_at > timedelta(minutes=1)):
            # Written at most once a minute: a busy integration does not write on every call. A
            # stamp another writer kept waiting is skipped, not a failed call: the next one writes it.
            try:
                ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
            except OperationalError as error:
                logger.warning("token %s: last use not recorded (%s)", found.pk, str(error).strip().splitlines()[0])
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
    """`access` is "read" or "write"; the write scope also allows reading. Custom objects are
    an Enterprise feature: below that tier every call on one is refused, whoever asks (their
    records stay, and come back with the tier)."""
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
    if object_type.is_custom:
        tiers.check("custom_objects")


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
    if object_type.is_custom:
        tiers.check("custom_objects")


# --- the token's user's rights ---------------------------------------------------------------------


def rights(request: HttpRequest) -> Rights | None:
    """The rights of the token's user, read once per request; None for an account token, which
    has its scopes alone."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    return rights_of(token.user) if token.user_id is not None else None


def require_records(request: HttpRequest, object_type: ObjectType, access: str) -> Rights | None:
    """The records of `object_type`, to "read" or "write": the token's scope, then the user's
    access to the object type as a whole (view, or edit, none -> 403). Whether a given record
    is within reach is asked record by record (`can_view`, `check_edit`) or in the query
    (`owners`)."""
    require_object(request, object_type, access)
    found = rights(request)
    if found is not None:
        found.check_object(object_type)
        if access == "write":
            found.check_create(object_type)
    return found


def require_right(request: HttpRequest, right: str) -> None:
    """An account right (scheda.accounts.permissions.RIGHTS) for a user token; an account token
    has its scopes alone."""
    found = rights(request)
    if found is not None:
        found.check_right(right)


def require_action(request: HttpRequest, object_type: ObjectType, action: str) -> None:
    """delete, bulk_delete, merge, export or import records of `object_type` (user tokens)."""
    found = rights(request)
    if found is not None:
        found.check(object_type, action)


def owners(request: HttpRequest, object_type: ObjectType, access: str = "view") -> frozenset[str] | None:
    """The owner ids whose records of `object_type` the token reaches (scheda.records.query
    `Query.owners`): None for every record."""
    found = rights(request)
    return None if found is None else found.owners(object_type, access)


def can_view(request: HttpRequest, record: Record) -> bool:
    found = rights(request)
    return found is None or found.can_view(record)


def refused(record: Record, what: str = "edit", name: str = "id", **context: Any) -> Forbidden:
    """The 403 that names the record refused."""
    label = record.object_type.singular_label.lower()
    message = f"You don't have permission to {what} {label} {record.pk}"
    return Forbidden(message, [FieldError(message, "FORBIDDEN", name, {"id": str(record.pk), **context})],
                     object_type=record.object_type.name)


def check_edit(request: HttpRequest, record: Record, name: str = "id", **context: Any) -> None:
    """The user may edit `record` (one they may view: ask `can_view` first, a hidden record
    answers as a missing one)."""
    found = rights(request)
    if found is not None and not found.can_edit(record):
        raise refused(record, "edit", name, **context)


def owned_values(request: HttpRequest, object_type: ObjectType, properties: dict[str, Any], *, creating: bool,
                 has_owner: bool = True, **context: Any) -> dict[str, Any]:
    """The values to write (`Rights.owned_values`); an account token writes them as they are."""
    found = rights(request)
    if found is None:
        return properties
    return found.owned_values(object_type, properties, creating=creating, has_owner=has_owner, **context)


def hidden(request: HttpRequest, ids: Iterable[int]) -> set[int]:
    """The records among `ids` the token's user may not view (none for an account token): a
    call answers for them as for missing records."""
    found = rights(request)
    if found is None:
        return set()
    from scheda.records.models import Record

    records = Record.objects.filter(pk__in=set(ids)).select_related("object_type").only("pk", "properties", "object_type")
    return {record.pk for record in records if not found.can_view(record)}
