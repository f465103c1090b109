"""A real browser for the UI tests: Playwright for Python driving Debian's `chromium` (never a
downloaded one), signed in to the session's live server (scheda.api.tests.live). Where no
chromium starts the browser tests skip, saying so, except in CI (CI=true), where they fail."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

CHROMIUM = os.environ.get("SCHEDA_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def chromium():
    try:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
    except Exception as exc:  # no package, no binary, or a binary that cannot start
        if os.environ.get("CI") == "true":
            pytest.fail(f"The browser tests need Debian's chromium at {CHROMIUM}: {exc}")
        pytest.skip(f"No chromium to drive ({exc}); install it with `apt-get install chromium`")
    yield browser
    browser.close()
    playwright.stop()


@contextmanager
def signed_in(chromium, server, email: str, password: str) -> Iterator:
    """A page of a browser context of its own, signed in as `email`, English UI."""
    context = chromium.new_context(locale="en-US", base_url=server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        tab.goto("/login/")
        tab.get_by_label("Email").fill(email)
        tab.get_by_label("Password").fill(password)
        tab.get_by_role("button", name="Log in").click()
        tab.wait_for_url(f"{server.url}/")
        yield tab
    finally:
        context.close()


@pytest.fixture
def page(chromium, server):
    """A page signed in as the live server's owner, English UI."""
    with signed_in(chromium, server, "owner@example.com", "a-long-password-3") as tab:
        yield tab


def make_contact(server, unique, **properties):
    """A contact made through the live server's API, the way an integration would."""
    status, _, body = server.call("POST", "/crm/v3/objects/contacts", {
        "properties": {"email": f"{unique}@example.com", "firstname": "Ada", "lastname": unique, **properties}})
    assert status == 201, body
    return body["id"]


def processed(locator):
    """Wait until htmx has wired up a control it just swapped in: input typed before that is lost."""
    locator.element_handle().wait_for_element_state("visible")
    locator.page.wait_for_function("el => el['htmx-internal-data'] && el['htmx-internal-data'].initHash",
                                   arg=locator.element_handle())
