"""/health/ on SQLite and PostgreSQL: what a load balancer sees when all is well, when the
database does not answer and when a migration is not applied."""

from unittest import mock

import pytest
from django.db import OperationalError, connection, connections
from django.test.utils import CaptureQueriesContext

import scheda
from scheda.operations import health

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_process():
    """Each test starts as a new process would: migrations not yet seen applied."""
    health.migrations_applied = False
    yield
    health.migrations_applied = False


def test_health_is_ok_and_asks_the_database_one_query_once_migrations_are_seen(client):
    first = client.get("/health/")
    assert first.status_code == 200
    assert first.json() == {"status": "ok", "database": "ok", "migrations": "ok", "version": scheda.__version__}
    assert first["Cache-Control"] == "no-store"
    with CaptureQueriesContext(connection) as captured:
        again = client.get("/health/")
    assert again.status_code == 200
    assert [q["sql"] for q in captured.captured_queries] == ["SELECT 1"]


def test_health_sets_no_cookie_and_needs_no_session(client):
    answer = client.get("/health/")
    assert answer.status_code == 200 and not answer.cookies


def test_health_answers_503_naming_the_database_when_it_does_not_answer(client):
    with mock.patch.object(connections["default"], "cursor", side_effect=OperationalError("connection refused")):
        answer = client.get("/health/")
    assert answer.status_code == 503
    assert answer.json() == {"status": "error", "database": "unreachable", "migrations": "unknown",
                             "version": scheda.__version__}
    assert "refused" not in answer.content.decode()  # the cause is for the log, not the prober


def test_health_answers_503_while_a_migration_is_unapplied_and_asks_again(client):
    with mock.patch.object(health, "unapplied_migrations", return_value=["records.0099_next"]):
        answer = client.get("/health/")
    assert answer.status_code == 503
    assert answer.json()["migrations"] == "1 unapplied" and answer.json()["database"] == "ok"
    # Once migrated, the next probe passes: a failing check is not cached.
    assert client.get("/health/").status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_health_takes_only_get_and_head(client, method):
    assert getattr(client, method)("/health/").status_code == 405
    assert client.head("/health/").status_code == 200


def test_health_is_answered_over_http_and_for_any_host_behind_https(client, settings):
    """Load balancers probe over plain HTTP and by address: /health/ is neither redirected nor
    refused, while every other page still is."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/health/", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/login/").status_code == 301
    assert client.get("/login/", HTTP_HOST="10.0.0.7:8000", secure=True).status_code == 400
