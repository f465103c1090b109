"""Owners through HubSpot's own SDK against a live server: every active user is an owner."""

import json
import urllib.request

import pytest
from hubspot import HubSpot
from hubspot.crm.owners import ApiException


def new_user(server, unique, n=0, active=True):
    email = f"user{n}.{unique}@example.com"
    server.scheda("createuser", "--email", email, "--password", "a-long-password-3", "--first-name", f"First{n}",
                  "--last-name", f"Last{unique}")
    if not active:
        server.scheda("shell", "-c", "from scheda.accounts.models import User; "
                                     f"User.objects.filter(email='{email}').update(is_active=False)")
    return email


def test_the_owner_of_the_session(hubspot):
    (owner,) = hubspot.crm.owners.owners_api.get_page(email="owner@example.com").results
    assert (owner.email, owner.first_name, owner.last_name, owner.type, owner.archived) == (
        "owner@example.com", "Olga", "Owner", "PERSON", False)
    assert owner.id == str(owner.user_id) and owner.teams == [] and owner.created_at is not None
    assert hubspot.crm.owners.owners_api.get_by_id(int(owner.id)).email == "owner@example.com"
    assert hubspot.crm.owners.owners_api.get_by_id(owner.user_id, id_property="userId").id == owner.id


def test_pages_of_owners(server, hubspot, unique):
    emails = [new_user(server, unique, n) for n in range(3)]
    seen, after = [], None
    for _ in range(100):
        page = hubspot.crm.owners.owners_api.get_page(limit=2, after=after)
        assert len(page.results) <= 2
        seen += page.results
        if page.paging is None:
            break
        after = page.paging.next.after
    ids = [int(o.id) for o in seen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert set(emails) <= {o.email for o in seen}


def test_inactive_users_are_archived_owners(server, hubspot, unique):
    email = new_user(server, unique, active=False)
    assert hubspot.crm.owners.owners_api.get_page(email=email).results == []
    (archived,) = hubspot.crm.owners.owners_api.get_page(email=email, archived=True).results
    assert archived.archived is True
    with pytest.raises(ApiException) as missing:
        hubspot.crm.owners.owners_api.get_by_id(int(archived.id))
    assert missing.value.status == 404
    assert hubspot.crm.owners.owners_api.get_by_id(int(archived.id), archived=True).email == email


def test_errors_and_scope(server, hubspot):
    with pytest.raises(ApiException) as unknown:
        hubspot.crm.owners.owners_api.get_by_id(999999999)
    assert unknown.value.status == 404 and json.loads(unknown.value.body)["category"] == "OBJECT_NOT_FOUND"
    with pytest.raises(ApiException) as bad_property:
        hubspot.crm.owners.owners_api.get_by_id(1, id_property="email")
    assert bad_property.value.status == 400
    without = HubSpot(access_token=server.token_with("crm.objects.contacts.read"), host=server.url)
    with pytest.raises(ApiException) as forbidden:
        without.crm.owners.owners_api.get_page()
    assert forbidden.value.status == 403 and json.loads(forbidden.value.body)["category"] == "MISSING_SCOPES"
    reader = HubSpot(access_token=server.token_with("crm.objects.owners.read"), host=server.url)
    assert reader.crm.owners.owners_api.get_page(email="owner@example.com").results[0].email == "owner@example.com"


def test_with_and_without_the_trailing_slash(server):
    for path in ("/crm/v3/owners", "/crm/v3/owners/"):
        request = urllib.request.Request(f"{server.url}{path}?email=owner@example.com",
                                         headers={"Authorization": f"Bearer {server.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            assert json.load(response)["results"][0]["email"] == "owner@example.com"


def test_owners_list_their_teams_with_the_primary_one(server, hubspot, unique):
    email = new_user(server, unique, 7)
    lone = new_user(server, unique, 8)
    made = server.scheda("shell", "-c", (
        "from scheda.accounts import services; from scheda.accounts.models import User; "
        f"u = User.objects.get(email='{email}'); "
        f"a = services.save_team(None, 'Alpha {unique}', [u], None); b = services.save_team(None, 'Beta {unique}', [u], None); "
        "services.set_user_access(u, None, permission_set=None, superuser=False, teams=[a, b], primary_team=b); "
        "print(a.pk, b.pk)"))
    alpha, beta = made.split()[-2:]
    expected = [(alpha, f"Alpha {unique}", False), (beta, f"Beta {unique}", True)]
    (owner,) = hubspot.crm.owners.owners_api.get_page(email=email).results
    assert sorted((t.id, t.name, t.primary) for t in owner.teams) == expected
    assert sorted((t.id, t.name, t.primary) for t in hubspot.crm.owners.owners_api.get_by_id(int(owner.id)).teams) == expected
    page = hubspot.crm.owners.owners_api.get_page(limit=500).results
    assert {o.email: [t.name for t in o.teams] for o in page}[lone] == []
