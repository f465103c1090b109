"""Hostile values for every property type, written through create_record: a write either stores
the type's normal form or fails naming exactly that property, never with another exception (a
500 to the user) and never having written anything.

50 examples a test by default; `HYPOTHESIS_PROFILE=long` for 2,000 (settings in hostile.py):

    HYPOTHESIS_PROFILE=long .venv/bin/pytest -q scheda/records/tests/test_properties_hypothesis.py
"""

import re
from html.parser import HTMLParser

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from scheda.errors import ValidationFailed
from scheda.objects import services as objects
from scheda.objects.services import load_schema
from scheda.objects.types import WriteContext
from scheda.records import services as records
from scheda.records.models import PropertyChange, Record
from scheda.records.tests.hostile import fuzz, hostile

pytestmark = pytest.mark.django_db

OPTIONS = [{"label": "Red", "value": "red"}, {"label": "Blue", "value": "blue"}, {"label": "Dark green", "value": "dark green"}]
# One property of every type and field type a user can create, named after it.
PROPERTIES = {
    "fz_text": {"type": "string", "field_type": "text"},
    "fz_textarea": {"type": "string", "field_type": "textarea"},
    "fz_html": {"type": "string", "field_type": "html"},
    "fz_email": {"type": "string", "field_type": "text", "format": "email"},
    "fz_url": {"type": "string", "field_type": "text", "format": "url"},
    "fz_domain": {"type": "string", "field_type": "text", "format": "domain"},
    "fz_phone": {"type": "string", "field_type": "phonenumber"},
    "fz_phone_number": {"type": "phone_number", "field_type": "phonenumber"},
    "fz_number": {"type": "number", "field_type": "number"},
    "fz_date": {"type": "date", "field_type": "date"},
    "fz_datetime": {"type": "datetime", "field_type": "date"},
    "fz_select": {"type": "enumeration", "field_type": "select", "options": OPTIONS},
    "fz_radio": {"type": "enumeration", "field_type": "radio", "options": OPTIONS},
    "fz_checkbox": {"type": "enumeration", "field_type": "checkbox", "options": OPTIONS},
    "fz_yes_no": {"type": "enumeration", "field_type": "booleancheckbox",
                  "options": [{"label": "Yes", "value": "true"}, {"label": "No", "value": "false"}]},
    "fz_bool": {"type": "bool", "field_type": "booleancheckbox"},
}
# The owner property every object has.
NAMES = [*PROPERTIES, "hubspot_owner_id"]


@pytest.fixture
def fuzz_properties(db):
    contacts = objects.get_object_type("contacts")
    for name, definition in PROPERTIES.items():
        objects.create_property(contacts, {"name": name, "label": name.replace("_", " "), **definition})
    return load_schema("contacts")


def written() -> tuple[int, int]:
    return Record.objects.count(), PropertyChange.objects.count()


def check_write(schema, rep, name, raw):
    """One hostile write: stored in normal form, or refused naming `name` with nothing written."""
    before = written()
    try:
        record = records.create_record("contacts", {name: raw}, rep)
    except ValidationFailed as exc:
        assert exc.errors and {error.name for error in exc.errors} == {name}, exc.errors
        assert written() == before
        return None
    stored = record.properties.get(name)
    if stored is not None:
        # The normal form normalises to itself, and reading the record back gives it unchanged.
        assert schema.types[name].normalise(schema.properties[name], stored, WriteContext()) == stored
        assert Record.objects.get(pk=record.pk).properties[name] == stored
    return stored


@pytest.mark.parametrize("name", NAMES)
@fuzz
@given(raw=hostile)
@example(raw="a\x00b")  # PostgreSQL's jsonb cannot hold NUL: refused, not a database error
@example(raw="\ud800")  # a lone surrogate (JSON's "\ud800") cannot be encoded for the database
@example(raw=10**5000)  # more digits than Python turns into text
@example(raw="0001-01-01T00:00:00+01:00")  # before year 1 in UTC
def test_any_value_is_stored_normalised_or_refused_naming_the_property(fuzz_properties, rep, name, raw):
    check_write(fuzz_properties, rep, name, raw)


@pytest.mark.parametrize("name", NAMES)
def test_an_owner_id_and_the_options_are_accepted(fuzz_properties, rep, owner, name):
    """The hostile values above are mostly refused: the values each property takes are stored."""
    good = {"fz_email": " Ada@Example.COM", "fz_url": "example.com/x", "fz_domain": "https://www.Example.com/about",
            "fz_phone": "+44 20 7946 0000", "fz_phone_number": "020 7946 0000 ext 12", "fz_number": "12.50",
            "fz_date": "2024-02-29", "fz_datetime": 1_700_000_000_123, "fz_select": "red", "fz_radio": " blue",
            "fz_checkbox": ["red", "dark green", "red"], "fz_yes_no": "true", "fz_bool": "yes",
            "hubspot_owner_id": owner.pk, "fz_html": "<p>Hi</p>"}.get(name, "Ada")
    assert check_write(fuzz_properties, rep, name, good) is not None


@fuzz
@given(raw=hostile)
def test_an_update_is_stored_normalised_or_refused_leaving_the_record(fuzz_properties, rep, raw):
    record = records.create_record("contacts", {"fz_text": "kept", "fz_number": 1}, rep)
    before = PropertyChange.objects.count()
    for name in ("fz_number", "fz_date", "fz_checkbox", "fz_email"):
        try:
            records.update_record(Record.objects.get(pk=record.pk), {name: raw}, rep)
        except ValidationFailed as exc:
            assert {error.name for error in exc.errors} == {name}, exc.errors
            assert PropertyChange.objects.count() == before
            assert Record.objects.get(pk=record.pk).properties == record.properties
        else:
            record = Record.objects.get(pk=record.pk)
            before = PropertyChange.objects.count()


class ScriptFinder(HTMLParser):
    """What a browser would run in stored HTML: script elements, on* handlers, javascript: links."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed"):
            self.found.append(tag)
        for attribute, value in attrs:
            if attribute.startswith("on"):
                self.found.append(attribute)
            if value and "javascript:" in re.sub(r"[\x00-\x20]", "", value).lower():
                self.found.append(value)


html_pieces = st.sampled_from([
    "<script>alert(1)</script>", "<SCRIPT SRC=//x.example/x.js></SCRIPT>", '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>', '<a href="JaVaScRiPt:alert(1)">x</a>', '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<svg onload=alert(1)>', '<p onclick="x()">p</p>', '<span style="color:red" onmouseover=x>s</span>',
    '<iframe src="javascript:alert(1)"></iframe>', "<b>", "</p>", "<", ">", '"', "'", "=", " on", "load=", "<a href=",
    '<font color="red">f</font>', "<!--", "-->", "<![CDATA[", "<style>*{}</style>", "&lt;script&gt;",
])


@fuzz
@given(html=st.lists(st.one_of(html_pieces, st.text(max_size=8)), max_size=12).map("".join))
@example(html='<a href="javascript:alert(1)" onclick="x()">x</a><script>alert(1)</script>')
def test_rich_text_keeps_no_script(fuzz_properties, rep, html):
    """A note body or any rich-text value, however it is built, is stored without a script
    element, an on* handler or a javascript: link."""
    stored = check_write(fuzz_properties, rep, "fz_html", html)
    if stored is not None:
        finder = ScriptFinder()
        finder.feed(stored)
        assert finder.found == [], stored
