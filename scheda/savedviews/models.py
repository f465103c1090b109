"""Saved views of an object's index page: the columns, filters and sort a user keeps as a tab."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SavedView(models.Model):
    class Mode(models.TextChoices):
        TABLE = "table", "Table"
        BOARD = "board", "Board"

    object_type = models.ForeignKey("objects.ObjectType", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    # Property names, in the order of the table's columns.
    columns = models.JSONField(default=list)
    # [{"propertyName", "operator", "value"}], ANDed, as HubSpot's filter group.
    filters = models.JSONField(default=list)
    sort = models.CharField(max_length=100, default="hs_object_id")
    descending = models.BooleanField(default=True)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.TABLE)
    # Shared views are tabs of every user; private ones of their owner only.
    shared = models.BooleanField(default=False)
    position = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["object_type", "position", "id"], name="savedview_type_position")]

    def __str__(self) -> str:
        return self.name
