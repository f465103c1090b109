"""`GET /health/` for load balancers and monitors: does the database answer, and is every
migration applied? 200 with each part "ok", or 503 naming the part that is not."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse

import scheda

logger = logging.getLogger("scheda.health")

# Reading the migration files takes a tenth of a second, and they change only with a deploy,
# which starts new processes: once a process has seen every migration applied, it stops asking.
migrations_applied = False


def unapplied_migrations() -> list[str]:
    executor = MigrationExecutor(connections["default"])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def check() -> tuple[int, dict[str, str]]:
    global migrations_applied
    answer = {"status": "ok", "database": "ok", "migrations": "ok" if migrations_applied else "unknown",
              "version": scheda.__version__}
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        if not migrations_applied:
            unapplied = unapplied_migrations()
            migrations_applied = not unapplied
            answer["migrations"] = "ok" if migrations_applied else f"{len(unapplied)} unapplied"
    except DatabaseError:
        # The details (host names, user) go to the log, not to whoever probes.
        logger.exception("Health check: the database does not answer")
        answer["database"] = "unreachable"
    if answer["database"] != "ok" or answer["migrations"] != "ok":
        answer["status"] = "error"
        return 503, answer
    return 200, answer


class Health:
    """Answers /health/ before any other middleware: no HTTPS redirect (load balancers probe over
    plain HTTP), no host check (they probe by address), no session, no CSRF."""

    PATH = "/health/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != self.PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = HttpResponse(status=405)
            response["Allow"] = "GET, HEAD"
            return response
        status, answer = check()
        response = JsonResponse(answer, status=status)
        response["Cache-Control"] = "no-store"
        return response
