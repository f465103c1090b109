"""Writes that change something and record the change apart (in the audit log, or in the schema
version every process caches the schema and the tier by) run in one transaction: when the second
write fails, as when the process dies between the two (test_crash.py kills one), the first is
undone too. Without it a password changed with no audit event, or a group renamed that other
processes never notice, would be left behind."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from scheda.accounts import services as accounts
from scheda.accounts import tiers
from scheda.accounts.models import ApiToken, AuditEvent, PermissionSet, Team, User
from scheda.objects import services as objects
from scheda.objects.models import PropertyGroup

pytestmark = pytest.mark.django_db


class Died(Exception):
    pass


@pytest.fixture
def dies_at(monkeypatch):
    """Make `module.name` fail, as a process killed just before it runs."""
    def install(module, name: str) -> None:
        def died(*args, **kwargs):
            raise Died(name)
        monkeypatch.setattr(module, name, died)
    return install


def test_account_changes_and_their_audit_events_are_one_write(owner, dies_at):
    token, _secret = accounts.create_token("kept")
    other = User.objects.create_user("rep@example.com", "a-long-password-2")
    team = Team.objects.create(name="North")
    spare = PermissionSet.objects.create(name="Spare", objects_access={}, rights=[])
    tier, events, kept = tiers.current(), AuditEvent.objects.count(), (team.pk, spare.pk)
    dies_at(accounts, "audit")
    for write in (lambda: accounts.revoke_token(token, owner),
                  lambda: accounts.set_password(other, "another-long-password-9", ip=None),
                  lambda: accounts.set_active(other, False, owner),
                  lambda: accounts.delete_team(team, owner),
                  lambda: accounts.delete_permission_set(spare, owner),
                  lambda: accounts.set_tier("starter" if tier != "starter" else "professional", owner)):
        with pytest.raises(Died):
            write()
    other.refresh_from_db()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert other.check_password("a-long-password-2") and other.is_active
    assert Team.objects.filter(pk=kept[0]).exists() and PermissionSet.objects.filter(pk=kept[1]).exists()
    assert tiers.current() == tier and AuditEvent.objects.count() == events


def test_property_groups_change_with_the_schema_version(dies_at):
    contacts = objects.get_object_type("contacts")
    group = objects.create_group(contacts, "crash_group", "Crash group")
    token = objects.schema_token()
    dies_at(objects, "schema_changed")
    for write in (lambda: objects.create_group(contacts, "never_made", "Never made"),
                  lambda: objects.update_group(group, label="Renamed"),
                  lambda: objects.archive_group(group)):
        with pytest.raises(Died):
            write()
    group.refresh_from_db()
    assert (group.label, group.archived) == ("Crash group", False)
    assert not PropertyGroup.objects.filter(name="never_made").exists() and objects.schema_token() == token


def test_createuser_makes_the_user_with_their_access_or_nobody(dies_at):
    dies_at(accounts, "set_user_access")
    with pytest.raises(Died):
        call_command("createuser", "--email", "new@example.com", "--password", "a-long-password-4", "--team", "South")
    assert not User.objects.filter(email="new@example.com").exists() and not Team.objects.filter(name="South").exists()
    with pytest.raises(CommandError):
        call_command("createuser", "--email", "bad", "--password", "a-long-password-4")
