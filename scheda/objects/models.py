"""Object types and their property definitions: the schema every record is written against."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ObjectType(models.Model):
    """A kind of record: HubSpot's standard objects (contacts "0-1", ...), activity types, and
    custom objects ("2-<n>") that an admin defines."""

    object_type_id = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100, unique=True)
    singular_label = models.CharField(max_length=100)
    plural_label = models.CharField(max_length=100)
    primary_display_property = models.CharField(max_length=100, blank=True)
    secondary_display_properties = models.JSONField(default=list, blank=True)
    # The properties the "Create" dialog asks for, in order; empty = the object's defaults
    # (scheda.web.create.DEFAULT_CREATE_PROPERTIES). Required properties are always asked for.
    create_form_properties = models.JSONField(default=list, blank=True)
    is_custom = models.BooleanField(default=False)
    is_activity = models.BooleanField(default=False)
    description = models.TextField(blank=True)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.plural_label)


class PropertyGroup(models.Model):
    object_type = models.ForeignKey(ObjectType, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=100)
    label = models.CharField(max_length=255)
    display_order = models.IntegerField(default=0)
    archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["display_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["object_type", "name"], name="group_unique_name"),
        ]

    def __str__(self) -> str:
        return self.label


class PropertyDefinition(models.Model):
    """One property of an object type, with HubSpot's `type`/`fieldType` pair. Its behaviour
    (validation, normalisation, display) lives in scheda.objects.types."""

    class Type(models.TextChoices):
        STRING = "string", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        DATETIME = "datetime", _("Date and time")
        ENUMERATION = "enumeration", _("Enumeration")
        BOOL = "bool", _("Boolean")
        PHONE_NUMBER = "phone_number", _("Phone number")

    class FieldType(models.TextChoices):
        TEXT = "text", _("Single-line text")
        TEXTAREA = "textarea", _("Multi-line text")
        HTML = "html", _("Rich text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date picker")
        SELECT = "select", _("Dropdown select")
        RADIO = "radio", _("Radio select")
        CHECKBOX = "checkbox", _("Multiple checkboxes")
        BOOLEANCHECKBOX = "booleancheckbox", _("Single checkbox")
        PHONENUMBER = "phonenumber", _("Phone number")
        CALCULATION = "calculation_equation", _("Calculation")

    object_type = models.ForeignKey(ObjectType, on_delete=models.CASCADE, related_name="properties")
    name = models.CharField(max_length=100)
    label = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    group_name = models.CharField(max_length=100)
    type = models.CharField(max_length=20, choices=Type.choices)
    field_type = models.CharField(max_length=30, choices=FieldType.choices)
    # Refines a string or number: "email", "url", "domain"; or HubSpot's numberDisplayHint.
    format = models.CharField(max_length=20, blank=True)
    number_display_hint = models.CharField(max_length=20, blank=True)
    # [{"label", "value", "displayOrder", "hidden", "description"}] as HubSpot sends them.
    options = models.JSONField(default=list, blank=True)
    referenced_object_type = models.CharField(max_length=20, blank=True)
    display_order = models.IntegerField(default=-1)
    required = models.BooleanField(default=False)
    unique = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False)
    read_only = models.BooleanField(default=False)
    calculated = models.BooleanField(default=False)
    searchable = models.BooleanField(default=False)
    # Has an index of its own, so filters and sorts on it are fast. Each index slows every write
    # of the object type (docs/DECISIONS.md), so standard objects index their key properties and
    # an admin indexes others; properties an admin creates are indexed.
    indexed = models.BooleanField(default=True)
    hubspot_defined = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["display_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["object_type", "name"], name="property_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.object_type.name}.{self.name}"

    @property
    def option_values(self) -> set[str]:
        return {o["value"] for o in self.options}


class SchemaVersion(models.Model):
    """One row whose token changes with every schema write, so each process can keep its
    loaded schemas and know, with one cheap query, when they are stale. A token rather than a
    counter: a rolled-back write restores the token the cached schema was loaded under."""

    token = models.CharField(max_length=32)
