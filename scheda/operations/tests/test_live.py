"""A real `scheda serve` with SCHEDA_LOG_FORMAT=json: its log, gunicorn's lines included, is one
JSON object per line, and a request's lines carry the id the API's error body names."""

import json
import os
from pathlib import Path

from scheda.api.tests.live import Server, _database_url, start_server


def test_a_served_scheda_logs_json_lines_with_the_request_id(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDA_")}
    env.update({"SCHEDA_DATA_DIR": str(tmp_path), "SCHEDA_LOG_FORMAT": "json"})
    database = _database_url("ops_live")
    if database:
        env["SCHEDA_DATABASE_URL"] = database
    Server("", "", env).scheda("migrate", "--verbosity", "0")
    process, url = start_server(env, ready_path="/health/")
    try:
        live = Server(url, "not-a-token", env)
        status, _headers, health = live.call("GET", "/health/", anonymous=True)
        assert status == 200 and health["database"] == "ok" and health["migrations"] == "ok"
        status, headers, error = live.call("GET", "/crm/v3/objects/contacts", headers={"X-Request-ID": "live-1"})
        assert status == 401 and error["correlationId"] == headers["X-Request-ID"] == "live-1"
    finally:
        process.terminate()
        process.wait(timeout=10)
    lines = Path(tmp_path, "serve.log").read_text().splitlines()
    # Besides the line saying where it serves (on stdout), every line is JSON.
    entries = [json.loads(line) for line in lines if not line.startswith("Scheda is serving at")]
    assert any(entry["logger"] == "gunicorn.error" for entry in entries)
    access = [entry for entry in entries if entry["logger"] == "scheda.request"]
    assert [(entry["path"], entry["status"], entry["request_id"]) for entry in access] == [
        ("/crm/v3/objects/contacts", 401, "live-1")]
