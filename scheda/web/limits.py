"""How large a request may be. A body over the limit is refused with 413 before anything reads
it (BodyLimit); an uploaded file is counted while it streams in and dropped the moment it passes
its form's limit, before it fills memory or the temporary folder (LimitedUploadHandler)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

# A refused body is read and thrown away up to this many bytes, so that a client that sends all
# of it before reading (most do) gets the 413 rather than a broken connection; past it the
# connection is dropped rather than hold a server thread.
DRAIN_BYTES = 64 * 1024 * 1024


def upload_limit(request: HttpRequest) -> int:
    """The largest file the view being called takes, in bytes."""
    from scheda.activities.services import MAX_EML_BYTES

    name = getattr(request.resolver_match, "url_name", None)
    return MAX_EML_BYTES if name == "upload_email" else settings.SCHEDA_MAX_ATTACHMENT_BYTES


class LimitedUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: passes each chunk on to Django's memory and temporary-file
    handlers until the file passes the limit, then skips the rest of that file (Django reads
    and discards it) and notes the field in `request.too_large_uploads`."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.limit = upload_limit(self.request) if self.request is not None else settings.SCHEDA_MAX_ATTACHMENT_BYTES

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            too_large: set[str] = getattr(self.request, "too_large_uploads", set())
            too_large.add(self.field_name)
            self.request.too_large_uploads = too_large  # type: ignore[union-attr]
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file


def too_large(request: HttpRequest, field: str = "file") -> bool:
    """Whether the upload in `field` was dropped for passing the limit."""
    return field in getattr(request, "too_large_uploads", ())


def body_limit(request: HttpRequest) -> int:
    """The largest body a request may have: DATA_UPLOAD_MAX_MEMORY_SIZE (which Django applies to
    form fields and to request.body), plus the largest file for a multipart upload."""
    from scheda.activities.services import MAX_EML_BYTES

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if request.content_type == "multipart/form-data":
        limit += max(MAX_EML_BYTES, settings.SCHEDA_MAX_ATTACHMENT_BYTES)
    return limit


class BodyLimit:
    """A request whose Content-Length passes body_limit gets 413 before any view or middleware
    reads it: HubSpot's error shape on the API, the message alone for htmx (scheda.js shows it
    where the answer was to go), a page otherwise. Without it Django answers 400 with no body
    while the client is still sending, which most clients see as a broken connection."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = body_limit(request)
        if length <= limit:
            return self.get_response(request)
        if length <= DRAIN_BYTES:
            stream = request.META["wsgi.input"]
            while length > 0 and (chunk := stream.read(min(length, 64 * 1024))):
                length -= len(chunk)
        return _refusal(request, 413, _("The request is larger than %(mb)s MB") % {"mb": limit // (1024 * 1024)})


class NulInUrl:
    """A NUL (%00) in a URL's path or query is a 400 saying where: no id, name or search of
    Scheda's holds one, and PostgreSQL fails any query that compares one (a 500: owners by
    e-mail, pipelines by id, the users page's search)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = self.nul_in(request)
        if where is None:
            return self.get_response(request)
        return _refusal(request, 400, _("The address holds a NUL character"), where)

    @staticmethod
    def nul_in(request: HttpRequest) -> str | None:
        """"path", the name of the query parameter holding a NUL, "query" if a name does, or None."""
        if "\x00" in request.path:
            return "path"
        for key, values in request.GET.lists():
            if "\x00" in key:
                return "query"
            if any("\x00" in value for value in values):
                return key
        return None


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: a body Django would not read (too many fields or files, form fields over
    DATA_UPLOAD_MAX_MEMORY_SIZE) is a 413 saying so; anything else Django refuses to read is a
    400. Both in the API's error shape on the API, as a message in the UI."""
    if isinstance(exception, TooManyFieldsSent):
        return _refusal(request, 413, _("The form sent more than %(count)s fields") % {"count": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS})
    if isinstance(exception, TooManyFilesSent):
        return _refusal(request, 413, _("The form sent more than %(count)s files") % {"count": settings.DATA_UPLOAD_MAX_NUMBER_FILES})
    if isinstance(exception, RequestDataTooBig):
        mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return _refusal(request, 413, _("The form's fields are larger than %(mb)s MB") % {"mb": mb})
    return _refusal(request, 400, _("The request could not be read"))


def _refusal(request: HttpRequest, status: int, message: str, field: str | None = None) -> HttpResponse:
    """`field`: the part of the request at fault, for the API's error (a 413's is the body)."""
    from scheda.api.middleware import is_api

    if is_api(request):
        from scheda.api.errors import error_response
        from scheda.errors import FieldError

        if status == 413:
            return error_response(request, status, message, [FieldError(message, "REQUEST_TOO_LARGE", "body")])
        return error_response(request, status, message, [FieldError(message, "INVALID_VALUE", field)] if field else None)
    template = "web/denied_message.html" if getattr(request, "htmx", False) else "web/refused.html"
    title = _("Request too large") if status == 413 else _("Bad request")
    return render(request, template, {"message": message, "title": title}, status=status)
