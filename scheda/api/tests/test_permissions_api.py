"""Permissions and tiers in the API, against a live server: a token acts for its user with that
user's permission set (or for the account with its scopes alone). A matrix of roles x
endpoints, then the ways a hidden record could leak (list, search and its total, batch read,
associations), HubSpot's SDK seeing the refusals, and the Enterprise gate on custom objects."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import ApiException as ContactsError
from hubspot.crm.contacts import SimplePublicObjectInput
from hubspot.crm.schemas import ApiException as SchemasError
from hubspot.crm.schemas import (
    ObjectSchemaEgg,
    ObjectTypeDefinitionLabels,
    ObjectTypePropertyCreate,
)

ROLES = ("super", "account", "standard", "rep", "readonly", "nocontacts")

SETUP = """
import json
from scheda.accounts import services
from scheda.accounts.models import PermissionSet
tag = {tag!r}
everything = {{'view': 'all', 'edit': 'all', 'delete': True, 'bulk_delete': True, 'merge': True, 'export': True,
               'import': True}}
no_contacts = services.save_permission_set(None, None, name=f'No contacts {{tag}}', objects_access={{
    'contacts': {{'view': 'none', 'edit': 'none'}}, '*': everything}}, rights=[])
sets = {{'standard': 'Standard user', 'rep': 'Sales rep', 'mate': 'Sales rep', 'readonly': 'Read only',
         'outsider': 'Standard user'}}
users = {{}}
for name in ('super', 'standard', 'rep', 'mate', 'readonly', 'nocontacts', 'outsider'):
    user = services.create_user(f'{{name}}.{{tag}}@example.com', 'a-long-password-3', superuser=name == 'super',
                                first_name=name.title(), last_name=tag)
    chosen = no_contacts if name == 'nocontacts' else PermissionSet.objects.get(name=sets[name]) if name in sets else None
    services.set_user_access(user, None, permission_set=chosen, superuser=name == 'super', teams=[], primary_team=None)
    users[name] = user
team = services.save_team(None, f'Reps {{tag}}', [users['rep'], users['mate']], None)
other = services.save_team(None, f'Others {{tag}}', [users['rep']], None)
services.set_user_access(users['rep'], None, permission_set=users['rep'].permission_set, superuser=False,
                         teams=[team, other], primary_team=team)
tokens = {{name: services.create_token(f'{{name}} {{tag}}', None, users[name])[1]
          for name in ('super', 'standard', 'rep', 'readonly', 'nocontacts')}}
print(json.dumps({{'users': {{name: user.pk for name, user in users.items()}}, 'tokens': tokens,
                  'teams': [team.pk, other.pk]}}))
"""


@dataclass
class World:
    server: object
    tag: str
    users: dict[str, int]
    tokens: dict[str, str]
    teams: list[int]
    contacts: dict[str, str]
    companies: dict[str, str]

    def token(self, role: str) -> str:
        return self.server.token if role == "account" else self.tokens[role]  # type: ignore[attr-defined]

    def call(self, role: str, method: str, path: str, body: object = None):
        return self.server.call(method, path, body, token=self.token(role))  # type: ignore[attr-defined]

    def make(self, object_type: str, owner: str | None, **properties) -> str:
        """A record made with the account token, owned by the user named `owner`."""
        if owner:
            properties["hubspot_owner_id"] = str(self.users[owner])
        status, _, body = self.server.call("POST", f"/crm/v3/objects/{object_type}",  # type: ignore[attr-defined]
                                           {"properties": properties})
        assert status == 201, body
        return body["id"]


@pytest.fixture(scope="module")
def world(server) -> World:
    tag = f"perm{uuid.uuid4().hex[:8]}"
    made = json.loads(server.scheda("shell", "-c", SETUP.format(tag=tag)).splitlines()[-1])
    world = World(server, tag, made["users"], made["tokens"], made["teams"], {}, {})
    for owner in ("rep", "mate", "outsider", None):
        world.contacts[owner or "nobody"] = world.make("contacts", owner, lastname=tag, firstname=owner or "nobody")
    world.companies = {owner: world.make("companies", owner, name=f"{tag} {owner}") for owner in ("rep", "outsider")}
    for company in world.companies.values():
        status, _, body = server.call(
            "PUT", f"/crm/v4/objects/contacts/{world.contacts['rep']}/associations/default/companies/{company}")
        assert status == 200, body
    return world


# --- the matrix ---------------------------------------------------------------------------------------


def read_hidden(w: World, role: str) -> int:
    return w.call(role, "GET", f"/crm/v3/objects/contacts/{w.contacts['outsider']}")[0]


def read_team(w: World, role: str) -> int:
    return w.call(role, "GET", f"/crm/v3/objects/contacts/{w.contacts['mate']}")[0]


def list_contacts(w: World, role: str) -> int:
    return w.call(role, "GET", "/crm/v3/objects/contacts?limit=5")[0]


def search(w: World, role: str) -> int:
    body = {"filterGroups": [{"filters": [{"propertyName": "lastname", "operator": "EQ", "value": w.tag}]}]}
    return w.call(role, "POST", "/crm/v3/objects/contacts/search", body)[0]


def create(w: World, role: str) -> int:
    return w.call(role, "POST", "/crm/v3/objects/contacts", {"properties": {"lastname": w.tag, "firstname": "new"}})[0]


def create_for_another(w: World, role: str) -> int:
    body = {"properties": {"lastname": w.tag, "hubspot_owner_id": str(w.users["outsider"])}}
    return w.call(role, "POST", "/crm/v3/objects/contacts", body)[0]


def update_hidden(w: World, role: str) -> int:
    return w.call(role, "PATCH", f"/crm/v3/objects/contacts/{w.contacts['outsider']}", {"properties": {"jobtitle": role}})[0]


def update_team(w: World, role: str) -> int:
    return w.call(role, "PATCH", f"/crm/v3/objects/contacts/{w.contacts['mate']}", {"properties": {"jobtitle": role}})[0]


def update_own(w: World, role: str) -> int:
    return w.call(role, "PATCH", f"/crm/v3/objects/contacts/{w.contacts['rep']}", {"properties": {"jobtitle": role}})[0]


def archive(w: World, role: str) -> int:
    return w.call(role, "DELETE", f"/crm/v3/objects/contacts/{w.make('contacts', 'rep', lastname=w.tag)}")[0]


def batch_archive(w: World, role: str) -> int:
    ids = [w.make("contacts", "rep", lastname=w.tag) for _ in range(2)]
    return w.call(role, "POST", "/crm/v3/objects/contacts/batch/archive", {"inputs": [{"id": i} for i in ids]})[0]


def merge(w: World, role: str) -> int:
    keep, gone = (w.make("contacts", "rep", lastname=w.tag) for _ in range(2))
    return w.call(role, "POST", "/crm/v3/objects/contacts/merge", {"primaryObjectId": keep, "objectIdToMerge": gone})[0]


def associations_read(w: World, role: str) -> int:
    return w.call(role, "GET", f"/crm/v4/objects/contacts/{w.contacts['rep']}/associations/companies")[0]


def associations_write(w: World, role: str) -> int:
    path = f"/crm/v4/objects/contacts/{w.contacts['rep']}/associations/default/companies/{w.companies['rep']}"
    return w.call(role, "PUT", path)[0]


def associations_write_team(w: World, role: str) -> int:
    path = f"/crm/v4/objects/contacts/{w.contacts['mate']}/associations/default/companies/{w.companies['rep']}"
    return w.call(role, "PUT", path)[0]


def property_write(w: World, role: str) -> int:
    body = {"name": f"g_{role}_{uuid.uuid4().hex[:6]}", "label": "Permissions"}
    return w.call(role, "POST", "/crm/v3/properties/contacts/groups", body)[0]


def schema_create(w: World, role: str) -> int:
    name = f"p_{role}_{uuid.uuid4().hex[:6]}"
    body = {"name": name, "labels": {"singular": "Thing", "plural": "Things"}, "primaryDisplayProperty": "title",
            "properties": [{"name": "title", "label": "Title", "type": "string", "fieldType": "text"}]}
    return w.call(role, "POST", "/crm-object-schemas/v3/schemas", body)[0]


def gdpr_delete(w: World, role: str) -> int:
    contact = w.make("contacts", "rep", lastname=w.tag)
    return w.call(role, "POST", "/crm/v3/objects/contacts/gdpr-delete", {"objectId": contact})[0]


def batch_upsert(w: World, role: str) -> int:
    body = {"inputs": [{"id": f"{role}.{uuid.uuid4().hex[:6]}@example.com", "idProperty": "email",
                        "properties": {"lastname": w.tag}}]}
    return w.call(role, "POST", "/crm/v3/objects/contacts/batch/upsert", body)[0]


def pipeline_write(w: World, role: str) -> int:
    body = {"label": f"{w.tag} {role}", "displayOrder": 900,
            "stages": [{"label": "Open", "displayOrder": 0, "metadata": {"ticketState": "OPEN"}},
                       {"label": "Done", "displayOrder": 1, "metadata": {"ticketState": "CLOSED"}}]}
    return w.call(role, "POST", "/crm/v3/pipelines/tickets", body)[0]


def label_write(w: World, role: str) -> int:
    body = {"label": f"{w.tag} {role}", "name": f"{w.tag}_{role}"}
    return w.call(role, "POST", "/crm/v4/associations/deals/tickets/labels", body)[0]


#                        super account standard rep readonly nocontacts
MATRIX: dict[Callable[[World, str], int], tuple[int, ...]] = {
    read_hidden:             (200, 200, 200, 404, 200, 403),
    read_team:               (200, 200, 200, 200, 200, 403),
    list_contacts:           (200, 200, 200, 200, 200, 403),
    search:                  (200, 200, 200, 200, 200, 403),
    create:                  (201, 201, 201, 201, 403, 403),
    create_for_another:      (201, 201, 201, 403, 403, 403),
    update_hidden:           (200, 200, 200, 404, 403, 403),
    update_team:             (200, 200, 200, 403, 403, 403),
    update_own:              (200, 200, 200, 200, 403, 403),
    archive:                 (204, 204, 204, 403, 403, 403),
    batch_archive:           (204, 204, 403, 403, 403, 403),
    merge:                   (200, 200, 200, 403, 403, 403),
    associations_read:       (200, 200, 200, 200, 200, 403),
    associations_write:      (200, 200, 200, 200, 403, 403),
    associations_write_team: (200, 200, 200, 403, 403, 403),
    property_write:          (201, 201, 403, 403, 403, 403),
    schema_create:           (201, 201, 403, 403, 403, 403),
    gdpr_delete:             (204, 204, 204, 403, 403, 403),
    batch_upsert:            (200, 200, 200, 200, 403, 403),
    pipeline_write:          (201, 201, 403, 403, 403, 403),
    label_write:             (200, 200, 403, 403, 403, 403),
}


@pytest.mark.parametrize("endpoint", list(MATRIX), ids=lambda f: f.__name__)
def test_permission_matrix(world, endpoint):
    got = {role: endpoint(world, role) for role in ROLES}
    assert got == dict(zip(ROLES, MATRIX[endpoint], strict=True))


# --- what a refusal says ------------------------------------------------------------------------------


def test_a_refusal_is_hubspots_error_naming_the_record(world):
    status, headers, body = world.call("rep", "PATCH", f"/crm/v3/objects/contacts/{world.contacts['mate']}",
                                       {"properties": {"jobtitle": "x"}})
    assert status == 403 and body["category"] == "FORBIDDEN" and body["status"] == "error"
    assert body["correlationId"] == headers["X-HubSpot-Correlation-Id"]
    assert world.contacts["mate"] in body["message"]
    assert body["errors"][0]["in"] == "id" and body["errors"][0]["context"]["id"] == world.contacts["mate"]
    status, _, body = world.call("rep", "POST", "/crm/v3/objects/contacts",
                                 {"properties": {"lastname": world.tag, "hubspot_owner_id": str(world.users["mate"])}})
    assert status == 403 and body["errors"][0]["in"] == "hubspot_owner_id"
    status, _, body = world.call("standard", "POST", "/crm/v3/properties/contacts/groups", {"name": "x", "label": "X"})
    assert status == 403 and body["context"] == {"right": ["manage_properties"]}
    status, _, body = world.call("nocontacts", "GET", "/crm/v3/objects/contacts")
    assert status == 403 and body["context"] == {"objectType": ["contacts"]} and "contacts" in body["message"]


def test_a_batch_is_all_or_nothing_naming_the_first_refused_record(world):
    own, team = world.make("contacts", "rep", lastname=world.tag), world.make("contacts", "mate", lastname=world.tag)
    status, _, body = world.call("rep", "POST", "/crm/v3/objects/contacts/batch/update", {"inputs": [
        {"id": own, "properties": {"jobtitle": "changed"}}, {"id": team, "properties": {"jobtitle": "changed"}}]})
    assert status == 403 and team in body["message"] and body["errors"][0]["context"]["index"] == 1
    _, _, unchanged = world.call("account", "GET", f"/crm/v3/objects/contacts/{own}?properties=jobtitle")
    assert unchanged["properties"]["jobtitle"] is None
    status, _, body = world.call("rep", "POST", "/crm/v3/objects/contacts/batch/create", {"inputs": [
        {"properties": {"lastname": world.tag}}, {"properties": {"lastname": world.tag, "hubspot_owner_id": str(world.users["outsider"])}}]})
    assert status == 403 and body["errors"][0]["in"] == "hubspot_owner_id"
    assert body["errors"][0]["context"]["index"] == 1


def test_a_hidden_record_in_a_batch_update_is_a_missing_one(world):
    status, _, hidden = world.call("rep", "POST", "/crm/v3/objects/contacts/batch/update", {"inputs": [
        {"id": world.contacts["outsider"], "properties": {"jobtitle": "x"}}]})
    status_missing, _, missing = world.call("rep", "POST", "/crm/v3/objects/contacts/batch/update", {"inputs": [
        {"id": "999999999", "properties": {"jobtitle": "x"}}]})
    assert status == status_missing
    assert hidden["message"].replace(world.contacts["outsider"], "N") == missing["message"].replace("999999999", "N")


def test_records_a_sales_rep_creates_are_theirs(world):
    status, _, body = world.call("rep", "POST", "/crm/v3/objects/contacts", {"properties": {"lastname": world.tag}})
    assert status == 201
    _, _, read = world.call("rep", "GET", f"/crm/v3/objects/contacts/{body['id']}?properties=hubspot_owner_id")
    assert read["properties"]["hubspot_owner_id"] == str(world.users["rep"])
    # Activities follow their own object type's rule, on their own owner.
    status, _, note = world.call("rep", "POST", "/crm/v3/objects/notes", {"properties": {
        "hs_timestamp": "2030-01-01T00:00:00Z", "hs_note_body": "call back"}})
    assert status == 201
    assert world.call("rep", "GET", f"/crm/v3/objects/notes/{note['id']}")[0] == 200
    theirs = world.make("notes", "outsider", hs_timestamp="2030-01-01T00:00:00Z", hs_note_body="private")
    assert world.call("rep", "GET", f"/crm/v3/objects/notes/{theirs}")[0] == 404


def test_an_owner_outside_the_users_reach_is_refused_on_update_too(world):
    own = world.make("contacts", "rep", lastname=world.tag)
    status, _, body = world.call("rep", "PATCH", f"/crm/v3/objects/contacts/{own}",
                                 {"properties": {"hubspot_owner_id": str(world.users["mate"])}})
    assert status == 403 and body["errors"][0]["in"] == "hubspot_owner_id"
    status, _, body = world.call("rep", "PATCH", f"/crm/v3/objects/contacts/{own}", {"properties": {"hubspot_owner_id": ""}})
    assert status == 403
    assert world.call("standard", "PATCH", f"/crm/v3/objects/contacts/{own}",
                      {"properties": {"hubspot_owner_id": str(world.users["mate"])}})[0] == 200


def test_an_upsert_onto_a_hidden_record_is_refused_without_naming_it(world):
    email = f"hidden.{world.tag}@example.com"
    theirs = world.make("contacts", "outsider", lastname=world.tag, email=email)
    status, _, body = world.call("rep", "POST", "/crm/v3/objects/contacts/batch/upsert", {"inputs": [
        {"id": email, "idProperty": "email", "properties": {"jobtitle": "x"}}]})
    assert status == 403 and body["category"] == "FORBIDDEN"
    # The correlation id is random hex: a short record id may appear in it by chance.
    assert not re.search(rf"\b{theirs}\b", json.dumps({**body, "correlationId": ""})), body


def test_association_batches_refuse_a_record_the_user_may_not_edit(world):
    own, team, company = world.contacts["rep"], world.make("contacts", "mate", lastname=world.tag), world.companies["rep"]
    status, _, body = world.call("rep", "POST", "/crm/v4/associations/contacts/companies/batch/associate/default", {
        "inputs": [{"from": {"id": own}, "to": {"id": company}}, {"from": {"id": team}, "to": {"id": company}}]})
    assert status == 403 and team in body["message"]
    assert body["errors"][0]["in"] == "from.id" and body["errors"][0]["context"]["index"] == 1
    _, _, linked = world.call("account", "GET", f"/crm/v4/objects/contacts/{team}/associations/companies")
    assert company not in {r["toObjectId"] for r in linked["results"]}
    status, _, _ = world.call("rep", "POST", "/crm/v4/associations/contacts/companies/batch/archive",
                              {"inputs": [{"from": {"id": team}, "to": [{"id": company}]}]})
    assert status == 403
    # A pair with a record the user may not view is passed over, as a missing record is.
    their_company = world.companies["outsider"]
    status, _, _ = world.call("rep", "POST", "/crm/v4/associations/contacts/companies/batch/archive",
                              {"inputs": [{"from": {"id": own}, "to": [{"id": their_company}]}]})
    assert status == 204
    _, _, still = world.call("account", "GET", f"/crm/v4/objects/contacts/{own}/associations/companies")
    assert their_company in {r["toObjectId"] for r in still["results"]}


# --- a hidden record never leaks ----------------------------------------------------------------------


def test_a_hidden_record_reads_exactly_as_a_missing_one(world):
    status, _, hidden = world.call("rep", "GET", f"/crm/v3/objects/contacts/{world.contacts['outsider']}")
    status_missing, _, missing = world.call("rep", "GET", "/crm/v3/objects/contacts/999999999")
    assert status == status_missing == 404

    def without(body: dict, record_id: str) -> dict:
        return json.loads(json.dumps({k: v for k, v in body.items() if k != "correlationId"}).replace(record_id, "N"))

    assert without(hidden, world.contacts["outsider"]) == without(missing, "999999999")


def test_list_and_search_show_only_what_the_user_may_view(world):
    visible = {world.contacts["rep"], world.contacts["mate"]}
    seen, after = [], ""
    while True:
        status, _, page = world.call("rep", "GET", f"/crm/v3/objects/contacts?limit=100&properties=hubspot_owner_id{after}")
        assert status == 200
        seen += page["results"]
        if "paging" not in page:
            break
        after = f"&after={page['paging']['next']['after']}"
    assert visible <= {r["id"] for r in seen}
    reach = {str(world.users["rep"]), str(world.users["mate"])}
    assert all(r["properties"]["hubspot_owner_id"] in reach for r in seen)
    for body in ({"filterGroups": [{"filters": [{"propertyName": "lastname", "operator": "EQ", "value": world.tag}]}],
                  "properties": ["hubspot_owner_id"], "limit": 100},
                 {"query": world.tag, "limit": 100, "properties": ["hubspot_owner_id"]}):
        status, _, found = world.call("rep", "POST", "/crm/v3/objects/contacts/search", body)
        assert status == 200 and found["total"] == len(found["results"])
        assert {world.contacts["outsider"], world.contacts["nobody"]}.isdisjoint(r["id"] for r in found["results"])
        assert all(r["properties"]["hubspot_owner_id"] in reach for r in found["results"])
        _, _, everyone = world.call("account", "POST", "/crm/v3/objects/contacts/search", body)
        assert everyone["total"] > found["total"]


def test_batch_read_answers_a_hidden_record_as_missing(world):
    ids = [world.contacts["outsider"], world.contacts["rep"], world.contacts["nobody"]]
    status, _, body = world.call("rep", "POST", "/crm/v3/objects/contacts/batch/read",
                                 {"inputs": [{"id": i} for i in ids], "properties": ["lastname"]})
    assert status == 207 and [r["id"] for r in body["results"]] == [world.contacts["rep"]]
    assert body["errors"][0]["context"]["ids"] == [world.contacts["outsider"], world.contacts["nobody"]]


def test_associations_list_only_visible_records(world):
    rep_company, their_company = world.companies["rep"], world.companies["outsider"]
    contact = world.contacts["rep"]
    _, _, everything = world.call("account", "GET", f"/crm/v4/objects/contacts/{contact}/associations/companies")
    assert {r["toObjectId"] for r in everything["results"]} >= {rep_company, their_company}
    _, _, mine = world.call("rep", "GET", f"/crm/v4/objects/contacts/{contact}/associations/companies")
    assert [r["toObjectId"] for r in mine["results"]] == [rep_company]
    _, _, batch = world.call("rep", "POST", "/crm/v4/associations/contacts/companies/batch/read",
                             {"inputs": [{"id": contact}, {"id": world.contacts["outsider"]}]})
    assert [r["toObjectId"] for r in batch["results"][0]["to"]] == [rep_company]
    assert batch["errors"][0]["context"]["ids"] == [world.contacts["outsider"]]
    _, _, v3 = world.call("rep", "GET", f"/crm/v3/objects/contacts/{contact}?associations=companies")
    assert [a["id"] for a in v3["associations"]["companies"]["results"]] == [rep_company]
    _, _, listed = world.call("rep", "GET", "/crm/v3/objects/contacts?associations=companies&limit=100")
    (mine_listed,) = [r for r in listed["results"] if r["id"] == contact]
    assert [a["id"] for a in mine_listed["associations"]["companies"]["results"]] == [rep_company]
    # Associating with a record the user may not view answers as with a missing one.
    status, _, body = world.call("rep", "PUT", f"/crm/v4/objects/contacts/{contact}/associations/default/companies/{their_company}")
    assert status == 404 and body["category"] == "OBJECT_NOT_FOUND"
    status, _, body = world.call("rep", "POST", "/crm/v4/associations/contacts/companies/batch/associate/default",
                                 {"inputs": [{"from": {"id": contact}, "to": {"id": their_company}}]})
    assert status == 207 and body["errors"][0]["errors"][0]["code"] == "RECORD_NOT_FOUND"


# --- the SDK, and the tier ----------------------------------------------------------------------------


def sdk(world: World, role: str) -> HubSpot:
    return HubSpot(access_token=world.token(role), host=world.server.url)  # type: ignore[attr-defined]


def test_the_sdk_raises_its_api_exception_with_403_and_404(world):
    rep = sdk(world, "rep")
    with pytest.raises(ContactsError) as hidden:
        rep.crm.contacts.basic_api.get_by_id(world.contacts["outsider"])
    assert hidden.value.status == 404
    with pytest.raises(ContactsError) as refused:
        rep.crm.contacts.basic_api.update(world.contacts["mate"], SimplePublicObjectInput(properties={"jobtitle": "x"}))
    assert refused.value.status == 403 and json.loads(refused.value.body)["category"] == "FORBIDDEN"
    assert rep.crm.contacts.basic_api.get_by_id(world.contacts["mate"]).id == world.contacts["mate"]


def set_tier(server, tier: str) -> None:
    server.scheda("shell", "-c", f"from scheda.accounts import services; services.set_tier({tier!r}, None)")


def test_custom_objects_need_the_enterprise_tier(world, server):
    admin = sdk(world, "super")
    egg = ObjectSchemaEgg(
        name=f"gate_{uuid.uuid4().hex[:6]}", labels=ObjectTypeDefinitionLabels(singular="Gate", plural="Gates"),
        primary_display_property="title",
        properties=[ObjectTypePropertyCreate(name="title", label="Title", type="string", field_type="text")])
    made = admin.crm.schemas.core_api.create(egg)
    record = world.call("account", "POST", f"/crm/v3/objects/{made.object_type_id}", {"properties": {"title": "one"}})[2]
    set_tier(server, "professional")
    try:
        for role in ("super", "account"):
            with pytest.raises(SchemasError) as refused:
                sdk(world, role).crm.schemas.core_api.create(egg)
            body = json.loads(refused.value.body)
            assert refused.value.status == 403 and body["category"] == "FORBIDDEN" and "Enterprise" in body["message"]
            assert body["context"]["requiredTier"] == ["enterprise"]
            status, _, body = world.call(role, "GET", f"/crm/v3/objects/{made.object_type_id}/{record['id']}")
            assert status == 403 and "Enterprise" in body["message"]
        assert world.call("super", "GET", "/crm/v3/objects/contacts?limit=1")[0] == 200
    finally:
        set_tier(server, "enterprise")
    assert world.call("account", "GET", f"/crm/v3/objects/{made.object_type_id}/{record['id']}")[0] == 200
