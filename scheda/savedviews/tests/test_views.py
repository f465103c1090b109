"""Saved views: the services (validation naming the field, ownership, order) and the page's
"Save view", "Save as new" and "Delete view"."""

import re

import pytest

from scheda.accounts.models import User
from scheda.errors import ValidationFailed
from scheda.objects.services import get_object_type
from scheda.savedviews import services
from scheda.savedviews.models import SavedView

pytestmark = pytest.mark.django_db

CUSTOMERS = [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]


@pytest.fixture
def contacts_type(db):
    return get_object_type("contacts")


@pytest.fixture
def other(db):
    return User.objects.create_user("other@example.com", "a-long-password-2")


def refused(call, field):
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert field in [e.name for e in caught.value.errors], caught.value.errors
    return caught.value


def test_create_update_reorder_delete(contacts_type, owner):
    view = services.create_view(contacts_type, owner, {"name": "Customers", "columns": ["email", "lastname"], "filters": CUSTOMERS,
                                                       "sort": "lastname", "descending": False, "mode": "table"})
    assert (view.name, view.columns, view.filters, view.sort, view.descending, view.shared) == (
        "Customers", ["email", "lastname"], CUSTOMERS, "lastname", False, False)
    second = services.create_view(contacts_type, owner, {"name": "Leads"})
    assert second.position == view.position + 1
    services.update_view(view, owner, {"name": "Paying customers", "shared": True})
    view.refresh_from_db()
    assert view.name == "Paying customers" and view.shared
    services.reorder_views(contacts_type, owner, [second.pk, view.pk])
    assert [v.name for v in services.views_of(contacts_type, owner)] == ["Leads", "Paying customers"]
    refused(lambda: services.reorder_views(contacts_type, owner, [second.pk]), "views")
    services.delete_view(second, owner)
    assert not SavedView.objects.filter(pk=second.pk).exists()


def test_validation_names_the_field(contacts_type, owner):
    refused(lambda: services.create_view(contacts_type, owner, {"name": "  "}), "name")
    refused(lambda: services.create_view(contacts_type, owner, {"name": "x" * 101}), "name")
    services.create_view(contacts_type, owner, {"name": "Mine"})
    refused(lambda: services.create_view(contacts_type, owner, {"name": "mine"}), "name")
    refused(lambda: services.create_view(contacts_type, owner, {"name": "A", "columns": ["nope"]}), "columns")
    refused(lambda: services.create_view(contacts_type, owner, {"name": "A", "columns": []}), "columns")
    error = refused(lambda: services.create_view(contacts_type, owner, {"name": "A", "filters": [
        {"propertyName": "createdate", "operator": "LT", "value": "soon"}]}), "filters")
    assert "not a date" in error.errors[0].message
    refused(lambda: services.create_view(contacts_type, owner, {"name": "A", "filters": [
        {"propertyName": "email", "operator": "GT", "value": "a"}]}), "filters")
    refused(lambda: services.create_view(contacts_type, owner, {"name": "A", "sort": "jobtitle"}), "sort")
    refused(lambda: services.create_view(contacts_type, owner, {"name": "A", "mode": "board"}), "mode")
    refused(lambda: services.create_view(contacts_type, owner, {"name": "A", "mode": "grid"}), "mode")
    assert services.create_view(get_object_type("deals"), owner, {"name": "Deal board", "mode": "board"}).mode == "board"


def test_private_views_are_their_owners_and_only_the_owner_changes_a_view(contacts_type, owner, other):
    private = services.create_view(contacts_type, owner, {"name": "Private"})
    shared = services.create_view(contacts_type, owner, {"name": "Shared", "shared": True})
    assert [v.name for v in services.views_of(contacts_type, other)] == ["Shared"]
    refused(lambda: services.update_view(shared, other, {"name": "Mine now"}), "view")
    refused(lambda: services.delete_view(shared, other), "view")
    assert private.name in [v.name for v in services.views_of(contacts_type, owner)]


def test_save_as_new_from_the_page_and_its_tab(browser, contacts, contacts_type, owner):
    state = {"view": "all", "edited": "1", "col": ["email", "lastname"], "fp": "lifecyclestage", "fo": "EQ", "fv": "customer",
             "sort": "lastname", "dir": "asc"}
    answer = browser.post("/contacts/views/", {**state, "name": "Customers", "shared": "everyone"})
    view = SavedView.objects.get(name="Customers")
    assert answer.status_code == 302 and answer["Location"] == f"/contacts/?view={view.pk}"
    assert (view.columns, view.filters, view.sort, view.descending, view.shared) == (
        ["email", "lastname"], CUSTOMERS, "lastname", False, True)
    html = browser.get(answer["Location"]).content.decode()
    assert re.search(rf'role="tab" href="/contacts/\?view={view.pk}"[^>]*aria-selected="true">Customers<', html)
    assert "4 records" in html and ">Save view<" in html and ">Delete view<" in html


def test_save_view_and_delete_view_from_the_page(browser, contacts, contacts_type, owner):
    view = services.create_view(contacts_type, owner, {"name": "Customers", "filters": CUSTOMERS})
    answer = browser.post(f"/contacts/views/{view.pk}/", {"view": view.pk, "edited": "1", "col": ["email"], "sort": "lastname", "dir": "desc"})
    assert answer.status_code == 302
    view.refresh_from_db()
    assert view.filters == [] and view.columns == ["email"] and view.descending
    assert browser.post(f"/contacts/views/{view.pk}/delete/").status_code == 302
    assert not SavedView.objects.exists()
    assert browser.post(f"/contacts/views/{view.pk}/delete/").status_code == 404


@pytest.mark.parametrize(("name", "message"), [
    ("", "Enter a name for the view"),
    # Read from the form as sent (no form field refuses it): PostgreSQL failed the write, a 500.
    ("Cust\x00omers", "A view&#x27;s name cannot hold a NUL character"),
])
def test_a_refused_name_comes_back_next_to_the_field(browser, contacts, contacts_type, owner, name, message):
    answer = browser.post("/contacts/views/", {"view": "all", "name": name})
    html = answer.content.decode()
    assert answer.status_code == 400
    assert re.search(rf'id="view-name-error" class="field-error" role="alert">{message}<', html)
    assert 'aria-describedby="view-name-error"' in html and not SavedView.objects.exists()


def test_someone_elses_shared_view_cannot_be_saved_over(client, contacts, contacts_type, owner, other):
    view = services.create_view(contacts_type, owner, {"name": "Shared", "shared": True})
    client.force_login(other)
    html = client.get(f"/contacts/?view={view.pk}").content.decode()
    assert ">Shared<" in html and ">Save view<" not in html
    assert client.post(f"/contacts/views/{view.pk}/delete/").status_code == 400
    assert SavedView.objects.filter(pk=view.pk).exists()
