"""Query parameters as HubSpot's clients send them."""

from __future__ import annotations

from django.http import HttpRequest

from scheda.errors import FieldError, ValidationFailed


def list_param(request: HttpRequest, name: str) -> list[str] | None:
    """Repeated (`properties=a&properties=b`, the SDK's way) and comma-separated
    (`properties=a,b`, the docs' way) both work; None when absent."""
    values = request.GET.getlist(name)
    if not values:
        return None
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def bool_param(request: HttpRequest, name: str, default: bool = False) -> bool:
    value = request.GET.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise ValidationFailed(f"{name} must be true or false", [FieldError(f"{name} must be true or false", "INVALID_BOOLEAN", name)])


def int_param(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    value = request.GET.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ValidationFailed(f"{name} must be a whole number from {low} to {high}",
                               [FieldError(f"{name} must be from {low} to {high}", "INVALID_INTEGER", name)])
    return number
