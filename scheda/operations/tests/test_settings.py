"""The operations settings read from the environment: checked, with one line on error."""

import pytest

from scheda import config


def test_the_database_connection_lifetime_comes_from_scheda_db_conn_max_age(monkeypatch, tmp_path):
    monkeypatch.setenv("SCHEDA_DATABASE_URL", "postgresql://scheda@db:5432/crm")
    assert config.database(tmp_path)["CONN_MAX_AGE"] == 60
    monkeypatch.setenv("SCHEDA_DB_CONN_MAX_AGE", "0")  # behind PgBouncer: one per request
    assert config.database(tmp_path)["CONN_MAX_AGE"] == 0
    monkeypatch.setenv("SCHEDA_DB_CONN_MAX_AGE", "-1")
    with pytest.raises(config.ConfigError, match="SCHEDA_DB_CONN_MAX_AGE=-1 is not a whole number"):
        config.database(tmp_path)


def test_log_format_and_level_are_checked(monkeypatch):
    monkeypatch.setenv("SCHEDA_LOG_LEVEL", "warning")
    assert config.choice("SCHEDA_LOG_LEVEL", ("INFO", "WARNING"), "INFO") == "WARNING"
    monkeypatch.setenv("SCHEDA_LOG_FORMAT", "xml")
    with pytest.raises(config.ConfigError, match="SCHEDA_LOG_FORMAT=xml is not one of text, json"):
        config.choice("SCHEDA_LOG_FORMAT", ("text", "json"), "text")


def test_postgresql_connections_start_no_parallel_workers(monkeypatch, tmp_path):
    monkeypatch.setenv("SCHEDA_DATABASE_URL", "postgresql://scheda@db:5432/crm")
    assert config.database(tmp_path)["OPTIONS"]["options"] == "-c max_parallel_workers_per_gather=0"
    monkeypatch.setenv("SCHEDA_DATABASE_URL", "postgresql://scheda@db:5432/crm?options=-c%20work_mem%3D64MB")
    assert config.database(tmp_path)["OPTIONS"]["options"] == "-c max_parallel_workers_per_gather=0 -c work_mem=64MB"


def test_scheda_serve_runs_four_processes_of_two_threads_unless_told(monkeypatch):
    """The measured default (docs/DECISIONS.md 44); SCHEDA_WORKERS and SCHEDA_THREADS change it,
    and a value that is not a number is one line, not a traceback."""
    from django.core.management import CommandError, call_command

    from scheda.web.management.commands.serve import Command

    def parsed(*argv):
        options = Command().create_parser("scheda", "serve").parse_args(argv)
        return options.workers, options.threads

    assert parsed() == (4, 2)
    assert parsed("--workers", "3", "--threads", "1") == (3, 1)
    monkeypatch.setenv("SCHEDA_WORKERS", "6")
    monkeypatch.setenv("SCHEDA_THREADS", "3")
    assert parsed() == (6, 3)
    monkeypatch.setenv("SCHEDA_WORKERS", "four")
    with pytest.raises(config.ConfigError, match="SCHEDA_WORKERS=four is not a whole number"):
        parsed()
    monkeypatch.setenv("SCHEDA_WORKERS", "0")  # gunicorn would start and serve nothing
    with pytest.raises(CommandError, match="must be 1 or more"):
        call_command("serve")


@pytest.mark.django_db
def test_the_connection_has_them():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


@pytest.mark.parametrize(("max_age", "after", "prepared"), [("", "", 5), ("", "3", 3), ("", "0", None),
                                                          ("0", "", None), ("0", "5", 5)])
def test_a_kept_postgresql_connection_prepares_a_statement_it_runs_again(monkeypatch, tmp_path, max_age, after,
                                                                         prepared):
    monkeypatch.setenv("SCHEDA_DATABASE_URL", "postgresql://scheda@db:5432/crm")
    monkeypatch.setenv("SCHEDA_DB_CONN_MAX_AGE", max_age)
    monkeypatch.setenv("SCHEDA_DB_PREPARE_AFTER", after)
    options = config.database(tmp_path)["OPTIONS"]
    assert options.get("prepare_threshold") == prepared
    assert options.get("server_side_binding", False) is bool(prepared)


def test_scheda_db_prepare_after_is_checked(monkeypatch, tmp_path):
    monkeypatch.setenv("SCHEDA_DATABASE_URL", "postgresql://scheda@db:5432/crm")
    monkeypatch.setenv("SCHEDA_DB_PREPARE_AFTER", "often")
    with pytest.raises(config.ConfigError, match="SCHEDA_DB_PREPARE_AFTER=often is not a whole number"):
        config.database(tmp_path)


@pytest.mark.django_db
def test_the_connection_prepares_a_record_read_on_its_sixth_run():
    from django.db import connection

    from scheda.objects.models import ObjectType
    from scheda.records.models import Record

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements")
    for _run in range(6):
        list(Record.objects.filter(object_type=ObjectType.objects.get(name="contacts"), properties__email="a@x.it"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ['%"records_record"%'])
        assert cursor.fetchall(), "the record read was not prepared"


@pytest.mark.django_db(transaction=True)  # the column is added by another connection, as by a migration
def test_a_prepared_token_check_outlives_a_column_a_migration_adds():
    """A server started before a migration keeps its prepared statements; one naming `*` would
    fail once another connection gives the table a column more ("cached plan must not change
    result type")."""
    import psycopg
    from django.db import connection

    from scheda.accounts.services import authenticate_token, create_token

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements")
    token, secret = create_token("prepared")
    for _run in range(6):
        assert authenticate_token(secret) == token
    with psycopg.connect(connection.connection.info.dsn, autocommit=True) as migrating:
        migrating.execute("ALTER TABLE accounts_apitoken ADD COLUMN added_later integer")
        try:
            assert authenticate_token(secret) == token
        finally:
            migrating.execute("ALTER TABLE accounts_apitoken DROP COLUMN added_later")


@pytest.mark.django_db  # lets a connection open; this one is to a file of its own, on either database
def test_sqlite_connections_read_through_a_memory_map(tmp_path):
    from django.db.utils import ConnectionHandler

    wrapper = ConnectionHandler({"default": config.sqlite_database(tmp_path / "scheda.sqlite3")})["default"]
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA mmap_size")
            assert cursor.fetchone()[0] >= 1 << 30
    finally:
        wrapper.close()


@pytest.mark.django_db  # a file of its own, on either database
@pytest.mark.parametrize(("max_age", "kept"), [("", True), ("0", False)])
def test_a_sqlite_connection_outlives_its_request_unless_told(tmp_path, monkeypatch, max_age, kept):
    from django.db.utils import ConnectionHandler

    monkeypatch.setenv("SCHEDA_DB_CONN_MAX_AGE", max_age)
    wrapper = ConnectionHandler({"default": config.sqlite_database(tmp_path / "scheda.sqlite3")})["default"]
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
        wrapper.close_if_unusable_or_obsolete()  # what the end of each request runs
        assert (wrapper.connection is not None) is kept
    finally:
        wrapper.close()
