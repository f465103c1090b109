"""The signed-in user's language wins over the browser's Accept-Language."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


class UserLanguageMiddleware:
    """After AuthenticationMiddleware (and Django's LocaleMiddleware, which picked the browser's
    language): a user who chose a language gets it on every page. Requests without a session
    (the API, with its tokens) are left alone, so they cost no query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if request.session.session_key and user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class ForbiddenPage:
    """A page or htmx request refused by a permission or the tier (scheda.errors.Forbidden,
    raised by scheda.accounts.permissions and .tiers) gets a 403 page saying why, or, for
    htmx, the message alone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.shortcuts import render

        from scheda.errors import Forbidden

        if not isinstance(exception, Forbidden):
            return None
        template = "web/denied_message.html" if getattr(request, "htmx", False) else "web/denied.html"
        return render(request, template, {"message": exception.message, "context": exception.context}, status=403)
