"""The XSS payloads in Debian's Chromium: a contact, company, note and task written with them
through the API, then the pages that show most of them (record page and its
activities tab, the index, search, notifications) opened: no dialog opens, nothing the payload
made runs, and the Content-Security-Policy reports no violation (an injected handler or script
would be one)."""

from __future__ import annotations

from playwright.sync_api import expect

from scheda.accounts.tests.test_signin_browser import WATCH_POLICY
from scheda.web.tests.test_xss_sweep import PAYLOAD


def test_the_payloads_run_nowhere_in_a_real_browser(chromium, server, unique):
    email = f"x{unique}@example.com"
    status, _, contact = server.call("POST", "/crm/v3/objects/contacts", {"properties": {
        "email": email, "firstname": f"{unique}{PAYLOAD}", "lastname": PAYLOAD, "jobtitle": PAYLOAD, "city": PAYLOAD}})
    assert status == 201, contact
    status, _, company = server.call("POST", "/crm/v3/objects/companies", {"properties": {"name": f"{unique}{PAYLOAD}"}})
    assert status == 201, company
    for kind, properties in (("notes", {"hs_note_body": PAYLOAD}), ("tasks", {"hs_task_subject": PAYLOAD, "hs_task_body": PAYLOAD})):
        status, _, activity = server.call("POST", f"/crm/v3/objects/{kind}",
                                          {"properties": {**properties, "hs_timestamp": "2026-11-20T09:30:00Z"}})
        assert status == 201, activity
        status, _, _ = server.call("PUT", f"/crm/v4/objects/{kind}/{activity['id']}/associations/default/contacts/{contact['id']}")
        assert status in (200, 201)
    status, _, _ = server.call("PUT", f"/crm/v4/objects/contacts/{contact['id']}/associations/default/companies/{company['id']}")
    assert status in (200, 201)

    context = chromium.new_context(locale="en-US", base_url=server.url)
    context.set_default_timeout(15_000)
    context.add_init_script(WATCH_POLICY + "window.alert = window.confirm = window.prompt = () => { window.__ran = true; };")
    console: list[str] = []
    dialogs: list[str] = []
    context.on("console", lambda message: console.append(message.text))
    try:
        tab = context.new_page()
        tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        tab.goto("/login/")
        tab.get_by_label("Email").fill("owner@example.com")
        tab.get_by_label("Password").fill("a-long-password-3")
        tab.get_by_role("button", name="Log in").click()
        tab.wait_for_url(f"{server.url}/")

        seen = []
        tab.goto(f"/contacts/{contact['id']}/")
        expect(tab.get_by_role("heading", level=1)).to_contain_text("<script>alert(1)</script>")
        seen.append(tab.evaluate("[window.__violations, window.__ran]"))
        tab.get_by_role("tab", name="Activities").click()
        expect(tab.locator("#timeline")).to_contain_text("onmouseover")
        seen.append(tab.evaluate("[window.__violations, window.__ran]"))
        for place in (f"/companies/{company['id']}/", "/contacts/", f"/search/?q={unique}", "/notifications/"):
            tab.goto(place)
            tab.wait_for_load_state("networkidle")
            seen.append(tab.evaluate("[window.__violations, window.__ran]"))
        tab.goto(f"/contacts/?query={unique}")
        expect(tab.get_by_role("link", name=f"{unique}<script>", exact=False).first).to_be_visible()
        tab.hover(f"text={unique}")
        seen.append(tab.evaluate("[window.__violations, window.__ran]"))
    finally:
        context.close()
    assert dialogs == [], dialogs
    assert all(violations == [] and not ran for violations, ran in seen), seen
    assert not [line for line in console if "Content Security Policy" in line or line.startswith("Refused to")], console
