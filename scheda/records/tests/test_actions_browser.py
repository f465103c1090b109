"""The record page's "Actions" menu in Debian's Chromium against `scheda serve`: merging two
contacts through the dialog and undoing it, following, and searching all properties. Data is
made through the HubSpot API of the same server."""

import re

from playwright.sync_api import expect

from scheda.web.tests.browser import make_contact, processed


def actions(page, item: str):
    page.get_by_role("button", name="Actions", exact=True).click()
    return page.locator("#record-actions-menu").get_by_role("button", name=item, exact=True)


def test_merge_two_contacts_through_the_dialog_then_undo_it(page, server, unique):
    kept = make_contact(server, unique, jobtitle="Countess")
    merged = make_contact(server, f"{unique}x", firstname="Augusta")
    page.goto(f"/contacts/{kept}/")
    actions(page, "Merge").click()
    dialog = page.get_by_role("dialog", name="Merge contact")
    expect(dialog).to_be_visible()
    expect(page.locator("#record-actions-menu")).to_be_hidden()
    processed(dialog.get_by_label("Search contacts"))
    dialog.get_by_label("Search contacts").fill(unique)  # matches both; the list leaves this record out
    choice = dialog.get_by_role("radio", name=f"Augusta {unique}x")
    expect(choice).to_be_visible()
    expect(dialog.locator("#merge-candidates").get_by_role("radio")).to_have_count(1)
    # Merge without choosing a record first: the message stays in the dialog.
    dialog.get_by_label("Search contacts").fill("")
    expect(choice).to_have_count(0)
    dialog.get_by_role("button", name="Merge", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Choose a record to merge with")
    dialog = page.get_by_role("dialog", name="Merge contact")
    processed(dialog.get_by_label("Search contacts"))
    dialog.get_by_label("Search contacts").fill(f"{unique}x")
    dialog.get_by_role("radio", name=f"Augusta {unique}x").check()
    dialog.get_by_role("radio", name="The record chosen above").check()
    dialog.get_by_role("button", name="Merge", exact=True).click()
    page.wait_for_url(f"**/contacts/{merged}/")
    expect(page.get_by_role("status")).to_contain_text("was merged into")
    status, _, _ = server.call("GET", f"/crm/v3/objects/contacts/{kept}")
    assert status == 404
    actions(page, "Undo merge").click()
    dialog = page.get_by_role("dialog", name="Undo merge")
    expect(dialog.get_by_role("radio", name=f"Ada {unique}", exact=False)).to_be_checked()
    dialog.get_by_role("button", name="Undo merge").click()
    expect(page.get_by_role("status")).to_have_text("Merge undone")
    page.get_by_role("button", name="Actions", exact=True).click()
    expect(page.locator("#record-actions-menu").get_by_role("button", name="Undo merge")).to_have_count(0)
    for record_id in (kept, merged):
        status, _, body = server.call("GET", f"/crm/v3/objects/contacts/{record_id}")
        assert status == 200, body
    page.goto(f"/contacts/{kept}/")
    expect(page.get_by_role("heading", name=f"Ada {unique}")).to_be_visible()


def test_follow_and_unfollow_in_place(page, server, unique):
    contact = make_contact(server, unique)
    page.goto(f"/contacts/{contact}/")
    page.get_by_role("button", name="Actions", exact=True).click()
    menu = page.locator("#record-actions-menu")
    processed(menu.get_by_role("button", name="Follow", exact=True))
    menu.get_by_role("button", name="Follow", exact=True).click()
    expect(menu.get_by_role("button", name="Unfollow")).to_be_visible()  # the menu stays open
    page.reload()
    page.get_by_role("button", name="Actions", exact=True).click()
    processed(menu.get_by_role("button", name="Unfollow"))
    menu.get_by_role("button", name="Unfollow").click()
    expect(menu.get_by_role("button", name="Follow", exact=True)).to_be_visible()
    page.reload()
    page.get_by_role("button", name="Actions", exact=True).click()
    expect(menu.get_by_role("button", name="Follow", exact=True)).to_be_visible()


def row(page, name: str):
    """The row of "View all properties" for the property with internal name `name`."""
    return page.locator(".property-row").filter(has=page.locator(".meta", has_text=re.compile(f"^{name}$")))


def test_view_all_properties_search_and_hide_blank(page, server, unique):
    contact = make_contact(server, unique, jobtitle="Analyst")
    page.goto(f"/contacts/{contact}/")
    page.get_by_role("button", name="Actions", exact=True).click()
    page.get_by_role("link", name="View all properties").click()
    page.wait_for_url(f"**/contacts/{contact}/properties/")
    expect(row(page, "jobtitle")).to_contain_text("Analyst")
    expect(row(page, "email")).to_be_visible()
    page.get_by_label("Search properties").fill("job")
    expect(row(page, "jobtitle")).to_be_visible()
    expect(row(page, "email")).to_be_hidden()
    page.get_by_label("Search properties").fill("nothing-like-this")
    expect(page.get_by_text("No properties match.")).to_be_visible()
    expect(page.locator(".property-row:visible")).to_have_count(0)
    page.get_by_label("Search properties").fill("")
    total = page.locator(".property-row").count()
    expect(page.locator(".property-row:visible")).to_have_count(total)
    expect(row(page, "phone")).to_be_visible()
    page.get_by_label("Hide blank properties").check()
    expect(row(page, "phone")).to_be_hidden()  # blank
    expect(row(page, "jobtitle")).to_be_visible()
    assert 0 < page.locator(".property-row:visible").count() < total
    page.get_by_role("link", name="View history of Job Title").click()
    page.wait_for_url("**/history/?property=jobtitle")
    expect(page.get_by_role("heading", name="Job Title jobtitle")).to_be_visible()
    expect(page.get_by_role("cell", name="Analyst")).to_be_visible()
    expect(page.get_by_role("cell", name="API")).to_be_visible()
    page.get_by_label("Property", exact=True).select_option(label="Email")
    page.wait_for_url("**/history/?property=email")
    expect(page.get_by_role("cell", name=f"{unique}@example.com")).to_be_visible()
