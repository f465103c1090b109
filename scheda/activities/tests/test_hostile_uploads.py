"""Hostile uploads through the record page (Django's test client runs the real multipart parser
and upload handlers): files whose name or type lies, files over the limit (dropped while they
stream in), names that try to pick a folder or hide what they are, duplicate names, and the
headers every download is served with. There is no upload endpoint in the API."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler

from scheda.activities import services
from scheda.activities.models import Attachment
from scheda.records import services as records
from scheda.records.models import Record

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(rep):
    return records.create_record("contacts", {"email": "ada@example.com", "firstname": "Ada"}, rep)


def upload(browser, contact, name, content, content_type="application/octet-stream"):
    return browser.post(f"/contacts/{contact.pk}/attachments/", {"file": SimpleUploadedFile(name, content, content_type)},
                        HTTP_HX_REQUEST="true").content.decode()


def files_on_disk() -> list[Path]:
    return [path for path in Path(django_settings.MEDIA_ROOT).rglob("*") if path.is_file()]


class Recording(MemoryFileUploadHandler):
    """Stands after the limiting handler: records how far into a file it was handed."""

    seen: list[int] = []

    def receive_data_chunk(self, raw_data, start):
        self.seen.append(start + len(raw_data))
        return super().receive_data_chunk(raw_data, start)


def test_an_upload_over_the_limit_is_dropped_while_it_streams(browser, contact, settings):
    seen = Recording.seen
    seen.clear()
    settings.SCHEDA_MAX_ATTACHMENT_BYTES = 1024 * 1024
    settings.FILE_UPLOAD_HANDLERS = ["scheda.web.limits.LimitedUploadHandler", f"{__name__}.Recording",
                                     "django.core.files.uploadhandler.TemporaryFileUploadHandler"]
    before = files_on_disk()
    card = upload(browser, contact, "big.pdf", b"%PDF-" + b"x" * (3 * 1024 * 1024))
    assert 'id="attachment-file-error" role="alert">The file is larger than 1 MB</p>' in card
    assert Attachment.objects.count() == 0 and files_on_disk() == before
    assert seen and max(seen) <= 1024 * 1024  # never more than the limit was read into a file

    # An .eml over its own limit: the same, with the e-mail form's message next to its field.
    seen.clear()
    limit = services.MAX_EML_BYTES
    answer = browser.post(f"/record/{contact.pk}/emails/upload/",
                          {"record": contact.pk, "file": SimpleUploadedFile("big.eml", b"x" * (limit + 64 * 1024))},
                          HTTP_HX_REQUEST="true").content.decode()
    assert 'id="eml-file-error" role="alert"' in answer and "The message is larger than 25 MB" in answer
    assert max(seen) <= limit and Record.objects.filter(object_type__name="emails").count() == 0


@pytest.mark.parametrize(("name", "content", "content_type", "message"), [
    ("setup.exe", b"MZ\x90\x00", "image/png", "cannot be attached"),
    ("photo.png", b"MZ\x90\x00 a program", "image/png", "is not a .png file"),
    ("invoice.pdf", b"<html><script>alert(1)</script>", "application/pdf", "is not a .pdf file"),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/png", "cannot be attached"),
    ("page.html", b"<script>alert(1)</script>", "text/plain", "cannot be attached"),
    ("photo.jpg", b"GIF89a", "image/jpeg", "is not a .jpg file"),
    ("report.docx", b"<xml/>", "application/pdf", "is not a .docx file"),
    ("empty.txt", b"", "text/plain", "The file is empty"),
    (".htaccess", b"Options +ExecCGI", "text/plain", "cannot be attached"),
    ("run.php.", b"<?php system($_GET[1]);", "text/plain", "cannot be attached"),
])
def test_a_file_that_lies_about_its_type_is_refused_next_to_the_field(browser, contact, name, content, content_type, message):
    before = files_on_disk()
    card = upload(browser, contact, name, content, content_type)
    error = re.search(r'<p class="field-error" id="attachment-file-error" role="alert">([^<]*)</p>', card)
    assert error and message in error.group(1), card
    assert 'aria-describedby="attachment-file-error"' in card
    assert Attachment.objects.count() == 0 and files_on_disk() == before


@pytest.mark.parametrize(("sent", "listed"), [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("/etc/cron.d/job.txt", "job.txt"),
    ("..\\..\\windows\\win.txt", "win.txt"),
    ("C:\\Users\\ada\\notes.txt", "notes.txt"),
    ("report\u202etxt.exe.txt", "reporttxt.exe.txt"),  # the override would show it as "report" + "txt.exe" reversed
    ("con.txt", "_con.txt"),
    ("..txt", "txt"),  # no extension left: refused below
    ("x" * 400 + ".txt", "x" * 251 + ".txt"),
    ("...hidden.txt", "hidden.txt"),
    ("trailing.txt. . ", "trailing.txt"),
])
def test_a_file_name_picks_no_folder_and_hides_nothing(browser, contact, sent, listed):
    card = upload(browser, contact, sent, b"plain text")
    if listed == "txt":
        assert "cannot be attached" in card and Attachment.objects.count() == 0
        return
    (kept,) = Attachment.objects.all()
    assert kept.name == listed
    root = Path(django_settings.MEDIA_ROOT).resolve()
    stored = Path(kept.file.path).resolve()
    assert stored.is_relative_to(root / "attachments") and stored.read_bytes() == b"plain text"
    assert re.fullmatch(r"[0-9a-f]{32}\.txt", stored.name)  # on disk under a name of ours
    download = browser.get(f"/attachments/{kept.pk}/")
    assert download["Content-Disposition"].startswith("attachment;")
    assert "/" not in download["Content-Disposition"] and "\\" not in download["Content-Disposition"]


def test_control_characters_in_a_name_cannot_split_the_download_header(rep, contact, browser):
    """The multipart parser drops some of these itself; the service sees them from an .eml or a
    future import, so it is tested directly too."""
    kept = services.attach_file(contact, "a\x00b\r\nSet-Cookie: x=1.txt", b"text", rep)
    assert kept.name == "abSet-Cookie: x=1.txt"
    download = browser.get(f"/attachments/{kept.pk}/")
    assert download.status_code == 200 and "Set-Cookie" not in download.headers and not download.cookies.get("x")


def test_two_files_of_one_name_are_two_files(browser, contact):
    upload(browser, contact, "quote.pdf", b"%PDF-first")
    upload(browser, contact, "quote.pdf", b"%PDF-second")
    first, second = Attachment.objects.order_by("pk")
    assert first.name == second.name == "quote.pdf" and first.file.name != second.file.name
    assert b"".join(browser.get(f"/attachments/{first.pk}/").streaming_content) == b"%PDF-first"
    assert b"".join(browser.get(f"/attachments/{second.pk}/").streaming_content) == b"%PDF-second"


HOSTILE_EML = b"""From: Eve <eve@example.com>
To: Ada <ada@example.com>
Subject: Files
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain

See attached.
--b1
Content-Type: text/html
Content-Disposition: attachment; filename="../../page.html"

<script>alert(document.cookie)</script>
--b1
Content-Type: image/svg+xml
Content-Disposition: attachment; filename="logo.svg"

<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>
--b1
Content-Type: image/png
Content-Disposition: attachment; filename="=?utf-8?q?evil=0D=0ASet-Cookie=3A_x=3D1=E2=80=AEgnp.exe?="

MZ
--b1--
"""


def test_downloads_are_attachments_of_our_types_never_sniffed_never_a_page(browser, contact, rep):
    text = services.attach_file(contact, "notes.txt", b"<html><script>alert(1)</script></html>", rep)
    download = browser.get(f"/attachments/{text.pk}/")
    assert download["Content-Type"] == "text/plain"
    assert download["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert download["X-Content-Type-Options"] == "nosniff" and download["Content-Security-Policy"].startswith("sandbox")

    services.log_email_message(HOSTILE_EML, rep, on=[contact])
    kept = {a.name: a for a in Attachment.objects.filter(activity__isnull=False)}
    assert set(kept) == {"page.html", "logo.svg", "evilSet-Cookie: x=1gnp.exe"}
    root = Path(django_settings.MEDIA_ROOT).resolve() / "attachments"
    for attachment in kept.values():
        assert attachment.content_type == "application/octet-stream"  # not the message's text/html or image/svg+xml
        assert Path(attachment.file.path).resolve().is_relative_to(root)
        assert re.fullmatch(r"[0-9a-f]{32}", Path(attachment.file.name).name)  # no extension we do not serve
        download = browser.get(f"/attachments/{attachment.pk}/")
        assert download["Content-Type"] == "application/octet-stream" and download["Content-Disposition"].startswith("attachment;")
        assert download["X-Content-Type-Options"] == "nosniff" and "Set-Cookie" not in download.headers

    # A row written before the types were ours keeps what the message said; it is served as bytes anyway.
    Attachment.objects.filter(pk=kept["page.html"].pk).update(content_type="text/html")
    assert browser.get(f"/attachments/{kept['page.html'].pk}/")["Content-Type"] == "application/octet-stream"


def test_uploaded_files_are_not_served_from_the_data_folder(browser, contact, rep):
    kept = services.attach_file(contact, "notes.txt", b"text", rep)
    assert browser.get(f"/{django_settings.MEDIA_URL}{kept.file.name}").status_code == 404
    assert browser.get(f"/files/{kept.file.name}").status_code == 404


@pytest.mark.parametrize(("name", "content", "message"), [
    ("message.eml", b"MZ\x90\x00\x03 not an e-mail", "needs a From and a To address"),
    ("message.eml", b"", "The message is empty"),
    ("message.eml", b"\x1f\x8b\x08\x00" + b"\x00" * 64, "needs a From and a To address"),  # gzip: nothing unpacks it
    ("message.eml", b"From: a@example.com\nTo: b@example.com\n\n", "neither subject nor body"),
])
def test_an_eml_that_is_not_an_email_is_refused_next_to_the_field(browser, contact, name, content, message):
    answer = browser.post(f"/record/{contact.pk}/emails/upload/",
                          {"record": contact.pk, "file": SimpleUploadedFile(name, content, "message/rfc822")},
                          HTTP_HX_REQUEST="true").content.decode()
    error = re.search(r'<p class="field-error" id="eml-file-error" role="alert">([^<]*)</p>', answer)
    assert error and message in error.group(1), answer
    assert Record.objects.filter(object_type__name="emails").count() == 0 and Attachment.objects.count() == 0
