"""Who may see and do what: the one place every page, API call, search and export asks.

A user's permission set (or the installation's default set) gives, per object type, a level of
record access for viewing and for editing (none, owned, owned-or-team, all) and the actions
delete, bulk delete, merge, export and import; and account-level rights. Super admins have all.
"Owned" means the record's `hubspot_owner_id` is the user; "team" adds the records owned by the
members of any of the user's teams, as HubSpot's "Team" access does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from scheda.errors import FieldError, Forbidden

if TYPE_CHECKING:
    from scheda.accounts.models import PermissionSet, User
    from scheda.objects.models import ObjectType
    from scheda.records.models import Record

NONE, OWNED, TEAM, ALL = "none", "owned", "team", "all"
LEVELS = {NONE: _("None"), OWNED: _("Owned only"), TEAM: _("Owned or team"), ALL: _("Everything")}
# Ranked, so that "edit" never reaches further than "view".
RANK = {NONE: 0, OWNED: 1, TEAM: 2, ALL: 3}
ACTIONS = {"delete": _("Delete"), "bulk_delete": _("Bulk delete"), "merge": _("Merge"),
           "export": _("Export"), "import": _("Import")}
RIGHTS = {
    "customise_layouts": _("Customise record layouts"),
    "manage_properties": _("Manage properties and objects"),
    "manage_users": _("Manage users and teams"),
    "manage_tokens": _("Manage API tokens"),
    "change_tier": _("Change the subscription tier"),
}
OWNER = "hubspot_owner_id"
# The key of a set's `objects_access` that covers every object type it does not name.
EVERY_OBJECT = "*"

# What a user without a permission set gets when the installation has no default set of its
# own: every record, every action but bulk delete, no account rights.
STANDARD: dict[str, Any] = {
    "objects_access": {EVERY_OBJECT: {"view": ALL, "edit": ALL, "delete": True, "bulk_delete": False,
                                      "merge": True, "export": True, "import": True}},
    "rights": [],
}
NO_ACCESS: dict[str, Any] = {"view": NONE, "edit": NONE}


def object_rule(objects_access: dict[str, Any], object_name: str) -> dict[str, Any]:
    return objects_access.get(object_name) or objects_access.get(EVERY_OBJECT) or NO_ACCESS


class Rights:
    """One user's rights, read once per request (`rights_of`)."""

    def __init__(self, user: User | None, permission_set: PermissionSet | None = None,
                 team_owner_ids: frozenset[str] | None = None):
        self.user = user if user is not None and user.is_authenticated and user.is_active else None
        self.superuser = bool(self.user and self.user.is_superuser)
        if self.user is None:
            self.objects_access, self.rights = {}, set()
        elif permission_set is not None:
            self.objects_access, self.rights = permission_set.objects_access, set(permission_set.rights)
        else:
            self.objects_access, self.rights = STANDARD["objects_access"], set(STANDARD["rights"])
        # Given when many users' rights are read at once ("View record access").
        self._team_owner_ids = team_owner_ids

    # --- levels ------------------------------------------------------------------------------

    def rule(self, object_type: ObjectType) -> dict[str, Any]:
        return object_rule(self.objects_access, object_type.name)

    def level(self, object_type: ObjectType, access: str = "view") -> str:
        if self.superuser:
            return ALL
        if self.user is None:
            return NONE
        rule = self.rule(object_type)
        view = rule.get("view", NONE)
        if access == "view":
            return view
        edit = rule.get("edit", NONE)
        return edit if RANK[edit] <= RANK[view] else view

    @property
    def team_owner_ids(self) -> frozenset[str]:
        """The user and every member of the user's teams, as owner ids (one query)."""
        if self._team_owner_ids is None:
            from scheda.accounts.models import User

            assert self.user is not None
            ids = User.objects.filter(teams__members=self.user).values_list("pk", flat=True).distinct()
            self._team_owner_ids = frozenset({str(self.user.pk), *(str(pk) for pk in ids)})
        return self._team_owner_ids

    def owners(self, object_type: ObjectType, access: str = "view") -> frozenset[str] | None:
        """The owner ids whose records the user may view (or edit) of `object_type`; None means
        every record, an empty set none."""
        level = self.level(object_type, access)
        if level == ALL:
            return None
        if level == NONE or self.user is None:
            return frozenset()
        return frozenset({str(self.user.pk)}) if level == OWNED else self.team_owner_ids

    # --- questions -----------------------------------------------------------------------------

    def _reaches(self, record: Record, access: str) -> bool:
        owners = self.owners(record.object_type, access)
        return owners is None or str(record.properties.get(OWNER) or "") in owners

    def can_view(self, record: Record) -> bool:
        return self._reaches(record, "view")

    def can_edit(self, record: Record) -> bool:
        return self._reaches(record, "edit")

    def may(self, object_type: ObjectType, action: str) -> bool:
        """Whether the user may `action` (a key of ACTIONS) records of `object_type`."""
        if self.superuser:
            return True
        return self.user is not None and self.level(object_type) != NONE and bool(self.rule(object_type).get(action))

    def has(self, right: str) -> bool:
        """An account-level right (a key of RIGHTS)."""
        return self.superuser or (self.user is not None and right in self.rights)

    def visible(self, records: QuerySet, object_type: ObjectType, access: str = "view") -> QuerySet:
        """`records` (all of `object_type`) narrowed to those the user may view (or edit)."""
        return records.filter(owned_by(self.owners(object_type, access)))

    def check_create(self, object_type: ObjectType) -> None:
        """The user may create (edit some) records of `object_type`."""
        if self.level(object_type, "edit") == NONE:
            raise Forbidden(str(_("You don't have permission to edit %(objects)s") % {"objects": object_type.plural_label.lower()}),
                            object_type=object_type.name)

    def owned_values(self, object_type: ObjectType, properties: dict[str, Any], *, creating: bool,
                     has_owner: bool = True, **context: Any) -> dict[str, Any]:
        """The values of a record the user writes. A user who edits only their own (or their
        teams') records writes only records they then own: a new record without an owner gets
        the user (when the object has owners, `has_owner`); an owner outside their reach is
        refused, naming the owner property; with no edit access at all, nothing is created."""
        reach = self.owners(object_type, "edit")
        if reach is None or (not creating and OWNER not in properties):
            return properties
        self.check_create(object_type)
        assert self.user is not None
        value = properties.get(OWNER)
        owner = "" if value is None else str(value).strip()
        if creating and not owner and has_owner:
            return {**properties, OWNER: str(self.user.pk)}
        if owner not in reach:
            message = str(_("You may only write %(objects)s owned by you or your teams") if self.level(object_type, "edit") == TEAM
                          else _("You may only write %(objects)s owned by you")) % {"objects": object_type.plural_label.lower()}
            raise Forbidden(message, [FieldError(message, "FORBIDDEN", OWNER, {"value": owner, **context})],
                            object_type=object_type.name)
        return properties

    def covers(self, objects_access: dict[str, Any], rights: list[str]) -> bool:
        """Whether a permission set with `objects_access` and `rights` gives nothing this user
        lacks: what a user may hand out (or write into a set) without being a super admin."""
        if self.superuser:
            return True
        if self.user is None or not set(rights) <= self.rights:
            return False
        for name in {*objects_access, *self.objects_access, EVERY_OBJECT}:
            theirs, mine = object_rule(objects_access, name), object_rule(self.objects_access, name)
            if any(RANK[theirs.get(a, NONE)] > RANK[mine.get(a, NONE)] for a in ("view", "edit")):
                return False
            if any(theirs.get(action) and not mine.get(action) for action in ACTIONS):
                return False
        return True

    # --- the same, refusing -------------------------------------------------------------------

    def check_view(self, record: Record) -> None:
        if not self.can_view(record):
            raise Forbidden(str(_("You don't have permission to view this record")),
                            object_type=record.object_type.name)

    def check_edit(self, record: Record) -> None:
        self.check_view(record)
        if not self.can_edit(record):
            raise Forbidden(str(_("You don't have permission to edit this record")),
                            object_type=record.object_type.name)

    def check(self, object_type: ObjectType, action: str) -> None:
        if not self.may(object_type, action):
            raise Forbidden(str(_("You don't have permission to %(action)s %(objects)s")
                                % {"action": str(ACTIONS[action]).lower(), "objects": object_type.plural_label.lower()}),
                            object_type=object_type.name, action=action)

    def check_object(self, object_type: ObjectType) -> None:
        """The user may view some records of `object_type` (its index page, its API)."""
        if self.level(object_type) == NONE:
            raise Forbidden(str(_("You don't have permission to view %(objects)s")
                                % {"objects": object_type.plural_label.lower()}), object_type=object_type.name)

    def check_right(self, right: str) -> None:
        if not self.has(right):
            raise Forbidden(str(_("You don't have the permission to %(right)s")
                                % {"right": str(RIGHTS[right]).lower()}), right=right)


def owned_by(owners: frozenset[str] | None, prefix: str = "") -> Q:
    """The ORM condition for records owned by `owners` (`Rights.owners`: None for all, empty for
    none); `prefix` reaches them through a relation ("to_record__")."""
    if owners is None:
        return Q()
    return Q(**{f"{prefix}properties__{OWNER}__in": sorted(owners)}) if owners else Q(pk__in=[])


def rights_of(user: Any) -> Rights:
    """The rights of `user`, read once and kept on the user object (one per request)."""
    cached = getattr(user, "_scheda_rights", None)
    if cached is not None:
        return cached
    rights = Rights(user, permission_set_of(user))
    if user is not None:
        user._scheda_rights = rights
    return rights


def default_set() -> PermissionSet | None:
    """The installation's default permission set (None: the code's STANDARD rules), kept with the
    schema like the tier (accounts.services changes the token when it writes a set): every page
    of a user without a set of their own asks for it. Shared: read it, never change it."""
    from scheda.accounts.models import PermissionSet
    from scheda.objects.services import with_schema

    return with_schema("default permission set", PermissionSet.objects.filter(is_default=True).first)


def permission_set_of(user: Any, default: Any = None) -> PermissionSet | None:
    """The user's set, else the installation's default one (`default`, if already read)."""
    if user is None or not user.is_authenticated or user.is_superuser:
        return None
    if user.permission_set_id is not None:
        return user.permission_set
    return default if default is not None else default_set()
