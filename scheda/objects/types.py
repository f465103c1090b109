"""The registry of property types: the one place where a type's behaviour lives.

Each class takes what a user, an import or the API sent and returns the value as it is stored
(a JSON scalar in `Record.properties`), or raises PropertyValueError naming what is wrong.
`to_api` renders a stored value the way HubSpot sends it: always a string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

import nh3
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext as _

from scheda.errors import unstorable

if TYPE_CHECKING:
    from scheda.objects.models import PropertyDefinition

MAX_STRING_LENGTH = 65_536


class PropertyValueError(ValueError):
    """A value a property cannot take. `code` is HubSpot's error code for it."""

    def __init__(self, message: str, code: str = "INVALID_VALUE"):
        super().__init__(message)
        self.message = message
        self.code = code


def shown(raw: Any) -> str:
    """A value as an error message quotes it: cut short, and never failing itself (Python will
    not turn an int of more than 4,300 digits into text)."""
    try:
        quoted = repr(raw)
    except ValueError:
        return "a number too long to show"
    return quoted if len(quoted) <= 200 else quoted[:200] + "..."


@dataclass
class WriteContext:
    """What validation needs from the database, loaded once per write (or batch), not per value."""

    _owner_ids: set[str] | None = field(default=None, repr=False)
    _pipelines: dict[int, list] = field(default_factory=dict, repr=False)

    @property
    def owner_ids(self) -> set[str]:
        if self._owner_ids is None:
            from scheda.accounts.models import User

            self._owner_ids = {str(pk) for pk in User.objects.filter(is_active=True).values_list("pk", flat=True)}
        return self._owner_ids

    def pipelines(self, object_type) -> list:
        if object_type.pk not in self._pipelines:
            from scheda.pipelines.services import pipelines_of

            self._pipelines[object_type.pk] = pipelines_of(object_type)
        return self._pipelines[object_type.pk]


Stored = str | int | float | bool


class PropertyType:
    """Base: a type normalises input to a stored value and renders it back."""

    # Long free text is matched by the text search, not sorted or filtered by equality.
    indexed: ClassVar[bool] = True

    def normalise(self, prop: PropertyDefinition, raw: Any, ctx: WriteContext) -> Stored:
        raise NotImplementedError

    def to_api(self, value: Stored) -> str:
        return str(value)

    def display(self, prop: PropertyDefinition, value: Stored) -> str:
        return self.to_api(value)

    @staticmethod
    def text(raw: Any) -> str:
        if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
            raise PropertyValueError(f"{shown(raw)} is not a text value", "INVALID_TYPE")
        try:
            value = str(raw)
        except ValueError:  # an int of more digits than Python turns into text
            raise PropertyValueError(f"is longer than {MAX_STRING_LENGTH} characters", "TOO_LONG") from None
        if len(value) > MAX_STRING_LENGTH:
            raise PropertyValueError(f"is longer than {MAX_STRING_LENGTH} characters", "TOO_LONG")
        problem = unstorable(value)  # refused here rather than failing in the database
        if problem:
            raise PropertyValueError(problem, "INVALID_VALUE")
        return value


class TextType(PropertyType):
    def normalise(self, prop, raw, ctx):
        return self.text(raw)


class TextareaType(TextType):
    indexed = False


class HtmlType(PropertyType):
    """Rich text (notes, e-mail bodies): user HTML, sanitised on write."""

    indexed = False
    TAGS = nh3.ALLOWED_TAGS | {"span", "u", "s", "font"}
    ATTRIBUTES = {**nh3.ALLOWED_ATTRIBUTES, "span": {"style"}, "font": {"color"}, "*": {"title"}}
    # Built once: nh3.clean converts the allowed tags and attributes on every call (56 µs a
    # short note, 4 µs with a Cleaner; a fifth of a batch of notes, profiled).
    CLEANER = nh3.Cleaner(tags=TAGS, attributes=ATTRIBUTES)

    def normalise(self, prop, raw, ctx):
        return self.CLEANER.clean(self.text(raw))


_TEXT_ONLY = nh3.Cleaner(tags=set())


def plain_text(html: str) -> str:
    """The text of user HTML, every tag dropped (search text, previews)."""
    return _TEXT_ONLY.clean(html) if "<" in html else html


class EmailType(PropertyType):
    validator = EmailValidator()
    # Most addresses match this at once; the rest get Django's full check.
    PLAIN = re.compile(r"^[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})*\.[a-z]{2,63}$")

    def normalise(self, prop, raw, ctx):
        value = self.text(raw).strip().lower()
        if self.PLAIN.match(value) and ".." not in value and ".@" not in value and not value.startswith("."):
            return value
        try:
            self.validator(value)
        except ValidationError:
            raise PropertyValueError(f"{value!r} is not a valid e-mail address", "INVALID_EMAIL") from None
        return value


class UrlType(PropertyType):
    validator = URLValidator(schemes=["http", "https"])

    def normalise(self, prop, raw, ctx):
        value = self.text(raw).strip()
        if "://" not in value:
            value = f"https://{value}"
        try:
            self.validator(value)
        except ValidationError:
            raise PropertyValueError(f"{shown(raw)} is not a valid URL", "INVALID_URL") from None
        return value


class DomainType(PropertyType):
    """A company domain: "https://www.Example.com/about" is stored as "example.com"."""

    PATTERN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$")

    def normalise(self, prop, raw, ctx):
        value = self.text(raw).strip().lower()
        value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value).split("/")[0].split("?")[0]
        value = value.split("@")[-1].split(":")[0].removeprefix("www.")
        if not self.PATTERN.match(value):
            raise PropertyValueError(f"{shown(raw)} is not a valid domain", "INVALID_DOMAIN")
        return value


class PhoneType(PropertyType):
    PATTERN = re.compile(r"^\+?[0-9 ().\-/]{3,40}(?:\s*(?:ext\.?|x|#)\s*[0-9]{1,10})?$", re.I)

    def normalise(self, prop, raw, ctx):
        value = " ".join(self.text(raw).split())
        if not self.PATTERN.match(value) or sum(c.isdigit() for c in value) < 3:
            raise PropertyValueError(f"{shown(raw)} is not a valid phone number", "INVALID_PHONE_NUMBER")
        return value


class NumberType(PropertyType):
    def normalise(self, prop, raw, ctx):
        if isinstance(raw, bool):
            raise PropertyValueError(f"{shown(raw)} is not a number", "INVALID_NUMBER")
        try:
            number = Decimal(raw.strip() if isinstance(raw, str) else str(raw))
        except (InvalidOperation, TypeError, ValueError):
            raise PropertyValueError(f"{shown(raw)} is not a number", "INVALID_NUMBER") from None
        if not number.is_finite() or abs(number) >= Decimal(10) ** 18:
            raise PropertyValueError(f"{shown(raw)} is not a finite number within range", "INVALID_NUMBER")
        if number == number.to_integral_value():
            return int(number)
        return float(number)

    def to_api(self, value):
        if isinstance(value, float):
            return format(Decimal(repr(value)).normalize(), "f")
        return str(value)

    def display(self, prop, value):
        if prop.number_display_hint == "currency":
            return f"{Decimal(str(value)):,.2f}"
        if prop.number_display_hint in ("percentage", "probability"):
            scale = 100 if prop.number_display_hint == "probability" else 1
            return f"{(Decimal(str(value)) * scale).normalize():f}%"
        return self.to_api(value)


class BoolType(PropertyType):
    TRUE = {"true", "yes", "1", "on"}
    FALSE = {"false", "no", "0", "off"}

    def normalise(self, prop, raw, ctx):
        if isinstance(raw, bool):
            return raw
        text = self.text(raw).strip().lower() if isinstance(raw, str | int | float | Decimal) else ""
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise PropertyValueError(f"{shown(raw)} is not true or false", "INVALID_BOOLEAN")

    def to_api(self, value):
        return "true" if value else "false"

    def display(self, prop, value):
        return str(_("Yes") if value else _("No"))


def _epoch_ms(raw: Any) -> datetime | None:
    if (isinstance(raw, int) and not isinstance(raw, bool)) or (isinstance(raw, str) and raw.strip().lstrip("-").isdigit()):
        try:
            # Integer arithmetic: int(raw) / 1000 as a float can lose the last millisecond.
            return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(raw))
        except (OverflowError, OSError, ValueError):
            raise PropertyValueError(f"{shown(raw)} is out of range for a date", "INVALID_DATE") from None
    return None


class DateTimeType(PropertyType):
    """Stored as UTC "YYYY-MM-DDTHH:MM:SS.mmmZ": fixed width, so text order is time order."""

    def normalise(self, prop, raw, ctx):
        moment = _epoch_ms(raw)
        if moment is None:
            text = self.text(raw).strip()
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            except ValueError:
                raise PropertyValueError(f"{shown(raw)} is not a date and time (ISO 8601 or epoch milliseconds)", "INVALID_DATE") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
        try:
            return format_datetime(moment)
        except OverflowError:
            raise PropertyValueError(f"{shown(raw)} is out of range for a date", "INVALID_DATE") from None


class DateType(PropertyType):
    """A calendar day, stored "YYYY-MM-DD"; HubSpot also sends it as midnight UTC in epoch ms."""

    def normalise(self, prop, raw, ctx):
        moment = _epoch_ms(raw)
        if moment is None:
            text = self.text(raw).strip()
            try:
                if len(text) == 10:
                    return date.fromisoformat(text).isoformat()
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise PropertyValueError(f"{shown(raw)} is not a date (YYYY-MM-DD)", "INVALID_DATE") from None
            if moment.tzinfo is not None:
                try:
                    moment = moment.astimezone(UTC)
                except OverflowError:  # "0001-01-01T00:00:00+01:00" is in year 0 in UTC
                    raise PropertyValueError(f"{shown(raw)} is out of range for a date", "INVALID_DATE") from None
        if moment.time() != time(0):
            raise PropertyValueError(f"{shown(raw)} is not midnight UTC, as a date must be", "INVALID_DATE")
        return moment.date().isoformat()


class EnumerationType(PropertyType):
    def normalise(self, prop, raw, ctx):
        value = self.text(raw).strip()
        if value not in prop.option_values:
            allowed = ", ".join(sorted(prop.option_values)[:20])
            raise PropertyValueError(f"{value!r} is not one of the allowed options ({allowed})", "INVALID_OPTION")
        return value

    def display(self, prop, value):
        return next((o["label"] for o in prop.options if o["value"] == value), str(value))


class MultiEnumerationType(EnumerationType):
    """Multiple checkboxes: HubSpot joins the chosen values with ";"."""

    def normalise(self, prop, raw, ctx):
        values = raw if isinstance(raw, list) else self.text(raw).split(";")
        chosen: list[str] = []
        for item in values:
            value = self.text(item).strip()
            if not value or value in chosen:
                continue
            if value not in prop.option_values:
                raise PropertyValueError(f"{value!r} is not one of the allowed options", "INVALID_OPTION")
            chosen.append(value)
        return ";".join(chosen)

    def display(self, prop, value):
        labels = {o["value"]: o["label"] for o in prop.options}
        return ", ".join(labels.get(v, v) for v in str(value).split(";") if v)


class OwnerType(PropertyType):
    """`hubspot_owner_id` and other owner properties: the id of an active user."""

    def normalise(self, prop, raw, ctx):
        value = self.text(raw).strip()
        if value not in ctx.owner_ids:
            raise PropertyValueError(f"{value!r} is not the id of an active owner", "INVALID_OWNER_ID")
        return value


@lru_cache(maxsize=4096)
def format_datetime(moment: datetime) -> str:
    # isoformat pads the year to four digits, as strftime's %Y does not on every platform, and
    # takes half strftime's time: an API page formats four dates a record, and a batch's
    # records share theirs (hence the cache; equal instants format alike in any time zone).
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


# HubSpot's valid type/fieldType pairs.
FIELD_TYPES: dict[str, set[str]] = {
    "string": {"text", "textarea", "html", "phonenumber"},
    "number": {"number", "calculation_equation"},
    "date": {"date"},
    "datetime": {"date"},
    "enumeration": {"select", "radio", "checkbox", "booleancheckbox"},
    "bool": {"booleancheckbox"},
    "phone_number": {"phonenumber"},
}
FORMATS = {"", "email", "url", "domain"}

_STRING_FORMATS = {"email": EmailType(), "url": UrlType(), "domain": DomainType()}
_BY_TYPE: dict[str, PropertyType] = {
    "number": NumberType(),
    "date": DateType(),
    "datetime": DateTimeType(),
    "bool": BoolType(),
    "phone_number": PhoneType(),
}
_TEXT, _TEXTAREA, _HTML, _PHONE = TextType(), TextareaType(), HtmlType(), PhoneType()
_ENUM, _MULTI, _OWNER, _BOOL = EnumerationType(), MultiEnumerationType(), OwnerType(), BoolType()


def type_for(prop: PropertyDefinition) -> PropertyType:
    """The behaviour of a property definition."""
    if prop.referenced_object_type == "OWNER":
        return _OWNER
    if prop.type == "string":
        if prop.format in _STRING_FORMATS:
            return _STRING_FORMATS[prop.format]
        return {"textarea": _TEXTAREA, "html": _HTML, "phonenumber": _PHONE}.get(prop.field_type, _TEXT)
    if prop.type == "enumeration":
        return {"checkbox": _MULTI, "booleancheckbox": _BOOL}.get(prop.field_type, _ENUM)
    return _BY_TYPE[prop.type]

