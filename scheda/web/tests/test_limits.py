"""Oversized requests to the UI: a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields, form
fields over the limit in an upload form. Each is answered with a message (the fragment for htmx,
which scheda.js shows where the answer was to go; a page otherwise) and writes nothing."""

import html
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from scheda.records import services as records
from scheda.records.models import PropertyChange, Record

pytestmark = pytest.mark.django_db
MiB = 1024 * 1024


@pytest.fixture
def contact(rep):
    return records.create_record("contacts", {"email": "ada@example.com", "firstname": "Ada"}, rep)


def unchanged(contact) -> bool:
    return (Record.objects.get(pk=contact.pk).properties["firstname"] == "Ada"
            and PropertyChange.objects.filter(record_id=contact.pk).count() == 1)


def alert(page: str) -> str:
    found = re.search(r'role="alert">([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else page[:500]


def test_a_body_over_the_limit_is_413_with_a_message_before_anything_reads_it(browser, contact):
    body = "firstname=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    url = f"/contacts/{contact.pk}/property/firstname/"
    answer = browser.post(url, body, content_type="application/x-www-form-urlencoded", HTTP_HX_REQUEST="true")
    assert answer.status_code == 413 and alert(answer.content.decode()) == "The request is larger than 20 MB"
    page = browser.post(url, body, content_type="application/x-www-form-urlencoded")
    assert page.status_code == 413 and "<h1>Request too large</h1>" in page.content.decode()
    assert unchanged(contact)


@pytest.mark.parametrize("url", ["/settings/users/?q=a%00b", "/contacts/?q=a%00b", "/contacts/{id}/?x%00=1"])
def test_a_nul_in_the_address_is_400_with_a_message(browser, contact, owner, url):
    """The users page's search compared it in PostgreSQL (a 500); no search or id holds one."""
    owner.is_superuser = True
    owner.save()
    answer = browser.get(url.format(id=contact.pk), HTTP_HX_REQUEST="true")
    assert answer.status_code == 400 and alert(answer.content.decode()) == "The address holds a NUL character"
    page = browser.post(url.format(id=contact.pk), {"firstname": "Eve"})
    assert page.status_code == 400 and "<h1>Bad request</h1>" in page.content.decode() and unchanged(contact)


def test_too_many_fields_is_413_with_a_message(browser, contact):
    fields = {f"f{i}": "x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    answer = browser.post(f"/contacts/{contact.pk}/property/firstname/", {"firstname": "Eve", **fields}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 413 and alert(answer.content.decode()) == "The form sent more than 1000 fields"
    assert unchanged(contact)


def test_form_fields_over_the_limit_in_an_upload_form_are_413_with_a_message(browser, contact, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = MiB  # the pasted message alone passes it; the body does not
    answer = browser.post(f"/record/{contact.pk}/emails/upload/",
                          {"record": contact.pk, "raw": "x" * (MiB + 1), "file": SimpleUploadedFile("a.eml", b"From: a")},
                          HTTP_HX_REQUEST="true")
    assert answer.status_code == 413 and alert(answer.content.decode()) == "The form's fields are larger than 1 MB"
    assert Record.objects.filter(object_type__name="emails").count() == 0
