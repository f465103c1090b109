"""Signing in through the form in Debian's Chromium, and every kind of page working under the
Content-Security-Policy: a page the policy blocks anything on fails the test."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from scheda.web.tests.browser import make_contact, processed

# Every violation the browser reports: the securitypolicyviolation event and the console line.
WATCH_POLICY = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def watched(chromium, server):
    """A new browser context that records CSP violations; yields (context, violations)."""
    context = chromium.new_context(locale="en-US", base_url=server.url)
    context.set_default_timeout(10_000)
    context.add_init_script(WATCH_POLICY)
    refused: list[str] = []
    context.on("console", lambda message: refused.append(message.text)
               if "Content Security Policy" in message.text or message.text.startswith("Refused to") else None)
    yield context, refused
    context.close()


def violations(tab, refused: list[str]) -> list[str]:
    return refused + tab.evaluate("window.__violations || []")


def sign_in(tab, email: str, password: str) -> None:
    tab.goto("/login/")
    tab.get_by_label("Email").fill(email)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Log in").click()


def test_sign_in_through_the_form_shows_the_home_page(watched, server, unique):
    context, refused = watched
    email = f"rep-{unique}@example.com"
    server.scheda("createuser", "--email", email, "--password", "a-long-password-8", "--first-name", "Rita")
    tab = context.new_page()
    sign_in(tab, email, "a-long-password-8")
    tab.wait_for_url(f"{server.url}/")
    expect(tab.get_by_role("button", name="Rita")).to_be_visible()
    expect(tab.get_by_role("link", name="Create contact")).to_be_visible()
    assert violations(tab, refused) == []


def test_a_wrong_password_shows_the_message_next_to_the_form(watched, server, unique):
    context, refused = watched
    email = f"rep-{unique}@example.com"
    server.scheda("createuser", "--email", email, "--password", "a-long-password-8")
    tab = context.new_page()
    sign_in(tab, email, "not-the-password")
    form = tab.locator("form").filter(has=tab.get_by_role("button", name="Log in"))
    expect(form.get_by_role("alert")).to_have_text("Please enter a correct email and password.")
    expect(tab).to_have_url(f"{server.url}/login/")
    expect(tab.get_by_label("Email")).to_have_value(email)
    expect(tab.get_by_role("link", name="Forgot your password?")).to_be_visible()
    assert violations(tab, refused) == []


def test_no_page_breaks_the_content_security_policy(watched, server, unique):
    context, refused = watched
    contact = make_contact(server, unique)
    tab = context.new_page()
    sign_in(tab, "owner@example.com", "a-long-password-3")
    tab.wait_for_url(f"{server.url}/")
    seen = []
    for path in ("/", "/contacts/", f"/contacts/{contact}/", "/companies/", "/deals/", "/preferences/",
                 "/password/change/", "/settings/layouts/contacts/", "/notifications/"):
        tab.goto(path)
        tab.wait_for_load_state("networkidle")
        seen.append((path, violations(tab, refused)))
    # The record page's timeline and cards come through htmx, and its Actions menu opens dialogs.
    tab.goto(f"/contacts/{contact}/")
    tab.get_by_role("button", name="Actions").click()
    tab.get_by_role("link", name="View all properties").click()
    expect(tab.get_by_role("searchbox", name="Search properties")).to_be_visible()
    tab.get_by_role("searchbox", name="Search properties").fill("email")
    seen.append(("all properties", violations(tab, refused)))
    tab.goto(f"/contacts/{contact}/")
    tab.get_by_role("button", name="Actions").click()
    tab.get_by_role("button", name="View record access").click()
    expect(tab.locator("#record-action-dialog")).not_to_be_empty()
    tab.wait_for_load_state("networkidle")
    seen.append(("record access dialog", violations(tab, refused)))
    # The create dialog.
    tab.goto("/")
    tab.get_by_role("link", name="Create contact").click()
    dialog = tab.get_by_role("dialog", name="Create contact")
    processed(dialog.get_by_label("Email"))
    dialog.get_by_label("Email").fill(f"{unique}@example.com")
    expect(dialog.locator("#duplicate-email")).to_contain_text("A contact with this email already exists")
    seen.append(("create dialog", violations(tab, refused)))
    # The API docs: Swagger UI from Scheda's own static files.
    tab.goto("/api/docs")
    expect(tab.get_by_text("Scheda CRM API").first).to_be_visible()
    seen.append(("/api/docs", violations(tab, refused)))
    assert [entry for entry in seen if entry[1]] == []


def test_the_django_admin_works_under_its_policy(watched, server, unique):
    context, refused = watched
    admin = f"admin-{unique}@example.com"
    server.scheda("createuser", "--email", admin, "--password", "a-long-password-9", "--superuser")
    tab = context.new_page()
    tab.goto("/admin/login/")
    tab.get_by_label("Email").fill(admin)
    tab.get_by_label("Password").fill("a-long-password-9")
    tab.get_by_role("button", name="Log in").click()
    expect(tab.get_by_role("heading", name="Site administration")).to_be_visible()
    seen = []
    for path in ("/admin/accounts/user/", "/admin/accounts/user/add/", "/admin/auth/group/add/"):
        tab.goto(path)
        tab.wait_for_load_state("networkidle")
        seen.append((path, violations(tab, refused)))
    tab.goto("/admin/accounts/user/")
    tab.get_by_role("link", name=admin).click()
    expect(tab.get_by_role("heading", name="Change user")).to_be_visible()
    tab.wait_for_load_state("networkidle")
    seen.append(("change user", violations(tab, refused)))
    assert [entry for entry in seen if entry[1]] == []
