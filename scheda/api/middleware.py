"""Around every API call: a correlation id, HubSpot's rate-limit headers, the optional per-token
limit, and HubSpot's error shape for errors raised outside the API's handlers (unknown paths,
wrong methods, oversized bodies)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse

from scheda.api.errors import correlation_id, error_response

API_PREFIXES = ("/crm/", "/crm-object-schemas/")
WINDOW_SECONDS = 10
UNLIMITED = 1_000_000


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES)


class ApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api(request):
            return self.get_response(request)
        correlation_id(request)
        started = time.perf_counter()
        limit = getattr(settings, "SCHEDA_API_RATE_LIMIT", 0)
        used = self.count(request) if limit else 0
        if limit and used > limit:
            response = error_response(request, 429, f"You have reached your limit of {limit} requests per {WINDOW_SECONDS} seconds",
                                      category="RATE_LIMITS")
            response["Retry-After"] = str(WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS)
        else:
            response = self.get_response(request)
            if response.status_code >= 400 and "application/json" not in response.get("Content-Type", ""):
                response = self.as_error(request, response)
        maximum = limit or UNLIMITED
        response["X-HubSpot-RateLimit-Interval-Milliseconds"] = str(WINDOW_SECONDS * 1000)
        response["X-HubSpot-RateLimit-Max"] = str(maximum)
        response["X-HubSpot-RateLimit-Remaining"] = str(max(maximum - used, 0))
        response["X-HubSpot-RateLimit-Secondly"] = str(maximum // WINDOW_SECONDS)
        response["X-HubSpot-RateLimit-Secondly-Remaining"] = str(max((maximum - used) // WINDOW_SECONDS, 0))
        response["X-HubSpot-RateLimit-Daily"] = str(UNLIMITED * 1000)
        response["X-HubSpot-RateLimit-Daily-Remaining"] = str(UNLIMITED * 1000)
        response["X-HubSpot-Correlation-Id"] = correlation_id(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return response

    @staticmethod
    def as_error(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        status = response.status_code
        messages = {404: f"No API endpoint at {request.method} {request.path}",
                    405: f"{request.method} is not allowed on {request.path}",
                    400: "The request could not be read", 413: "The request body is too large"}
        return error_response(request, status, messages.get(status, "The request failed"))

    @staticmethod
    def count(request: HttpRequest) -> int:
        from scheda.api.models import RequestCount

        header = request.headers.get("Authorization", "")
        key = hashlib.sha256(header.encode()).hexdigest()
        window = int(time.time()) // WINDOW_SECONDS
        with transaction.atomic():
            if not RequestCount.objects.filter(token_hash=key, window=window).update(count=F("count") + 1):
                try:
                    with transaction.atomic():
                        RequestCount.objects.create(token_hash=key, window=window, count=1)
                except IntegrityError:
                    RequestCount.objects.filter(token_hash=key, window=window).update(count=F("count") + 1)
            RequestCount.objects.filter(window__lt=window - 1).delete()
            return RequestCount.objects.get(token_hash=key, window=window).count


def json_body(request: HttpRequest) -> object:
    return json.loads(request.body or b"null")
