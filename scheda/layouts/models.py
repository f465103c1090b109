"""How record pages are laid out: an object's default layout and team layouts (set by a user with
the permission), and what each user changed for themselves (order, collapsed sections, last tab)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordLayout(models.Model):
    """The record page of one object type: the left sidebar's sections and their properties, the
    Overview tab's cards and the right sidebar's cards with their preview properties
    (scheda.layouts.services.DEFAULT shows the shape). `team` None is the account's default; a
    team's layout replaces it for the team's members."""

    object_type = models.ForeignKey("objects.ObjectType", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    config = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("record layout")
        constraints = [
            models.UniqueConstraint(fields=["object_type", "team"], name="layout_object_team"),
            models.UniqueConstraint(fields=["object_type"], condition=models.Q(team=None), name="layout_object_default"),
        ]


class UserLayout(models.Model):
    """One user's own arrangement of one object's record pages: section order per sidebar
    ({"left": [keys], "right": [keys]}), collapsed section keys and the middle tab last open."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    object_type = models.ForeignKey("objects.ObjectType", on_delete=models.CASCADE, related_name="+")
    order = models.JSONField(default=dict)
    collapsed = models.JSONField(default=list)
    last_tab = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "object_type"], name="user_layout_unique")]
