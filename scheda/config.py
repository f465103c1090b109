"""Settings read from the environment, checked once, with one clear line on error."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlparse


class ConfigError(Exception):
    """A bad setting: the message is one line meant for the person starting Scheda."""


def data_dir() -> Path:
    path = Path(os.environ.get("SCHEDA_DATA_DIR", "./var")).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"SCHEDA_DATA_DIR={path} cannot be created: {exc.strerror}") from exc
    if not os.access(path, os.W_OK):
        raise ConfigError(f"SCHEDA_DATA_DIR={path} is not writable")
    return path


def secret_key(directory: Path) -> str:
    """SCHEDA_SECRET_KEY, or one generated on first start and kept in the data dir."""
    key = os.environ.get("SCHEDA_SECRET_KEY")
    if key is not None:
        if len(key) < 32:
            raise ConfigError("SCHEDA_SECRET_KEY must be at least 32 characters long")
        return key
    keyfile = directory / "secret_key"
    if not keyfile.exists():
        keyfile.write_text(secrets.token_urlsafe(50))
        keyfile.chmod(0o600)
    return keyfile.read_text().strip()


def database(directory: Path) -> dict:
    url = os.environ.get("SCHEDA_DATABASE_URL", "")
    if not url:
        return sqlite_database(directory / "scheda.sqlite3")
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        import dj_database_url

        return sqlite_database(Path(dj_database_url.parse(url)["NAME"]))
    if scheme in ("postgres", "postgresql", "pgsql"):
        import dj_database_url

        config = dj_database_url.parse(url, conn_max_age=connection_max_age(), conn_health_checks=True)
        if not config.get("NAME"):
            raise ConfigError("SCHEDA_DATABASE_URL names no database (postgresql://user@host:5432/NAME)")
        # No parallel workers for a request's short queries: starting them took 8-19 ms where
        # the query took 0.2 ms (the record page's association counts at data set L). Options in
        # the URL (?options=-c ...) come after, so they win. docs/DECISIONS.md 21.
        options = config.setdefault("OPTIONS", {})
        options["options"] = " ".join(["-c max_parallel_workers_per_gather=0", options.get("options", "")]).strip()
        # A statement on the records table plans longer than it runs (0.4-0.9 ms against its 71
        # indexes): bound on the server, a statement a kept connection has run this many times is
        # prepared and its plan kept. docs/DECISIONS.md 42.
        prepare_after = statement_runs_before_prepare(config["CONN_MAX_AGE"] or 0)
        if prepare_after:
            options.update(server_side_binding=True, prepare_threshold=prepare_after)
        return dict(config)
    raise ConfigError(
        f"SCHEDA_DATABASE_URL has an unsupported scheme {scheme!r}: use sqlite:/// or postgresql://"
    )


def sqlite_database(path: Path) -> dict:
    # WAL lets readers run beside one writer; IMMEDIATE takes the write lock at BEGIN, so a
    # write transaction waits on busy_timeout instead of failing half-way with "locked".
    # mmap_size: reads come from the OS's page cache in place, not copied in by a system call
    # each page (docs/DECISIONS.md 34).
    return {
        "ENGINE": "scheda.sqlite",  # Django's, waiting for the write lock in short steps
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;PRAGMA cache_size=-200000;PRAGMA mmap_size=2147418112;"
                "PRAGMA temp_store=MEMORY;"
                "PRAGMA analysis_limit=1000;"
            ),
        },
        "TEST": {"NAME": os.environ.get("SCHEDA_TEST_SQLITE") or None},
        "CONN_MAX_AGE": connection_max_age(),
    }


def connection_max_age() -> int:
    """Seconds each web thread keeps its database connection (0: one per request, as behind a
    pooler such as PgBouncer). On SQLite too: opening one costs a request 1-2 ms, its schema read
    again and its page cache cold (docs/DECISIONS.md 39)."""
    return whole_number("SCHEDA_DB_CONN_MAX_AGE", 60)


def statement_runs_before_prepare(conn_max_age: int) -> int:
    """Runs of a statement after which a PostgreSQL connection prepares it (0: never). Only a
    kept connection runs a statement again; behind PgBouncer's transaction pooling before 1.21 a
    prepared statement may be missing on the next transaction's server connection."""
    return whole_number("SCHEDA_DB_PREPARE_AFTER", 5 if conn_max_age else 0)


def flag(name: str) -> bool:
    """A yes/no setting: 1/true/yes or 0/false/no (unset is no)."""
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name}={value} is not a yes/no value: use 1 or 0")


def positive_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{name}={value} is not a positive whole number")
    return int(value)


def whole_number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ConfigError(f"{name}={value} is not a whole number (0 or more)")
    return int(value)


def choice(name: str, choices: tuple[str, ...], default: str) -> str:
    """One of `choices`, in any case."""
    value = os.environ.get(name, "").strip() or default
    for known in choices:
        if value.lower() == known.lower():
            return known
    raise ConfigError(f"{name}={value} is not one of {', '.join(choices)}")


SMTP_SECURITY = {"starttls": 587, "ssl": 465, "off": 25}


def email(directory: Path) -> dict:
    """Django's e-mail settings from SCHEDA_EMAIL (console, file or smtp) and SCHEDA_SMTP_*."""
    kind = os.environ.get("SCHEDA_EMAIL", "console").strip().lower() or "console"
    sender = os.environ.get("SCHEDA_FROM_EMAIL", "").strip() or "scheda@localhost"
    if "@" not in sender:
        raise ConfigError(f"SCHEDA_FROM_EMAIL={sender} is not an e-mail address")
    settings: dict = {"DEFAULT_FROM_EMAIL": sender, "SERVER_EMAIL": sender}
    if kind == "console":
        return {**settings, "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if kind == "file":
        path = directory / "mail"
        path.mkdir(exist_ok=True)
        return {**settings, "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": str(path)}
    if kind != "smtp":
        raise ConfigError(f"SCHEDA_EMAIL={kind} is not one of console, file, smtp")
    host = os.environ.get("SCHEDA_SMTP_HOST", "").strip()
    if not host:
        raise ConfigError("SCHEDA_EMAIL=smtp needs SCHEDA_SMTP_HOST")
    security = os.environ.get("SCHEDA_SMTP_TLS", "starttls").strip().lower() or "starttls"
    if security not in SMTP_SECURITY:
        raise ConfigError(f"SCHEDA_SMTP_TLS={security} is not one of starttls, ssl, off")
    return {
        **settings,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": host,
        "EMAIL_PORT": positive_int("SCHEDA_SMTP_PORT", SMTP_SECURITY[security]),
        "EMAIL_HOST_USER": os.environ.get("SCHEDA_SMTP_USER", ""),
        "EMAIL_HOST_PASSWORD": os.environ.get("SCHEDA_SMTP_PASSWORD", ""),
        "EMAIL_USE_TLS": security == "starttls",
        "EMAIL_USE_SSL": security == "ssl",
        "EMAIL_TIMEOUT": 20,
    }
