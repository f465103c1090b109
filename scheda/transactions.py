"""Write transactions that survive concurrent writers. Writers lock the records they change in
id order (scheda.records.storage.lock_records), so two of them wait for each other instead of
deadlocking; what can still collide (PostgreSQL's deadlock detector or a serialization failure,
SQLite's busy timeout running out) rolls the whole transaction back, and `retried` runs it again."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection, transaction

logger = logging.getLogger("scheda.transactions")

P = ParamSpec("P")
R = TypeVar("R")

# Runs of one transaction before its error reaches the caller.
ATTEMPTS = 4
# PostgreSQL's serialization_failure and deadlock_detected.
RETRYABLE_STATES = {"40001", "40P01"}


def retryable(error: OperationalError) -> bool:
    """A conflict with another writer, after which the transaction was rolled back whole."""
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) in RETRYABLE_STATES:
        return True
    message = str(error).lower()
    return connection.vendor == "sqlite" and ("database is locked" in message or "database is busy" in message)


def retried(function: Callable[P, R]) -> Callable[P, R]:
    """Run a service in a transaction of its own, again (a bounded number of times, after a short
    random pause) when another writer made it fail. Called inside a caller's transaction it is a
    savepoint and is not retried: a savepoint cannot outlive its transaction's failure, so the
    outermost `retried` service runs everything again."""

    @wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if connection.in_atomic_block:
            with transaction.atomic():
                return function(*args, **kwargs)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with transaction.atomic():
                    return function(*args, **kwargs)
            except OperationalError as error:
                if attempt == ATTEMPTS or not retryable(error):
                    raise
                logger.warning("%s: %s; running it again (attempt %d of %d)", function.__qualname__,
                               str(error).strip().splitlines()[0], attempt + 1, ATTEMPTS)
                time.sleep(random.uniform(0.01, 0.05) * attempt)
        raise AssertionError("unreachable")

    return run
