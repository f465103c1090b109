"""/crm/v3/owners: HubSpot's owners. Every active user is an owner (an inactive one is an
archived owner); an owner's id is its user's id, and its teams are the user's, the primary team
marked."""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router

from scheda.accounts.models import User
from scheda.api.auth import require
from scheda.api.params import bool_param, int_param
from scheda.api.schemas import ERRORS, Paging, Schema
from scheda.errors import FieldError, NotFound, ValidationFailed
from scheda.objects.types import format_datetime

router = Router(tags=["Owners"])
SCOPE = "crm.objects.owners.read"


class Team(Schema):
    id: str
    name: str
    primary: bool


class PublicOwner(Schema):
    id: str
    email: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    userId: int | None = None
    userIdIncludingInactive: int | None = None
    type: Literal["PERSON", "QUEUE"]
    createdAt: str
    updatedAt: str
    archived: bool
    teams: list[Team] = []


class OwnerPage(Schema):
    results: list[PublicOwner]
    paging: Paging | None = None


def render(user: User) -> dict[str, Any]:
    """An owner; `user.teams` is read from a prefetch (`with_teams`)."""
    return {
        "id": str(user.pk), "email": user.email, "firstName": user.first_name, "lastName": user.last_name,
        "userId": user.pk, "userIdIncludingInactive": user.pk, "type": "PERSON",
        "createdAt": format_datetime(user.date_joined), "updatedAt": format_datetime(user.updated_at),
        "archived": not user.is_active,
        "teams": [{"id": str(team.pk), "name": team.name, "primary": team.pk == user.primary_team_id}
                  for team in user.teams.all()],
    }


def with_teams(users: QuerySet[User]) -> QuerySet[User]:
    return users.prefetch_related("teams")


def parse_owner_id(value: str | None, name: str) -> int:
    try:
        number = int(value or "")
    except ValueError:
        number = 0
    if not 0 < number <= 2**62:
        raise NotFound(f"No owner with id {value!r}", [FieldError(f"{value!r} is not an owner id", "INVALID_ID", name)])
    return number


@router.get("/", response={200: OwnerPage, **ERRORS}, exclude_none=True, summary="List owners")
def list_owners(request: HttpRequest):
    require(request, SCOPE)
    limit = int_param(request, "limit", 100, 1, 500)
    users = with_teams(User.objects.filter(is_active=not bool_param(request, "archived")).order_by("pk"))
    email = request.GET.get("email")
    if email:
        users = users.filter(email__iexact=email.strip())
    after = request.GET.get("after")
    if after:
        users = users.filter(pk__gt=parse_owner_id(after, "after"))
    found = list(users[:limit + 1])
    body: dict[str, Any] = {"results": [render(u) for u in found[:limit]]}
    if len(found) > limit:
        last = found[limit - 1].pk
        body["paging"] = {"next": {"after": str(last), "link": f"{request.path}?after={last}&limit={limit}"}}
    return body


# The SDK asks for /crm/v3/owners/ and HubSpot's docs for /crm/v3/owners: both work.
router.add_api_operation("", ["GET"], list_owners, response={200: OwnerPage, **ERRORS}, exclude_none=True,
                         include_in_schema=False)


@router.get("/{owner_id}", response={200: PublicOwner, **ERRORS}, exclude_none=True, summary="Read an owner")
def read_owner(request: HttpRequest, owner_id: str):
    require(request, SCOPE)
    id_property = request.GET.get("idProperty") or "id"
    if id_property not in ("id", "userId"):
        raise ValidationFailed("idProperty is id or userId", [FieldError("idProperty is id or userId", "INVALID_ID_PROPERTY", "idProperty")])
    # An owner's id and its user's id are the same number.
    user = with_teams(User.objects.all()).filter(pk=parse_owner_id(owner_id, id_property), is_active=not bool_param(request, "archived")).first()
    if user is None:
        raise NotFound(f"No owner with {id_property} {owner_id}", [FieldError("No such owner", "OBJECT_NOT_FOUND", "ownerId")])
    return render(user)
