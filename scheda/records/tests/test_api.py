"""/crm/v3/objects over plain HTTP: parameters as integrations send them, every search
operator, batches, merges, and the errors."""

import pytest


def make(server, object_type: str, **properties) -> str:
    status, _, body = server.call("POST", f"/crm/v3/objects/{object_type}", {"properties": properties})
    assert status == 201, body
    return body["id"]


@pytest.fixture
def deals(server, unique):
    """Five deals named for this test, amounts 100..500, one without a close date."""
    ids = []
    for n in range(1, 6):
        properties = {"dealname": f"{unique} deal {n}", "amount": str(n * 100), "dealstage": "qualifiedtobuy"}
        if n != 3:
            properties["closedate"] = f"2030-0{n}-15T12:00:00Z"
        ids.append(make(server, "deals", **properties))
    return ids


def search(server, unique, *filters, **extra):
    mine = {"propertyName": "dealname", "operator": "CONTAINS_TOKEN", "value": f"{unique}*"}
    body = {"filterGroups": [{"filters": [mine, *filters]}], "properties": ["dealname", "amount"], "limit": 50, **extra}
    status, _, answer = server.call("POST", "/crm/v3/objects/deals/search", body)
    assert status == 200, answer
    return answer


def amounts(answer) -> list[int]:
    return [int(r["properties"]["amount"]) for r in answer["results"]]


@pytest.mark.parametrize(("operator", "value", "expected"), [
    ("EQ", "300", [300]), ("NEQ", "300", [100, 200, 400, 500]), ("LT", "300", [100, 200]),
    ("LTE", "300", [100, 200, 300]), ("GT", "300", [400, 500]), ("GTE", "300", [300, 400, 500]),
])
def test_comparisons_on_a_number(server, unique, deals, operator, value, expected):
    answer = search(server, unique, {"propertyName": "amount", "operator": operator, "value": value})
    assert sorted(amounts(answer)) == expected and answer["total"] == len(expected)


def test_between_in_not_in_and_presence(server, unique, deals):
    between = search(server, unique, {"propertyName": "amount", "operator": "BETWEEN", "value": "150", "highValue": "400"})
    assert sorted(amounts(between)) == [200, 300, 400]
    listed = search(server, unique, {"propertyName": "amount", "operator": "IN", "values": ["100", "500", "999"]})
    assert sorted(amounts(listed)) == [100, 500]
    not_listed = search(server, unique, {"propertyName": "amount", "operator": "NOT_IN", "values": ["100", "500"]})
    assert sorted(amounts(not_listed)) == [200, 300, 400]
    has = search(server, unique, {"propertyName": "closedate", "operator": "HAS_PROPERTY"})
    assert sorted(amounts(has)) == [100, 200, 400, 500]
    has_not = search(server, unique, {"propertyName": "closedate", "operator": "NOT_HAS_PROPERTY"})
    assert amounts(has_not) == [300]
    not_token = search(server, unique, {"propertyName": "dealname", "operator": "NOT_CONTAINS_TOKEN", "value": "deal 2"})
    assert sorted(amounts(not_token)) == [100, 300, 400, 500]


def test_dates_compare_as_dates_given_in_epoch_ms_or_iso(server, unique, deals):
    after_march = search(server, unique, {"propertyName": "closedate", "operator": "GT", "value": "2030-03-01T00:00:00Z"})
    assert sorted(amounts(after_march)) == [400, 500]
    epoch_ms = str(1_901_232_000_000)  # 2030-04-01T00:00:00Z
    before_april = search(server, unique, {"propertyName": "closedate", "operator": "LT", "value": epoch_ms})
    assert sorted(amounts(before_april)) == [100, 200]


def test_filter_groups_are_ored(server, unique, deals):
    mine = {"propertyName": "dealname", "operator": "CONTAINS_TOKEN", "value": f"{unique}*"}
    body = {"filterGroups": [
        {"filters": [mine, {"propertyName": "amount", "operator": "EQ", "value": "100"}]},
        {"filters": [mine, {"propertyName": "amount", "operator": "EQ", "value": "500"}]},
    ], "properties": ["amount"]}
    _, _, answer = server.call("POST", "/crm/v3/objects/deals/search", body)
    assert sorted(amounts(answer)) == [100, 500]


@pytest.mark.parametrize("sort", [{"propertyName": "closedate", "direction": "DESCENDING"}, "-closedate"])
def test_sort_pages_through_with_empty_values_last_going_down(server, unique, deals, sort):
    seen, after = [], None
    while True:
        answer = search(server, unique, sorts=[sort], limit=2, **({"after": after} if after else {}))
        seen += amounts(answer)
        if "paging" not in answer:
            break
        after = answer["paging"]["next"]["after"]
    assert seen == [500, 400, 200, 100, 300]


def test_text_query_and_a_new_record_is_searchable_at_once(server, unique):
    make(server, "contacts", firstname="Nicolò", lastname=f"Zed{unique}", email=f"n.{unique}@example.it")
    _, _, answer = server.call("POST", "/crm/v3/objects/contacts/search", {"query": f"nicolo zed{unique[:5]}"})
    assert answer["total"] == 1 and answer["results"][0]["properties"]["firstname"] == "Nicolò"


def test_search_refuses_bad_input_with_the_field_named(server):
    cases = [
        ({"filterGroups": [{"filters": [{"propertyName": "nope", "operator": "EQ", "value": "x"}]}]}, "nope"),
        ({"filterGroups": [{"filters": [{"propertyName": "amount", "operator": "LIKE", "value": "x"}]}]}, "operator"),
        ({"filterGroups": [{"filters": [{"propertyName": "amount", "operator": "EQ", "value": "ten"}]}]}, "amount"),
        ({"limit": 201}, "limit"),
        ({"sorts": [{"propertyName": "amount", "direction": "SIDEWAYS"}]}, "sorts.direction"),
        ({"after": "not-a-cursor"}, "after"),
    ]
    for body, name in cases:
        status, _, answer = server.call("POST", "/crm/v3/objects/deals/search", body)
        assert status == 400, (body, answer)
        assert answer["status"] == "error" and answer["category"] == "VALIDATION_ERROR"
        assert any(e.get("in") == name for e in answer["errors"]), (body, answer)


def test_list_parameters_repeated_or_comma_separated(server, unique):
    contact = make(server, "contacts", email=f"p.{unique}@example.com", firstname="Pia", lastname="Param")
    _, _, repeated = server.call("GET", f"/crm/v3/objects/contacts/{contact}?properties=firstname&properties=lastname")
    _, _, commas = server.call("GET", f"/crm/v3/objects/contacts/{contact}?properties=firstname,lastname")
    assert repeated["properties"] == commas["properties"] == {"firstname": "Pia", "lastname": "Param"}
    for flag in ("true", "True", "TRUE"):
        status, _, _ = server.call("GET", f"/crm/v3/objects/contacts/{contact}?archived={flag}")
        assert status == 404  # it is not archived
    status, _, answer = server.call("GET", f"/crm/v3/objects/contacts/{contact}?archived=maybe")
    assert status == 400 and answer["errors"][0]["in"] == "archived"


def test_read_by_unique_property_and_with_associations(server, unique):
    company = make(server, "companies", name=f"Acme {unique}", domain=f"acme-{unique}.com")
    status, _, created = server.call("POST", "/crm/v3/objects/contacts", {
        "properties": {"email": f"a.{unique}@acme.com"},
        "associations": [{"to": {"id": company}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]}],
    })
    assert status == 201
    _, _, found = server.call("GET", f"/crm/v3/objects/contacts/A.{unique}@acme.com?idProperty=email&associations=companies")
    assert found["id"] == created["id"]
    types = sorted(r["type"] for r in found["associations"]["companies"]["results"])
    assert types == ["contact_to_company", "contact_to_company_unlabeled"]
    assert {r["id"] for r in found["associations"]["companies"]["results"]} == {company}


def test_batches(server, unique):
    status, _, created = server.call("POST", "/crm/v3/objects/companies/batch/create", {"inputs": [
        {"properties": {"name": f"Batch {unique} {n}", "domain": f"b{n}-{unique}.com"}} for n in range(3)]})
    assert status == 201 and created["status"] == "COMPLETE" and len(created["results"]) == 3
    ids = [r["id"] for r in created["results"]]
    status, _, updated = server.call("POST", "/crm/v3/objects/companies/batch/update", {"inputs": [
        {"id": i, "properties": {"city": "Torino"}} for i in ids]})
    assert status == 200 and {r["properties"]["city"] for r in updated["results"]} == {"Torino"}
    status, _, read = server.call("POST", "/crm/v3/objects/companies/batch/read",
                                  {"inputs": [{"id": ids[0]}, {"id": "999999999"}], "properties": ["city"]})
    assert status == 207 and read["numErrors"] == 1 and read["errors"][0]["context"]["ids"] == ["999999999"]
    status, _, upserted = server.call("POST", "/crm/v3/objects/companies/batch/upsert", {"inputs": [
        {"id": f"b0-{unique}.com", "idProperty": "domain", "properties": {"city": "Bari"}},
        {"id": f"new-{unique}.com", "idProperty": "domain", "properties": {"name": "New"}}]})
    assert status == 200 and [r["new"] for r in upserted["results"]] == [False, True]
    assert upserted["results"][0]["id"] == ids[0]
    status, _, _ = server.call("POST", "/crm/v3/objects/companies/batch/archive", {"inputs": [{"id": i} for i in ids]})
    assert status == 204
    status, _, _ = server.call("GET", f"/crm/v3/objects/companies/{ids[1]}")
    assert status == 404


def test_a_created_batch_answers_what_a_read_finds(server, unique):
    """The create's answer is built from the rows written, not read back: a read must find the
    same values, dates (a back-dated one too) and all."""
    names = ["name", "domain", "numberofemployees", "founded_year", "createdate", "hs_object_id"]
    status, _, created = server.call("POST", "/crm/v3/objects/companies/batch/create", {"inputs": [
        {"properties": {"name": f"Made {unique} {n}", "domain": f"made{n}-{unique}.com", "numberofemployees": "0012",
                        **({"createdate": "2021-03-04T05:06:07.891+02:00"} if n else {})}} for n in range(2)]})
    assert status == 201, created
    status, _, read = server.call("POST", "/crm/v3/objects/companies/batch/read", {
        "inputs": [{"id": r["id"]} for r in created["results"]], "properties": names})
    assert status == 200, read
    found = {r["id"]: r for r in read["results"]}
    for made in created["results"]:
        again = found[made["id"]]
        assert {k: made[k] for k in ("createdAt", "updatedAt", "archived")} == {k: again[k] for k in ("createdAt", "updatedAt", "archived")}
        assert made["properties"] == {k: again["properties"][k] for k in made["properties"]}
    assert created["results"][1]["createdAt"] == "2021-03-04T03:06:07.891Z"
    assert created["results"][0]["properties"]["numberofemployees"] == "12"


def test_a_bad_row_fails_the_whole_batch_and_writes_nothing(server, unique):
    status, _, answer = server.call("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": [
        {"properties": {"email": f"ok.{unique}@example.com"}}, {"properties": {"email": "not an address"}}]})
    assert status == 400 and answer["errors"][0]["in"] == "email" and answer["errors"][0]["context"]["index"] == 1
    _, _, found = server.call("POST", "/crm/v3/objects/contacts/search", {"filterGroups": [{"filters": [
        {"propertyName": "email", "operator": "EQ", "value": f"ok.{unique}@example.com"}]}]})
    assert found["total"] == 0


def test_oversized_batch_is_refused(server):
    status, _, answer = server.call("POST", "/crm/v3/objects/contacts/batch/create",
                                    {"inputs": [{"properties": {}} for _ in range(101)]})
    assert status == 400 and answer["errors"][0]["in"] == "inputs"


def test_merge_and_gdpr_delete(server, unique):
    keep = make(server, "contacts", email=f"keep.{unique}@example.com", firstname="Keep")
    gone = make(server, "contacts", email=f"gone.{unique}@example.com", lastname="Gone", phone="+39 02 1234567")
    status, _, merged = server.call("POST", "/crm/v3/objects/contacts/merge", {"primaryObjectId": keep, "objectIdToMerge": gone})
    assert status == 200 and merged["id"] == keep
    _, _, after = server.call("GET", f"/crm/v3/objects/contacts/{keep}?properties=firstname,lastname,phone,email")
    assert after["properties"] == {"firstname": "Keep", "lastname": "Gone", "phone": "+39 02 1234567",
                                   "email": f"keep.{unique}@example.com"}
    status, _, answer = server.call("POST", "/crm/v3/objects/contacts/merge", {"primaryObjectId": keep, "objectIdToMerge": keep})
    assert status == 400 and answer["category"] == "VALIDATION_ERROR"
    status, _, _ = server.call("POST", "/crm/v3/objects/contacts/gdpr-delete", {"objectId": f"keep.{unique}@example.com",
                                                                                "idProperty": "email"})
    assert status == 204
    assert server.call("GET", f"/crm/v3/objects/contacts/{keep}?archived=true")[0] == 404


@pytest.mark.parametrize(("raw", "expected_in"), [
    (b"{not json", "body"), (b'{"properties": "x"}', "properties"), (b'{"properties": {"email": ["a"]}}', "properties.email"),
])
def test_malformed_bodies(server, raw, expected_in):
    status, _, answer = server.call("POST", "/crm/v3/objects/contacts", raw=raw)
    assert status == 400 and answer["category"] == "VALIDATION_ERROR" and answer["correlationId"]
    assert any(e["in"].startswith(expected_in) for e in answer["errors"]), answer


def test_unknown_object_type_and_record(server):
    status, _, answer = server.call("GET", "/crm/v3/objects/spaceships")
    assert status == 404 and answer["category"] == "OBJECT_NOT_FOUND"
    status, _, answer = server.call("GET", "/crm/v3/objects/0-1/123456789")
    assert status == 404 and answer["status"] == "error"


def test_types_by_id_and_singular_name(server, unique):
    contact = make(server, "0-1", email=f"id.{unique}@example.com")
    assert server.call("GET", f"/crm/v3/objects/contact/{contact}")[0] == 200


def test_tokens_and_scopes(server, unique):
    status, headers, answer = server.call("GET", "/crm/v3/objects/contacts", anonymous=True)
    assert status == 401 and answer["category"] == "INVALID_AUTHENTICATION"
    assert server.call("GET", "/crm/v3/objects/contacts", token="pat-scheda-wrong")[0] == 401
    reader = server.token_with("crm.objects.contacts.read")
    assert server.call("GET", "/crm/v3/objects/contacts", token=reader)[0] == 200
    status, _, answer = server.call("POST", "/crm/v3/objects/contacts", {"properties": {}}, token=reader)
    assert status == 403 and answer["category"] == "MISSING_SCOPES"
    assert server.call("GET", "/crm/v3/objects/deals", token=reader)[0] == 403
    revoked = server.scheda("token", "create", "--name", f"gone-{unique}")
    assert server.call("GET", "/crm/v3/objects/contacts", token=revoked)[0] == 200
    server.scheda("token", "revoke", "--name", f"gone-{unique}")
    assert server.call("GET", "/crm/v3/objects/contacts", token=revoked)[0] == 401


def test_rate_limit_headers_on_every_response(server):
    for method, path in (("GET", "/crm/v3/objects/contacts"), ("GET", "/crm/v3/nothing-here")):
        status, headers, _ = server.call(method, path)
        assert int(headers["X-HubSpot-RateLimit-Max"]) >= 100
        assert "X-HubSpot-RateLimit-Remaining" in headers and "X-HubSpot-RateLimit-Daily" in headers
        assert headers["X-HubSpot-Correlation-Id"]


def test_sorting_archived_records_by_a_unique_property(server, unique):
    gone = make(server, "contacts", email=f"zz.{unique}@example.com")
    assert server.call("DELETE", f"/crm/v3/objects/contacts/{gone}")[0] == 204
    status, _, answer = server.call("GET", "/crm/v3/objects/contacts?archived=true&limit=100")
    assert status == 200 and gone in [r["id"] for r in answer["results"]]
