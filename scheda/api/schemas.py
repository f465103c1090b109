"""Bodies every API family shares: HubSpot's error, paging and batch shapes, and the request's
author."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field

from scheda.objects.types import format_datetime
from scheda.records.services import Author, Source


class Schema(BaseModel):
    """The base of every API body. Not ninja's `Schema`: that one wraps each object it validates
    in a `DjangoGetter` (for ORM objects, which the API never hands it), a fifth of a 100-record
    batch create's time in process, half in the request and half in the response."""

    model_config = ConfigDict(from_attributes=True)


class ErrorDetail(Schema):
    message: str
    code: str | None = None
    in_: str | None = Field(None, alias="in")
    context: dict[str, Any] | None = None


class StandardError(Schema):
    status: str
    category: str
    message: str
    errors: list[ErrorDetail] = []
    context: dict[str, list[str]] = {}
    links: dict[str, str] = {}


class NextPage(Schema):
    after: str
    link: str | None = None


class Paging(Schema):
    next: NextPage


class Error(Schema):
    status: str
    message: str
    correlationId: str
    category: str
    errors: list[ErrorDetail] | None = None
    context: dict[str, list[str]] | None = None


ERRORS: dict[int, type[Schema]] = {code: Error for code in (400, 401, 403, 404, 409, 429)}


def now() -> str:
    return format_datetime(timezone.now())


def author(request: HttpRequest) -> Author:
    """Who writes through the API: the token's user, source API, the token as source id."""
    token = request.auth  # type: ignore[attr-defined]
    return Author(Source.API, f"token:{token.pk}", token.user)
