"""The optional per-token limit: off by default; when set, the request past it gets 429 in
HubSpot's shape, counted across server processes."""

import time

from scheda.api.tests.live import Server, start_server


def test_limit_answers_429_in_hubspots_shape(server):
    env = {**server.env, "SCHEDA_API_RATE_LIMIT": "3"}
    process, url = start_server(env, workers=2)
    limited = Server(url, server.token, env)
    try:
        # Stay inside one 10-second window.
        while time.time() % 10 > 6:
            time.sleep(0.5)
        answers = [limited.call("GET", "/crm/v3/objects/contacts?limit=1") for _ in range(5)]
    finally:
        process.terminate()
        process.wait(timeout=10)
    statuses = [status for status, _, _ in answers]
    assert statuses == [200, 200, 200, 429, 429]
    assert [int(h["X-HubSpot-RateLimit-Remaining"]) for _, h, _ in answers[:3]] == [2, 1, 0]
    _, headers, body = answers[3]
    assert body["category"] == "RATE_LIMITS" and body["status"] == "error" and int(headers["Retry-After"]) >= 1
    assert headers["X-HubSpot-RateLimit-Max"] == "3"


def test_no_limit_by_default(server):
    statuses = {server.call("GET", "/crm/v3/objects/contacts?limit=1")[0] for _ in range(30)}
    assert statuses == {200}
