"""The timeline of each record, comments on activities, mentions, attachments and the
automatic-association settings. Activities themselves are records (notes, emails, calls,
meetings, tasks); see scheda.records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from scheda.records.models import ContainsAnyCase


class TimelineEntry(models.Model):
    """One line of a record's timeline: an activity associated with the record, or a system
    event (a tracked property changed, a merge, an association added or removed). Kept by the
    services that write records and associations, so a timeline page is one index range scan
    on (record, occurred_at, id) however many activities the record has."""

    record = models.ForeignKey("records.Record", on_delete=models.CASCADE, related_name="+", db_index=False)
    # What it is: an activity type's name ("notes", "tasks", ...) or an event kind (EVENT_KINDS).
    kind = models.CharField(max_length=32)
    occurred_at = models.DateTimeField()
    activity = models.ForeignKey("records.Record", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # The activity's owner, or who caused the event: what the "All users" filter looks at.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", db_index=False)
    # An open task or a meeting: shown under "Upcoming" while its time is in the future.
    open = models.BooleanField(default=False)
    # The event's details: {"property", "from", "to"} for a change, {"other": id} for an association.
    data = models.JSONField(default=dict, blank=True)
    # The activity's search text, copied: "Search activities" reads the entries alone, where
    # joining each to its activity cost a busy record 10,000 primary-key probes (docs/DECISIONS.md 24).
    text = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["record", "occurred_at", "id"], name="timeline_record_at")]
        constraints = [
            models.UniqueConstraint(fields=["record", "activity"], condition=Q(activity__isnull=False),
                                    name="timeline_one_entry_per_activity"),
        ]


class Comment(models.Model):
    """A comment on an activity ("Add comment"). Its body is sanitised HTML."""

    activity = models.ForeignKey("records.Record", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]


class Notification(models.Model):
    """An in-app notification: someone mentioned the user in a comment on an activity. One per
    user and activity, however often they are mentioned there."""

    class Kind(models.TextChoices):
        MENTION = "mention", _("Mention")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    activity = models.ForeignKey("records.Record", on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, null=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind", "activity"], name="notification_once")]


class Attachment(models.Model):
    """A file kept with an activity (an e-mail's attachment), shown on every record the activity
    is associated with; or a file uploaded to one record's Attachments card (`record`)."""

    activity = models.ForeignKey("records.Record", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    record = models.ForeignKey("records.Record", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(activity__isnull=False, record__isnull=True) | Q(activity__isnull=True, record__isnull=False),
                                              name="attachment_activity_or_record")]


class AutoAssociation(models.Model):
    """HubSpot's automatic activity associations, per object type an activity is logged on: an
    activity logged on a contact also goes to the contact's primary company and open deals."""

    object_type = models.OneToOneField("objects.ObjectType", on_delete=models.CASCADE, related_name="+")
    primary_company = models.BooleanField(default=True)
    open_deals = models.BooleanField(default=True)
    open_tickets = models.BooleanField(default=False)


TimelineEntry._meta.get_field("text").register_lookup(ContainsAnyCase)
