"""schemathesis over /api/openapi.json: generated calls to every operation get no 5xx and no
response that breaks the published schema. Bounded for `make test`; SCHEMATHESIS_EXAMPLES and
SCHEMATHESIS_SEED widen it, SCHEMATHESIS_TIMEOUT gives a long run its time (with pytest's
--timeout 0) and SCHEMATHESIS_OUTPUT a file for its report (README, "Hostile input", has the long run)."""

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


def test_openapi_contract_holds_under_generated_input(server, tmp_path):
    examples = os.environ.get("SCHEMATHESIS_EXAMPLES", "8")
    seed = os.environ.get("SCHEMATHESIS_SEED", "2026")
    # The report goes to a file as it is written, so a long run can be watched.
    report = Path(os.environ.get("SCHEMATHESIS_OUTPUT") or tmp_path / "schemathesis.txt")
    with report.open("w") as output:
        result = subprocess.run(
            [str(Path(os.sys.executable).parent / "st"), "--config-file", str(HERE / "schemathesis.toml"), "run",
             f"{server.url}/api/openapi.json", "-H", f"Authorization: Bearer {server.token}", "-n", examples,
             "--seed", seed, "-c", "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
             "--request-timeout", "30"],
            stdout=output, stderr=subprocess.STDOUT, text=True, timeout=int(os.environ.get("SCHEMATHESIS_TIMEOUT", "540")),
        )
    text = report.read_text()
    assert result.returncode == 0, text[-8000:]
    assert " passed" in text and "generated" in text
