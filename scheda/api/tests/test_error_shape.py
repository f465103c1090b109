"""One error shape over every endpoint of the published API (HubSpot's): called without a token,
and called with bad input, each operation answers 4xx with status, message, correlationId and
category."""

import re

SHAPE = {"status", "message", "correlationId", "category"}


def operations(server):
    _, _, spec = server.call("GET", "/api/openapi.json")
    for path, methods in spec["paths"].items():
        for method in methods:
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), path


def assert_shape(answer, status, where):
    assert isinstance(answer, dict) and answer.keys() >= SHAPE, (where, status, answer)
    assert answer["status"] == "error" and answer["message"] and answer["category"], (where, answer)
    for detail in answer.get("errors", []):
        assert detail["message"], (where, answer)


def test_every_endpoint_refuses_a_missing_token_in_the_error_shape(server):
    seen = 0
    for method, path in operations(server):
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        status, headers, answer = server.call(method, concrete, {} if method != "GET" else None, anonymous=True)
        assert status == 401, (method, path, status)
        assert_shape(answer, status, (method, path))
        assert headers["X-HubSpot-Correlation-Id"] == answer["correlationId"]
        seen += 1
    assert seen >= 13


def test_every_endpoint_answers_bad_input_in_the_error_shape(server):
    checked = 0
    for method, path in operations(server):
        if method == "GET" and "{" not in path:
            continue  # a plain listing has no input to get wrong
        checked += 1
        concrete = re.sub(r"\{[^}]+\}", "no-such-thing", path)
        body = None if method in ("GET", "DELETE") else {"inputs": "not a list", "properties": 7, "label": None}
        status, _, answer = server.call(method, concrete, body)
        assert 400 <= status < 500, (method, path, status, answer)
        assert_shape(answer, status, (method, path))
    assert checked >= 12


def test_unknown_paths_and_methods_too(server):
    for method, path in (("GET", "/crm/v3/nothing"), ("PUT", "/crm/v3/objects/contacts"), ("GET", "/crm-object-schemas/v3/x/y/z")):
        status, _, answer = server.call(method, path, {} if method == "PUT" else None)
        assert status in (404, 405)
        assert_shape(answer, status, (method, path))
