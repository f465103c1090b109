"""`make screenshots`: PNGs of a contact, a company and a deal record page at desktop (1280 px)
and phone (390 px) widths, from a fresh demo installation served by `scheda serve`, taken with
Debian's chromium through Playwright. Written next to this file."""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from scheda.api.tests.live import Server, start_server
from scheda.web.tests.browser import CHROMIUM

HERE = Path(__file__).resolve().parent
EMAIL, PASSWORD = "screenshots@example.com", "a-long-password-screens"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def busiest(data_dir: Path, object_name: str) -> int:
    """The demo record of this object with the most timeline entries: the fullest page."""
    with sqlite3.connect(data_dir / "scheda.sqlite3") as db:
        (record_id,) = db.execute(
            "SELECT r.id FROM records_record r JOIN objects_objecttype t ON t.id = r.object_type_id "
            "LEFT JOIN activities_timelineentry e ON e.record_id = r.id WHERE t.name = ? AND NOT r.archived "
            "GROUP BY r.id ORDER BY COUNT(e.id) DESC, r.id LIMIT 1", (object_name,)).fetchone()
    return record_id


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="scheda-screenshots-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDA_")}
    env["SCHEDA_DATA_DIR"] = str(data_dir)
    boot = Server("", "", env)
    boot.scheda("migrate", "--verbosity", "0")
    boot.scheda("demo")
    boot.scheda("createuser", "--email", EMAIL, "--password", PASSWORD, "--first-name", "Sara", "--last-name", "Rossi")
    process, url = start_server(env)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            for size, viewport in SIZES.items():
                context = browser.new_context(locale="en-US", base_url=url, viewport=viewport,
                                              device_scale_factor=1 if size == "desktop" else 2)
                page = context.new_page()
                page.goto("/login/")
                page.get_by_label("Email").fill(EMAIL)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Log in").click()
                page.wait_for_url(f"{url}/")
                for object_name in ("contacts", "companies", "deals"):
                    page.goto(f"/{object_name}/{busiest(data_dir, object_name)}/")
                    if object_name == "contacts":  # the timeline; the others show their Overview
                        page.get_by_role("tab", name="Activities", exact=True).click()
                    page.wait_for_load_state("networkidle")
                    target = HERE / f"{object_name}-{size}.png"
                    page.screenshot(path=str(target), full_page=size == "phone")
                    print(f"wrote {target.relative_to(HERE.parent.parent)}")
                context.close()
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
