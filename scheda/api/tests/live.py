"""Fixtures for the API tests of every app (loaded by the root conftest): a real `scheda serve`
on a database of its own (SQLite, or PostgreSQL when the suite runs on it), migrated once for
the session, and HubSpot's own SDK pointed at it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Server:
    url: str
    token: str
    env: dict[str, str]

    def scheda(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "scheda.cli", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def call(self, method: str, path: str, body: object = None, *, token: str | None = None, anonymous: bool = False,
             raw: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], object]:
        """One HTTP request; returns status, headers and the decoded JSON body (None if empty)."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        sent = {"Content-Type": "application/json", **(headers or {})}
        if not anonymous:
            sent["Authorization"] = f"Bearer {token or self.token}"
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, answer, content = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, answer, content = error.code, dict(error.headers), error.read()
        return status, answer, json.loads(content) if content else None

    def token_with(self, *scopes: str) -> str:
        return self.scheda("token", "create", "--name", f"t-{uuid.uuid4().hex[:6]}", "--scopes", *scopes)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(suffix: str) -> str | None:
    url = os.environ.get("SCHEDA_DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None
    import psycopg

    base, _, name = url.rpartition("/")
    database = f"{name}_{suffix}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{database}"')
    return f"{base}/{database}"


def start_server(env: dict[str, str], ready_path: str = "/api/openapi.json", **options: int) -> tuple[subprocess.Popen, str]:
    """`scheda serve` on a free port, waited for until `ready_path` answers. Its output goes to
    serve.log in the data dir: an unread pipe fills after some hundred access-log lines and then
    blocks the server mid-request."""
    port = _free_port()
    flags = [item for key, value in {"workers": 1, **options}.items() for item in (f"--{key}", str(value))]
    log = Path(env["SCHEDA_DATA_DIR"]) / "serve.log"
    with log.open("ab") as output:
        process = subprocess.Popen([sys.executable, "-m", "scheda.cli", "serve", "--port", str(port), *flags],
                                   cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            # /api/openapi.json takes seconds on a machine busy with other test runs.
            urllib.request.urlopen(f"{url}{ready_path}", timeout=15)
            return process, url
        except OSError:  # refused, reset, or (a first answer on a busy machine) timed out
            time.sleep(0.2)
    process.kill()
    pytest.fail(f"scheda serve did not start: {log.read_text(errors='replace')[-4000:]}")


@contextmanager
def running_server(data_dir: Path, name: str) -> Iterator[Server]:
    """A migrated `scheda serve` of its own (SQLite in `data_dir`, or a PostgreSQL database named
    after `name`) with the owner signed up and an API token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDA_")}
    env["SCHEDA_DATA_DIR"] = str(data_dir)
    database = _database_url(name)
    if database:
        env["SCHEDA_DATABASE_URL"] = database
    boot = Server("", "", env)
    boot.scheda("migrate", "--verbosity", "0")
    boot.scheda("createuser", "--email", "owner@example.com", "--password", "a-long-password-3",
                "--first-name", "Olga", "--last-name", "Owner")
    token = boot.scheda("token", "create", "--name", "suite")
    process, url = start_server(env, threads=4)
    try:
        yield Server(url, token, env)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    """The session's live server, shared by the API and browser tests."""
    with running_server(tmp_path_factory.mktemp("api"), "api") as live:
        yield live


@pytest.fixture(scope="session")
def hubspot(server):
    from hubspot import HubSpot

    return HubSpot(access_token=server.token, host=server.url)


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]
