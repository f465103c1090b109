"""scheda.transactions.retried: a transaction another writer made fail runs again, whole; records
locked in id order. Real collisions on the real database: a deadlock between two PostgreSQL
connections, SQLite's write lock held by another connection past the busy timeout."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

import pytest
from django.db import OperationalError, connection, connections, transaction

from scheda.records import services
from scheda.records.models import PropertyChange, Record
from scheda.records.storage import lock_records
from scheda.transactions import ATTEMPTS, retried, retryable

pytestmark = pytest.mark.django_db(transaction=True)


def _records(count: int) -> list[int]:
    return [services.create_record("companies", {"name": f"Lock {n}"}, services.Author()).pk for n in range(count)]


def _in_thread(target) -> threading.Thread:
    def run():
        try:
            target()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's deadlock detector")
def test_a_deadlock_is_retried_whole(caplog):
    """Two transactions lock two records in opposite orders; PostgreSQL kills one, `retried`
    runs it again from the start and both end with their writes."""
    first, second = _records(2)
    met = threading.Barrier(2, timeout=30)
    runs: list[str] = []

    def locker(name: str, order: list[int]):
        @retried
        def write():
            runs.append(name)
            Record.objects.select_for_update().get(pk=order[0])
            if runs.count(name) == 1:
                met.wait()  # both hold their first lock: each now waits for the other's
            Record.objects.filter(pk=order[1]).update(properties={"name": name})
        return lambda: write()

    threads = [_in_thread(locker("a", [first, second])), _in_thread(locker("b", [second, first]))]
    for thread in threads:
        thread.join(60)
    assert sorted(runs) == ["a", "a", "b"] or sorted(runs) == ["a", "b", "b"], runs
    assert "deadlock detected" in caplog.text and "running it again" in caplog.text
    assert {Record.objects.get(pk=first).properties["name"], Record.objects.get(pk=second).properties["name"]} <= {"a", "b"}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's one write lock")
def test_a_locked_sqlite_database_is_retried(tmp_path):
    """Another connection holds SQLite's write lock past the busy timeout: the write fails with
    "database is locked", is run again once the lock is gone, and is written once. On a file
    database of its own (the test database is in memory, where SQLite has no busy timeout)."""
    path = str(tmp_path / "locked.sqlite3")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA journal_mode=WAL")  # as Scheda's connections set it: WAL readers do not wait
    other.execute("CREATE TABLE counter (n INTEGER)")
    other.execute("INSERT INTO counter VALUES (0)")
    other.execute("BEGIN IMMEDIATE")  # the write lock, until the retry is announced

    class LetGo(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if other.in_transaction:
                other.execute("ROLLBACK")
            messages.append(record.getMessage())

    messages: list[str] = []
    runs: list[int] = []

    @retried
    def write():
        runs.append(1)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE counter SET n = n + 1")

    # The in-memory test database is set aside, not closed (closing would drop it).
    name, memory, handler = connection.settings_dict["NAME"], connection.connection, LetGo()
    logging.getLogger("scheda.transactions").addHandler(handler)
    connection.connection = None
    connection.settings_dict["NAME"] = path
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 200")
        write()
    finally:
        connection.close()
        connection.settings_dict["NAME"], connection.connection = name, memory
        logging.getLogger("scheda.transactions").removeHandler(handler)
    assert len(messages) == 1 and "database is locked" in messages[0] and "running it again" in messages[0]
    assert runs == [1]  # the failed run never began: IMMEDIATE asks for the lock at BEGIN
    assert other.execute("SELECT n FROM counter").fetchone() == (1,)
    other.close()


def test_other_errors_and_inner_calls_are_not_retried():
    """Only a collision with another writer is retried; inside a caller's transaction a retried
    service is a savepoint that fails with its caller, which runs it again if anyone does."""
    runs = []

    @retried
    def broken():
        runs.append(1)
        raise OperationalError("no such table: elsewhere")

    with pytest.raises(OperationalError):
        broken()
    assert runs == [1]

    @retried
    def collides():
        runs.append(2)
        raise OperationalError("database is locked") if connection.vendor == "sqlite" else _deadlock()

    with pytest.raises(OperationalError), transaction.atomic():
        collides()
    assert runs == [1, 2]
    with pytest.raises(OperationalError):
        collides()
    assert runs == [1, 2] + [2] * ATTEMPTS


def test_create_records_runs_again_whole(monkeypatch):
    """A create that collides after its insert runs again from its ids on: the records, their
    history and their given create dates are written once."""
    calls: list[int] = []
    write_changes = services._write_changes

    def collides_once(rows, author, when):  # after the records' insert, before the history's
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked") if connection.vendor == "sqlite" else _deadlock()
        return write_changes(rows, author, when)

    monkeypatch.setattr(services, "_write_changes", collides_once)
    ids = [r.pk for r in services.create_records("companies", [{"name": "Twice tried", "createdate": "2024-01-02T03:04:05Z"}],
                                                 services.Author())]
    assert len(calls) == 2
    assert list(Record.objects.filter(properties__name="Twice tried").values_list("id", flat=True)) == ids
    assert Record.objects.get(pk=ids[0]).created_at.year == 2024
    assert PropertyChange.objects.filter(record_id=ids[0]).count() == 1


def _deadlock() -> OperationalError:
    import psycopg

    error = OperationalError("deadlock detected")
    error.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
    return error


def test_lock_records_takes_row_locks_in_id_order():
    """On PostgreSQL the rows are locked (another connection cannot take them without waiting);
    on SQLite it costs no query, the transaction holding the database's write lock."""
    ids = _records(3)
    with transaction.atomic():
        if connection.vendor == "sqlite":
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as queries:
                lock_records(reversed(ids))
            assert len(queries) == 0
            return
        lock_records(reversed(ids))
        seen: list[object] = []

        def probe():
            with transaction.atomic():
                seen.extend(Record.objects.select_for_update(nowait=True).filter(pk=ids[1]).values_list("pk", flat=True))

        def guarded():
            try:
                probe()
            except Exception as error:  # the probe's failure is what is checked
                seen.append(error)

        thread = _in_thread(guarded)
        thread.join(30)
    assert len(seen) == 1 and isinstance(seen[0], OperationalError), seen


class _Clock:
    """time.monotonic and time.sleep for scheda.sqlite: pauses are recorded, not slept."""

    def __init__(self, after_pauses=None):
        self.now, self.pauses, self.after_pauses = 0.0, [], after_pauses

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.pauses.append(seconds)
        if self.after_pauses is not None and len(self.pauses) == self.after_pauses[0]:
            self.after_pauses[1]()


def _sqlite_writer(path: Path, timeout: float):
    """A connection of Scheda's SQLite backend on its own file (the test database is in memory)."""
    from scheda.config import sqlite_database
    from scheda.sqlite.base import DatabaseWrapper

    settings = sqlite_database(path)
    settings["OPTIONS"]["timeout"] = timeout
    settings.update(TIME_ZONE=None, CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=False, AUTOCOMMIT=True, ATOMIC_REQUESTS=False)
    return DatabaseWrapper(settings, alias="sqlite-lock-test")


def _holder(path: Path) -> sqlite3.Connection:
    """Another connection, holding the write lock."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("PRAGMA journal_mode=WAL")
    other.execute("CREATE TABLE counter (n INTEGER)")
    other.execute("INSERT INTO counter VALUES (0)")
    other.execute("BEGIN IMMEDIATE")
    return other


def test_a_sqlite_write_waits_for_the_lock_in_short_steps(tmp_path, monkeypatch):
    """A write transaction that finds SQLite's write lock taken tries again every 0.1-1 ms (SQLite's
    own busy handler sleeps 1, 2, 5, 10 ms ... between tries, and the lock sits free meanwhile)
    and begins once it is free; its connection keeps its busy timeout for other statements."""
    from scheda.sqlite import base

    path = tmp_path / "queue.sqlite3"
    other = _holder(path)
    clock = _Clock(after_pauses=(7, lambda: other.execute("COMMIT")))
    monkeypatch.setattr(base, "time", clock)
    writer = _sqlite_writer(path, timeout=2)
    writer.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)  # as atomic() begins
    with writer.cursor() as cursor:
        cursor.execute("UPDATE counter SET n = n + 1")
    writer.commit()
    assert clock.pauses == [0.0001, 0.0002, 0.0004, 0.0008, 0.001, 0.001, 0.001]
    assert writer.connection.execute("PRAGMA busy_timeout").fetchone() == (2000,)
    assert other.execute("SELECT n FROM counter").fetchone() == (1,)
    writer.close()
    other.close()


def test_a_sqlite_lock_held_past_the_busy_timeout_fails_as_locked(tmp_path, monkeypatch):
    """Past the connection's busy timeout the BEGIN fails with "database is locked", which
    `retried` runs again, and the busy timeout is the connection's again."""
    from scheda.sqlite import base

    path = tmp_path / "held.sqlite3"
    other = _holder(path)
    clock = _Clock()
    monkeypatch.setattr(base, "time", clock)
    writer = _sqlite_writer(path, timeout=0.05)
    with pytest.raises(OperationalError, match="database is locked") as failed:
        writer.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    assert sum(clock.pauses) >= 0.05 and max(clock.pauses) == 0.001
    assert writer.connection.execute("PRAGMA busy_timeout").fetchone() == (50,)
    assert not writer.connection.in_transaction
    if connection.vendor == "sqlite":  # `retried` tells a collision from other errors by its message
        assert retryable(failed.value)
    writer.close()
    other.rollback()
    other.close()
