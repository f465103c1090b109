"""The request id of the request being served, and the log formats that carry it.

`RequestIdFilter` sits on the console handler (settings.LOGGING), so every record that reaches
it, from Scheda, Django or a library, gets `request_id`: the id of the request this thread is
serving, or None outside a request. SCHEDA_LOG_FORMAT picks `TextFormatter` (default) or
`JsonFormatter`, one JSON object per line."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

current_request_id: ContextVar[str | None] = ContextVar("scheda_request_id", default=None)

# What the access log adds to its records (RequestId middleware), copied into the JSON object.
REQUEST_FIELDS = ("method", "path", "status", "duration_ms", "user_id")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get()
        return True


class TextFormatter(logging.Formatter):
    """`2026-11-27 09:10:11,123 INFO [request id] logger: message`, the traceback below."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.request_id = request_id or "-"
        try:
            return super().format(record)
        finally:
            record.request_id = request_id  # other handlers see the record as it was


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for field in REQUEST_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)
