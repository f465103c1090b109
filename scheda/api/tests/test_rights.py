"""What a token may do, in process (Django's test client with Bearer tokens), on SQLite and
PostgreSQL: an account token has its scopes alone, a user token its user's permissions too."""

import pytest
from django.db import OperationalError, connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from scheda.accounts import services as accounts
from scheda.accounts.models import ApiToken, PermissionSet, User
from scheda.records import services
from scheda.records.services import Author

pytestmark = pytest.mark.django_db


def bearer(user=None) -> dict[str, str]:
    _token, secret = accounts.create_token(f"t{User.objects.count()}{user.pk if user else ''}", None, user)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def rep():
    user = User.objects.create_user("rep@example.com", "a-long-password-1")
    return accounts.set_user_access(user, None, permission_set=PermissionSet.objects.get(name="Sales rep"),
                                    superuser=False, teams=[], primary_team=None)


@pytest.fixture
def contacts(rep):
    other = User.objects.create_user("other@example.com", "a-long-password-1")
    made = services.create_records("contacts", [{"lastname": "Mine", "hubspot_owner_id": str(rep.pk)},
                                                {"lastname": "Theirs", "hubspot_owner_id": str(other.pk)},
                                                {"lastname": "Nobody's"}], Author())
    return dict(zip(("mine", "theirs", "nobody"), (r.pk for r in made), strict=True))


def test_an_account_token_sees_every_record_and_a_users_token_their_own(client, rep, contacts):
    every = client.get("/crm/v3/objects/contacts?limit=100", **bearer()).json()
    assert {r["id"] for r in every["results"]} == {str(i) for i in contacts.values()}
    mine = client.get("/crm/v3/objects/contacts?limit=100", **bearer(rep)).json()
    assert [r["id"] for r in mine["results"]] == [str(contacts["mine"])]
    found = client.post("/crm/v3/objects/contacts/search", {"query": "", "limit": 10}, content_type="application/json",
                        **bearer(rep)).json()
    assert found["total"] == 1
    hidden = client.get(f"/crm/v3/objects/contacts/{contacts['theirs']}", **bearer(rep))
    assert hidden.status_code == 404 and hidden.json()["category"] == "OBJECT_NOT_FOUND"


def test_a_deactivated_users_token_stops_working(client, rep):
    headers = bearer(rep)
    assert client.get("/crm/v3/objects/contacts", **headers).status_code == 200
    accounts.set_active(rep, False, None)
    assert client.get("/crm/v3/objects/contacts", **headers).status_code == 401


def test_the_owners_page_reads_every_owners_teams_at_once(client):
    headers = bearer()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/crm/v3/owners?limit=500", **headers).status_code == 200
        return len(captured)

    first = User.objects.create_user("a@example.com", "a-long-password-1")
    accounts.save_team(None, "Alpha", [first], None)
    queries()  # the token's first use is written once
    few = queries()
    people = [User.objects.create_user(f"u{n}@example.com", "a-long-password-1") for n in range(6)]
    accounts.save_team(None, "Beta", people, None)
    accounts.save_team(None, "Gamma", people[:3], None)
    assert queries() == few
    owners = {o["email"]: o["teams"] for o in client.get("/crm/v3/owners?limit=500", **headers).json()["results"]}
    assert [(t["name"], t["primary"]) for t in owners["u0@example.com"]] == [("Beta", True), ("Gamma", False)]


def test_a_token_whose_last_use_cannot_be_written_still_answers(client, monkeypatch, caplog):
    """The once-a-minute "last used" stamp kept waiting by another writer is skipped, not a 500."""
    update = QuerySet.update

    def locked(self, **values):
        if self.model is ApiToken:
            raise OperationalError("database is locked")
        return update(self, **values)

    headers = bearer()
    monkeypatch.setattr(QuerySet, "update", locked)
    assert client.get("/crm/v3/objects/contacts", **headers).status_code == 200
    assert "last use not recorded (database is locked)" in caplog.text
