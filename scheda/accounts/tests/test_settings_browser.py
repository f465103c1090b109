"""The settings pages in Debian's Chromium against `scheda serve`: an admin makes a team and a
permission set and gives both to a user; and on the Starter tier the permission set editor says
which tier custom sets need."""

import re

import pytest
from playwright.sync_api import expect

PASSWORD = "a-long-password-5"


@pytest.fixture
def admin_page(chromium, server, unique):
    """A page signed in as a new super admin of the live server; the tier is Enterprise again
    afterwards, as the other browser tests expect."""
    server.scheda("createuser", "--email", f"admin-{unique}@example.com", "--password", PASSWORD,
                  "--first-name", "Ada", "--last-name", f"Admin{unique}", "--superuser")
    context = chromium.new_context(locale="en-US", base_url=server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.goto("/login/")
    tab.get_by_label("Email").fill(f"admin-{unique}@example.com")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(f"{server.url}/")
    yield tab
    tab.goto("/settings/subscription/")
    tab.get_by_role("radio", name="Enterprise").check()
    tab.get_by_role("button", name="Save").click()
    expect(tab.get_by_text("Your account is on the Enterprise tier.")).to_be_visible()
    context.close()


def test_an_admin_gives_a_user_a_new_team_and_permission_set(admin_page, server, unique):
    page = admin_page
    server.scheda("createuser", "--email", f"rep-{unique}@example.com", "--password", PASSWORD,
                  "--first-name", "Rita", "--last-name", unique)
    page.get_by_role("button", name=f"Ada Admin{unique}").click()
    page.get_by_role("link", name="Settings", exact=True).click()
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()

    page.get_by_role("link", name="Teams", exact=True).click()
    page.get_by_label("Team name").fill(f"Field {unique}")
    page.get_by_role("checkbox", name=f"Rita {unique} (rep-{unique}@example.com)").check()
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("status")).to_have_text(f"Team Field {unique} created")
    expect(page.get_by_role("row", name=f"Field {unique} 1")).to_be_visible()

    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name="Permission sets").click()
    page.get_by_role("link", name="Create permission set").click()
    page.get_by_label("Name", exact=True).fill(f"Agents {unique}")
    page.get_by_role("combobox", name="Contacts View").select_option(label="Owned or team")
    page.get_by_role("combobox", name="Contacts Edit").select_option(label="Owned only")
    page.get_by_role("checkbox", name="Contacts Bulk delete").check()
    page.get_by_role("checkbox", name="Manage API tokens").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text(f"Permission set Agents {unique} saved")
    expect(page.get_by_role("combobox", name="Contacts View")).to_have_value("team")
    expect(page.get_by_role("checkbox", name="Contacts Bulk delete")).to_be_checked()

    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name="Users").click()
    search = page.get_by_role("searchbox", name="Search users")
    search.fill(f"rep-{unique}")
    expect(page.locator("#users-table tbody tr")).to_have_count(1)
    page.get_by_role("link", name=f"Rita {unique}").click()
    page.get_by_role("combobox", name="Permission set").select_option(label=f"Agents {unique}")
    page.get_by_role("combobox", name="Primary team").select_option(label=f"Field {unique}")
    page.get_by_role("button", name="Save access").click()
    expect(page.get_by_role("status")).to_have_text(f"Access of Rita {unique} saved")

    page.get_by_role("link", name="Users").click()
    row = page.get_by_role("row").filter(has_text=f"rep-{unique}@example.com")
    expect(row).to_contain_text(f"Agents {unique}")
    expect(row).to_contain_text(re.compile(rf"Field {unique}\s+Primary"))
    page.get_by_label("Team", exact=True).select_option(label=f"Field {unique}")
    expect(page.locator("#users-table tbody tr")).to_have_count(1)


def test_invite_user_in_the_dialog(admin_page, server, unique):
    page = admin_page
    page.goto("/settings/users/")
    page.get_by_role("button", name="Invite user").click()
    dialog = page.get_by_role("dialog", name="Invite user")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Email").fill("not-an-address")
    dialog.get_by_role("button", name="Send invitation").click()
    dialog = page.get_by_role("dialog", name="Invite user")
    expect(dialog.get_by_role("alert")).to_have_text("Enter a valid e-mail address")
    dialog.get_by_label("Email").fill(f"invited-{unique}@example.com")
    dialog.get_by_label("First name").fill("Iris")
    dialog.get_by_role("button", name="Send invitation").click()
    expect(dialog).to_be_hidden()
    # Sent, or said it could not be (a server without mail settings): the user is invited either way.
    row = page.get_by_role("row").filter(has_text=f"invited-{unique}@example.com")
    expect(row).to_contain_text("Invited")


def test_on_starter_the_permission_set_editor_says_which_tier_unlocks_it(admin_page, server):
    page = admin_page
    page.goto("/settings/")
    page.get_by_role("link", name="Subscription").click()
    page.get_by_role("radio", name="Starter").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Your subscription is now Starter")
    page.get_by_role("link", name="Settings", exact=True).click()
    expect(page.get_by_text("Needs the Enterprise tier")).to_be_visible()  # the audit log
    page.get_by_role("link", name="Permission sets").click()
    page.get_by_role("link", name="Sales rep").click()
    expect(page.get_by_role("status")).to_have_text("Custom permission sets need the Professional tier")
    expect(page.get_by_label("Name", exact=True)).to_be_disabled()
    expect(page.get_by_role("combobox", name="All other objects View")).to_be_disabled()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
