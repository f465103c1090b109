"""Association types (HubSpot's type ids and labels) and the associations between records."""

from __future__ import annotations

from django.db import models


class AssociationType(models.Model):
    """One direction of a relationship between two object types. HubSpot-defined types keep
    HubSpot's ids (contact to company 279, its inverse 280); every type has its inverse."""

    class Category(models.TextChoices):
        HUBSPOT_DEFINED = "HUBSPOT_DEFINED"
        USER_DEFINED = "USER_DEFINED"
        INTEGRATOR_DEFINED = "INTEGRATOR_DEFINED"

    id = models.IntegerField(primary_key=True)
    from_object_type = models.ForeignKey("objects.ObjectType", on_delete=models.CASCADE, related_name="+")
    to_object_type = models.ForeignKey("objects.ObjectType", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=20, choices=Category.choices)
    # None for the unlabeled association every pair of records has when associated at all.
    label = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    name = models.CharField(max_length=255, blank=True)
    inverse = models.ForeignKey("self", null=True, on_delete=models.CASCADE, related_name="+")
    # The most records of the other type one record may have with this type (None: no limit
    # beyond ASSOCIATION_LIMIT). A contact has at most one primary company.
    limit = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["from_object_type", "to_object_type"], name="assoctype_pair")]
        # One unlabeled type a pair: two requests making it at once must not split its associations.
        constraints = [models.UniqueConstraint(fields=["from_object_type", "to_object_type"],
                                               condition=models.Q(label__isnull=True), name="assoctype_one_unlabeled")]

    def __str__(self) -> str:
        return f"{self.id} {self.label or '(unlabeled)'}"

    @property
    def is_default(self) -> bool:
        return self.label is None


class Association(models.Model):
    """An association of one record with another under one type. Both directions are stored
    (the inverse row under the inverse type), so a record's associations are one index scan."""

    from_record = models.ForeignKey("records.Record", on_delete=models.CASCADE, related_name="+", db_index=False)
    to_record = models.ForeignKey("records.Record", on_delete=models.CASCADE, related_name="+")
    type = models.ForeignKey(AssociationType, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_record", "type", "to_record"], name="association_unique"),
        ]
