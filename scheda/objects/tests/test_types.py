"""The property type registry: what each type accepts, how it stores it, and what it refuses."""

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheda.objects.models import PropertyDefinition
from scheda.objects.types import (
    MAX_STRING_LENGTH,
    BoolType,
    DateTimeType,
    DateType,
    DomainType,
    EmailType,
    EnumerationType,
    HtmlType,
    MultiEnumerationType,
    NumberType,
    OwnerType,
    PhoneType,
    PropertyValueError,
    TextareaType,
    TextType,
    UrlType,
    WriteContext,
    format_datetime,
    type_for,
)

FIXED_WIDTH = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
OPTIONS = [
    {"label": "Red", "value": "red"},
    {"label": "Green", "value": "green"},
    {"label": "Blue", "value": "blue"},
]


def prop(type_="string", field_type="text", fmt="", options=None, referenced="", hint=""):
    return PropertyDefinition(
        name="p",
        label="P",
        type=type_,
        field_type=field_type,
        format=fmt,
        options=options or [],
        referenced_object_type=referenced,
        number_display_hint=hint,
    )


def normalise(p, raw, ctx=None):
    return type_for(p).normalise(p, raw, ctx or WriteContext())


def refused(p, raw, ctx=None) -> str:
    with pytest.raises(PropertyValueError) as caught:
        normalise(p, raw, ctx)
    return caught.value.code


# --- the registry ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "field_type", "fmt", "referenced", "expected"),
    [
        ("string", "text", "", "", TextType),
        ("string", "textarea", "", "", TextareaType),
        ("string", "html", "", "", HtmlType),
        ("string", "phonenumber", "", "", PhoneType),
        ("string", "text", "email", "", EmailType),
        ("string", "text", "url", "", UrlType),
        ("string", "text", "domain", "", DomainType),
        ("number", "number", "", "", NumberType),
        ("number", "calculation_equation", "", "", NumberType),
        ("date", "date", "", "", DateType),
        ("datetime", "date", "", "", DateTimeType),
        ("bool", "booleancheckbox", "", "", BoolType),
        ("phone_number", "phonenumber", "", "", PhoneType),
        ("enumeration", "select", "", "", EnumerationType),
        ("enumeration", "radio", "", "", EnumerationType),
        ("enumeration", "checkbox", "", "", MultiEnumerationType),
        ("enumeration", "booleancheckbox", "", "", BoolType),
        ("enumeration", "select", "", "OWNER", OwnerType),
    ],
)
def test_type_for(type_, field_type, fmt, referenced, expected):
    assert type(type_for(prop(type_, field_type, fmt, referenced=referenced))) is expected


def test_long_text_is_not_indexed():
    assert type_for(prop("string", "text")).indexed
    assert not type_for(prop("string", "textarea")).indexed
    assert not type_for(prop("string", "html")).indexed


# --- text -----------------------------------------------------------------------------------


def test_text_keeps_value_and_stringifies_numbers():
    p = prop()
    assert normalise(p, "  Ada Lovelace ") == "  Ada Lovelace "
    assert normalise(p, 42) == "42"
    assert normalise(p, 1.5) == "1.5"
    assert normalise(p, Decimal("2.50")) == "2.50"
    assert normalise(p, "x" * MAX_STRING_LENGTH) == "x" * MAX_STRING_LENGTH


@pytest.mark.parametrize("raw", [True, False, {"a": 1}, ["a"], object(), b"bytes"])
def test_text_refuses_non_text(raw):
    assert refused(prop(), raw) == "INVALID_TYPE"


def test_text_refuses_too_long():
    assert refused(prop(), "x" * (MAX_STRING_LENGTH + 1)) == "TOO_LONG"
    assert refused(prop("string", "textarea"), "x" * (MAX_STRING_LENGTH + 1)) == "TOO_LONG"


def test_html_is_sanitised():
    p = prop("string", "html")
    stored = normalise(p, '<p onclick="steal()">Hi <b>there</b><script>alert(1)</script></p>')
    assert "<script" not in stored
    assert "alert(1)" not in stored
    assert "onclick" not in stored
    assert stored == "<p>Hi <b>there</b></p>"
    assert (
        normalise(p, '<a href="javascript:alert(1)">x</a>') == '<a rel="noopener noreferrer">x</a>'
    )
    assert (
        normalise(p, '<span style="color: red">red</span>') == '<span style="color: red">red</span>'
    )
    assert refused(p, True) == "INVALID_TYPE"


# --- e-mail, URL, domain --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Ada@Example.COM", "ada@example.com"),
        ("  ada.lovelace+crm@example.co.uk ", "ada.lovelace+crm@example.co.uk"),
        ("o'brien@example.ie", "o'brien@example.ie"),
    ],
)
def test_email_is_lowercased_and_trimmed(raw, stored):
    assert normalise(prop(fmt="email"), raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "ada @example.com",
        "ada@@example.com",
        "ada@exa mple.com",
    ],
)
def test_email_refuses_bad_addresses(raw):
    assert refused(prop(fmt="email"), raw) == "INVALID_EMAIL"


def test_email_refuses_non_text():
    assert refused(prop(fmt="email"), ["a@b.com"]) == "INVALID_TYPE"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("https://example.com/about?x=1", "https://example.com/about?x=1"),
        ("http://example.com", "http://example.com"),
        ("example.com", "https://example.com"),
        ("  www.example.com/path ", "https://www.example.com/path"),
    ],
)
def test_url(raw, stored):
    assert normalise(prop(fmt="url"), raw) == stored


@pytest.mark.parametrize(
    "raw",
    ["ftp://example.com", "javascript:alert(1)", "not a url", "http://", "https://exa mple.com"],
)
def test_url_refuses_bad_urls(raw):
    assert refused(prop(fmt="url"), raw) == "INVALID_URL"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("example.com", "example.com"),
        ("https://www.Example.com/about", "example.com"),
        ("HTTP://Shop.Example.co.uk:8080/path?q=1", "shop.example.co.uk"),
        ("www.example.org", "example.org"),
        ("ada@example.com", "example.com"),
        ("example.com?ref=x", "example.com"),
        (" xn--bcher-kva.example ", "xn--bcher-kva.example"),
    ],
)
def test_domain_from_url(raw, stored):
    assert normalise(prop(fmt="domain"), raw) == stored


@pytest.mark.parametrize(
    "raw",
    ["localhost", "example", "https://", "exa mple.com", "-example.com", "example.c_m", "1.2.3.4"],
)
def test_domain_refuses_bad_domains(raw):
    assert refused(prop(fmt="domain"), raw) == "INVALID_DOMAIN"


# --- phone ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("+1 (555) 123-4567", "+1 (555) 123-4567"),
        ("  +39  02   1234 5678 ", "+39 02 1234 5678"),
        ("555.123.4567 ext. 89", "555.123.4567 ext. 89"),
        ("020 7946 0958 x12", "020 7946 0958 x12"),
        (5551234, "5551234"),
    ],
)
def test_phone(raw, stored):
    assert normalise(prop("string", "phonenumber"), raw) == stored
    assert normalise(prop("phone_number", "phonenumber"), raw) == stored


@pytest.mark.parametrize(
    "raw", ["call me", "12", "+--", "555-CALL-NOW", "+1 555 <script>", "1" * 41]
)
def test_phone_refuses_bad_numbers(raw):
    assert refused(prop("string", "phonenumber"), raw) == "INVALID_PHONE_NUMBER"


# --- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("42", 42),
        (" 42 ", 42),
        (42, 42),
        ("42.0", 42),
        ("-3.25", -3.25),
        (0.1, 0.1),
        ("1e3", 1000),
        (Decimal("12.50"), 12.5),
        ("999999999999999999", 999_999_999_999_999_999),
        ("-0", 0),
    ],
)
def test_number(raw, stored):
    value = normalise(prop("number", "number"), raw)
    assert value == stored
    assert type(value) is type(stored)


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "",
        "1,000",
        "12 apples",
        "NaN",
        "Infinity",
        "-inf",
        True,
        False,
        None,
        [1],
        "1e18",
        10**18,
        -(10**18),
    ],
)
def test_number_refuses_non_numbers(raw):
    assert refused(prop("number", "number"), raw) == "INVALID_NUMBER"


@pytest.mark.parametrize(
    ("stored", "api"),
    [
        (42, "42"),
        (-3.25, "-3.25"),
        (0.1, "0.1"),
        (1e-7, "0.0000001"),
        (123456789.125, "123456789.125"),
        (1e16 + 0.0, "10000000000000000"),
    ],
)
def test_number_to_api_never_uses_exponents(stored, api):
    assert NumberType().to_api(stored) == api


def test_number_display_hints():
    number = NumberType()
    assert number.display(prop("number", "number", hint="currency"), 1234.5) == "1,234.50"
    assert number.display(prop("number", "number", hint="probability"), 0.4) == "40%"
    assert number.display(prop("number", "number", hint="percentage"), 12.5) == "12.5%"
    assert number.display(prop("number", "number"), 7) == "7"


# Up to 15 significant digits (what a double holds exactly), anywhere from 1e-20 to 1e17.
decimals = st.builds(
    lambda mantissa, exponent: Decimal(mantissa).scaleb(exponent),
    st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1),
    st.integers(min_value=-20, max_value=2),
)


@given(number=decimals)
def test_number_round_trips(number):
    """Any number a float holds exactly to 15 significant digits comes back as it was sent."""
    p = prop("number", "number")
    for raw in (str(number), number):
        stored = normalise(p, raw)
        assert Decimal(NumberType().to_api(stored)) == number
        assert "e" not in NumberType().to_api(stored).lower()


@given(number=st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1))
def test_integers_round_trip_exactly(number):
    p = prop("number", "number")
    stored = normalise(p, str(number))
    assert stored == number and isinstance(stored, int)
    assert NumberType().to_api(stored) == str(number)


# --- booleans -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("TRUE", True),
        (" yes ", True),
        ("1", True),
        (1, True),
        ("on", True),
        ("false", False),
        ("No", False),
        ("0", False),
        (0, False),
        ("off", False),
    ],
)
def test_bool(raw, stored):
    assert normalise(prop("bool", "booleancheckbox"), raw) is stored
    assert normalise(prop("enumeration", "booleancheckbox"), raw) is stored


@pytest.mark.parametrize("raw", ["maybe", "", "2", 2, "truthy", None])
def test_bool_refuses(raw):
    assert refused(prop("bool", "booleancheckbox"), raw) == "INVALID_BOOLEAN"


def test_bool_to_api_and_display():
    assert BoolType().to_api(True) == "true"
    assert BoolType().to_api(False) == "false"
    assert BoolType().display(prop("bool", "booleancheckbox"), True) == "Yes"
    assert BoolType().display(prop("bool", "booleancheckbox"), False) == "No"


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("2024-02-29", "2024-02-29"),
        (" 2024-01-05 ", "2024-01-05"),
        (1704067200000, "2024-01-01"),
        ("1704067200000", "2024-01-01"),
        (-86400000, "1969-12-31"),
        ("2024-01-01T00:00:00Z", "2024-01-01"),
        ("2024-01-01T00:00:00.000Z", "2024-01-01"),
        ("2024-01-01T01:00:00+01:00", "2024-01-01"),
        ("2024-01-01T00:00:00", "2024-01-01"),
    ],
)
def test_date(raw, stored):
    assert normalise(prop("date", "date"), raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "2023-02-29",
        "2024-13-01",
        "01/02/2024",
        "yesterday",
        "2024-01-01T10:30:00Z",
        1704067200001,
        "2024-01-01T00:00:00+01:00",
        10**20,
        True,
    ],
)
def test_date_refuses(raw):
    assert refused(prop("date", "date"), raw) in {"INVALID_DATE", "INVALID_TYPE"}


def test_date_refusal_codes():
    assert refused(prop("date", "date"), "2023-02-29") == "INVALID_DATE"
    assert refused(prop("date", "date"), 1704067200001) == "INVALID_DATE"
    assert refused(prop("date", "date"), 10**20) == "INVALID_DATE"
    assert refused(prop("date", "date"), True) == "INVALID_TYPE"


# --- date and time --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("2024-03-01T10:15:30Z", "2024-03-01T10:15:30.000Z"),
        ("2024-03-01T10:15:30.123456Z", "2024-03-01T10:15:30.123Z"),
        ("2024-03-01T12:15:30+02:00", "2024-03-01T10:15:30.000Z"),
        ("2024-03-01T10:15:30", "2024-03-01T10:15:30.000Z"),
        ("2024-03-01", "2024-03-01T00:00:00.000Z"),
        ("2024-03-01t10:15:30z", "2024-03-01T10:15:30.000Z"),
        (1709288130123, "2024-03-01T10:15:30.123Z"),
        ("1709288130123", "2024-03-01T10:15:30.123Z"),
        (0, "1970-01-01T00:00:00.000Z"),
        ("0800-01-01T00:00:00Z", "0800-01-01T00:00:00.000Z"),
    ],
)
def test_datetime_is_fixed_width_utc(raw, stored):
    value = normalise(prop("datetime", "date"), raw)
    assert value == stored
    assert FIXED_WIDTH.match(value)


@pytest.mark.parametrize(
    "raw",
    [
        "next tuesday",
        "2024-03-01 25:00",
        "03/01/2024 10:00",
        10**20,
        "-99999999999999999",
        "0001-01-01T00:00:00+05:00",
    ],
)
def test_datetime_refuses(raw):
    assert refused(prop("datetime", "date"), raw) == "INVALID_DATE"


def test_datetime_refuses_non_text():
    assert refused(prop("datetime", "date"), [2024]) == "INVALID_TYPE"


aware = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
        lambda m: timezone(timedelta(minutes=m))
    ),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(a=aware, b=aware)
def test_datetimes_sort_like_the_moments(a, b):
    p = prop("datetime", "date")
    sa, sb = normalise(p, a.isoformat()), normalise(p, b.isoformat())
    assert FIXED_WIDTH.match(sa) and FIXED_WIDTH.match(sb)
    # To the millisecond, text order is time order.
    ta, tb = (
        a.replace(microsecond=a.microsecond // 1000 * 1000),
        b.replace(microsecond=b.microsecond // 1000 * 1000),
    )
    assert (sa < sb) == (ta < tb)
    assert (sa == sb) == (ta == tb)


@given(moment=aware)
def test_datetime_round_trips_to_the_millisecond(moment):
    stored = normalise(prop("datetime", "date"), moment.isoformat())
    back = datetime.fromisoformat(stored.replace("Z", "+00:00"))
    assert back == moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    # and storing the stored value again changes nothing
    assert normalise(prop("datetime", "date"), stored) == stored


@given(ms=st.integers(min_value=-62_135_596_800_000 + 86_400_000, max_value=253_402_300_799_000))
def test_datetime_from_epoch_ms(ms):
    stored = normalise(prop("datetime", "date"), ms)
    assert FIXED_WIDTH.match(stored)
    back = datetime.fromisoformat(stored.replace("Z", "+00:00"))
    assert back == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def test_format_datetime_pads_the_year():
    assert (
        format_datetime(datetime(5, 6, 7, 8, 9, 10, 11_999, tzinfo=UTC))
        == "0005-06-07T08:09:10.011Z"
    )


@given(day=st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_date_round_trips(day):
    p = prop("date", "date")
    assert normalise(p, day.isoformat()) == day.isoformat()


# --- enumerations ---------------------------------------------------------------------------


def test_enumeration():
    p = prop("enumeration", "select", options=OPTIONS)
    assert normalise(p, "red") == "red"
    assert normalise(p, " green ") == "green"
    assert refused(p, "Red") == "INVALID_OPTION"  # values, not labels, and case matters
    assert refused(p, "purple") == "INVALID_OPTION"
    assert refused(p, "red;green") == "INVALID_OPTION"
    assert refused(p, ["red"]) == "INVALID_TYPE"
    assert EnumerationType().display(p, "blue") == "Blue"
    assert EnumerationType().display(p, "gone") == "gone"


def test_multiple_checkboxes():
    p = prop("enumeration", "checkbox", options=OPTIONS)
    assert normalise(p, "red;blue") == "red;blue"
    assert normalise(p, " blue ; red ;") == "blue;red"
    assert normalise(p, ["green", "red", "green"]) == "green;red"
    assert normalise(p, "red;;red") == "red"
    assert refused(p, "red;purple") == "INVALID_OPTION"
    assert refused(p, ["red", 5]) == "INVALID_OPTION"
    assert refused(p, ["red", {"x": 1}]) == "INVALID_TYPE"
    assert MultiEnumerationType().display(p, "red;blue") == "Red, Blue"


# --- owners ---------------------------------------------------------------------------------


def test_owner_ids(owner, django_user_model):
    p = prop("enumeration", "select", referenced="OWNER")
    inactive = django_user_model.objects.create_user(
        "gone@example.com", "a-long-password-1", is_active=False
    )
    ctx = WriteContext()
    assert normalise(p, str(owner.pk), ctx) == str(owner.pk)
    assert normalise(p, owner.pk, ctx) == str(owner.pk)
    assert refused(p, str(inactive.pk), ctx) == "INVALID_OWNER_ID"
    assert refused(p, "999999", ctx) == "INVALID_OWNER_ID"
    assert refused(p, "olga", ctx) == "INVALID_OWNER_ID"
    assert refused(p, True, ctx) == "INVALID_TYPE"


def test_owner_ids_are_loaded_once(owner, django_assert_num_queries):
    p = prop("enumeration", "select", referenced="OWNER")
    ctx = WriteContext()
    with django_assert_num_queries(1):
        for _ in range(5):
            assert normalise(p, str(owner.pk), ctx) == str(owner.pk)
