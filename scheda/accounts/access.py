"""Who can see and change a record ("View record access").

Permissions arrive with issue 6: until then every active user has full access to every record.
This module is the one place that says so; issue 6 replaces `record_access` (and LEVELS) here
and every page that shows access follows."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from scheda.accounts.models import Team, User
from scheda.records.models import Record

# HubSpot's access levels on a record, as the filter offers them.
VIEW_AND_EDIT = "edit"
LEVELS = {VIEW_AND_EDIT: _("Can view and edit")}


@dataclass
class Access:
    user: User
    teams: list[Team]
    level: str

    @property
    def level_label(self) -> str:
        return str(LEVELS[self.level])


def record_access(record: Record) -> list[Access]:
    """Every user who can open `record`, with their teams and access level, by name. Two
    queries (users, their teams)."""
    users = list(User.objects.filter(is_active=True).prefetch_related("teams").order_by("first_name", "last_name", "email"))
    return [Access(user, list(user.teams.all()), VIEW_AND_EDIT) for user in users]
