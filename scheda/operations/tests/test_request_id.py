"""The request id: taken from X-Request-ID when sane, made otherwise, sent back, in every log
record of the request and in the API's correlationId; and the JSON log lines that carry it."""

import io
import json
import logging
import uuid

import pytest
from django.http import HttpResponse
from django.urls import path

from scheda.accounts import services as accounts
from scheda.operations.logs import JsonFormatter, RequestIdFilter, TextFormatter

pytestmark = pytest.mark.django_db


def fails(request):
    raise RuntimeError("the deal stage vanished")


def answers(request):
    logging.getLogger("scheda.records").warning("a contact was read")
    return HttpResponse("ok")


# For the tests marked `urls(__name__)`: a page that fails and one that logs.
urlpatterns = [path("fails/", fails), path("answers/", answers)]


@pytest.fixture
def log_lines():
    """Everything logged at INFO and above, through the console handler's filter and JSON
    formatter, as parsed JSON objects."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


def is_uuid4(value: str) -> bool:
    try:
        return uuid.UUID(value).version == 4
    except ValueError:
        return False


def test_a_sane_request_id_is_kept_and_sent_back(client):
    answer = client.get("/login/", HTTP_X_REQUEST_ID="lb-7f3a.01_B")
    assert answer["X-Request-ID"] == "lb-7f3a.01_B"


@pytest.mark.parametrize("sent", ["", "a" * 65, "has space", "new\nline", "ünïcode", "semi;colon"])
def test_an_insane_request_id_is_replaced_with_a_uuid4(client, sent):
    answer = client.get("/login/", HTTP_X_REQUEST_ID=sent)
    assert answer["X-Request-ID"] != sent and is_uuid4(answer["X-Request-ID"])


def test_without_one_each_request_gets_its_own(client):
    first, second = client.get("/login/")["X-Request-ID"], client.get("/login/")["X-Request-ID"]
    assert is_uuid4(first) and is_uuid4(second) and first != second


def test_an_api_errors_correlation_id_is_the_request_id(client):
    _token, secret = accounts.create_token("ops", None, None)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    missing = client.get("/crm/v3/objects/contacts/999999999", **bearer)
    assert missing.status_code == 404 and missing.json()["category"] == "OBJECT_NOT_FOUND"
    assert missing.json()["correlationId"] == missing["X-Request-ID"] == missing["X-HubSpot-Correlation-Id"]
    assert is_uuid4(missing["X-Request-ID"])
    # A proxy's id carries through to the error body, so its logs and Scheda's meet.
    sent = client.get("/crm/v3/objects/contacts/999999999", HTTP_X_REQUEST_ID="edge-42", **bearer)
    assert sent.json()["correlationId"] == "edge-42"
    # Errors raised outside the API's handlers (an unknown path) too.
    unknown = client.get("/crm/v3/nothing-here", **bearer)
    assert unknown.status_code == 404 and unknown.json()["correlationId"] == unknown["X-Request-ID"]


@pytest.mark.urls(__name__)
def test_every_log_line_of_a_request_carries_its_id_and_the_access_line_its_figures(client, owner, log_lines):
    client.force_login(owner)
    client.get("/answers/", HTTP_X_REQUEST_ID="req-1")
    lines = log_lines()
    read = next(line for line in lines if line["logger"] == "scheda.records")
    assert read["message"] == "a contact was read" and read["request_id"] == "req-1"
    assert read["level"] == "WARNING" and read["time"].endswith("Z")
    access = next(line for line in lines if line["logger"] == "scheda.request")
    assert access["request_id"] == "req-1" and access["level"] == "INFO"
    assert access["method"] == "GET" and access["path"] == "/answers/" and access["status"] == 200
    assert isinstance(access["duration_ms"], float) and access["user_id"] == owner.pk


def test_the_access_line_names_the_signed_in_user_and_skips_static_files_and_passing_probes(browser, owner, log_lines):
    browser.get("/")
    browser.get("/static/scheda/app.css")
    browser.get("/health/")
    access = [line for line in log_lines() if line["logger"] == "scheda.request"]
    assert [(line["path"], line["user_id"]) for line in access] == [("/", owner.pk)]


def test_an_api_call_is_logged_with_its_tokens_user(client, owner, log_lines):
    _token, secret = accounts.create_token("ops", None, owner)
    client.get("/crm/v3/objects/contacts", HTTP_AUTHORIZATION=f"Bearer {secret}")
    access = [line for line in log_lines() if line["logger"] == "scheda.request"]
    assert [(line["status"], line["user_id"]) for line in access] == [(200, owner.pk)]


@pytest.mark.urls(__name__)
def test_a_server_error_is_logged_with_the_request_id_and_traceback(client, log_lines):
    client.raise_request_exception = False
    answer = client.get("/fails/")
    assert answer.status_code == 500
    error = next(line for line in log_lines() if line["level"] == "ERROR")
    assert error["request_id"] == answer["X-Request-ID"]
    assert "RuntimeError: the deal stage vanished" in error["exception"]
    assert "Traceback" in error["exception"]


def test_a_client_error_logged_by_django_after_the_middleware_still_carries_the_id(client, log_lines):
    answer = client.get("/crm/v3/objects/contacts")  # no token: 401, logged by django.request
    refused = next(line for line in log_lines() if line["logger"] == "django.request")
    assert refused["level"] == "WARNING" and refused["request_id"] == answer["X-Request-ID"]


def test_outside_a_request_the_id_is_empty_in_both_formats(client):
    client.get("/login/", HTTP_X_REQUEST_ID="over")
    record = logging.LogRecord("scheda.demo", logging.INFO, __file__, 1, "loaded %d contacts", (10,), None)
    RequestIdFilter().filter(record)
    assert json.loads(JsonFormatter().format(record))["request_id"] is None
    text = TextFormatter().format(record)
    assert text.endswith(" INFO [-] scheda.demo: loaded 10 contacts")
    assert record.request_id is None  # the text format's "-" stays its own


def test_the_access_line_does_not_read_the_session_for_the_user(rf):
    """A request whose user nobody read costs no query for the access line."""
    from django.utils.functional import SimpleLazyObject

    from scheda.operations.middleware import user_id

    request = rf.get("/")
    request.user = SimpleLazyObject(lambda: pytest.fail("the session was read"))
    assert user_id(request) is None
