"""The app shell over Django's test client: the object navigation, global search (grouped,
empty, a flat query count), the user's menu, and the language each user chooses."""

import re

import pytest

from scheda.objects import services as objects
from scheda.records import services as records

pytestmark = pytest.mark.django_db


def htmx(client, url, data=None, **extra):
    return client.get(url, data or {}, HTTP_HX_REQUEST="true", **extra)


def test_the_shell_links_every_object_and_marks_the_current_one(browser, rep):
    objects.create_object_type(name="cars", singular="Car", plural="Cars", primary_display_property="model",
                               properties=[{"name": "model", "label": "Model", "type": "string", "field_type": "text"}])
    contact = records.create_record("contacts", {"email": "ada@example.com", "firstname": "Ada"}, rep)
    page = browser.get(f"/contacts/{contact.pk}/").content.decode()
    nav = re.search(r'<nav class="object-nav".*?</nav>', page, re.S).group(0)
    links = re.findall(r'<a href="(/[a-z_]+/)"( aria-current="page")?>([^<]+)</a>', nav)
    assert [(href, label) for href, _c, label in links] == [
        ("/contacts/", "Contacts"), ("/companies/", "Companies"), ("/deals/", "Deals"), ("/tickets/", "Tickets"),
        ("/cars/", "Cars")]
    assert [href for href, current, _l in links if current] == ["/contacts/"]
    # Activities and archived objects are no destination.
    assert "/notes/" not in nav and "/calls/" not in nav
    home = browser.get("/").content.decode()
    assert 'aria-current="page"' not in re.search(r'<nav class="object-nav".*?</nav>', home, re.S).group(0)


def test_the_user_menu_names_the_user_and_keeps_the_notification_count(browser):
    page = browser.get("/").content.decode()
    assert re.search(r'<button type="button" aria-expanded="false" aria-controls="user-menu" aria-haspopup="true">Olga Owner</button>', page)
    for item in ('href="/preferences/">Profile and preferences<', 'href="/notifications/">Notifications<', ">Log out</button>"):
        assert item in page, item
    assert ">0 notifications</a>" in page
    assert 'aria-label="Search"' in page and '<div id="dialog"></div>' in page


def test_search_groups_matches_by_object_type_and_links_each_record(browser, rep):
    ada = records.create_record("contacts", {"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace"}, rep)
    other = records.create_record("contacts", {"email": "grace@example.com", "firstname": "Grace"}, rep)
    company = records.create_record("companies", {"name": "Lovelace Engines", "domain": "lovelace.example"}, rep)
    deal = records.create_record("deals", {"dealname": "Lovelace renewal"}, rep)
    html = htmx(browser, "/search/", {"q": "lovel"}).content.decode()
    groups = re.findall(r'<h2 id="search-group-(\w+)">([^<]+)</h2>', html)
    assert groups == [("contacts", "Contacts"), ("companies", "Companies"), ("deals", "Deals")]
    assert f'<a href="/contacts/{ada.pk}/">Ada Lovelace</a>' in html
    assert f'<a href="/companies/{company.pk}/">Lovelace Engines</a>' in html
    assert f'<a href="/deals/{deal.pk}/">Lovelace renewal</a>' in html
    assert f"/contacts/{other.pk}/" not in html
    assert "<html" not in html  # the partial, not a page


def test_search_with_no_match_says_so_and_an_empty_query_shows_nothing(browser, rep):
    records.create_record("contacts", {"email": "ada@example.com", "firstname": "Ada"}, rep)
    assert "No results" in htmx(browser, "/search/", {"q": "zebra"}).content.decode()
    empty = htmx(browser, "/search/", {"q": "  "}).content.decode()
    assert "No results" not in empty and "<a " not in empty


def test_search_without_htmx_is_a_page_of_results(browser, rep):
    ada = records.create_record("contacts", {"email": "ada@example.com", "firstname": "Ada"}, rep)
    page = browser.get("/search/", {"q": "ada"}).content.decode()
    assert "<html" in page and f'<a href="/contacts/{ada.pk}/">Ada</a>' in page
    assert 'value="ada"' in page  # the box keeps the query


def test_search_queries_do_not_grow_with_the_results(browser, rep, django_assert_num_queries):
    records.create_record("contacts", {"email": "one@example.com", "firstname": "Zed"}, rep)
    # session, user, schema token (the object types and the default permission set are kept
    # with it), one search per object type (4 standard objects), the records
    expected = 2 + 1 + 4 + 1
    with django_assert_num_queries(expected):
        assert htmx(browser, "/search/", {"q": "zed"}).content.decode().count("<li>") == 1
    records.create_records("contacts", [{"email": f"z{i}@example.com", "firstname": "Zed"} for i in range(12)], rep)
    records.create_records("companies", [{"name": f"Zed {i}", "domain": f"zed{i}.example"} for i in range(3)], rep)
    with django_assert_num_queries(expected):
        assert htmx(browser, "/search/", {"q": "zed"}).content.decode().count("<li>") == 5 + 3


def test_search_needs_a_signed_in_user(client):
    assert client.get("/search/", {"q": "a"}).status_code == 302


def test_preferences_change_name_and_language(browser, owner):
    page = browser.get("/preferences/").content.decode()
    for label in ("First name", "Last name", "Language"):
        assert f">{label}</label>" in page
    assert '<option value="it">Italian</option>' in page
    response = browser.post("/preferences/", {"first_name": "Olivia", "last_name": "Owens", "language": "it"})
    assert response.status_code == 302 and response["Location"] == "/preferences/"
    owner.refresh_from_db()
    assert (owner.first_name, owner.last_name, owner.language) == ("Olivia", "Owens", "it")
    # Italian wins over the browser's English, on every page.
    home = browser.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="it">' in home and ">Esci</button>" in home and "Il tuo CRM" in home
    assert ">Olivia Owens</button>" in home


def test_an_unknown_language_is_refused_next_to_its_field(browser, owner):
    response = browser.post("/preferences/", {"first_name": "O", "last_name": "", "language": "xx"})
    assert response.status_code == 200 and "field-error" in response.content.decode()
    owner.refresh_from_db()
    assert owner.language == ""


def test_without_a_choice_the_browser_language_is_used(browser, owner):
    home = browser.get("/", HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert ">Esci</button>" in home
    owner.language = "en"
    owner.save()
    assert ">Log out</button>" in browser.get("/", HTTP_ACCEPT_LANGUAGE="it").content.decode()
