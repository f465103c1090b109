"""The CRM API: HubSpot's paths and shapes, one error shape, OpenAPI at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema

from scheda.api.auth import TokenAuth
from scheda.api.errors import error_response, internal_error, pydantic_errors, scheda_error
from scheda.errors import FieldError, SchedaError


class CrmApi(NinjaAPI):
    """The OpenAPI document depends on the routes alone, fixed at import; building it takes about
    a second (several on a busy machine), so a process builds it once per root path."""

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.openapi_built: dict[str, OpenAPISchema] = {}

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        prefix = self.get_root_path(path_params or {}) if path_prefix is None else path_prefix
        if prefix not in self.openapi_built:
            self.openapi_built[prefix] = super().get_openapi_schema(path_prefix=prefix)
        return self.openapi_built[prefix]


api = CrmApi(
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
    # ninja's own 400 is a body that is not JSON.
    errors = [FieldError(str(exc), "INVALID_JSON", "body")] if exc.status_code == 400 else None
    return error_response(request, exc.status_code, str(exc), errors)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, str(exc) or "Not found", category="OBJECT_NOT_FOUND")


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    return internal_error(request, exc)


def _register() -> None:
    from scheda.records.api import router as records

    api.add_router("/crm/v3/objects", records)
    from scheda.accounts.api import router as owners
    from scheda.associations.api import router as associations
    from scheda.pipelines.api import router as pipelines

    api.add_router("/crm/v4", associations)
    api.add_router("/crm/v3/pipelines", pipelines)
    api.add_router("/crm/v3/owners", owners)
    from scheda.objects.api import properties_router, schemas_router

    api.add_router("/crm/v3/properties", properties_router)
    api.add_router("/crm-object-schemas/v3/schemas", schemas_router)


_register()
