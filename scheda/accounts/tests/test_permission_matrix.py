"""The permission matrix of the web UI: for each role and each page or action, allowed or
refused as its permission set says; and a record the user may not see never shows through
search, index pages and their counts, association cards, the timeline or exports. (The API's
matrix is in scheda/api/tests/test_permissions_api.py.)"""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from scheda.accounts.models import PermissionSet, Team, User
from scheda.activities import services as activities
from scheda.associations import services as associations
from scheda.records import services as records
from scheda.records.services import Author, Source

pytestmark = pytest.mark.django_db

ROLES = ["super admin", "Standard user", "Sales rep", "Read only", "no contacts"]
# Which contacts each role may see and change: its own, its teammate's, an outsider's.
VIEW = {"super admin": {"own", "team", "other"}, "Standard user": {"own", "team", "other"},
        "Sales rep": {"own", "team"}, "Read only": {"own", "team", "other"}, "no contacts": set()}
EDIT = {"super admin": {"own", "team", "other"}, "Standard user": {"own", "team", "other"},
        "Sales rep": {"own"}, "Read only": set(), "no contacts": set()}
# The record actions beyond editing, per role.
ACTIONS = {"super admin": {"delete", "merge", "export"}, "Standard user": {"delete", "merge", "export"},
           "Sales rep": set(), "Read only": set(), "no contacts": set()}


class World:
    def __init__(self, role: str):
        self.user = User.objects.create_user("me@example.com", "a-long-password-1", first_name="Mia", last_name="Me")
        self.mate = User.objects.create_user("mate@example.com", "a-long-password-1", first_name="Mat", last_name="Mate")
        self.outsider = User.objects.create_user("out@example.com", "a-long-password-1", first_name="Oz", last_name="Out")
        team = Team.objects.create(name="East")
        team.members.add(self.user, self.mate)
        if role == "super admin":
            User.objects.filter(pk=self.user.pk).update(is_superuser=True)
        elif role == "no contacts":
            access = {"*": {"view": "all", "edit": "all"}, "contacts": {"view": "none", "edit": "none"}}
            User.objects.filter(pk=self.user.pk).update(
                permission_set=PermissionSet.objects.create(name="No contacts", objects_access=access))
        elif role != "Standard user":
            User.objects.filter(pk=self.user.pk).update(permission_set=PermissionSet.objects.get(name=role))
        self.user = User.objects.get(pk=self.user.pk)
        author = Author(Source.UI, user=self.outsider)
        self.company = records.create_record("companies", {"name": "Zork Inc", "domain": "zork.example",
                                                           "hubspot_owner_id": str(self.user.pk)}, author)
        self.contacts = {}
        for kind, owner in (("own", self.user), ("team", self.mate), ("other", self.outsider)):
            contact = records.create_record("contacts", {"email": f"{kind}@zork.example", "firstname": "Zork",
                                                         "lastname": kind.title(), "hubspot_owner_id": str(owner.pk)}, author)
            associations.associate_many([associations.Pair(self.company.pk, contact.pk, associations.default_type(
                self.company.object_type, contact.object_type).pk)])
            self.contacts[kind] = contact
        self.note = activities.log_activity("notes", {"hs_note_body": "Zork call notes"}, author,
                                            on=list(self.contacts.values()))
        self.file = activities.attach_file(self.contacts["other"], "other.txt", b"secret", author)


@pytest.fixture(params=ROLES)
def world(request, client):
    found = World(request.param)
    found.role = request.param
    client.force_login(found.user)
    return found


def url(record, action=""):
    return f"/{record.object_type.name}/{record.pk}/{action}"


def hx(client, method, path, data=None):
    return getattr(client, method)(path, data or {}, HTTP_HX_REQUEST="true")


def test_viewing_each_record(client, world):
    for kind, contact in world.contacts.items():
        allowed = kind in VIEW[world.role]
        for path in (url(contact), url(contact, "tab/activities/"), f"/record/{contact.pk}/timeline/",
                     url(contact, "properties/"), url(contact, "history/")):
            status = client.get(path).status_code
            assert status == (200 if allowed else 403), (world.role, kind, path, status)
        if allowed:  # the timeline offers changes only to those who may make them
            tab = client.get(url(contact, "tab/activities/")).content.decode()
            assert (">Pin</button>" in tab) is (kind in EDIT[world.role]), (world.role, kind)


def test_editing_each_record(client, world):
    for kind, contact in world.contacts.items():
        allowed = kind in EDIT[world.role]
        expected = 200 if allowed else 403
        response = hx(client, "post", url(contact, "property/jobtitle/"), {"jobtitle": "Boss"})
        assert response.status_code == expected, (world.role, kind)
        note = hx(client, "post", f"/record/{contact.pk}/activities/notes/", {"hs_note_body": "hello"})
        assert note.status_code == expected, (world.role, kind)
        upload = hx(client, "post", url(contact, "attachments/"), {"file": SimpleUploadedFile("a.txt", b"text")})
        assert upload.status_code == expected, (world.role, kind)
        contact.refresh_from_db()
        assert (contact.properties.get("jobtitle") == "Boss") is allowed, (world.role, kind)


def test_record_actions(client, world):
    contact = world.contacts["own"]
    can_edit = "own" in EDIT[world.role]
    export = client.get(url(contact, "export/"), {"download": "1"})
    assert export.status_code == (200 if "export" in ACTIONS[world.role] and "own" in VIEW[world.role] else 403)
    merge = hx(client, "get", url(contact, "merge/"))
    assert merge.status_code == (200 if can_edit and "merge" in ACTIONS[world.role] else 403)
    delete = hx(client, "post", url(contact, "delete/"))
    allowed = can_edit and "delete" in ACTIONS[world.role]
    assert delete.status_code == (200 if allowed else 403)
    contact.refresh_from_db()
    assert contact.archived is allowed


def test_file_downloads_follow_the_record(client, world):
    status = client.get(f"/attachments/{world.file.pk}/").status_code
    assert status == (200 if "other" in VIEW[world.role] else 403)


def test_a_hidden_record_never_shows(client, world):
    visible = {c.properties["email"] for kind, c in world.contacts.items() if kind in VIEW[world.role]}
    hidden = {c.properties["email"] for kind, c in world.contacts.items() if kind not in VIEW[world.role]}
    names = {c.properties["email"]: c.properties["lastname"] for c in world.contacts.values()}

    def shows(page: str) -> set[str]:
        return {email for email in names if f"Zork {names[email]}" in page}

    # Global search.
    assert shows(hx(client, "get", "/search/", {"q": "zork"}).content.decode()) == visible
    # The index page and its count.
    index = client.get("/contacts/", {"q": "zork"})
    if world.role == "no contacts":
        assert index.status_code == 403
    else:
        page = index.content.decode()
        assert shows(page) == visible
        assert f"{len(visible)} record" in page
    # The company's contacts card and its count.
    company = client.get(url(world.company)).content.decode()
    card = company.split('id="card-contacts"')[1].split("</section>")[0] if 'id="card-contacts"' in company else ""
    assert shows(card) == visible
    if visible:
        assert f"({len(visible)})" in card
    # The export of the company with its associations.
    if "export" in ACTIONS[world.role]:
        rows = list(csv.reader(io.StringIO(client.get(url(world.company, "export/"), {"download": "1", "associations": "on"})
                                           .content.decode("utf-8-sig"))))
        exported = {row[3] for row in rows if len(row) == 4 and row[1] == "Contact"}
        assert exported == {f"Zork {names[e]}" for e in visible}
    # The note on every contact, seen from the company's... no: from the user's own contact, its
    # associations say how many others are restricted.
    if "own" in VIEW[world.role]:
        editor = hx(client, "get", f"/activities/{world.note.pk}/associations/",
                    {"record": world.contacts["own"].pk}).content.decode()
        assert shows(editor) == visible
        if hidden:
            assert f"{len(hidden)} restricted record" in editor


def test_a_deactivated_owner_stays_the_owner_with_their_history(client, rep, owner):
    from scheda.accounts import services as accounts

    admin = User.objects.create_superuser("admin@example.com", "a-long-password-9")
    contact = records.create_record("contacts", {"email": "kept@example.com", "hubspot_owner_id": str(owner.pk)}, rep)
    accounts.set_active(owner, False, admin)
    client.force_login(admin)
    page = client.get(url(contact)).content.decode()
    assert "Olga Owner" in page
    access = hx(client, "get", url(contact, "access/")).content.decode()
    assert "Olga Owner" in access  # the owner and the owner history name them
    contact.refresh_from_db()
    assert contact.properties["hubspot_owner_id"] == str(owner.pk)
    assert client.get(url(contact, "properties/")).status_code == 200


def test_a_sales_rep_keeps_what_they_create_and_edit(client, db):
    """Edit access to owned records only: a new record is the user's, and the owner cannot be
    handed to someone outside their reach (the API's rule, scheda.api.auth.owned_values)."""
    world = World("Sales rep")
    client.force_login(world.user)
    created = client.post("/contacts/create/", {"email": "new@zork.example", "firstname": "New"})
    assert created.status_code == 302
    from scheda.records.models import Record

    new = Record.objects.get(properties__email="new@zork.example")
    assert new.properties["hubspot_owner_id"] == str(world.user.pk)
    refused = hx(client, "post", url(new, "property/hubspot_owner_id/"), {"hubspot_owner_id": str(world.outsider.pk)})
    assert "You may only write contacts owned by you" in refused.content.decode()
    new.refresh_from_db()
    assert new.properties["hubspot_owner_id"] == str(world.user.pk)


def test_nothing_hidden_shows_through_a_board_move_a_cursor_or_an_email(client, db):
    """Three side doors: a board move names the record it refused, a paging cursor sorts a
    hidden record among visible ones, an uploaded e-mail lands on the contacts it names."""
    world = World("Sales rep")
    client.force_login(world.user)
    author = Author(Source.UI, user=world.outsider)
    deal = records.create_record("deals", {"dealname": "Secret merger", "amount": "9", "dealstage": "appointmentscheduled",
                                           "pipeline": "default", "hubspot_owner_id": str(world.outsider.pk)}, author)
    moved = hx(client, "post", "/deals/board/move/", {"record": deal.pk, "stage": "closedwon"})
    assert "Secret merger" not in moved.content.decode()
    deal.refresh_from_db()
    assert deal.properties["dealstage"] == "appointmentscheduled"
    # The index page from a hidden record as cursor is the first page.
    page = client.get("/contacts/", {"q": "zork", "after": world.contacts["other"].pk, "edited": "1", "sort": "lastname",
                                     "dir": "asc", "col": "email"})
    assert page.status_code == 200 and "Zork Own" in page.content.decode()
    # An e-mail naming a hidden contact is not logged on it.
    eml = "\r\n".join(["From: Mia <me@example.com>", "To: other@zork.example, own@zork.example", "Subject: Zork pricing",
                         "Date: Tue, 1 Sep 2026 10:00:00 +0000", "", "Hello", ""])
    hx(client, "post", f"/record/{world.contacts['own'].pk}/emails/upload/", {"raw": eml})
    from scheda.activities.models import TimelineEntry

    logged = set(TimelineEntry.objects.filter(activity__properties__hs_email_subject="Zork pricing").values_list("record_id", flat=True))
    assert world.contacts["own"].pk in logged and world.contacts["other"].pk not in logged


def test_a_change_of_the_default_set_applies_at_the_next_request(client, db):
    """The default set is kept with the schema (permissions.default_set): saving a set renews it
    in every process, so a user without a set of their own is judged by the new rules at once."""
    from scheda.accounts import services as accounts

    world = World("Standard user")
    client.force_login(world.user)
    other = url(world.contacts["other"])
    assert client.get(other).status_code == 200  # the default set read, and kept
    default = PermissionSet.objects.get(is_default=True)
    owned = {**default.objects_access, "contacts": {"view": "owned", "edit": "owned"}}
    accounts.save_permission_set(default, None, name=default.name, objects_access=owned, rights=default.rights, is_default=True)
    assert client.get(other).status_code == 403
    strict = accounts.save_permission_set(None, None, name="Strict", objects_access={"*": {"view": "none", "edit": "none"}},
                                          rights=[], is_default=True)  # another set made the default
    assert client.get(url(world.contacts["own"])).status_code == 403
    assert PermissionSet.objects.get(is_default=True) == strict
