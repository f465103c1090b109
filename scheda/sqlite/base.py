"""Scheda's SQLite backend: Django's, with write transactions that wait for the database's
one write lock in short steps (docs/DECISIONS.md 36). SQLite's busy handler sleeps 1, 2, 5,
10, 15 ms ... between tries, so a writer that finds the lock taken for 2 ms sleeps 3 and the
lock sits free meanwhile; tried every 0.1-1 ms instead, writers queue closer behind each other."""

from __future__ import annotations

import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base

FIRST_PAUSE = 0.0001
LONGEST_PAUSE = 0.001


class DatabaseWrapper(base.DatabaseWrapper):
    def _start_transaction_under_autocommit(self) -> None:
        if self.transaction_mode != "IMMEDIATE":  # type: ignore[attr-defined]  # (not in django-stubs)
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
            return
        # The busy timeout this connection has (the OPTIONS' "timeout", or a PRAGMA's) bounds the
        # wait; without one a BEGIN that finds the lock taken fails at once, while every other
        # statement keeps SQLite's wait (an autocommit write, a checkpoint).
        (timeout_ms,) = self.connection.execute("PRAGMA busy_timeout").fetchone()
        deadline, pause = time.monotonic() + timeout_ms / 1000, FIRST_PAUSE
        self.connection.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    self.cursor().execute("BEGIN IMMEDIATE")
                    return
                except OperationalError as error:
                    if "locked" not in str(error) or time.monotonic() >= deadline:
                        raise
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)
        finally:
            self.connection.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
