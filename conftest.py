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


# The live API server and HubSpot's SDK, for the API tests of every app.
pytest_plugins = ["scheda.api.tests.live", "scheda.web.tests.browser"]
