"""Oversized requests against a real server: bodies over DATA_UPLOAD_MAX_MEMORY_SIZE, batches
over 100 inputs, searches with too many filters, JSON nested deeper than a parser recurses,
header values larger than the server reads, and property values of several MB. Each gets a 4xx
in HubSpot's error shape naming what was too large (413 for the body), and nothing is written."""

import json
import socket
from urllib.parse import urlsplit

import pytest

from scheda.api.tests.test_error_shape import assert_shape

MiB = 1024 * 1024


@pytest.fixture
def contacts(server):
    """How many contacts the server holds now (archived ones too are not counted twice)."""
    def count() -> int:
        _, _, answer = server.call("POST", "/crm/v3/objects/contacts/search", {"limit": 1})
        return answer["total"]
    return count


def refused(server, status, answer, code, field=None):
    assert_shape(answer, code, answer)
    assert status == code, (status, answer)
    if field is not None:
        assert any(field in (detail.get("name") or detail.get("in") or "") or field in detail["message"]
                   for detail in answer.get("errors", [])) or field in answer["message"], answer


def test_a_body_over_the_limit_is_413_and_writes_nothing(server, contacts):
    before = contacts()
    body = json.dumps({"properties": {"email": "big@example.com", "notes": "x" * (21 * MiB)}}).encode()
    status, _, answer = server.call("POST", "/crm/v3/objects/contacts", raw=body)
    refused(server, status, answer, 413, "body")
    assert answer["message"] == "The request is larger than 20 MB" and contacts() == before


def test_a_property_value_of_several_mb_is_refused_naming_the_property(server, contacts):
    before = contacts()
    status, _, answer = server.call("POST", "/crm/v3/objects/contacts",
                                    {"properties": {"email": "several@example.com", "firstname": "y" * (5 * MiB)}})
    refused(server, status, answer, 400, "firstname")
    batch = {"inputs": [{"properties": {"email": f"b{i}@example.com", "lastname": "z" * (MiB // 4)}} for i in range(60)]}
    status, _, answer = server.call("POST", "/crm/v3/objects/contacts/batch/create", batch)
    refused(server, status, answer, 400, "lastname")
    assert contacts() == before


def test_a_batch_over_100_inputs_is_refused_naming_inputs(server, contacts):
    before = contacts()
    batch = {"inputs": [{"properties": {"email": f"many{i}@example.com"}} for i in range(101)]}
    status, _, answer = server.call("POST", "/crm/v3/objects/contacts/batch/create", batch)
    refused(server, status, answer, 400, "inputs")
    status, _, answer = server.call("POST", "/crm/v3/objects/contacts/batch/read",
                                    {"inputs": [{"id": str(i)} for i in range(1, 102)], "properties": ["email"]})
    refused(server, status, answer, 400, "inputs")
    assert contacts() == before


@pytest.mark.parametrize("groups", [
    [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}] * 6,
    [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 7}],
    [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 6}] * 4,
    [{"filters": [{"propertyName": "email", "operator": "IN", "values": [f"v{i}@example.com" for i in range(100_000)]}]}],
])
def test_a_search_with_too_many_filters_is_refused_naming_them(server, groups):
    status, _, answer = server.call("POST", "/crm/v3/objects/contacts/search", {"filterGroups": groups, "limit": 1})
    refused(server, status, answer, 400, "filter" if "IN" not in str(groups)[:200] else "values")


@pytest.mark.parametrize("path", ["/crm/v3/objects/contacts", "/crm/v3/objects/contacts/search",
                                  "/crm/v3/objects/contacts/batch/create", "/crm-object-schemas/v3/schemas"])
def test_json_nested_deeper_than_a_parser_recurses_is_400(server, contacts, path):
    before = contacts()
    deep = b'{"properties": {"email": ' + b"[" * 200_000 + b"]" * 200_000 + b"}}"
    status, _, answer = server.call("POST", path, raw=deep)
    assert 400 <= status < 500, (status, answer)
    assert_shape(answer, status, path)
    assert contacts() == before


def test_a_huge_header_value_is_refused_before_it_reaches_scheda(server):
    """gunicorn reads at most 8,190 bytes a header line and answers 400 itself."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(b"GET /crm/v3/objects/contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                     + server.token.encode() + b"\r\nX-Padding: " + b"a" * (1 * MiB) + b"\r\n\r\n")
        head = sock.recv(4096).split(b"\r\n", 1)[0]
    assert head.split()[1] in (b"400", b"431"), head
    status, _, _ = server.call("GET", "/crm/v3/objects/contacts?limit=1")
    assert status == 200  # the server is still answering


LONG = "L" * 300


@pytest.mark.parametrize(("method", "path", "body", "field"), [
    ("POST", "/crm-object-schemas/v3/schemas", {"name": "longlabels", "labels": {"singular": LONG, "plural": "Longs"},
                                                "primaryDisplayProperty": "title", "properties": [
                                                    {"name": "title", "label": "Title", "type": "string", "fieldType": "text"}]},
     "labels.singular"),
    ("PATCH", "/crm-object-schemas/v3/schemas/contacts", {"labels": {"singular": "Contact", "plural": LONG}}, "labels.plural"),
    ("POST", "/crm/v3/properties/contacts", {"name": "long_label", "label": LONG, "type": "string", "fieldType": "text",
                                             "groupName": "contactinformation"}, "label"),
    ("PATCH", "/crm/v3/properties/contacts/firstname", {"label": LONG}, "label"),
    ("POST", "/crm/v3/properties/contacts/groups", {"name": "long_group", "label": LONG}, "label"),
    ("PATCH", "/crm/v3/properties/contacts/groups/contactinformation", {"label": LONG}, "label"),
    ("POST", "/crm/v3/pipelines/deals", {"label": LONG, "displayOrder": 9, "stages": [
        {"label": "One", "displayOrder": 0, "metadata": {"probability": "0.5"}}]}, "label"),
    ("POST", "/crm/v3/pipelines/deals", {"label": "Long stages", "displayOrder": 9, "stages": [
        {"label": LONG, "displayOrder": 0, "metadata": {"probability": "0.5"}}]}, "stages[0].label"),
    ("POST", "/crm/v4/associations/contacts/companies/labels", {"label": LONG, "name": "long_label"}, "label"),
    ("POST", "/crm/v4/associations/contacts/companies/labels", {"label": "Boss", "inverseLabel": LONG, "name": "boss_long"},
     "inverseLabel"),
])
def test_a_label_longer_than_its_column_is_refused_naming_it_on_both_databases(server, method, path, body, field):
    """PostgreSQL failed these writes with a 500 (value too long for character varying) and
    SQLite kept them whole; found by the XSS sweep's long payloads."""
    before = [server.call("GET", listed)[2] for listed in ("/crm-object-schemas/v3/schemas", "/crm/v3/properties/contacts",
                                                          "/crm/v3/pipelines/deals")]
    status, _, answer = server.call(method, path, body)
    refused(server, status, answer, 400, field)
    after = [server.call("GET", listed)[2] for listed in ("/crm-object-schemas/v3/schemas", "/crm/v3/properties/contacts",
                                                         "/crm/v3/pipelines/deals")]
    assert after == before
