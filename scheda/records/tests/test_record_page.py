"""The record page over Django's test client: what each column shows, properties edited in
place, association cards, attachments, the account overview, the remembered tab, and a query
count that does not grow with a record's activities and associations."""

import re
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from scheda.activities import services as activities
from scheda.associations import services as associations
from scheda.associations.models import Association
from scheda.records import services as records
from scheda.records.models import PropertyChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(rep):
    return records.create_record("contacts", {"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace",
                                              "jobtitle": "Engineer", "hs_buying_role": "DECISION_MAKER"}, rep)


@pytest.fixture
def company(rep):
    return records.create_record("companies", {"name": "Analytical Engines", "domain": "engines.example"}, rep)


def htmx(client, method, url, data=None, **extra):
    return getattr(client, method)(url, data or {}, HTTP_HX_REQUEST="true", **extra)


def associate(record, other, label=None):
    kinds = associations.types_between(record.object_type, other.object_type)
    chosen = [t for t in kinds if t.label == label] if label else [associations.default_type(record.object_type, other.object_type)]
    associations.associate_many([associations.Pair(record.pk, other.pk, chosen[0].pk)])


def test_first_visit_shows_header_sections_overview_and_cards(browser, contact, company):
    associate(contact, company, "Primary")
    page = browser.get(f"/contacts/{contact.pk}/").content.decode()
    assert '<h1>Ada Lovelace</h1>' in page and '>AL</div>' in page  # initials stand in for a photo
    assert "<dt>Job Title</dt><dd>Engineer</dd>" in page  # a key fact
    for label in ("About this contact", "Communication subscriptions", "Website activity", "Record source"):
        assert f'data-remember-section="{label.lower().replace(" ", "_")}"' in page or label in page, label
    assert 'role="tab" id="tab-overview" aria-controls="record-tabpanel" aria-selected="true"' in page
    assert "Data highlights" in page and "Recent communications" in page and 'id="timeline"' not in page
    assert re.search(r'Companies \(1\)', page) and '<span class="badge">Primary</span>' in page
    for name in ("Note", "Email", "Call", "Task", "Meeting"):
        assert f">{name}</button>" in page, name
    assert 'aria-label="Edit Email"' in page and 'aria-label="Add Companies"' in page


def test_the_tab_visited_last_opens_next_time_per_object(browser, contact, company):
    looked = htmx(browser, "get", f"/contacts/{contact.pk}/tab/activities/").content.decode()
    assert 'id="timeline"' in looked and 'id="timeline"' not in browser.get(f"/contacts/{contact.pk}/").content.decode()  # a GET remembers nothing
    panel = htmx(browser, "post", f"/contacts/{contact.pk}/tab/activities/").content.decode()
    assert 'id="timeline"' in panel and 'aria-selected="true"' in panel.split('id="tab-activities"')[1][:120]
    assert 'id="timeline"' in browser.get(f"/contacts/{contact.pk}/").content.decode()
    assert 'id="timeline"' not in browser.get(f"/companies/{company.pk}/").content.decode()  # another object
    assert browser.get(f"/contacts/{contact.pk}/tab/settings/").status_code == 404


def test_a_quick_action_opens_the_activities_tab_with_its_form(browser, contact):
    panel = htmx(browser, "post", f"/contacts/{contact.pk}/tab/activities/?log=tasks").content.decode()
    assert 'aria-label="Log Task"' in panel and 'id="new-hs_task_subject"' in panel


def test_inline_edit_saves_with_history_and_refuses_a_bad_value_in_place(browser, contact):
    editor = htmx(browser, "get", f"/contacts/{contact.pk}/property/jobtitle/", {"edit": "1"}).content.decode()
    assert 'id="edit-jobtitle"' in editor and 'value="Engineer"' in editor
    saved = htmx(browser, "post", f"/contacts/{contact.pk}/property/jobtitle/", {"jobtitle": "Mathematician"}).content.decode()
    assert "Mathematician" in saved and 'aria-label="Edit Job Title"' in saved
    change = PropertyChange.objects.filter(record=contact).order_by("-id").first()
    assert change.values == {"jobtitle": "Mathematician"} and change.source == "CRM_UI"
    refused = htmx(browser, "post", f"/contacts/{contact.pk}/property/email/", {"email": "not an address"}).content.decode()
    assert 'id="edit-email-error" role="alert"' in refused and 'value="not an address"' in refused
    assert "is not a valid e-mail address" in refused and 'Property "email"' not in refused
    assert records.get_record("contacts", contact.pk).properties["email"] == "ada@example.com"
    cleared = htmx(browser, "post", f"/contacts/{contact.pk}/property/jobtitle/", {"jobtitle": ""})
    assert cleared.status_code == 200 and "jobtitle" not in records.get_record("contacts", contact.pk).properties


def test_an_inline_edit_over_a_change_made_meanwhile_is_refused_then_saved_on_purpose(browser, contact, grant):
    from django.test import Client

    from scheda.accounts.models import User

    bruno = grant(User.objects.create_user("bruno@example.com", "a-long-password-2", first_name="Bruno", last_name="Bianchi"))
    other = Client()
    other.force_login(bruno)
    url = f"/contacts/{contact.pk}/property/jobtitle/"
    editor = htmx(browser, "get", url, {"edit": "1"}).content.decode()
    version = re.search(r'name="version" value="(\d+)"', editor).group(1)
    assert htmx(other, "post", url, {"jobtitle": "Poet", "version": version}).status_code == 200
    # Someone editing another property meanwhile does not make this editor stale.
    email = re.search(r'name="version" value="(\d+)"', htmx(browser, "get", f"/contacts/{contact.pk}/property/email/", {"edit": "1"})
                      .content.decode()).group(1)
    htmx(other, "post", f"/contacts/{contact.pk}/property/phone/", {"phone": "+39 06 1234"})
    assert "Edit Email" in htmx(browser, "post", f"/contacts/{contact.pk}/property/email/",
                                {"email": "ada@lovelace.example", "version": email}).content.decode()
    refused = htmx(browser, "post", url, {"jobtitle": "Mathematician", "version": version}).content.decode()
    assert 'role="alert"' in refused and 'value="Mathematician"' in refused
    assert "Changed by Bruno Bianchi meanwhile: now &quot;Poet&quot;. Save again to overwrite." in refused
    assert records.get_record("contacts", contact.pk).properties["jobtitle"] == "Poet"
    fresh = re.search(r'name="version" value="(\d+)"', refused).group(1)
    assert int(fresh) > int(version)
    saved = htmx(browser, "post", url, {"jobtitle": "Mathematician", "version": fresh}).content.decode()
    assert "Mathematician" in saved and 'aria-label="Edit Job Title"' in saved
    assert records.get_record("contacts", contact.pk).properties["jobtitle"] == "Mathematician"


def test_inline_edit_of_choices_and_read_only_properties(browser, contact):
    roles = htmx(browser, "post", f"/contacts/{contact.pk}/property/hs_buying_role/",
                 {"hs_buying_role": ["BUDGET_HOLDER", "CHAMPION"]}).content.decode()
    assert "Budget Holder, Champion" in roles
    htmx(browser, "post", f"/contacts/{contact.pk}/property/createdate/", {"createdate": "2001-01-01T00:00"})
    assert "Edit Create Date" not in htmx(browser, "get", f"/contacts/{contact.pk}/property/createdate/", {"edit": "1"}).content.decode()
    assert records.get_record("contacts", contact.pk).created_at.year != 2001
    assert browser.get(f"/contacts/{contact.pk}/property/nope/").status_code == 404


def test_add_an_association_with_a_label_and_remove_it(browser, contact, company):
    search = htmx(browser, "get", f"/contacts/{contact.pk}/associated/companies/", {"add": "1", "q": "Analytical"}).content.decode()
    assert f'value="{company.pk}"' in search and ">Primary</label>" in search.replace(" Primary", "Primary")
    primary = next(t for t in associations.types_between(contact.object_type, company.object_type) if t.label == "Primary")
    card = htmx(browser, "post", f"/contacts/{contact.pk}/associated/companies/", {"to": company.pk, "label": primary.pk}).content.decode()
    assert "Analytical Engines" in card and '<span class="badge">Primary</span>' in card and "Companies (1)" in card
    assert Association.objects.filter(from_record=contact, to_record=company, type=primary).exists()
    again = htmx(browser, "get", f"/contacts/{contact.pk}/associated/companies/", {"add": "1", "q": "Analytical"}).content.decode()
    assert "(already associated)" in again
    missing = htmx(browser, "post", f"/contacts/{contact.pk}/associated/companies/", {"to": ""}).content.decode()
    assert "Choose a record to associate" in missing
    wrong = htmx(browser, "post", f"/contacts/{contact.pk}/associated/companies/", {"to": contact.pk}).content.decode()
    assert "No such company" in wrong
    removed = htmx(browser, "post", f"/contacts/{contact.pk}/associated/companies/{company.pk}/remove/").content.decode()
    assert "Companies (0)" in removed and not Association.objects.filter(from_record=contact).exists()
    assert browser.get(f"/contacts/{contact.pk}/associated/notes/").status_code == 404
    associate(contact, company)
    assert htmx(browser, "post", f"/contacts/{contact.pk}/associated/deals/{company.pk}/remove/").status_code == 404
    assert Association.objects.filter(from_record=contact, to_record=company).exists()  # a wrong card removes nothing


def test_attachments_upload_download_refuse_and_delete(browser, contact, settings):
    card = htmx(browser, "post", f"/contacts/{contact.pk}/attachments/",
                {"file": SimpleUploadedFile("quote.pdf", b"%PDF-1.7 quote")}).content.decode()
    link = re.search(r'href="(/attachments/\d+/)">quote.pdf</a>', card).group(1)
    download = browser.get(link)
    assert b"".join(download.streaming_content) == b"%PDF-1.7 quote" and download["Content-Type"] == "application/pdf"
    for name, content, message in (("run.exe", b"MZ", "cannot be attached"), ("fake.pdf", b"<html>", "is not a .pdf file"),
                                   ("empty.txt", b"", "The file is empty")):
        refused = htmx(browser, "post", f"/contacts/{contact.pk}/attachments/", {"file": SimpleUploadedFile(name, content)}).content.decode()
        assert 'id="attachment-file-error" role="alert"' in refused and message in refused, name
    settings.SCHEDA_MAX_ATTACHMENT_BYTES = 10
    big = htmx(browser, "post", f"/contacts/{contact.pk}/attachments/", {"file": SimpleUploadedFile("big.txt", b"x" * 11)}).content.decode()
    assert "larger than" in big
    assert htmx(browser, "post", f"/contacts/{contact.pk}/attachments/").content.decode().count("Choose a file to upload") == 1
    attachment_id = int(link.split("/")[2])
    gone = htmx(browser, "post", f"/contacts/{contact.pk}/attachments/{attachment_id}/delete/").content.decode()
    assert "quote.pdf" not in gone and browser.get(link).status_code == 404


def test_a_logged_emails_files_show_but_only_go_with_the_email(browser, contact, rep):
    from scheda.activities.tests.test_timeline import EML

    activities.log_email_message(EML, rep, on=[contact])
    (kept,) = activities.attachments_of(contact)
    card = htmx(browser, "get", f"/contacts/{contact.pk}/attachments/").content.decode()
    assert "plans.pdf" in card and "from an email" in card and f"/attachments/{kept.pk}/delete/" not in card
    assert htmx(browser, "post", f"/contacts/{contact.pk}/attachments/{kept.pk}/delete/").status_code == 404


def test_account_overview_and_overview_cards_on_a_company(browser, contact, company, rep):
    associate(contact, company, "Primary")
    records.update_record(company, {"hs_is_target_account": "true"}, rep)
    activities.log_activity("calls", {"hs_call_body": "Intro call", "hs_call_title": "Intro",
                                      "hs_timestamp": "2026-03-02T09:30:00Z"}, rep, on=[company])
    activities.log_activity("notes", {"hs_note_body": "A note", "hs_timestamp": "2026-05-04T16:45:00Z"}, rep, on=[company])
    page = browser.get(f"/companies/{company.pk}/").content.decode()
    account = page.split('id="card-account_overview"')[1].split("</section>")[0]
    assert "<dt>Target account</dt><dd>Yes</dd>" in account and "<dt>Contacts</dt><dd>1</dd>" in account
    # The last engagement is any activity (the note); the last contact an e-mail, call or meeting.
    shown = {moment: date_format(timezone.localtime(datetime.fromisoformat(moment)), "SHORT_DATETIME_FORMAT")
             for moment in ("2026-03-02T09:30:00+00:00", "2026-05-04T16:45:00+00:00")}
    assert f"Last engagement</dt><dd>{shown['2026-05-04T16:45:00+00:00']}</dd>" in account
    assert f"Last contacted</dt><dd>{shown['2026-03-02T09:30:00+00:00']}</dd>" in account
    assert "Decision Maker (1)" in account
    assert "Intro" in page.split("Recent communications")[1].split("</section>")[0]
    assert "A note" not in page.split("Recent communications")[1].split("</section>")[0]  # a note is not a communication
    overview_associations = page.split('id="overview-associations"')[1].split("</section>")[0]
    assert "<h3>Primary</h3>" in overview_associations and "Ada Lovelace" in overview_associations


def test_record_source_says_where_it_came_from(browser, contact):
    source = browser.get(f"/contacts/{contact.pk}/").content.decode().split('id="section-record_source-body"')[1][:800]
    assert "<dd>UI</dd>" in source and "Olga Owner" in source


def test_a_record_of_another_object_or_archived_is_not_found(browser, contact, rep):
    assert browser.get(f"/companies/{contact.pk}/").status_code == 404
    assert browser.get(f"/0-1/{contact.pk}/").status_code == 200  # HubSpot's type id works too
    records.archive_record(contact, rep)
    assert browser.get(f"/contacts/{contact.pk}/").status_code == 404


def test_a_custom_objects_record_page(browser, rep):
    from scheda.objects.services import create_object_type

    cars = create_object_type(name="cars", singular="Car", plural="Cars", primary_display_property="model",
                              required=["model"], associated_objects=["CONTACT"],
                              properties=[{"name": "model", "label": "Model", "type": "string", "field_type": "text"}])
    car = records.create_record(cars, {"model": "Model T"}, rep)
    page = browser.get(f"/cars/{car.pk}/").content.decode()
    assert "<h1>Model T</h1>" in page and "About this car" in page and "Contacts (0)" in page


def test_record_page_queries_do_not_grow_with_activities_or_associations(browser, contact, company, rep):
    def count(tab: str) -> int:
        htmx(browser, "post", f"/contacts/{contact.pk}/tab/{tab}/")
        browser.get(f"/contacts/{contact.pk}/")  # what this process keeps with the schema is loaded
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(f"/contacts/{contact.pk}/").status_code == 200
        return len(queries)

    # One record of each kind first: a card with records reads them, an empty one does not.
    associate(contact, company)
    associate(contact, records.create_record("deals", {"dealname": "First", "amount": "5"}, rep))
    associate(contact, records.create_record("tickets", {"subject": "First", "hs_pipeline_stage": "1"}, rep))
    activities.log_activity("emails", {"hs_email_subject": "hello"}, rep, on=[contact])
    activities.attach_file(contact, "first.txt", b"text", rep)
    small = {tab: count(tab) for tab in ("overview", "activities")}
    for i in range(12):
        other = records.create_record("companies", {"name": f"Company {i}", "domain": f"c{i}.example"}, rep)
        associate(contact, other)
        deal = records.create_record("deals", {"dealname": f"Deal {i}", "amount": "10"}, rep)
        associate(contact, deal)
        activities.log_activity("calls", {"hs_call_body": f"call {i}"}, rep, on=[contact])
        activities.attach_file(contact, f"f{i}.txt", b"text", rep)
    assert {tab: count(tab) for tab in ("overview", "activities")} == small
    # Pinned: a new query on this page is a decision, not an accident.
    assert small == {"overview": 17, "activities": 19}


def test_a_companys_page_queries_are_pinned_too(browser, contact, company, rep):
    """A company's page adds its account overview, whose last engagement and last contact are
    read in one query with the overview's "Last activity date"."""
    associate(contact, company, "Primary")
    activities.log_activity("calls", {"hs_call_body": "Intro call"}, rep, on=[company])
    counts = {}
    for tab in ("overview", "activities"):
        htmx(browser, "post", f"/companies/{company.pk}/tab/{tab}/")
        browser.get(f"/companies/{company.pk}/")
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(f"/companies/{company.pk}/").status_code == 200
        counts[tab] = len(queries)
    assert counts == {"overview": 15, "activities": 18}  # 17 and 19 when the three were read apart


def test_the_page_speaks_italian(browser, contact):
    page = browser.get(f"/contacts/{contact.pk}/", HTTP_ACCEPT_LANGUAGE="it").content.decode()
    for words in ("Panoramica", "Attività", "Allegati", "Informazioni su questo contatto"):
        assert words in page, words



def test_a_card_shows_five_records_then_more_on_request(browser, contact, rep):
    for i in range(7):
        associate(contact, records.create_record("companies", {"name": f"Company {i}", "domain": f"c{i}.example"}, rep))
    card = browser.get(f"/contacts/{contact.pk}/").content.decode().split('id="card-companies"')[1].split("</section>")[0]
    assert card.count('<article class="preview">') == 5 and "Companies (7)" in card
    after = re.search(r'\?after=(\d+)"', card).group(1)
    more = htmx(browser, "get", f"/contacts/{contact.pk}/associated/companies/", {"after": after}).content.decode()
    assert more.count('<article class="preview">') == 2 and "Show more" not in more
    assert {"Company 5", "Company 6"} <= set(re.findall(r">(Company \d)</a>", more))


def test_a_merge_moves_the_merged_records_files_and_an_undo_brings_them_back(contact, rep):
    other = records.create_record("contacts", {"email": "ada.king@example.com"}, rep)
    kept = activities.attach_file(other, "contract.pdf", b"%PDF-1.7", rep)
    merge = records.merge_records(contact, other, rep)
    assert [a.pk for a in activities.attachments_of(contact)] == [kept.pk]
    records.unmerge(merge, rep)
    assert activities.attachments_of(contact) == [] and [a.pk for a in activities.attachments_of(other)] == [kept.pk]


def test_ids_that_are_not_database_ids_are_refused_not_a_500(browser, contact):
    assert browser.get("/contacts/99999999999999999999999/").status_code == 404
    refused = htmx(browser, "post", f"/contacts/{contact.pk}/associated/companies/", {"to": "²"}).content.decode()
    assert "Choose a record to associate" in refused
    assert htmx(browser, "get", f"/contacts/{contact.pk}/associated/companies/", {"after": "²"}).status_code == 200
    assert browser.get(f"/contacts/{contact.pk}/merge/", {"other": "99999999999999999999999"}).status_code == 200


def test_a_card_the_layout_hides_cannot_be_written_through(browser, contact, owner, rep):
    from scheda.layouts import services as layouts

    config = layouts.built_in(contact.object_type)
    config["right"] = [c for c in config["right"] if c["key"] != "deals"]
    layouts.save_layout(contact.object_type, config, owner)
    deal = records.create_record("deals", {"dealname": "Hidden"}, rep)
    assert htmx(browser, "post", f"/contacts/{contact.pk}/associated/deals/", {"to": deal.pk}).status_code == 404
    assert not Association.objects.filter(from_record=contact, to_record=deal).exists()
    assert 'id="card-deals"' not in browser.get(f"/contacts/{contact.pk}/").content.decode()
