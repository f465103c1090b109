"""The Activities tab in Debian's Chromium against `scheda serve`: the flows of MC-1 to MC-9
a user goes through, found by their accessible names. Data is made through the HubSpot API of
the same server, the way an integration would."""

import re

from playwright.sync_api import expect

from scheda.web.tests.browser import make_contact, processed


def log(server, contact_id, kind, properties):
    type_ids = {"notes": 202, "tasks": 204, "calls": 194, "meetings": 200, "emails": 198}
    status, _, body = server.call("POST", f"/crm/v3/objects/{kind}", {
        "properties": properties,
        "associations": [{"to": {"id": contact_id},
                          "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_ids[kind]}]}]})
    assert status == 201, body
    return body["id"]




def timeline(page):
    return page.locator("#timeline")


def open_activities(page, record_id, object_name="contacts"):
    """A record page with its Activities tab open (the page opens the tab last used)."""
    page.goto(f"/{object_name}/{record_id}/")
    tab = page.get_by_role("tab", name="Activities", exact=True)
    if tab.get_attribute("aria-selected") != "true":
        tab.click()
    expect(page.locator("#timeline")).to_be_attached()


def test_quick_action_note_lands_at_once_and_tabs_filter(page, server, unique):
    contact = make_contact(server, unique)
    open_activities(page, contact)
    page.get_by_role("button", name="Note", exact=True).click()
    processed(page.locator("form.activity-form"))
    page.get_by_label("Note body").fill(f"Discussed the {unique} proposal")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(timeline(page).get_by_text(f"Discussed the {unique} proposal")).to_be_visible()
    page.get_by_role("tab", name="Tasks").click()
    expect(page.get_by_role("tab", name="Tasks")).to_have_attribute("aria-selected", "true")
    expect(timeline(page).get_by_text(f"Discussed the {unique} proposal")).to_have_count(0)
    page.get_by_role("tab", name="Notes").click()
    expect(timeline(page).get_by_text(f"Discussed the {unique} proposal")).to_be_visible()


def test_a_task_without_subject_gets_the_message_next_to_the_field(page, server, unique):
    contact = make_contact(server, unique)
    open_activities(page, contact)
    page.get_by_role("button", name="Task", exact=True).click()
    processed(page.locator("form.activity-form"))
    page.get_by_role("button", name="Save", exact=True).click()
    subject = page.get_by_label("Task Title")
    expect(subject).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#new-hs_task_subject-error")).to_be_visible()
    processed(page.locator("form.activity-form"))
    subject.fill("Send the contract")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Upcoming")).to_have_count(0)  # due now: history, not upcoming
    expect(timeline(page).get_by_text("Send the contract")).to_be_visible()
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_role("button", name="Mark as complete")).to_have_count(0)


def test_filter_activity_menu_and_users(page, server, unique):
    contact = make_contact(server, unique)
    log(server, contact, "notes", {"hs_note_body": "a note", "hs_timestamp": "2026-01-01T10:00:00Z"})
    server.call("PATCH", f"/crm/v3/objects/contacts/{contact}", {"properties": {"lifecyclestage": "customer"}})
    open_activities(page, contact)
    page.get_by_role("button", name="Filter activity").click()
    page.get_by_role("checkbox", name="Lifecycle stage").check()
    expect(timeline(page).get_by_text(re.compile("Lifecycle Stage changed"))).to_be_visible()
    expect(timeline(page).get_by_text("a note")).to_have_count(0)
    page.get_by_role("checkbox", name="Lifecycle stage").uncheck()
    expect(timeline(page).get_by_text("a note")).to_be_visible()
    page.get_by_role("button", name="All users").click()
    page.get_by_label("Olga Owner").check()
    # The note was logged through the API with no owner: no user's activity.
    expect(timeline(page).get_by_text("a note")).to_have_count(0)


def test_search_highlights_and_expand_collapse(page, server, unique):
    contact = make_contact(server, unique)
    log(server, contact, "notes", {"hs_note_body": "The budget is approved", "hs_timestamp": "2026-01-02T10:00:00Z"})
    log(server, contact, "calls", {"hs_call_body": "No news", "hs_timestamp": "2026-01-03T10:00:00Z"})
    open_activities(page, contact)
    page.get_by_label("Search activities").fill("budget")
    expect(timeline(page).locator("mark")).to_have_text("budget")
    expect(timeline(page).get_by_text("No news")).to_have_count(0)
    page.get_by_label("Search activities").fill("")
    expect(timeline(page).get_by_text("No news")).to_be_visible()
    page.get_by_role("button", name="Collapse all").click()
    expect(timeline(page).get_by_text("No news")).to_be_hidden()
    page.get_by_role("button", name="Expand all").click()
    expect(timeline(page).get_by_text("No news")).to_be_visible()
    page.locator("#timeline summary").first.click()  # one activity collapses alone
    expect(timeline(page).get_by_text("No news")).to_be_hidden()
    expect(timeline(page).get_by_text("The budget is approved")).to_be_visible()


def test_add_comment(page, server, unique):
    contact = make_contact(server, unique)
    log(server, contact, "notes", {"hs_note_body": "needs review", "hs_timestamp": "2026-01-01T10:00:00Z"})
    open_activities(page, contact)
    page.get_by_role("button", name="Add comment").click()
    processed(page.locator("form.comment-form"))
    page.get_by_label("Comment", exact=True).fill("Looks good @owner@example.com")
    page.get_by_role("button", name="Save comment").click()
    expect(page.get_by_role("button", name="1 comment")).to_be_visible()
    expect(page.get_by_text("Looks good @owner@example.com")).to_be_visible()


def test_edit_associations_of_an_activity(page, server, unique):
    contact = make_contact(server, unique)
    other = make_contact(server, f"{unique}b", firstname="Bartholomew")
    log(server, contact, "notes", {"hs_note_body": "shared note", "hs_timestamp": "2026-01-01T10:00:00Z"})
    open_activities(page, contact)
    page.get_by_role("button", name="1 association").click()
    search = page.get_by_label("Search records to associate")
    processed(search)
    search.fill("Bartholomew")
    page.get_by_role("button", name=f"Associate record {other}").click()
    expect(page.get_by_role("button", name=f"Remove association with record {other}")).to_be_visible()
    open_activities(page, other)
    expect(timeline(page).get_by_text("shared note")).to_be_visible()
    page.get_by_role("button", name="2 associations").click()
    page.get_by_role("button", name=f"Remove association with record {other}").click()
    expect(page.get_by_role("button", name=f"Remove association with record {other}")).to_have_count(0)
    open_activities(page, other)
    expect(timeline(page).get_by_text("shared note")).to_have_count(0)


def test_pin_delete_and_restore(page, server, unique):
    contact = make_contact(server, unique)
    log(server, contact, "notes", {"hs_note_body": "old news", "hs_timestamp": "2025-01-01T10:00:00Z"})
    log(server, contact, "notes", {"hs_note_body": "fresh news", "hs_timestamp": "2026-01-01T10:00:00Z"})
    open_activities(page, contact)
    page.locator("article", has_text="old news").get_by_role("button", name="Pin").click()
    expect(page.locator("article").first).to_contain_text("old news")
    expect(page.get_by_role("button", name="Unpin")).to_be_visible()
    page.locator("article", has_text="fresh news").get_by_role("button", name="Delete").click()
    expect(timeline(page).get_by_text("fresh news")).to_have_count(0)
    page.get_by_role("button", name="Restore activity").click()
    page.get_by_role("button", name="Restore Note 1").click()
    expect(timeline(page).get_by_text("fresh news")).to_be_visible()


def test_a_long_timeline_loads_more_as_the_user_scrolls(page, server, unique):
    contact = make_contact(server, unique)
    inputs = [{"properties": {"hs_note_body": f"entry {i:02d}", "hs_timestamp": f"2026-01-01T10:{i:02d}:00Z"},
               "associations": [{"to": {"id": contact}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]}]}
              for i in range(40)]
    status, _, body = server.call("POST", "/crm/v3/objects/notes/batch/create", {"inputs": inputs})
    assert status == 201, body
    open_activities(page, contact)
    expect(page.locator("#timeline article")).to_have_count(25)
    page.locator("#timeline article").last.scroll_into_view_if_needed()
    page.mouse.wheel(0, 20_000)
    expect(page.locator("#timeline article")).to_have_count(41)  # 40 notes and "Contact created"
    expect(timeline(page).get_by_text("entry 00")).to_be_visible()


def test_log_an_eml_file(page, server, unique, tmp_path):
    contact = make_contact(server, unique)
    eml = tmp_path / "message.eml"
    eml.write_bytes(f"From: {unique}@example.com\nTo: owner@example.com\nSubject: Contract {unique}\n\nSee you.\n".encode())
    open_activities(page, contact)
    page.get_by_role("button", name="Email", exact=True).click()
    processed(page.locator("form.upload-form"))
    page.get_by_label("Email file (.eml)").set_input_files(str(eml))
    page.get_by_role("button", name="Log email file").click()
    expect(timeline(page).get_by_text(f"Contract {unique}")).to_be_visible()


def test_two_pages_edit_one_note_and_the_second_save_is_refused(page, server, unique):
    """Two pages open the same note's editor; the first saves; the second's save is refused
    with who changed it and the text now, keeps what was typed, and a second Save overwrites."""
    contact = make_contact(server, unique)
    log(server, contact, "notes", {"hs_note_body": "first draft", "hs_timestamp": "2026-01-01T10:00:00Z"})
    other = page.context.new_page()
    for tab in (page, other):
        open_activities(tab, contact)
        timeline(tab).get_by_role("button", name="Edit", exact=True).click()
        processed(tab.locator("form.activity-form"))
    page.get_by_label("Note body").fill("the first page's text")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(timeline(page).get_by_text("the first page's text")).to_be_visible()
    body = other.get_by_label("Note body")
    body.fill("the second page's text")
    other.get_by_role("button", name="Save", exact=True).click()
    error = other.locator("form.activity-form .field-error")
    expect(error).to_have_text('Changed by Olga Owner meanwhile: now "the first page\'s text". Save again to overwrite.')
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(body).to_have_value("the second page's text")
    processed(other.locator("form.activity-form"))
    other.get_by_role("button", name="Save", exact=True).click()
    # The refused editor holds the typed text too: the save is done when the editor is gone.
    expect(other.locator("form.activity-form")).to_have_count(0)
    expect(timeline(other).get_by_text("the second page's text")).to_be_visible()
    _, _, linked = server.call("GET", f"/crm/v4/objects/contacts/{contact}/associations/notes")
    (found,) = linked["results"]
    _, _, note = server.call("GET", f"/crm/v3/objects/notes/{found['toObjectId']}?properties=hs_note_body")
    assert note["properties"]["hs_note_body"] == "the second page's text"
