"""Records, their property history, follows and merges."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.lookups import IContains
from django.utils.translation import gettext_lazy as _


class ContainsAnyCase(IContains):
    """`icontains` as PostgreSQL can plan it: Django writes `UPPER(x) LIKE UPPER(y)`, whose
    selectivity PostgreSQL guesses (0.5%), so a timeline search read all 10,000 entries of a
    busy contact and sorted them (11 ms); `ILIKE` it estimates from its statistics and walks the
    timeline newest first, stopping at the 26th match (1.3 ms). SQLite's LIKE is Django's."""

    lookup_name = "contains_any_case"

    def get_rhs_op(self, connection, rhs):
        return connection.operators["icontains"] % rhs

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if rhs == "%s" and len(rhs_params) == 1:
            # The pattern written in, not bound: a kept connection prepares a statement it runs
            # again, and PostgreSQL may then keep one plan for every word, the read and sort this
            # lookup is here to avoid (docs/DECISIONS.md 42). %% for the statement's formatting.
            rhs, rhs_params = connection.ops.compose_sql("%s", rhs_params).replace("%", "%%"), []
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *rhs_params]


class Record(models.Model):
    """One record of any object type. Property values live in `properties` as JSON scalars,
    normalised by their type on write; each indexed property has an expression index of its own
    (scheda.records.storage), so filters and sorts on any property use an index on both
    databases."""

    object_type = models.ForeignKey(
        "objects.ObjectType", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    properties = models.JSONField(default=dict)
    # The searchable property values joined by spaces; FTS5 (SQLite) or a tsvector (PostgreSQL)
    # indexes it, kept in step by the database itself (see migrations).
    search_text = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(db_index=False)
    updated_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    archived = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    # Set when this record was merged into another; an unmerge clears it.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["object_type", "archived", "id"], name="record_type_archived_id"),
            # The id breaks ties in a page's order: with it PostgreSQL reads a page after a cursor
            # from the index (SQLite's indexes end with the rowid anyway). docs/DECISIONS.md 21.
            models.Index(fields=["object_type", "archived", "created_at", "id"], name="record_type_created"),
            models.Index(fields=["object_type", "archived", "updated_at", "id"], name="record_type_updated"),
            # The recycle bin alone, small: "Restore activity" reads a type's deleted records and
            # when from it without touching the table (docs/DECISIONS.md 29).
            models.Index(fields=["object_type", "archived_at", "id"], name="record_deleted_at",
                         condition=models.Q(archived=True)),
        ]

    def __str__(self) -> str:
        return f"{self.object_type_id}:{self.pk}"


class PropertyChange(models.Model):
    """One write to a record: the values it set (`values`, name -> stored value, None when cleared)
    with when, from where and by whom. A record's history per property is read from these; one
    row per write rather than per value keeps bulk writes at the rate docs/DECISIONS.md records."""

    class Source(models.TextChoices):
        # HubSpot's sourceType names.
        UI = "CRM_UI", _("UI")
        API = "API", _("API")
        IMPORT = "IMPORT", _("Import")
        MERGE = "MERGE", _("Merge")
        WORKFLOW = "AUTOMATION", _("Workflow")
        SYNC = "INTEGRATION", _("Sync")
        SYSTEM = "CALCULATED", _("System")

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="changes", db_index=False)
    values = models.JSONField()
    timestamp = models.DateTimeField()
    source = models.CharField(max_length=20, choices=Source.choices)
    source_id = models.CharField(max_length=255, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["record", "id"], name="change_record_id")]


class Follow(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "user"], name="follow_unique")]


class Merge(models.Model):
    """A merge of `merged` into `primary`, with what is needed to undo it exactly."""

    primary = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    merged = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    # {"primary_values": {...before}, "merged_values": {...}, "written": {...}, "moved": [...], ...}
    snapshot = models.JSONField()
    merged_at = models.DateTimeField()
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["primary", "merged_at"], name="merge_primary")]


Record._meta.get_field("search_text").register_lookup(ContainsAnyCase)
