"""Who can see and change a record ("View record access"): every active user's rights
(scheda.accounts.permissions) applied to one record."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from scheda.accounts.models import Team, User
from scheda.accounts.permissions import Rights, default_set, permission_set_of
from scheda.records.models import Record

# HubSpot's access levels on a record, as the filter offers them.
VIEW_AND_EDIT, VIEW_ONLY = "edit", "view"
LEVELS = {VIEW_AND_EDIT: _("Can view and edit"), VIEW_ONLY: _("Can view")}


@dataclass
class Access:
    user: User
    teams: list[Team]
    level: str

    @property
    def level_label(self) -> str:
        return str(LEVELS[self.level])


def record_access(record: Record) -> list[Access]:
    """Every active user who can open `record`, with their teams and access level, by name.
    Four queries however many users: the users with their sets, their teams, the team
    memberships, the default set."""
    users = list(User.objects.filter(is_active=True).select_related("permission_set").prefetch_related("teams")
                 .order_by("first_name", "last_name", "email"))
    members: dict[int, set[str]] = defaultdict(set)
    for team_id, user_id in Team.members.through.objects.values_list("team_id", "user_id"):
        members[team_id].add(str(user_id))
    default = default_set()
    found = []
    for user in users:
        teams = list(user.teams.all())
        team_owners = frozenset({str(user.pk)}.union(*(members[t.pk] for t in teams)))
        rights = Rights(user, permission_set_of(user, default), team_owners)
        if rights.can_edit(record):
            found.append(Access(user, teams, VIEW_AND_EDIT))
        elif rights.can_view(record):
            found.append(Access(user, teams, VIEW_ONLY))
    return found
