"""Where uploaded files live: the file system, written to disk before the row naming them commits.
Django's FileSystemStorage leaves a new file in the OS's cache, so a power cut after the commit
could keep an attachment's row and lose its bytes; this storage syncs the file and its folder."""

from __future__ import annotations

import os

from django.core.files.storage import FileSystemStorage


class DurableFileStorage(FileSystemStorage):
    def save(self, name, content, max_length=None):
        name = super().save(name, content, max_length=max_length)
        path = self.path(name)
        for target, flags in ((path, os.O_RDONLY), (os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY)):
            descriptor = os.open(target, flags)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        return name
