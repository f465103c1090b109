"""The request id, and one access-log line per request."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

from scheda.operations.logs import current_request_id

access_log = logging.getLogger("scheda.request")

# A proxy's or client's id is kept if it is a plain token; anything else could forge log lines.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id(request: HttpRequest) -> str:
    """The request's id: from X-Request-ID if sane, else a new uuid4 (also for a request that did
    not pass through RequestId, as in RequestFactory tests)."""
    if not hasattr(request, "request_id"):
        sent = request.headers.get("X-Request-ID", "")
        request.request_id = sent if SANE_REQUEST_ID.fullmatch(sent) else str(uuid.uuid4())  # type: ignore[attr-defined]
    return request.request_id  # type: ignore[attr-defined]


def user_id(request: HttpRequest) -> int | None:
    """Who made the request, without a query of its own: an API token's user, or the signed-in
    user if something already read the session."""
    token = getattr(request, "auth", None)
    if token is not None:
        return getattr(token, "user_id", None)
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


def forget_request_id(**kwargs: object) -> None:
    current_request_id.set(None)


class RequestId:
    """First in MIDDLEWARE: every later middleware, view and log record sees the id. It is
    forgotten when the response is closed, not when this middleware returns, so that Django's
    own "Not Found: /path" line, logged after the middleware, still carries it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.static_url = settings.STATIC_URL or "/static/"
        request_finished.connect(forget_request_id, dispatch_uid="scheda.operations.forget_request_id")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        current_request_id.set(request_id(request))
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        self.log(request, response, started)
        return response

    def log(self, request: HttpRequest, response: HttpResponse, started: float) -> None:
        # Static files and passing health probes (every few seconds per load balancer) are noise.
        if request.path.startswith(self.static_url) or (request.path_info == "/health/" and response.status_code == 200):
            return
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        user = user_id(request)
        access_log.info(
            "%s %s %s %.1f ms%s", request.method, request.path, response.status_code, duration_ms,
            f" user {user}" if user else "",
            extra={"method": request.method, "path": request.path, "status": response.status_code,
                   "duration_ms": duration_ms, "user_id": user})
