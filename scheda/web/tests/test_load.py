"""The load test's driver (bench/load.py, `make load`) run for a few seconds at a low rate
against a real `scheda serve` on the demo data set: it must make every kind of request of its
mix, and each must succeed, so that the driver cannot rot into measuring error pages."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
KINDS = {
    "UI record page (contacts, Activities tab)", "UI record page (companies, Activities tab)",
    "UI record page (the busy contact, Activities tab)", "UI timeline next page", "UI timeline search",
    "UI index page with a filter", "UI global search", "UI inline edit: open the editor", "UI inline edit: save",
    "UI log a note", "API create a contact with its company", "API batch create 10 contacts with companies",
    "API search contacts", "API read by id",
}


def test_the_load_driver_makes_every_kind_of_request_without_an_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SCHEDA_DATABASE_URL", "BENCH_DATABASE_URL")}
    database = os.environ.get("SCHEDA_DATABASE_URL", "")
    if database.startswith("postgres"):
        env["BENCH_DATABASE_URL"] = f"{database}_load"
    figures = tmp_path / "figures.json"
    result = subprocess.run([sys.executable, "bench/load.py", "--size", "demo", "--seconds", "3", "--rate", "8",
                             "--data-dir", str(tmp_path / "data"), "--json", str(figures)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    made = json.loads(figures.read_text())
    assert made["errors"] == 0, made["examples"]
    assert set(made["kinds"]) >= KINDS, result.stdout
    for label, kind in made["kinds"].items():
        assert kind["requests"] > 0 and kind["errors"] == 0, (label, kind)
    assert made["requests"] >= 24  # 8 actions a second for 3 seconds, some of two requests
    assert ("PostgreSQL" if database.startswith("postgres") else "SQLite") in result.stdout
