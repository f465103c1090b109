"""The index page and the board in Debian's Chromium against `scheda serve`: filtering the
contacts and saving the view, and dragging a deal to another stage. Data is made through the
HubSpot API of the same server."""

import re

from playwright.sync_api import expect

from scheda.web.tests.browser import processed


def make(server, object_name, properties):
    status, _, body = server.call("POST", f"/crm/v3/objects/{object_name}", {"properties": properties})
    assert status == 201, body
    return body["id"]


def choose_property(page, label, operator):
    """Pick the new filter's property and wait for the form to come back with its operators (a
    form htmx swapped in is wired first, or the change would be lost)."""
    processed(page.get_by_label("Property"))
    page.get_by_label("Property").select_option(label=label)
    expect(page.get_by_label("Operator").locator("option", has_text=operator)).to_have_count(1)


def test_filter_the_contacts_and_save_the_view(page, server, unique):
    for first, stage in (("Ada", "customer"), ("Bea", "lead"), ("Cy", "lead")):
        make(server, "contacts", {"email": f"{first}.{unique}@example.com", "firstname": first, "lastname": unique, "lifecyclestage": stage})
    page.goto("/contacts/")
    expect(page.get_by_role("tab", name="All contacts")).to_have_attribute("aria-selected", "true")
    page.locator("summary", has_text="Add filter").click()
    choose_property(page, "Last Name", "is equal to")
    page.get_by_label("Operator").select_option(label="is equal to")
    page.get_by_label("Value").fill(unique)
    page.get_by_role("button", name="Apply filter").click()
    expect(page.get_by_text("3 records")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/contacts/\?view=all&edited=1&.*fp=lastname&fo=EQ&fv={unique}"))  # a reload shows the same
    # A bad value: the message is next to the field and nothing changes.
    page.locator("summary", has_text="Add filter").click()
    choose_property(page, "Create Date", "is before")
    page.get_by_label("Operator").select_option(label="is before")
    page.get_by_label("Value").fill("next week")
    page.get_by_role("button", name="Apply filter").click()
    expect(page.get_by_label("Value")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#filter-value-error")).to_contain_text("not a date")
    expect(page.get_by_text("3 records")).to_be_visible()
    choose_property(page, "Lifecycle Stage", "is equal to")
    page.get_by_label("Operator").select_option(label="is equal to")
    page.get_by_label("Value").select_option(label="Customer")
    page.get_by_role("button", name="Apply filter").click()
    expect(page.get_by_text("1 record", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=f"Ada {unique}")).to_be_visible()
    page.locator("summary", has_text="Save as new").click()
    page.get_by_label("View name").fill(f"Customers {unique}")
    page.get_by_role("button", name="Save", exact=True).click()
    tab = page.get_by_role("tab", name=f"Customers {unique}")
    expect(tab).to_have_attribute("aria-selected", "true")
    page.reload()
    expect(page.get_by_text("1 record", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=f"Ada {unique}")).to_be_visible()
    # Sort by a column header: the header says so, and so does the URL.
    header = page.get_by_role("columnheader", name="Create Date")
    expect(header).to_have_attribute("aria-sort", "descending")
    header.get_by_role("link").click()
    expect(page.get_by_role("columnheader", name="Create Date")).to_have_attribute("aria-sort", "ascending")
    expect(page).to_have_url(re.compile(r"sort=createdate&dir=asc"))
    page.get_by_role("tab", name="All contacts").click()
    expect(page.get_by_role("tab", name="All contacts")).to_have_attribute("aria-selected", "true")
    page.get_by_role("tab", name=f"Customers {unique}").click()
    expect(page.get_by_text("1 record", exact=True)).to_be_visible()


def test_drag_a_deal_to_another_stage(page, server, unique):
    deal = make(server, "deals", {"dealname": f"Deal {unique}", "dealstage": "appointmentscheduled", "amount": "5000"})
    page.set_viewport_size({"width": 1600, "height": 2000})  # a drag starts and ends on screen, however tall the topbar
    page.goto("/deals/?mode=board")
    card = page.locator(f"#card-{deal}")
    expect(page.locator('section[data-stage="appointmentscheduled"]').locator(f"#card-{deal}")).to_be_visible()
    with page.expect_response(lambda answer: "/deals/board/move/" in answer.url):  # the move is stored
        # Dropped near the column's top: its middle can be below the screen when it holds many cards.
        card.drag_to(page.locator('section[data-stage="qualifiedtobuy"]'), target_position={"x": 40, "y": 30})
    expect(page.locator('section[data-stage="qualifiedtobuy"]').get_by_role("link", name=f"Deal {unique}")).to_be_visible()
    expect(page.get_by_label(f"Move Deal {unique} to stage")).to_have_value("qualifiedtobuy")
    page.reload()
    expect(page.locator('section[data-stage="qualifiedtobuy"]').get_by_role("link", name=f"Deal {unique}")).to_be_visible()
    status, _, body = server.call("GET", f"/crm/v3/objects/deals/{deal}?properties=dealstage")
    assert status == 200 and body["properties"]["dealstage"] == "qualifiedtobuy"
    # The keyboard way: the card's own "Move to stage" select and button.
    page.get_by_label(f"Move Deal {unique} to stage").select_option(label="Closed Won")
    page.locator(f"#card-{deal}").get_by_role("button", name="Move to stage").click()
    expect(page.locator('section[data-stage="closedwon"]').get_by_role("link", name=f"Deal {unique}")).to_be_visible()


def test_two_boards_move_one_deal_and_the_second_move_is_refused(page, server, unique):
    """Two pages show the board; the first moves a deal; the second, still showing it where it
    was, is told who moved it where, shows it there, and moving it from there overwrites."""
    deal = make(server, "deals", {"dealname": f"Deal {unique}", "dealstage": "appointmentscheduled"})
    other = page.context.new_page()
    for tab in (page, other):
        tab.goto("/deals/?mode=board")
        processed(tab.locator(f"#card-{deal} form.move-card"))
    page.get_by_label(f"Move Deal {unique} to stage").select_option(label="Qualified To Buy")
    page.locator(f"#card-{deal}").get_by_role("button", name="Move to stage").click()
    expect(page.locator('section[data-stage="qualifiedtobuy"]').get_by_role("link", name=f"Deal {unique}")).to_be_visible()
    other.get_by_label(f"Move Deal {unique} to stage").select_option(label="Closed Won")
    other.locator(f"#card-{deal}").get_by_role("button", name="Move to stage").click()
    expect(other.get_by_role("alert").filter(has_text="meanwhile")).to_have_text(
        f"Deal {unique} was moved to Qualified To Buy by Olga Owner meanwhile: move it again to overwrite.")
    expect(other.locator('section[data-stage="qualifiedtobuy"]').get_by_role("link", name=f"Deal {unique}")).to_be_visible()
    processed(other.locator(f"#card-{deal} form.move-card"))
    other.get_by_label(f"Move Deal {unique} to stage").select_option(label="Closed Won")
    other.locator(f"#card-{deal}").get_by_role("button", name="Move to stage").click()
    expect(other.locator('section[data-stage="closedwon"]').get_by_role("link", name=f"Deal {unique}")).to_be_visible()
    status, _, body = server.call("GET", f"/crm/v3/objects/deals/{deal}?properties=dealstage")
    assert status == 200 and body["properties"]["dealstage"] == "closedwon"
