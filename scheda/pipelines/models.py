"""Pipelines and their ordered stages, for deals and tickets (and custom objects)."""

from __future__ import annotations

from django.db import models


class Pipeline(models.Model):
    # HubSpot's ids are strings: "default" for the sales pipeline, "0" for the support one.
    pipeline_id = models.CharField(max_length=64, unique=True)
    object_type = models.ForeignKey("objects.ObjectType", on_delete=models.CASCADE, related_name="pipelines")
    label = models.CharField(max_length=255)
    display_order = models.IntegerField(default=0)
    archived = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["object_type", "label"], condition=models.Q(archived=False), name="pipeline_unique_label"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class PipelineStage(models.Model):
    stage_id = models.CharField(max_length=64, unique=True)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    label = models.CharField(max_length=255)
    display_order = models.IntegerField(default=0)
    # Deals: {"probability": "0.2", "isClosed": "false"}; tickets: {"ticketState": "OPEN"}.
    metadata = models.JSONField(default=dict, blank=True)
    archived = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_order", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def is_closed(self) -> bool:
        return self.metadata.get("isClosed") == "true" or self.metadata.get("ticketState") == "CLOSED"
