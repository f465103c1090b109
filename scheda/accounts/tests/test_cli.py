"""The `scheda` command as a user runs it: a real process, its output and exit code."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scheda.accounts.scopes import SCOPES

ROOT = Path(__file__).resolve().parents[3]


def scheda(*args: str, env: dict[str, str] | None = None, data_dir: Path) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDA_")}
    environment.update({"SCHEDA_DATA_DIR": str(data_dir), **(env or {})})
    return subprocess.run([sys.executable, "-m", "scheda.cli", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("cli")
    result = scheda("migrate", "--verbosity", "0", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return data_dir


def test_bad_database_url_stops_with_one_line(tmp_path):
    result = scheda("migrate", env={"SCHEDA_DATABASE_URL": "mysql://x@y/z"}, data_dir=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "scheda: SCHEDA_DATABASE_URL has an unsupported scheme 'mysql': use sqlite:/// or postgresql://"]


def test_short_secret_key_stops_with_one_line(tmp_path):
    result = scheda("migrate", env={"SCHEDA_SECRET_KEY": "short"}, data_dir=tmp_path)
    assert result.returncode == 2
    assert "SCHEDA_SECRET_KEY must be at least 32 characters" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_postgresql_is_one_line(tmp_path):
    result = scheda("migrate", env={"SCHEDA_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing"}, data_dir=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("scheda: the database cannot be used:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_secret_key_is_generated_once_and_kept(tmp_path):
    scheda("check", data_dir=tmp_path)
    key = (tmp_path / "secret_key").read_text()
    scheda("check", data_dir=tmp_path)
    assert len(key) >= 50 and (tmp_path / "secret_key").read_text() == key


def test_token_create_prints_only_the_token_with_every_scope(migrated):
    result = scheda("token", "create", "--name", "ci", data_dir=migrated)
    assert result.returncode == 0, result.stderr
    (token,) = result.stdout.split()
    assert token.startswith("pat-scheda-") and len(token) > 40
    check = scheda("shell", "--no-imports", "-c", "from scheda.accounts.services import authenticate_token as a; "
                   f"t = a('{token}'); print(t.name, len(t.scopes), 'crm.objects.contacts.write' in t.scopes)",
                   data_dir=migrated)
    assert check.stdout.split() == ["ci", str(len(SCOPES)), "True"]


def test_token_create_with_named_scopes_and_a_bad_one(migrated):
    good = scheda("token", "create", "--name", "reader", "--scopes", "crm.objects.contacts.read", data_dir=migrated)
    assert good.returncode == 0
    bad = scheda("token", "create", "--name", "x", "--scopes", "crm.objects.nothing.read", data_dir=migrated)
    assert bad.returncode != 0 and "Unknown scope(s): crm.objects.nothing.read" in bad.stderr
    assert bad.stdout == ""


def test_createuser_and_duplicate(migrated):
    made = scheda("createuser", "--email", "Rep@Example.com", "--password", "a-long-password-9", data_dir=migrated)
    assert made.returncode == 0 and "rep@example.com" in made.stdout
    again = scheda("createuser", "--email", "rep@example.com", "--password", "a-long-password-9", data_dir=migrated)
    assert again.returncode != 0 and "already exists" in again.stderr
    weak = scheda("createuser", "--email", "new@example.com", "--password", "123", data_dir=migrated)
    assert weak.returncode != 0 and "too short" in weak.stderr


def test_demo_loads_once_and_prints_how_to_sign_in(tmp_path):
    assert scheda("migrate", "--verbosity", "0", data_dir=tmp_path).returncode == 0
    first = scheda("demo", data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Sign in at /login/ as admin@scheda.local with password " in first.stdout
    second = scheda("demo", data_dir=tmp_path)
    assert "already loaded" in second.stdout and "password" not in second.stdout
    counts = scheda("shell", "--no-imports", "-c", "from scheda.records.models import Record; from django.db.models import Count; "
                    "import json; print(json.dumps(dict(Record.objects.values_list('object_type__name').annotate(n=Count('id')))))",
                    data_dir=tmp_path)
    loaded = json.loads(counts.stdout)
    assert loaded["contacts"] == 60 and loaded["companies"] == 15 and loaded["deals"] == 25
    assert sum(loaded.get(kind, 0) for kind in ("notes", "calls", "emails", "meetings", "tasks")) == 400
