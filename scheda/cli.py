"""The `scheda` command: Django's management commands with Scheda's settings, and one clear
line instead of a traceback when a setting or the database is wrong."""

from __future__ import annotations

import os
import sys

# `scheda token create` is the management command `token_create`, and so on.
ALIASES = {("token", "create"): "token_create", ("token", "revoke"): "token_revoke"}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheda.settings")
    if tuple(args[:2]) in ALIASES:
        args = [ALIASES[(args[0], args[1])], *args[2:]]
    from scheda.config import ConfigError

    try:
        import django

        django.setup()
        from django.core.management import execute_from_command_line
        from django.db import OperationalError

        try:
            execute_from_command_line(["scheda", *args])
        except OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            print(f"scheda: the database cannot be used: {first}", file=sys.stderr)
            return 2
    except ConfigError as exc:
        print(f"scheda: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
