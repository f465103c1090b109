"""Uploaded files on disk: written through to the disk before their row commits, and `scheda
sweep_files` deletes those no attachment points at once they are older than the upload window;
files rows point at, and young files, are kept."""

import os
import time
from datetime import timedelta

import pytest
from django.core.management import call_command

from scheda.activities import services
from scheda.activities.tests.test_timeline import EML
from scheda.records import services as records

pytestmark = pytest.mark.django_db


def _age(path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_an_attachment_is_on_the_disk_before_its_row_commits(settings, tmp_path, rep, monkeypatch):
    """The file and its folder are synced (a power cut after the commit keeps the bytes)."""
    settings.MEDIA_ROOT = tmp_path
    contact = records.create_record("contacts", {"email": "ada@example.com"}, rep)
    synced: list[str] = []
    fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda descriptor: synced.append(os.readlink(f"/proc/self/fd/{descriptor}")) or fsync(descriptor))
    uploaded = services.attach_file(contact, "kept.txt", b"kept", rep)
    path = tmp_path / uploaded.file.name
    assert path.read_bytes() == b"kept"
    assert synced == [str(path), str(path.parent)]


def test_sweep_deletes_old_files_no_row_points_at(settings, tmp_path, rep, capsys):
    settings.MEDIA_ROOT = tmp_path
    contact = records.create_record("contacts", {"email": "ada@example.com"}, rep)
    uploaded = services.attach_file(contact, "kept.txt", b"kept", rep)
    logged = services.log_email_message(EML, rep, on=[contact])
    of_email = services.Attachment.objects.get(activity=logged)
    (tmp_path / "attachments" / "old").mkdir(parents=True)
    stray, young = tmp_path / "attachments" / "old" / "stray.pdf", tmp_path / "attachments" / "young.pdf"
    stray.write_bytes(b"%PDF-1.4 left by a killed upload")
    young.write_bytes(b"%PDF-1.4 an upload still committing")
    for path in (stray, tmp_path / uploaded.file.name, tmp_path / of_email.file.name):
        _age(path, 2)
    _age(young, 0.5)
    assert services.sweep_files(timedelta(hours=1)) == ["attachments/old/stray.pdf"]
    assert not stray.exists() and young.exists()
    assert (tmp_path / uploaded.file.name).read_bytes() == b"kept" and (tmp_path / of_email.file.name).exists()
    call_command("sweep_files", "--older-than", "0")
    assert not young.exists() and (tmp_path / uploaded.file.name).exists()
    assert capsys.readouterr().out.strip() == "Deleted 1 file no attachment points at"


def test_sweep_of_a_data_dir_without_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    assert services.sweep_files(timedelta(0)) == []
