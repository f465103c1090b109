"""The OpenAPI document is built once per process: building it took seconds a request."""

import ninja.main

from scheda.api.main import api


def test_the_openapi_document_is_built_once(client, monkeypatch):
    built = []
    original = ninja.main.get_schema
    monkeypatch.setattr(ninja.main, "get_schema", lambda **kw: built.append(kw) or original(**kw))
    monkeypatch.setattr(api, "openapi_built", {})
    first = client.get("/api/openapi.json")
    second = client.get("/api/openapi.json")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and b"/crm/v3/objects/{object_type}" in first.content
    assert len(built) == 1
