"""Text neither database can keep (a NUL, which PostgreSQL refuses in text and jsonb; a lone
surrogate, which JSON's "\\ud800" escape makes and neither database encodes) in the text fields of
API writes that are not property values: a 400 naming the field on both databases, never a 500
(schemathesis found the association label's on PostgreSQL) and nothing written. Property values
have their own tests (test_properties_hypothesis.py)."""

from __future__ import annotations

import json

import pytest

BAD = {"NUL": "a\x00b", "lone surrogate": "a\ud800b"}
LABELS = "/crm/v4/associations/contacts/companies/labels"
PIPELINES = "/crm/v3/pipelines/deals"


def writes(marker: str) -> list[tuple[str, str, dict, str, str]]:
    """(method, path, body with "{}" where the bad text goes, the field named, where to look for
    what the write would have made: a listing that must not hold `marker`)."""
    stage = {"label": "Won", "displayOrder": 0, "metadata": {"probability": "0.5"}}
    return [
        ("POST", LABELS, {"label": "{}", "name": marker}, "label", LABELS),
        ("POST", LABELS, {"label": marker, "name": "{}"}, "name", LABELS),
        ("POST", LABELS, {"label": marker, "inverseLabel": "{}"}, "inverseLabel", LABELS),
        ("POST", PIPELINES, {"label": f"{marker}{{}}", "displayOrder": 5, "stages": [stage]}, "label", PIPELINES),
        ("POST", PIPELINES, {"label": marker, "displayOrder": 5, "stages": [{**stage, "label": "{}"}]},
         "stages[0].label", PIPELINES),
        ("POST", PIPELINES, {"label": marker, "displayOrder": 5,
                             "stages": [{**stage, "metadata": {"probability": "0.5", "note": "{}"}}]},
         "stages[0].metadata", PIPELINES),
        ("POST", PIPELINES, {"label": marker, "displayOrder": 5,
                             "stages": [{**stage, "metadata": {"probability": "0.5", "{}": "x"}}]},
         "stages[0].metadata", PIPELINES),
    ]


def sent(body: dict, bad: str) -> bytes:
    # json.dumps writes the lone surrogate as the "\ud800" escape a client would send.
    return json.dumps(body).replace('{}"', json.dumps(bad)[1:]).encode()


@pytest.mark.parametrize("kind", BAD)
def test_unstorable_text_is_a_400_naming_its_field_with_nothing_written(server, unique, kind):
    failures = []
    for method, path, body, field, listing in writes(f"m{unique}"):
        status, _, answer = server.call(method, path, raw=sent(body, BAD[kind]))
        named = [error.get("in") for error in (answer or {}).get("errors") or []]
        if status != 400 or named != [field]:
            failures.append(f"{method} {path} {field}: {status} {json.dumps(answer)[:300]}")
        _, _, found = server.call("GET", listing)
        if f"m{unique}" in json.dumps(found):
            failures.append(f"{method} {path} {field}: written anyway")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("kind", BAD)
def test_a_record_looked_up_by_unstorable_text_is_not_found(server, unique, kind):
    """No record holds such a value, so a lookup by a unique property finds none, where
    PostgreSQL failed the query (a 500); an upsert refuses it as the property's value."""
    bad = BAD[kind]
    status, _, answer = server.call("POST", "/crm/v3/objects/contacts/batch/read",
                                    raw=json.dumps({"idProperty": "email", "inputs": [{"id": bad}], "properties": ["email"]}).encode())
    assert status == 207 and answer["results"] == [] and answer["errors"][0]["category"] == "OBJECT_NOT_FOUND", answer
    upsert = {"inputs": [{"id": bad, "idProperty": "email", "properties": {"firstname": f"u{unique}"}}]}
    status, _, answer = server.call("POST", "/crm/v3/objects/contacts/batch/upsert", raw=json.dumps(upsert).encode())
    assert status == 400 and [e["in"] for e in answer["errors"]] == ["email"], answer
    search = {"filterGroups": [{"filters": [{"propertyName": "firstname", "operator": "EQ", "value": f"u{unique}"}]}]}
    assert server.call("POST", "/crm/v3/objects/contacts/search", search)[2]["total"] == 0


@pytest.mark.parametrize(("path", "named"), [
    ("/crm/v3/owners/?email=a%00b", "email"),
    ("/crm/v3/pipelines/deals/a%00b", "path"),
    ("/crm/v3/pipelines/deals/a%00b/stages", "path"),
    ("/crm/v3/pipelines/deals/default/stages/a%00b", "path"),
    ("/crm/v3/objects/contacts/a%00b?idProperty=email", "path"),
    ("/crm/v3/objects/contacts?a%00=1", "query"),
])
def test_a_nul_in_the_url_is_a_400_naming_where(server, path, named):
    """No id, name or value holds one; PostgreSQL failed the lookups above with it (a 500)."""
    status, _, answer = server.call("GET", path)
    assert status == 400 and [e["in"] for e in answer["errors"]] == [named], answer
