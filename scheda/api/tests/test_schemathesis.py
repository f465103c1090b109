"""schemathesis over /api/openapi.json: generated calls to every operation get no 5xx and no
response that breaks the published schema. Bounded for `make test`; SCHEMATHESIS_EXAMPLES and
SCHEMATHESIS_SEED widen it, SCHEMATHESIS_TIMEOUT gives a long run its time and
SCHEMATHESIS_OUTPUT a file for its whole report (README, "Hostile input", has the long run)."""

import os
import subprocess
from pathlib import Path

import pytest

from scheda.api.tests.live import running_server

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own: generated calls change and archive properties, labels and schemas,
    which the other tests of the session's server must not see."""
    with running_server(tmp_path_factory.mktemp("fuzz"), "fuzz") as live:
        yield live


def test_openapi_contract_holds_under_generated_input(server):
    examples = os.environ.get("SCHEMATHESIS_EXAMPLES", "8")
    seed = os.environ.get("SCHEMATHESIS_SEED", "2026")
    result = subprocess.run(
        [str(Path(os.sys.executable).parent / "st"), "--config-file", str(HERE / "schemathesis.toml"), "run",
         f"{server.url}/api/openapi.json", "-H", f"Authorization: Bearer {server.token}", "-n", examples,
         "--seed", seed, "-c", "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
         "--request-timeout", "30"],
        capture_output=True, text=True, timeout=int(os.environ.get("SCHEMATHESIS_TIMEOUT", "540")),
    )
    if os.environ.get("SCHEMATHESIS_OUTPUT"):  # the long run keeps its whole report
        Path(os.environ["SCHEMATHESIS_OUTPUT"]).write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "generated" in result.stdout
