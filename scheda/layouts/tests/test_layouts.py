"""Record page layouts: the built-in one, the account's and a team's (saved by a user with the
right to customise record layouts, validated field by field), and each user's own order, collapsed sections and tab."""

import re

import pytest

from scheda.accounts.models import Team, User
from scheda.errors import ValidationFailed
from scheda.layouts import services
from scheda.layouts.models import RecordLayout
from scheda.objects.services import get_object_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def contacts():
    return get_object_type("contacts")


@pytest.fixture
def designer(owner, grant):
    return grant(owner, rights=["customise_layouts"])


def keys(sections):
    return [s["key"] for s in sections]


def test_built_in_layout_of_a_contact(owner, contacts):
    layout = services.layout_for(owner, contacts)
    assert keys(layout.left) == ["about", "subscriptions", "website_activity", "record_source"]
    assert layout.left[0]["label"] == "About this contact" and "email" in layout.left[0]["properties"]
    assert keys(layout.right) == ["contacts", "companies", "deals", "tickets", "attachments"]
    assert layout.tab == "overview" and not layout.customised
    assert "account_overview" in keys(services.layout_for(owner, get_object_type("companies")).right)


def test_a_users_order_collapsed_sections_and_tab(owner, contacts):
    services.remember(owner, contacts, side="right", order=["attachments", "deals"])
    services.remember(owner, contacts, section="about", collapsed=True)
    services.remember(owner, contacts, section="deals", collapsed=True)
    services.remember(owner, contacts, section="deals", collapsed=False)
    services.remember(owner, contacts, tab="activities")
    layout = services.layout_for(owner, contacts)
    assert keys(layout.right) == ["attachments", "deals", "contacts", "companies", "tickets"]  # unplaced ones keep their order after
    assert layout.collapsed == {"about"} and layout.tab == "activities"
    with pytest.raises(ValidationFailed):
        services.remember(owner, contacts, tab="settings")
    with pytest.raises(ValidationFailed):
        services.remember(owner, contacts, side="middle", order=["x"])


def test_team_layout_wins_for_its_members_only(owner, contacts):
    services.save_layout(contacts, {**services.built_in(contacts), "header": ["email"]}, owner)
    team = Team.objects.create(name="Inside sales")
    team.members.add(owner)
    config = services.built_in(contacts)
    config["left"] = [{"key": "deal-desk", "label": "Deal desk", "properties": ["hs_lead_status", "lifecyclestage"]}]
    services.save_layout(contacts, config, owner, team_id=team.pk)
    mine = services.layout_for(owner, contacts)
    assert keys(mine.left) == ["deal-desk"] and mine.team_id == team.pk
    other = User.objects.create_user("bea@example.com", "a-long-password-2")
    theirs = services.layout_for(other, contacts)
    assert theirs.header == ["email"] and theirs.team_id is None and theirs.customised
    services.reset_layout(contacts, team.pk)
    assert services.layout_for(owner, contacts).header == ["email"]


def test_a_bad_layout_names_each_field(owner, contacts):
    config = services.built_in(contacts)
    config["header"] = ["email", "shoe_size"]
    config["left"].append({"key": "extra", "label": "", "properties": []})
    config["right"].append({"key": "companies_and_more"})
    config["overview"]["cards"] = ["highlights", "weather"]
    config["left"][1]["properties"] = ["email"]  # already in "About this contact"
    with pytest.raises(ValidationFailed) as failed:
        services.save_layout(contacts, config, owner)
    names = {e.name for e in failed.value.errors}
    assert {"header", "left-1-properties", "left-4-label", "left-4-properties", "right", "cards"} <= names
    assert "shoe_size" in failed.value.errors[0].message
    assert not RecordLayout.objects.exists()


def test_remember_view_keeps_order_and_collapsed(client, owner, contacts):
    client.force_login(owner)
    assert client.post("/layouts/contacts/mine/", {"side": "left", "order": ["record_source", "about"]}).status_code == 204
    assert client.post("/layouts/contacts/mine/", {"section": "website_activity", "collapsed": "1"}).status_code == 204
    layout = services.layout_for(owner, contacts)
    assert keys(layout.left)[:2] == ["record_source", "about"] and layout.collapsed == {"website_activity"}
    assert client.post("/layouts/contacts/mine/", {"side": "top", "order": ["about"]}).status_code == 400
    assert client.post("/layouts/notes/mine/", {"side": "left"}).status_code == 404
    assert client.get("/layouts/contacts/mine/").status_code == 405


def test_the_editor_needs_the_permission(client, owner):
    client.force_login(owner)
    assert client.get("/settings/layouts/contacts/").status_code == 403
    assert 'href="/settings/layouts/contacts/"' not in client.get("/contacts/999/").content.decode()


def test_the_editor_saves_a_team_layout_and_shows_errors_next_to_fields(client, designer, contacts):
    team = Team.objects.create(name="Inside sales")
    client.force_login(designer)
    page = client.get(f"/settings/layouts/contacts/?team={team.pk}").content.decode()
    assert "Team: Inside sales" in page and 'name="left-0-properties"' in page and "This team uses the default view" in page
    form = {"team": team.pk, "sections": "1", "header": "email\nphone", "left-0-key": "about", "left-0-label": "About",
            "left-0-properties": "email\nshoe_size", "left-1-label": "", "left-1-properties": "",
            "highlights": "createdate\nlast_activity_date", "card-highlights": "1",
            "right-deals-shown": "1", "right-deals-position": "0", "right-deals": "amount",
            "right-attachments-shown": "1", "right-attachments-position": "1"}
    refused = client.post("/settings/layouts/contacts/", form).content.decode()
    assert 'id="left-0-error">No property shoe_size' in refused and "email\nshoe_size" in refused
    assert not RecordLayout.objects.exists()
    form["left-0-properties"] = "email\njobtitle"
    form.update({"left-1-label": "Deal desk", "left-1-properties": "hs_lead_status"})
    saved = client.post("/settings/layouts/contacts/", form)
    assert saved.status_code == 302
    layout = RecordLayout.objects.get(team=team)
    about, desk = layout.config["left"]
    assert about == {"key": "about", "label": "About", "properties": ["email", "jobtitle"]}
    assert desk["key"].startswith("section-") and (desk["label"], desk["properties"]) == ("Deal desk", ["hs_lead_status"])
    assert [c["key"] for c in layout.config["right"]] == ["deals", "attachments"]
    assert layout.config["overview"] == {"highlights": ["createdate", "last_activity_date"], "cards": ["highlights"]}
    team.members.add(designer)
    record_page = client.get(f"/contacts/{_contact(designer).pk}/").content.decode()
    assert "Deal desk" in record_page and 'id="card-companies"' not in record_page and 'id="card-deals"' in record_page
    client.post("/settings/layouts/contacts/", {"team": team.pk, "reset": "1"})
    assert not RecordLayout.objects.exists()
    services.save_layout(get_object_type("contacts"), services.built_in(get_object_type("contacts")), designer)
    assert client.post("/settings/layouts/contacts/", {"team": team.pk + 1, "reset": "1"}).status_code == 404
    assert RecordLayout.objects.filter(team=None).exists()  # a team that is gone never resets the default


@pytest.mark.parametrize(("label", "message"), [
    # Kept in the layout's JSON, where PostgreSQL refuses a NUL (a 500 before).
    ("Deal\x00desk", "A section&#x27;s name cannot hold a NUL character"),
    ("D" * 256, "A section&#x27;s name has at most 255 characters"),
])
def test_a_sections_name_the_page_cannot_keep_is_refused_next_to_it(client, designer, contacts, label, message):
    """Section names are read from the form as sent: no form field checks them."""
    client.force_login(designer)
    form = {"sections": "1", "header": "email", "left-0-key": "about", "left-0-label": "About", "left-0-properties": "email",
            "left-1-label": label, "left-1-properties": "hs_lead_status", "highlights": "createdate"}
    refused = client.post("/settings/layouts/contacts/", form).content.decode()
    assert re.search(rf'id="left-1-label-error">{message}<', refused), refused[-3000:]
    assert not RecordLayout.objects.exists()


def _contact(user):
    from scheda.records import services as records

    return records.create_record("contacts", {"email": "ada@example.com"}, records.Author(records.Source.UI, user=user))
