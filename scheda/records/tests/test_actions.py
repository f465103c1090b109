"""The record page's "Actions" menu over Django's test client: each item's view succeeds, refuses
bad input with a message a user can act on, and 404s for a record of another object type or a
deleted one; menu_context's query count is pinned."""

import csv
import io

import pytest
from django.test import RequestFactory

from scheda.accounts import tiers
from scheda.accounts.models import Team, User
from scheda.accounts.permissions import rights_of
from scheda.activities import services as activities
from scheda.objects.services import one_request
from scheda.records import services as records
from scheda.records.actions import menu_context
from scheda.records.models import Follow, Merge, Record
from scheda.records.services import Author, Source

pytestmark = pytest.mark.django_db

CONTACT_TO_COMPANY = 279
ACTIONS = ["properties/", "history/", "merge/", "merges/", "delete/", "restore-activity/", "export/", "access/"]
POSTS = ["follow/", "unfollow/", "clone/", "merge/", "merges/", "delete/"]


@pytest.fixture
def contact(rep):
    return records.create_record("contacts", {"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace"}, rep)


@pytest.fixture
def other(rep):
    return records.create_record("contacts", {"email": "ada.l@example.com", "firstname": "Ada", "lastname": "King",
                                              "jobtitle": "Countess"}, rep)


def htmx(client, method, url, data=None, target=None):
    headers = {"HTTP_HX_REQUEST": "true", **({"HTTP_HX_TARGET": target} if target else {})}
    return getattr(client, method)(url, data or {}, **headers)


def text(response) -> str:
    return response.content.decode()


def url(record, action="") -> str:
    return f"/{record.object_type.name}/{record.pk}/{action}"


# --- the menu ---------------------------------------------------------------------------------


def test_record_page_shows_the_actions_menu(browser, contact, other, owner):
    page = text(browser.get(url(contact)))
    for name in ("Actions", "Follow", "View all properties", "View property history", "Clone", "Merge", "Delete",
                 "Restore activity", "Export", "View record access", 'aria-controls="record-actions-menu"'):
        assert name in page, name
    assert "Undo merge" not in page and "Unfollow" not in page  # nothing merged into it, not followed
    # The page reads both with the record (`menu_flags`), not by menu_context's own query.
    records.follow(contact, owner)
    records.merge_records(contact, other, Author(Source.UI, user=owner))
    page = text(browser.get(url(contact)))
    assert "Undo merge" in page and "Unfollow" in page


def test_menu_context_takes_one_query(contact, owner, other, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = owner
    rights_of(owner)  # the page read the user's rights already
    allowed = {"can_edit": True, "can_merge": True, "can_delete": True, "can_export": True, "access_panel": True}

    def menu() -> dict:
        with one_request():
            tiers.current()  # the page read the tier already
            with django_assert_num_queries(1):
                return menu_context(request, contact)["record_actions"]

    assert menu() == {"following": False, "can_undo_merge": False, **allowed}
    records.follow(contact, owner)
    assert menu() == {"following": True, "can_undo_merge": False, **allowed}
    records.merge_records(contact, other, Author(Source.UI, user=owner))
    assert menu() == {"following": True, "can_undo_merge": True, **allowed}
    records.unfollow(contact, owner)
    assert menu() == {"following": False, "can_undo_merge": True, **allowed}


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_404s_for_another_object_type_or_a_deleted_record(browser, contact, rep, action):
    assert browser.get(f"/companies/{contact.pk}/{action}").status_code == 404
    assert browser.get(f"/contacts/{contact.pk + 1000}/{action}").status_code == 404
    records.archive_record(contact, rep)
    assert browser.get(url(contact, action)).status_code == 404


@pytest.mark.parametrize("action", POSTS)
def test_posts_404_for_a_deleted_record(browser, contact, rep, action):
    records.archive_record(contact, rep)
    assert browser.post(url(contact, action)).status_code == 404
    assert Record.objects.filter(archived=False).count() == 0  # nothing cloned


def test_actions_need_a_signed_in_user(client, contact):
    assert client.get(url(contact, "properties/")).status_code == 302
    assert client.post(url(contact, "follow/")).status_code == 302
    assert not Follow.objects.exists()


# --- follow, clone ----------------------------------------------------------------------------


def test_follow_and_unfollow_toggle_the_button_in_place(browser, contact, owner):
    answer = htmx(browser, "post", url(contact, "follow/"))
    assert answer.status_code == 200 and ">Unfollow<" in text(answer) and url(contact, "unfollow/") in text(answer)
    assert Follow.objects.filter(record=contact, user=owner).exists()
    answer = htmx(browser, "post", url(contact, "unfollow/"))
    assert ">Follow<" in text(answer) and not Follow.objects.filter(record=contact, user=owner).exists()
    # Without htmx: back to the record page, which says so.
    assert browser.post(url(contact, "follow/"))["Location"] == url(contact)
    assert ">Unfollow<" in text(browser.get(url(contact)))
    assert browser.get(url(contact, "follow/")).status_code == 405


def test_clone_opens_the_copy(browser, contact):
    answer = browser.post(url(contact, "clone/"))
    copy = Record.objects.exclude(pk=contact.pk).get()
    assert answer.status_code == 302 and answer["Location"] == url(copy)
    assert copy.properties["firstname"] == "Ada" and "email" not in copy.properties  # unique values are not copied
    assert "Cloned from Ada Lovelace" in text(browser.get(answer["Location"]))
    assert browser.get(url(contact, "clone/")).status_code == 405


def test_a_refused_clone_says_why_on_the_record_page(browser, contact, monkeypatch):
    from scheda.errors import FieldError, ValidationFailed

    def refuse(record, author):
        raise ValidationFailed('"code" is required', [FieldError('"code" is required', "REQUIRED_PROPERTY", "code")])

    monkeypatch.setattr(records, "clone_record", refuse)
    answer = browser.post(url(contact, "clone/"))
    assert answer["Location"] == url(contact) and Record.objects.count() == 1
    assert "&quot;code&quot; is required" in text(browser.get(url(contact)))


# --- view all properties, property history --------------------------------------------------------


def test_view_all_properties_groups_and_renders_values_by_type(browser, contact, rep, owner):
    records.update_record(contact, {"lifecyclestage": "customer", "hubspot_owner_id": str(owner.pk)}, rep)
    page = text(browser.get(url(contact, "properties/")))
    assert "Contact information" in page  # a property group's label
    assert "Lifecycle Stage" in page and ">Customer" in page and ">customer" not in page  # the option's label
    assert "Olga Owner" in page  # the owner's name, not the id
    assert 'aria-label="Search properties"' in page and "Hide blank properties" in page
    assert f'{url(contact, "history/")}?property=email' in page and "View history of Email" in page
    # Without JS the filters are a GET form: a blank property is hidden, a non-matching one too.
    filtered = text(browser.get(url(contact, "properties/") + "?hide_blank=on&q=job"))
    assert 'data-label="job title jobtitle" data-blank="true"\n           hidden' in filtered
    email_row = filtered.split('data-label="email email"')[1][:60]
    assert "hidden" in email_row


def test_property_history_lists_each_version_with_source_and_user(browser, contact, owner):
    records.update_record(contact, {"firstname": "Augusta"}, Author(Source.API))
    records.update_record(contact, {"firstname": "Ada"}, Author(Source.UI, user=owner))
    page = text(browser.get(url(contact, "history/") + "?property=firstname"))
    section = page.split('id="history-firstname"')[1]
    assert section.index("Ada") < section.index("Augusta")  # newest first
    assert section.count("<tr><td>") == 3 and "API" in section and "UI" in section and "Olga Owner" in section
    assert 'id="history-email"' not in page
    everything = text(browser.get(url(contact, "history/")))
    assert 'id="history-email"' in everything and 'id="history-createdate"' in everything
    refused = text(browser.get(url(contact, "history/") + "?property=nope"))
    assert "There is no property nope on this record" in refused and 'class="history-section"' not in refused


def test_history_shows_merge_as_the_source(browser, contact, other, rep):
    records.merge_records(contact, other, rep)
    page = text(browser.get(url(contact, "history/") + "?property=jobtitle"))
    assert "Countess" in page and "<td>Merge</td>" in page


# --- merge, undo merge -----------------------------------------------------------------------------


def test_merge_dialog_searches_the_same_object_type_without_the_record_itself(browser, contact, other, rep):
    company = records.create_record("companies", {"name": "Ada Analytics", "domain": "ada.example"}, rep)
    dialog = text(htmx(browser, "get", url(contact, "merge/")))
    assert "Merge contact" in dialog and 'id="merge-search"' in dialog and "Primary record" in dialog
    found = text(htmx(browser, "get", url(contact, "merge/") + "?q=ada", target="merge-candidates"))
    assert f'value="{other.pk}"' in found and f'value="{contact.pk}"' not in found
    assert f'value="{company.pk}"' not in found and "<section" not in found  # only the list
    assert "No records match" in text(htmx(browser, "get", url(contact, "merge/") + "?q=zzz", target="merge-candidates"))
    # Without htmx the dialog is a page of its own.
    page = text(browser.get(url(contact, "merge/") + "?q=king"))
    assert "<html" in page and "Ada King" in page


def test_merge_refusals_show_in_the_dialog(browser, contact, other, rep):
    company = records.create_record("companies", {"name": "Acme"}, rep)
    cases = [({}, "Choose a record to merge with"), ({"other": "x"}, "Choose a record to merge with"),
             ({"other": str(contact.pk)}, "A record cannot be merged into itself"),
             ({"other": str(company.pk)}, "Only records of one object type can be merged")]
    for data, message in cases:
        answer = htmx(browser, "post", url(contact, "merge/"), data)
        assert answer.status_code == 200 and message in text(answer) and 'role="alert"' in text(answer), data
    records.merge_records(contact, other, rep)
    third = records.create_record("contacts", {"email": "c@example.com"}, rep)
    answer = htmx(browser, "post", url(third, "merge/"), {"other": str(other.pk)})
    assert f"No active record with id {other.pk}" in text(answer)
    assert Merge.objects.count() == 1


def test_merge_keeps_the_chosen_primary_and_undo_brings_both_back(browser, contact, other):
    answer = htmx(browser, "post", url(contact, "merge/"), {"other": str(other.pk), "primary": "other"})
    assert answer.status_code == 200 and answer["HX-Redirect"] == url(other)
    contact.refresh_from_db()
    assert contact.archived and contact.merged_into_id == other.pk
    page = text(browser.get(url(other)))
    assert "Ada Lovelace was merged into Ada King" in page and "Undo merge" in page
    dialog = text(htmx(browser, "get", url(other, "merges/")))
    merge = Merge.objects.get()
    assert f'value="{merge.pk}"' in dialog and "Ada Lovelace" in dialog
    answer = htmx(browser, "post", url(other, "merges/"), {"merge": str(merge.pk)})
    assert answer["HX-Redirect"] == url(other)
    assert Record.objects.filter(archived=False).count() == 2
    page = text(browser.get(url(other)))
    assert "Merge undone" in page and "Undo merge" not in page


def test_undo_merge_refuses_a_merge_of_another_record_or_one_already_undone(browser, contact, other, rep):
    merge = records.merge_records(contact, other, rep)
    third = records.create_record("contacts", {"email": "c@example.com"}, rep)
    answer = htmx(browser, "post", url(third, "merges/"), {"merge": str(merge.pk)})
    assert "Choose a merge of this record to undo" in text(answer)
    assert "No merge into this record can be undone" in text(answer)
    records.unmerge(merge, rep)
    answer = htmx(browser, "post", url(contact, "merges/"), {"merge": str(merge.pk)})
    assert "This merge was already undone" in text(answer)


def test_undo_merge_refused_when_a_unique_value_is_taken_again(browser, contact, other, rep):
    merge = records.merge_records(contact, other, rep)
    records.create_record("contacts", {"email": "ada.l@example.com"}, rep)  # the merged record's e-mail, taken
    answer = htmx(browser, "post", url(contact, "merges/"), {"merge": str(merge.pk)})
    assert "already exists" in text(answer) and "HX-Redirect" not in answer
    assert Merge.objects.get().undone_at is None


# --- delete, restore activity ---------------------------------------------------------------------


def test_delete_asks_then_moves_the_record_to_the_recycle_bin(browser, contact, settings):
    settings.SCHEDA_RECYCLE_BIN_DAYS = 90
    dialog = text(htmx(browser, "get", url(contact, "delete/")))
    assert "Delete contact" in dialog and "recycle bin" in dialog and "90 days" in dialog
    answer = htmx(browser, "post", url(contact, "delete/"))
    assert answer["HX-Redirect"] == "/contacts/"
    contact.refresh_from_db()
    assert contact.archived and contact.archived_at is not None
    assert browser.get(url(contact)).status_code == 404
    # A plain form (no htmx) is redirected too; the deleted record is gone for the actions.
    assert browser.post(url(contact, "delete/")).status_code == 404


def test_restore_activity_lists_deleted_activities_and_restores_one(browser, contact, rep):
    note = activities.log_activity("notes", {"hs_note_body": "First call"}, rep, on=[contact])
    other = records.create_record("contacts", {"email": "eve@example.com"}, rep)
    theirs = activities.log_activity("notes", {"hs_note_body": "Not here"}, rep, on=[other])
    empty = text(htmx(browser, "get", url(contact, "restore-activity/")))
    assert "No deleted activities to restore" in empty
    activities.delete_activity(note, rep)
    activities.delete_activity(theirs, rep)
    dialog = text(htmx(browser, "get", url(contact, "restore-activity/")))
    assert f'name="activity" value="{note.pk}"' in dialog and "Restore Note 1" in dialog
    # Works whichever tab is open: the page reloads with the activity back.
    restored = htmx(browser, "post", url(contact, "restore-activity/"), {"activity": note.pk})
    assert restored["HX-Redirect"] == f"/contacts/{contact.pk}/"
    assert not records.get_record("notes", note.pk).archived
    # Only an activity deleted from this record's timeline.
    assert htmx(browser, "post", url(contact, "restore-activity/"), {"activity": theirs.pk}).status_code == 404
    assert htmx(browser, "post", url(contact, "restore-activity/"), {"activity": "x"}).status_code == 404


# --- export ------------------------------------------------------------------------------------------


def test_export_downloads_every_property_and_optionally_the_associations(browser, contact, rep, owner):
    company = records.create_record("companies", {"name": "Analytical Engines"}, rep)
    records.update_record(contact, {"jobtitle": "=HYPERLINK(1)", "hubspot_owner_id": str(owner.pk)}, rep)
    from scheda.associations import services as associations

    associations.associate_many([associations.Pair(contact.pk, company.pk, CONTACT_TO_COMPANY)])
    assert "Include associated records" in text(htmx(browser, "get", url(contact, "export/")))
    answer = browser.get(url(contact, "export/") + "?download=1")
    assert answer["Content-Type"].startswith("text/csv")
    assert answer["Content-Disposition"] == f'attachment; filename="ada-lovelace-{contact.pk}.csv"'
    rows = list(csv.reader(io.StringIO(text(answer).lstrip("\ufeff"))))
    assert rows[0] == ["Property", "Internal name", "Value"]
    by_name = {row[1]: row for row in rows[1:] if len(row) == 3}
    assert by_name["email"][2] == "ada@example.com" and by_name["hubspot_owner_id"][2] == "Olga Owner"
    assert by_name["jobtitle"][2] == "'=HYPERLINK(1)"  # not a formula in a spreadsheet
    assert "Analytical Engines" not in text(answer)
    rows = list(csv.reader(io.StringIO(text(browser.get(url(contact, "export/") + "?download=1&associations=on")))))
    assert ["Association", "Object", "Record ID", "Name"] in rows
    assert any(row[1:] == ["Company", str(company.pk), "Analytical Engines"] for row in rows)


def test_export_filename_is_safe_whatever_the_name(browser, rep):
    odd = records.create_record("contacts", {"firstname": '../"evil', "lastname": "\r\nx"}, rep)
    answer = browser.get(url(odd, "export/") + "?download=1")
    assert answer["Content-Disposition"] == f'attachment; filename="evil-x-{odd.pk}.csv"'
    nameless = records.create_record("companies", {"industry": "ACCOUNTING"}, rep)  # shown as "#<id>"
    assert f'filename="companies-{nameless.pk}.csv"' in browser.get(url(nameless, "export/") + "?download=1")["Content-Disposition"]


# --- record access -----------------------------------------------------------------------------------


def test_record_access_shows_owner_history_and_who_can_access(browser, contact, rep, owner):
    seller = User.objects.create_user("sam@example.com", "a-long-password-2", first_name="Sam", last_name="Seller")
    User.objects.create_user("gone@example.com", "a-long-password-2", first_name="Gone", is_active=False)
    team = Team.objects.create(name="Inside sales")
    team.members.add(seller)
    records.update_record(contact, {"hubspot_owner_id": str(owner.pk)}, rep)
    records.update_record(contact, {"hubspot_owner_id": str(seller.pk)}, rep)
    panel = text(htmx(browser, "get", url(contact, "access/")))
    assert "Record owner" in panel and "Owner history" in panel
    history = panel.split('class="owner-history"')[1].split("</table>")[0]
    assert history.index("Sam Seller") < history.index("Olga Owner")  # newest first, from Olga
    assert "<td>Sam Seller</td><td>Olga Owner</td>" in history
    people = panel.split('id="record-access-people"')[1]
    assert "Olga Owner" in people and "Sam Seller" in people and "Gone" not in people
    assert people.count("Can view and edit") == 2 and "Inside sales" in people
    only_team = text(htmx(browser, "get", url(contact, "access/") + f"?team={team.pk}", target="record-access-people"))
    assert "Sam Seller" in only_team and "Olga Owner" not in only_team and "<section" not in only_team
    none = text(htmx(browser, "get", url(contact, "access/") + "?level=view", target="record-access-people"))
    assert "No users match these filters" in none


# --- query counts ------------------------------------------------------------------------------------


def test_pages_take_a_fixed_number_of_queries(browser, contact, rep, owner, django_assert_num_queries):
    records.update_record(contact, {"hubspot_owner_id": str(owner.pk), "jobtitle": "Analyst"}, rep)
    for number in range(5):
        User.objects.create_user(f"user{number}@example.com", "a-long-password-2")
        team = Team.objects.create(name=f"Team {number}")
        team.members.add(owner)
    for _ in range(5):
        records.update_record(contact, {"jobtitle": f"Analyst {_}"}, rep)
    browser.get(url(contact, "properties/"))  # the schema loaded once for this process
    # Session and user (2), record, schema token, owners, groups, the topbar's notifications
    # (the default permission set is kept with the schema): whatever the number of values.
    with django_assert_num_queries(7):
        assert browser.get(url(contact, "properties/")).status_code == 200
    # ... record, schema token, changes, users, groups, notifications.
    with django_assert_num_queries(8):
        assert browser.get(url(contact, "history/")).status_code == 200
    # ... record, schema token, owner changes, owners, users with their sets and teams (2), team
    # memberships, teams.
    with django_assert_num_queries(10):
        assert htmx(browser, "get", url(contact, "access/")).status_code == 200


def test_restore_brings_a_deleted_record_back(browser, contact, rep):
    assert browser.get(url(contact, "restore/")).status_code == 404  # not deleted
    records.archive_record(contact, rep)
    page = text(browser.get(url(contact, "restore/")))
    assert "Restore contact" in page and 'href="/contacts/"' in page
    answer = browser.post(url(contact, "restore/"))
    assert answer["Location"] == url(contact)
    assert "Ada Lovelace was restored" in text(browser.get(url(contact)))
    assert browser.get(f"/companies/{contact.pk}/restore/").status_code == 404


def test_restore_refusals_show_in_the_dialog(browser, contact, other, rep):
    records.archive_record(contact, rep)
    records.create_record("contacts", {"email": "ada@example.com"}, rep)  # its e-mail, taken meanwhile
    answer = htmx(browser, "post", url(contact, "restore/"))
    assert "already exists" in text(answer) and 'role="alert"' in text(answer)
    records.merge_records(other, records.create_record("contacts", {"email": "b@example.com"}, rep), rep)
    merged = Record.objects.get(merged_into=other)
    answer = htmx(browser, "post", url(merged, "restore/"))
    assert "undo the merge instead" in text(answer)
    contact.refresh_from_db()
    assert contact.archived
