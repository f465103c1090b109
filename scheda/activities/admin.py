"""Settings for activities until a settings UI exists: HubSpot's automatic associations per
object (an activity logged on a contact also goes to its primary company and open deals)."""

from django.contrib import admin

from scheda.accounts.models import Team
from scheda.activities.models import AutoAssociation


@admin.register(AutoAssociation)
class AutoAssociationAdmin(admin.ModelAdmin):
    list_display = ("object_type", "primary_company", "open_deals", "open_tickets")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name",)
    filter_horizontal = ("members",)
