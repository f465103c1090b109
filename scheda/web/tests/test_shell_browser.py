"""The app shell in Debian's Chromium against `scheda serve`: creating contacts in the dialog
(with the duplicate warning and "Create and add another"), searching as you type and opening a
result from the keyboard, and switching the interface to Italian. Data is made through the
HubSpot API of the same server."""

import re

from playwright.sync_api import expect

from scheda.web.tests.browser import make_contact, processed


def test_create_a_contact_past_the_duplicate_warning_then_another(page, server, unique):
    existing = make_contact(server, unique)
    page.goto("/")
    page.get_by_role("link", name="Create contact").click()
    dialog = page.get_by_role("dialog", name="Create contact")
    expect(dialog).to_be_visible()
    email = dialog.get_by_label("Email")
    processed(email)
    email.fill(f"{unique}@example.com")
    warning = dialog.locator("#duplicate-email")
    expect(warning).to_contain_text("A contact with this email already exists")
    expect(warning.get_by_role("link", name=f"Ada {unique}")).to_have_attribute("href", f"/contacts/{existing}/")
    email.fill(f"second-{unique}@example.com")
    expect(warning).to_be_empty()
    dialog.get_by_label("First name").fill("Grace")
    dialog.get_by_label("Last name").fill(unique)
    dialog.get_by_role("button", name="Create and add another").click()
    created = dialog.get_by_role("status").filter(has_text="Contact created")
    expect(created).to_be_visible()
    expect(created.get_by_role("link", name=f"Grace {unique}")).to_be_visible()
    expect(dialog.get_by_label("Email")).to_have_value("")  # open and empty, for the next one
    processed(dialog.get_by_label("Email"))
    dialog.get_by_label("Email").fill(f"third-{unique}@example.com")
    dialog.get_by_label("First name").fill("Hedy")
    dialog.get_by_role("button", name="Create", exact=True).click()
    expect(page).to_have_url(re.compile(r"/contacts/\d+/$"))
    expect(page.get_by_text(f"third-{unique}@example.com").first).to_be_visible()
    status, _, body = server.call("POST", "/crm/v3/objects/contacts/search", {
        "filterGroups": [{"filters": [{"propertyName": "lastname", "operator": "EQ", "value": unique}]}]})
    assert status == 200 and body["total"] == 2, body  # Ada (made before) and Grace


def test_cancel_closes_the_dialog(page, server, unique):
    page.goto("/")
    page.get_by_role("link", name="Create company").click()
    dialog = page.get_by_role("dialog", name="Create company")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)


def test_global_search_as_you_type_opens_a_record_from_the_keyboard(page, server, unique):
    contact = make_contact(server, unique)
    page.goto("/")
    search = page.get_by_role("searchbox", name="Search", exact=True)
    processed(search)
    search.fill(unique)
    results = page.locator("#search-results")
    expect(results.get_by_role("heading", name="Contacts")).to_be_visible()
    expect(results.get_by_role("link", name=f"Ada {unique}")).to_be_visible()
    search.press("ArrowDown")
    expect(results.get_by_role("link", name=f"Ada {unique}")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/contacts/{contact}/$"))
    search = page.get_by_role("searchbox", name="Search", exact=True)
    processed(search)
    search.fill(f"nothing{unique}")
    expect(page.locator("#search-results")).to_contain_text("No results")


def test_switching_the_language_to_italian(page, server):
    page.goto("/")
    page.get_by_role("button", name="Olga Owner").click()
    page.get_by_role("link", name="Profile and preferences").click()
    try:
        page.get_by_label("Language").select_option("it")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("html")).to_have_attribute("lang", "it")
        page.goto("/")
        expect(page.get_by_role("heading", name="Il tuo CRM")).to_be_visible()
        page.get_by_role("button", name="Olga Owner").click()
        expect(page.get_by_role("button", name="Esci")).to_be_visible()
    finally:
        # The live server is the session's: leave its owner in English for the next tests.
        page.goto("/preferences/")
        page.locator("#id_language").select_option("")
        page.locator(".preferences form button[type=submit]").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")


def test_deal_stages_follow_the_chosen_pipeline(page, server, unique):
    status, _, body = server.call("POST", "/crm/v3/pipelines/deals", {
        "label": f"Renewals {unique}", "displayOrder": 5,
        "stages": [{"label": f"Up for renewal {unique}", "displayOrder": 0, "metadata": {"probability": "0.5"}},
                   {"label": f"Renewed {unique}", "displayOrder": 1, "metadata": {"probability": "1.0", "isClosed": "true"}}]})
    assert status == 201, body
    page.goto("/")
    page.get_by_role("link", name="Create deal").click()
    dialog = page.get_by_role("dialog", name="Create deal")
    processed(dialog.get_by_label("Pipeline"))
    expect(dialog.get_by_label("Deal Stage").locator("option", has_text=f"Renewed {unique}")).to_have_count(0)
    dialog.get_by_label("Deal Name").fill(f"Renewal {unique}")
    dialog.get_by_label("Pipeline").select_option(label=f"Renewals {unique}")
    stage = dialog.get_by_label("Deal Stage")
    expect(stage.locator("option")).to_have_text([f"Up for renewal {unique}", f"Renewed {unique}"])
    stage.select_option(label=f"Renewed {unique}")
    dialog.get_by_role("button", name="Create", exact=True).click()
    expect(page).to_have_url(re.compile(r"/deals/\d+/$"))
    deal_id = re.search(r"/deals/(\d+)/$", page.url).group(1)
    status, _, body = server.call("GET", f"/crm/v3/objects/deals/{deal_id}?properties=pipeline,dealstage,dealname")
    renewed = next(s for s in next(p for p in server.call("GET", "/crm/v3/pipelines/deals")[2]["results"]
                                   if p["label"] == f"Renewals {unique}")["stages"] if s["label"] == f"Renewed {unique}")
    assert body["properties"]["dealstage"] == renewed["id"] and body["properties"]["dealname"] == f"Renewal {unique}"
