"""The record page in Debian's Chromium against `scheda serve`: inline editing, association
cards, attachments, sections moved and collapsed, the remembered tab, a team layout and the
phone width, each control found by its accessible name."""

from pathlib import Path

from playwright.sync_api import expect

from scheda.web.tests.browser import make_contact, processed, signed_in


def make(server, object_name, properties):
    status, _, body = server.call("POST", f"/crm/v3/objects/{object_name}", {"properties": properties})
    assert status == 201, body
    return body["id"]


def open_tab(page, name):
    """Click a record tab and wait for its panel; a tab swapped in is wired by htmx first."""
    tab = page.get_by_role("tab", name=name, exact=True)
    processed(tab)
    with page.expect_response(lambda answer: "/tab/" in answer.url):
        tab.click()
    expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute("aria-selected", "true")


def left_order(page):
    return page.eval_on_selector_all(".left-sidebar .sections > .sidebar-section", "els => els.map(e => e.dataset.key)")


def remembered(page, action):
    """Does action and waits until the server has kept the layout it changed: a reload before that shows the old one."""
    with page.expect_response(lambda response: "/layouts/" in response.url and response.request.method == "POST") as kept:
        action()
    assert kept.value.ok, kept.value.status


def test_inline_edit_with_a_validation_error_then_saved(page, server, unique):
    contact = make_contact(server, unique, jobtitle="Engineer")
    page.goto(f"/contacts/{contact}/")
    page.get_by_role("button", name="Edit Email").click()
    email = page.get_by_role("textbox", name="Email", exact=True)
    processed(page.locator("form.editing"))
    email.fill("not an address")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("is not a valid e-mail address")
    email.fill(f"new-{unique}@example.com")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#property-email")).to_contain_text(f"new-{unique}@example.com")
    status, _, body = server.call("GET", f"/crm/v3/objects/contacts/{contact}?properties=email")
    assert body["properties"]["email"] == f"new-{unique}@example.com"


def test_a_save_over_a_change_made_meanwhile_says_who_and_what(page, server, unique):
    contact = make_contact(server, unique, jobtitle="Engineer")
    page.goto(f"/contacts/{contact}/")
    page.get_by_role("button", name="Edit Job Title").click()
    title = page.get_by_role("textbox", name="Job Title", exact=True)
    processed(page.locator("form.editing"))
    # An integration changes the value while the editor is open.
    status, _, body = server.call("PATCH", f"/crm/v3/objects/contacts/{contact}", {"properties": {"jobtitle": "Poet"}})
    assert status == 200, body
    title.fill("Mathematician")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#edit-jobtitle-error")).to_have_text(
        'Changed by API meanwhile: now "Poet". Save again to overwrite.')  # a token without a user: its source
    expect(title).to_have_value("Mathematician")
    processed(page.locator("form.editing"))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#property-jobtitle")).to_contain_text("Mathematician")
    status, _, body = server.call("GET", f"/crm/v3/objects/contacts/{contact}?properties=jobtitle")
    assert body["properties"]["jobtitle"] == "Mathematician"


def test_add_and_label_an_association_then_remove_it(page, server, unique):
    contact = make_contact(server, unique)
    make(server, "companies", {"name": f"Engines {unique}", "domain": f"{unique}.example"})
    page.goto(f"/contacts/{contact}/")
    page.get_by_role("button", name="Add Companies").click()
    search = page.get_by_role("searchbox", name="Search Companies")
    processed(search)
    search.fill(f"Engines {unique}")
    expect(page.get_by_role("radio")).to_have_count(1)
    page.get_by_role("radio", name=f"Engines {unique}").check()
    page.get_by_role("checkbox", name="Primary").check()
    page.get_by_role("button", name="Save", exact=True).click()
    card = page.locator("#card-companies")
    expect(card.get_by_role("link", name=f"Engines {unique}")).to_be_visible()
    expect(card.locator(".badge")).to_have_text("Primary")
    expect(card.get_by_role("button", name="Companies (1)")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name=f"Remove association with Engines {unique}").click()
    expect(page.locator("#card-companies").get_by_role("button", name="Companies (0)")).to_be_visible()


def test_upload_and_download_an_attachment(page, server, unique, tmp_path):
    contact = make_contact(server, unique)
    page.goto(f"/contacts/{contact}/")
    bad = tmp_path / "tool.exe"
    bad.write_bytes(b"MZ")
    page.get_by_label("Upload file").set_input_files(str(bad))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#attachment-file-error")).to_contain_text("cannot be attached")
    good = tmp_path / f"notes-{unique}.txt"
    good.write_text("meeting notes")
    page.get_by_label("Upload file").set_input_files(str(good))
    page.get_by_role("button", name="Upload", exact=True).click()
    link = page.get_by_role("link", name=f"notes-{unique}.txt")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"notes-{unique}.txt"
    assert Path(download.value.path()).read_text() == "meeting notes"


def test_moved_and_collapsed_sections_stay_so_after_a_reload(page, server, unique):
    contact = make_contact(server, unique)
    page.set_viewport_size({"width": 1280, "height": 1400})  # a drag starts and ends on screen
    page.goto(f"/contacts/{contact}/")
    before = left_order(page)
    assert before[:2] == ["about", "subscriptions"]
    subscriptions = page.get_by_role("button", name="Communication subscriptions", exact=True)
    deals = page.get_by_role("button", name="Deals (0)", exact=True)
    try:
        remembered(page, lambda: page.get_by_role("button", name="Move Record source").drag_to(
            page.get_by_role("button", name="About this contact", exact=True)))
        assert left_order(page)[0] == "record_source"
        # The keyboard moves a section too: Website activity one place up.
        remembered(page, lambda: page.get_by_role("button", name="Move Website activity").press("ArrowUp"))
        remembered(page, subscriptions.click)
        expect(subscriptions).to_have_attribute("aria-expanded", "false")
        remembered(page, deals.click)
        page.reload()
        after = left_order(page)
        assert after[0] == "record_source" and after.index("website_activity") < after.index("subscriptions"), after
        expect(subscriptions).to_have_attribute("aria-expanded", "false")
        expect(page.locator("#section-subscriptions-body")).to_be_hidden()
        expect(page.locator("#section-deals-body")).to_be_hidden()
    finally:
        # Back as they were for the other tests of this session's user, through the page's own
        # remember(), one change after another: each rewrites the same layout.
        statuses = page.evaluate("""async (order) => {
            const left = document.querySelector(".left-sidebar [data-remember-url]"), statuses = [];
            for (const fields of [{side: "left", order}, {section: "subscriptions", collapsed: "0"}, {section: "deals", collapsed: "0"}]) {
                statuses.push((await remember(left, fields)).status);
            }
            return statuses;
        }""", before)
        assert statuses == [204, 204, 204], statuses


def test_the_tab_visited_last_opens_next_time(page, server, unique):
    contact = make_contact(server, unique)
    page.goto(f"/contacts/{contact}/")
    open_tab(page, "Activities")
    expect(page.get_by_role("button", name="Filter activity")).to_be_visible()
    page.goto(f"/contacts/{make_contact(server, unique + 'b')}/")
    expect(page.get_by_role("tab", name="Activities", exact=True)).to_have_attribute("aria-selected", "true")
    open_tab(page, "Overview")
    expect(page.get_by_role("heading", name="Data highlights")).to_be_visible()
    page.reload()
    expect(page.get_by_role("tab", name="Overview")).to_have_attribute("aria-selected", "true")


def test_a_team_layout_set_in_the_editor_shows_to_the_teams_members(page, chromium, server, unique):
    team = f"Team {unique}"
    server.scheda("shell", "-c", "from scheda.accounts.models import Team, User; "
                  f"Team.objects.create(name={team!r}).members.add(User.objects.get(email='owner@example.com'))")
    admin = f"admin-{unique}@example.com"
    server.scheda("createuser", "--email", admin, "--password", "a-long-password-9", "--superuser")
    try:
        with signed_in(chromium, server, admin, "a-long-password-9") as designer:
            _a_team_layout(designer, page, server, team, unique)
    finally:
        server.scheda("shell", "-c", f"from scheda.accounts.models import Team; Team.objects.filter(name={team!r}).delete()")


def _a_team_layout(designer, page, server, team, unique):
    designer.goto("/settings/layouts/contacts/")
    designer.get_by_label("Layout for").select_option(label=f"Team: {team}")
    designer.wait_for_url("**team=*")
    designer.get_by_label("New section name").fill("Deal desk")
    designer.get_by_label("New section properties").fill("hs_linkedin_url\nshoe_size")
    designer.get_by_role("button", name="Save", exact=True).click()
    expect(designer.get_by_text("No property shoe_size", exact=True)).to_be_visible()
    designer.get_by_label("Properties", exact=True).last.fill("hs_linkedin_url")
    designer.get_by_role("button", name="Save", exact=True).click()
    expect(designer.get_by_role("status")).to_have_text("Layout saved.")
    contact = make_contact(server, unique)
    page.goto(f"/contacts/{contact}/")
    expect(page.get_by_role("button", name="Deal desk", exact=True)).to_be_visible()
    designer.get_by_role("button", name="Reset to default").click()
    page.reload()
    expect(page.get_by_role("button", name="Deal desk", exact=True)).to_have_count(0)


def test_phone_width_stacks_the_columns_and_stays_usable(chromium, page, server, unique):
    for number in range(6):  # custom objects widen the navigation
        status, _, body = server.call("POST", "/crm-object-schemas/v3/schemas", {
            "name": f"gadget{unique}{number}", "labels": {"singular": "Gadget", "plural": f"Gadgets {number} {unique}"},
            "primaryDisplayProperty": "model", "requiredProperties": ["model"],
            "properties": [{"name": "model", "label": "Model", "type": "string", "fieldType": "text"}]})
        assert status == 201, body
    contact = make_contact(server, unique)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/contacts/{contact}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    left, middle, right = (page.locator(s).bounding_box() for s in (".left-sidebar", "#middle", ".right-sidebar"))
    assert left["y"] < middle["y"] < right["y"] and all(box["width"] <= 390 for box in (left, middle, right))
    page.get_by_role("button", name="Note", exact=True).click()
    page.get_by_label("Note body").fill(f"From the phone {unique}")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#timeline").get_by_text(f"From the phone {unique}")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_every_control_of_the_record_page_has_its_name(page, server, unique):
    contact = make_contact(server, unique)
    page.goto(f"/contacts/{contact}/")
    for name in ("Note", "Email", "Call", "Task", "Meeting", "Actions", "Add Companies", "Add Deals", "Add Tickets",
                 "Upload", "Edit Email", "About this contact", "Move About this contact", "Attachments (0)"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(1)
    for name in ("Overview", "Activities"):
        expect(page.get_by_role("tab", name=name, exact=True)).to_have_count(1)
    expect(page.get_by_label("Upload file")).to_have_count(1)
    page.get_by_role("button", name="Actions", exact=True).click()
    menu = page.locator("#record-actions-menu")
    for name in ("Follow", "Clone", "Merge", "Delete", "Restore activity", "Export", "View record access"):
        expect(menu.get_by_role("button", name=name, exact=True)).to_be_visible()
    for name in ("View all properties", "View property history"):
        expect(menu.get_by_role("link", name=name, exact=True)).to_be_visible()
    open_tab(page, "Activities")
    for name in ("Filter activity", "All users", "All teams", "Expand all", "Collapse all", "Restore activity"):
        expect(page.locator("#activities-tab").get_by_role("button", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("searchbox", name="Search activities")).to_be_visible()
    open_tab(page, "Overview")  # as the session's other tests expect
    expect(page.get_by_role("heading", name="Data highlights")).to_be_visible()
