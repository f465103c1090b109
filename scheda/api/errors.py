"""HubSpot's error shape, the one body every API error has:
`{status: "error", message, correlationId, category, errors: [{message, in, code, context}]}`."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from scheda.errors import FieldError, Forbidden, SchedaError
from scheda.operations.middleware import request_id

logger = logging.getLogger("scheda.api")

CATEGORY_BY_STATUS = {
    400: "VALIDATION_ERROR", 401: "INVALID_AUTHENTICATION", 403: "MISSING_SCOPES", 404: "OBJECT_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "VALIDATION_ERROR", 415: "VALIDATION_ERROR",
    429: "RATE_LIMITS", 500: "INTERNAL_ERROR",
}


def correlation_id(request: HttpRequest) -> str:
    """The request id (scheda.operations): the X-Request-ID response header and the id in the
    logs, so an integration's error report leads to the server's log lines."""
    return request_id(request)


def error_response(request: HttpRequest, status: int, message: str, errors: list[FieldError] | None = None,
                   category: str | None = None, context: dict[str, Any] | None = None) -> HttpResponse:
    body: dict[str, Any] = {
        "status": "error",
        "message": message,
        "correlationId": correlation_id(request),
        "category": category or CATEGORY_BY_STATUS.get(status, "VALIDATION_ERROR"),
    }
    if errors:
        body["errors"] = [error.as_dict() for error in errors]
    if context:
        body["context"] = {key: [str(v) for v in (value if isinstance(value, list) else [value])]
                           for key, value in context.items() if value is not None}
    response = JsonResponse(body, status=status)
    response["X-HubSpot-Correlation-Id"] = body["correlationId"]
    return response


def scheda_error(request: HttpRequest, exc: SchedaError) -> HttpResponse:
    existing = exc.context.get("existing_id")
    context: dict[str, Any] | None = {"id": [str(existing)]} if existing else None
    if isinstance(exc, Forbidden):
        # What was refused: the object type, action, right, or the feature and the tier it needs.
        context = {camel(key): value for key, value in exc.context.items()} or None
    return error_response(request, exc.status, exc.message, exc.errors, exc.category, context)


def camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def pydantic_errors(errors: list[dict[str, Any]]) -> list[FieldError]:
    """ninja's validation errors, each naming the field at fault (`in`) as HubSpot does."""
    out = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "payload")]
        name = ".".join(location) or "body"
        out.append(FieldError(f"{name}: {error.get('msg', 'invalid')}", "INVALID_INPUT", name))
    return out


def internal_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error %s", correlation_id(request), exc_info=exc)
    return error_response(request, 500, "Internal error: the request was not completed",
                          category="INTERNAL_ERROR")
