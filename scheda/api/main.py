"""The CRM API: HubSpot's paths and shapes, one error shape, OpenAPI at /api/openapi.json."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from scheda.api.auth import TokenAuth
from scheda.api.errors import error_response, internal_error, pydantic_errors, scheda_error
from scheda.errors import SchedaError

api = NinjaAPI(
    title="Scheda CRM API",
    version="3",
    description="HubSpot's CRM API v3/v4, served by Scheda. Authenticate with `Authorization: Bearer <token>` "
    "from `scheda token create`.",
    auth=TokenAuth(),
    docs_url="/api/docs",
    openapi_url="/api/openapi.json",
    urls_namespace="api",
)


@api.exception_handler(SchedaError)
def _scheda(request: HttpRequest, exc: SchedaError) -> HttpResponse:
    return scheda_error(request, exc)


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = pydantic_errors(exc.errors)
    message = "Invalid input: " + "; ".join(e.message for e in errors[:5]) if errors else "Invalid input"
    return error_response(request, 400, message, errors)


@api.exception_handler(AuthenticationError)
def _authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "Authentication credentials not found or not valid: send Authorization: Bearer <token>",
                          category="INVALID_AUTHENTICATION")


@api.exception_handler(HttpError)
def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(request, exc.status_code, str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, str(exc) or "Not found", category="OBJECT_NOT_FOUND")


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    return internal_error(request, exc)


def _register() -> None:
    from scheda.records.api import router as records

    api.add_router("/crm/v3/objects", records)


_register()
