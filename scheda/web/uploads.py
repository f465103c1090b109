"""Uploaded files are counted while they stream in: one over its form's limit is dropped the
moment it passes it, before it fills memory or the temporary folder, and the view is told."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest


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
        self.limit = upload_limit(self.request)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            too_large = getattr(self.request, "too_large_uploads", set())
            too_large.add(self.field_name)
            self.request.too_large_uploads = too_large  # type: ignore[union-attr]
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file


def too_large(request: HttpRequest, field: str = "file") -> bool:
    """Whether the upload in `field` was dropped for passing the limit."""
    return field in getattr(request, "too_large_uploads", ())
