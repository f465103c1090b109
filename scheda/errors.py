"""The errors services raise. Each carries what HubSpot's error body needs (category, message,
and per-field details), so the API renders every one in one shape and the UI shows the
message next to the field it names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FieldError:
    message: str
    code: str
    # HubSpot's "in": the property (or parameter) at fault.
    name: str = ""
    context: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.name:
            body["in"] = self.name
        if self.context:
            body["context"] = self.context
        return body


class SchedaError(Exception):
    category = "VALIDATION_ERROR"
    status = 400

    def __init__(self, message: str, errors: list[FieldError] | None = None, **context: Any):
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.context = context


class ValidationFailed(SchedaError):
    """Bad input: nothing was written."""


class NotFound(SchedaError):
    category = "OBJECT_NOT_FOUND"
    status = 404


class Conflict(SchedaError):
    """The write would break a uniqueness rule; `existing_id` names the record that holds it."""

    category = "CONFLICT"
    status = 409

    def __init__(self, message: str, errors: list[FieldError] | None = None, existing_id: int | None = None):
        super().__init__(message, errors, existing_id=existing_id)
        self.existing_id = existing_id


class ChangedMeanwhile(SchedaError):
    """A property changed after the version the write started from (an edit that read it, then
    saved): nothing was written. `context` has the property (`name`), the change that wrote it
    last (`version`, its `user` and `source`) and the value it holds now (`value`)."""

    category = "CONFLICT"
    status = 409


class LimitExceeded(SchedaError):
    category = "VALIDATION_ERROR"
    status = 400


class Forbidden(SchedaError):
    """The user (or the token's user) may not do this: permissions, or the tier."""

    category = "FORBIDDEN"
    status = 403


def unstorable(text: str) -> str | None:
    """What keeps a text out of the databases, or None: PostgreSQL refuses NUL in text and jsonb,
    and neither database encodes a lone surrogate (what JSON's "\\ud800" escape decodes to)."""
    if "\x00" in text:
        return "contains a NUL character"
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return "is not valid Unicode text"
    return None


def check_texts(**fields: tuple[Any, int | None]) -> None:
    """`field=(text, limit)`: refuse a text its column cannot keep, naming the field: longer than
    the limit (PostgreSQL would fail the write, a 500, and SQLite keep it whole) or `unstorable`.
    Both databases answer the same 400."""
    for name, (text, limit) in fields.items():
        if not isinstance(text, str):
            continue
        shown = name.replace("__", ".")
        if limit is not None and len(text) > limit:
            raise ValidationFailed(f"{shown} has at most {limit} characters ({len(text)} given)",
                                   [FieldError(f"At most {limit} characters", "TOO_LONG", shown)])
        problem = unstorable(text)
        if problem:
            raise ValidationFailed(f"{shown} {problem}", [FieldError(f"The text {problem}", "INVALID_VALUE", shown)])
