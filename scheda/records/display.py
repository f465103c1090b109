"""Property values as a person reads and edits them on a page: option and pipeline stage labels,
owner names, dates in the active language, and the input each property type is edited with."""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from scheda.objects.models import PropertyDefinition
from scheda.objects.services import PIPELINE_PROPERTIES, Schema


class Presenter:
    """Shows one object type's values. Owners and pipeline stages are read once, when a value
    first needs them (one query each)."""

    def __init__(self, schema: Schema, users: dict[int, Any] | None = None):
        self.schema = schema
        self._users = users
        self._pipeline_options: dict[str, list[dict[str, str]]] | None = None

    @property
    def users(self) -> dict[int, Any]:
        if self._users is None:
            from scheda.accounts.models import User

            # Every user, so a deactivated owner still shows by name; only active ones are offered.
            self._users = {u.pk: u for u in User.objects.order_by("first_name", "last_name", "email")}
        return self._users

    def _pipelines(self) -> dict[str, list[dict[str, str]]]:
        if self._pipeline_options is None:
            from scheda.pipelines.services import pipeline_properties, pipelines_of

            pipeline_name, stage_name = pipeline_properties(self.schema.object_type)
            pipelines = pipelines_of(self.schema.object_type)
            self._pipeline_options = {
                pipeline_name: [{"value": p.pipeline_id, "label": p.label} for p in pipelines],
                stage_name: [{"value": s.stage_id, "label": s.label, "pipeline": p.pipeline_id}
                             for p in pipelines for s in sorted(p.stages.all(), key=lambda s: s.display_order) if not s.archived],
            }
        return self._pipeline_options

    def options(self, prop: PropertyDefinition) -> list[dict[str, str]]:
        if prop.referenced_object_type == "OWNER":
            return [{"value": str(pk), "label": str(user)} for pk, user in self.users.items() if user.is_active]
        if prop.name in PIPELINE_PROPERTIES and not prop.options:
            return self._pipelines().get(prop.name, [])
        return list(prop.options)

    def show(self, name: str, value: Any) -> str:
        """The value of property `name` as text; "" when unset."""
        prop = self.schema.properties.get(name)
        if value is None or value == "" or prop is None:
            return "" if value is None else str(value)
        if prop.referenced_object_type == "OWNER":
            user = self.users.get(int(value)) if str(value).isdigit() else None
            return str(user) if user else str(value)
        if prop.name in PIPELINE_PROPERTIES and not prop.options:
            return next((o["label"] for o in self.options(prop) if o["value"] == value), str(value))
        if prop.type == "datetime":
            try:
                moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                return str(value)
            return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
        if prop.type == "date":
            try:
                return formats.date_format(date.fromisoformat(str(value)), "DATE_FORMAT")
            except ValueError:
                return str(value)
        if isinstance(value, str) and (prop.type == "bool" or prop.field_type == "booleancheckbox"):
            value = value.lower() == "true"  # the property history keeps "true"/"false"
        try:
            return self.schema.types[name].display(prop, value)
        except (ValueError, ArithmeticError):
            return str(value)

    def field(self, name: str, value: Any, error: str = "") -> dict[str, Any]:
        """What a form needs to edit property `name`: label, input kind, options, the value as
        the input shows it, and the error to show next to it."""
        prop = self.schema.properties[name]
        options = self.options(prop)
        if prop.type == "bool" or prop.field_type == "booleancheckbox":
            kind = "select"
            options = [{"value": "true", "label": _("Yes")}, {"value": "false", "label": _("No")}]
            value = {True: "true", False: "false"}.get(value, value if value in ("true", "false") else "")
        elif prop.field_type == "checkbox" and options:
            kind, value = "checkboxes", [v for v in str(value or "").split(";") if v]
        elif options:
            kind = "select"
        elif prop.type == "datetime":
            kind = "datetime-local"
            if value and "T" in str(value):
                try:
                    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
                    value = timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")
                except ValueError:
                    pass
        elif prop.type == "date":
            kind = "date"
        elif prop.type == "number":
            kind = "number"
        elif prop.field_type in ("textarea", "html"):
            kind = "textarea"
        else:
            kind = {"email": "email", "phone_number": "tel", "url": "url"}.get(prop.format or "", "text")
            kind = "tel" if prop.field_type == "phonenumber" else kind
        return {"name": name, "label": prop.label, "kind": kind, "options": options,
                "value": "" if value is None else value, "error": error, "required": prop.required,
                "read_only": prop.read_only or prop.calculated}


def submitted(schema: Schema, names: list[str], data) -> dict[str, Any]:
    """The values a form posted for `names`, as the record services take them: "" clears, a
    datetime-local is read in the user's time zone, checkboxes join with ";"."""
    values: dict[str, Any] = {}
    for name in names:
        prop = schema.properties.get(name)
        if prop is None:
            continue
        if prop.field_type == "checkbox" and prop.type == "enumeration":
            values[name] = ";".join(data.getlist(name))
            continue
        if name not in data:
            continue
        raw = data.get(name, "").strip()
        if prop.type == "datetime" and raw and "T" in raw and len(raw) <= 19:
            with contextlib.suppress(ValueError):
                raw = timezone.make_aware(datetime.fromisoformat(raw)).isoformat()
        values[name] = raw
    return values
