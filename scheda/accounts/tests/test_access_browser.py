"""Permissions and tiers as a user meets them in Chromium: a record they may not open, a record
they may only read, and a feature their tier does not have, each saying why."""

from __future__ import annotations

from playwright.sync_api import expect

from scheda.web.tests.browser import make_contact, signed_in


def test_a_record_outside_the_users_access_is_denied_with_the_reason(chromium, server, unique):
    rep = f"rep-{unique}@example.com"
    server.scheda("createuser", "--email", rep, "--password", "a-long-password-7", "--permission-set", "Sales rep",
                  "--team", f"Team {unique}")
    theirs = make_contact(server, f"theirs{unique}")  # owned by nobody: not the rep's, not the team's
    with signed_in(chromium, server, rep, "a-long-password-7") as page:
        page.goto(f"/contacts/{theirs}/")
        expect(page.get_by_role("heading", name="Access denied")).to_be_visible()
        expect(page.get_by_role("alert")).to_have_text("You don't have permission to view this record")
        # Nor does search find it.
        page.get_by_role("searchbox", name="Search").fill(f"theirs{unique}")
        page.wait_for_timeout(600)
        expect(page.locator("#search-results").get_by_role("link", name=f"Ada theirs{unique}")).to_have_count(0)


def test_a_read_only_user_sees_the_record_without_edit_controls(chromium, server, unique):
    reader = f"reader-{unique}@example.com"
    server.scheda("createuser", "--email", reader, "--password", "a-long-password-7", "--permission-set", "Read only")
    contact = make_contact(server, unique)
    with signed_in(chromium, server, reader, "a-long-password-7") as page:
        page.goto(f"/contacts/{contact}/")
        expect(page.get_by_text("You can view this record but not edit it.")).to_be_visible()
        expect(page.get_by_role("button", name="Edit Email")).to_have_count(0)
        expect(page.get_by_role("button", name="Note", exact=True)).to_have_count(0)
        expect(page.get_by_role("button", name="Add Companies")).to_have_count(0)


def test_a_gated_feature_says_which_tier_unlocks_it(chromium, server, unique):
    admin = f"admin-{unique}@example.com"
    server.scheda("createuser", "--email", admin, "--password", "a-long-password-9", "--superuser")
    contact = make_contact(server, unique)
    server.scheda("shell", "-c", "from scheda.accounts import services; services.set_tier('starter', None)")
    try:
        with signed_in(chromium, server, admin, "a-long-password-9") as page:
            page.goto(f"/contacts/{contact}/")
            page.get_by_role("button", name="Actions").click()
            page.get_by_role("button", name="View record access").click()
            expect(page.get_by_role("alert")).to_have_text("View record access needs the Professional tier")
            page.goto("/settings/layouts/contacts/")
            expect(page.get_by_text("Customising the rest of the record page needs the Professional tier.",
                                    exact=False)).to_be_visible()
    finally:
        server.scheda("shell", "-c", "from scheda.accounts import services; services.set_tier('enterprise', None)")
