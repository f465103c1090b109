"""Shared fixtures. Tests run against whichever database SCHEDA_DATABASE_URL names (SQLite by
default); `make test` runs the suite on SQLite and on PostgreSQL."""

import os
import tempfile

# Tests never touch the developer's ./var: settings read this before Django starts.
os.environ.setdefault("SCHEDA_DATA_DIR", tempfile.mkdtemp(prefix="scheda-test-"))

import pytest


@pytest.fixture(autouse=True)
def _language_reset():
    """A request in Italian leaves Italian active in the thread; the next test starts in English."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def author():
    from scheda.records.services import Author, Source

    return Author(Source.API)


@pytest.fixture
def rep(owner):
    """The owner writing through the UI."""
    from scheda.records.services import Author, Source

    return Author(Source.UI, user=owner)


@pytest.fixture
def browser(client, owner):
    """Django's test client signed in as the owner."""
    client.force_login(owner)
    return client


@pytest.fixture
def owner(db):
    from scheda.accounts.models import User

    return User.objects.create_user("owner@example.com", "a-long-password-1", first_name="Olga", last_name="Owner")


@pytest.fixture
def grant(db):
    """`grant(user, rights=[...], **objects_access)`: the user gets a permission set of their own
    (every object viewed and edited unless `objects_access` says otherwise); returns the user
    read again, as rights are kept on the user object."""
    from scheda.accounts.models import PermissionSet, User
    from scheda.accounts.permissions import STANDARD

    def give(user, rights=(), **objects_access):
        access = {**STANDARD["objects_access"], **{name.replace("all_objects", "*"): rule for name, rule in objects_access.items()}}
        permission_set = PermissionSet.objects.create(name=f"set of {user.email}", objects_access=access, rights=list(rights))
        User.objects.filter(pk=user.pk).update(permission_set=permission_set)
        return User.objects.get(pk=user.pk)

    return give


# The live API server and HubSpot's SDK, for the API tests of every app.
pytest_plugins = ["scheda.api.tests.live", "scheda.web.tests.browser"]
