"""The Activities tab over Django's test client: each partial renders, writes go through the
services, refused input comes back next to its field, and the timeline's query count is flat."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from scheda.activities import services
from scheda.activities.models import Comment, TimelineEntry
from scheda.activities.tests.test_timeline import EML
from scheda.records import services as records

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(rep):
    return records.create_record("contacts", {"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace"}, rep)


@pytest.fixture
def browser(client, owner):
    """Signed in as the owner, whose record pages open on the Activities tab."""
    from scheda.layouts.services import remember
    from scheda.objects.services import get_object_type

    client.force_login(owner)
    remember(owner, get_object_type("contacts"), tab="activities")
    return client


def htmx(client, method, url, data=None, **extra):
    return getattr(client, method)(url, data or {}, HTTP_HX_REQUEST="true", **extra)


def test_record_page_has_the_named_controls(browser, contact):
    page = browser.get(f"/contacts/{contact.pk}/").content.decode()
    for name in ("Filter activity", "All users", "All teams", "Search activities", "Expand all", "Collapse all",
                 ">Activity<", ">Notes<", ">Emails<", ">Calls<", ">Tasks<", ">Meetings<", ">Note<", ">Task<"):
        assert name in page, name
    assert "Ada Lovelace" in page and "Contact created" in page
    assert browser.get(f"/deals/{contact.pk}/").status_code == 404


def test_quick_action_logs_and_the_note_lands_in_the_timeline(browser, contact):
    form = htmx(browser, "get", f"/record/{contact.pk}/activities/notes/").content.decode()
    assert 'name="hs_note_body"' in form
    answer = htmx(browser, "post", f"/record/{contact.pk}/activities/notes/", {"hs_note_body": "Called <b>Ada</b><script>x</script>"})
    html = answer.content.decode()
    assert answer.status_code == 200 and "Called <b>Ada</b>" in html and "<script>x" not in html
    # Its time in the page's zone and language, and as ISO 8601 for machines.
    moment = timezone.localtime(TimelineEntry.objects.filter(record_id=contact.pk, kind="notes").latest("id").occurred_at)
    assert f'<time datetime="{moment.isoformat()}">{date_format(moment, "DATETIME_FORMAT")}</time>' in html


def test_an_empty_note_comes_back_with_the_message_next_to_the_field(browser, contact):
    answer = htmx(browser, "post", f"/record/{contact.pk}/activities/notes/", {"hs_note_body": "  "})
    html = answer.content.decode()
    assert answer["HX-Retarget"] == "#activity-form"
    assert re.search(r'id="new-hs_note_body-error" role="alert">[^<]+<', html)
    assert services.deleted_activities(contact) == [] and "Note body" in html


def test_a_bad_due_date_is_refused_in_place(browser, contact):
    answer = htmx(browser, "post", f"/record/{contact.pk}/activities/tasks/", {"hs_task_subject": "Call", "hs_timestamp": "soon"})
    assert 'id="new-hs_timestamp-error"' in answer.content.decode()


def test_filters_search_and_paging_partials(browser, contact, rep):
    for i in range(30):
        services.log_activity("notes", {"hs_note_body": f"note {i} budget" if i % 2 else f"note {i}"}, rep, on=[contact])
    first = htmx(browser, "get", f"/record/{contact.pk}/timeline/", {"q": "budget"}).content.decode()
    assert first.count("<article") == 15 and "<mark>budget</mark>" in first
    page = htmx(browser, "get", f"/record/{contact.pk}/timeline/").content.decode()
    after = re.search(r"after=([\w-]+)", page).group(1)
    more = htmx(browser, "get", f"/record/{contact.pk}/timeline/", {"after": after}).content.decode()
    assert page.count("<article") == 25 and more.count("<article") == 6  # 30 notes and "Contact created"
    bad = htmx(browser, "get", f"/record/{contact.pk}/timeline/", {"after": "zzz"}).content.decode()
    assert 'role="alert"' in bad


def test_comment_pin_complete_delete_restore(browser, contact, rep):
    task = services.log_activity("tasks", {"hs_task_subject": "Follow up"}, rep, on=[contact])
    html = htmx(browser, "post", f"/activities/{task.pk}/comments/", {"record": contact.pk, "body": "On it"}).content.decode()
    assert "On it" in html and "1 comment" in html and Comment.objects.count() == 1
    empty = htmx(browser, "post", f"/activities/{task.pk}/comments/", {"record": contact.pk, "body": ""}).content.decode()
    assert 'role="alert"' in empty and Comment.objects.count() == 1
    assert "Unpin" in htmx(browser, "post", f"/activities/{task.pk}/pin/", {"record": contact.pk}).content.decode()
    assert "Mark as complete" not in htmx(browser, "post", f"/activities/{task.pk}/complete/", {"record": contact.pk}).content.decode()
    deleted = htmx(browser, "post", f"/activities/{task.pk}/delete/", {"record": contact.pk}).content.decode()
    assert "Follow up" not in deleted
    # "Restore activity" opens the record's dialog, which reads the recycle bin only then.
    dialog = re.search(r'hx-get="([^"]+)"[^>]*>Restore activity<', deleted).group(1)
    assert dialog == f"/contacts/{contact.pk}/restore-activity/"
    assert htmx(browser, "post", dialog, {"activity": task.pk})["HX-Redirect"] == f"/contacts/{contact.pk}/"
    assert "Follow up" in browser.get(f"/contacts/{contact.pk}/").content.decode()


def test_association_editor_adds_and_removes(browser, contact, rep):
    bob = records.create_record("contacts", {"email": "bob@example.com", "firstname": "Bob"}, rep)
    logged = services.log_activity("notes", {"hs_note_body": "shared"}, rep, on=[contact])
    found = htmx(browser, "get", f"/activities/{logged.pk}/associations/", {"record": contact.pk, "q": "bob"}).content.decode()
    assert f"Associate record {bob.pk}" in found
    htmx(browser, "post", f"/activities/{logged.pk}/associations/", {"record": contact.pk, "add": bob.pk})
    assert {r.pk for r in services.associated_records(logged)} == {contact.pk, bob.pk}
    refused = htmx(browser, "post", f"/activities/{logged.pk}/associations/", {"record": contact.pk, "add": 999_999_999})
    assert 'role="alert"' in refused.content.decode()
    htmx(browser, "post", f"/activities/{logged.pk}/associations/", {"record": contact.pk, "remove": contact.pk})
    assert [r.pk for r in services.associated_records(logged)] == [bob.pk]


def test_eml_upload_and_a_bad_one(browser, contact):
    good = htmx(browser, "post", f"/record/{contact.pk}/emails/upload/", {"file": SimpleUploadedFile("m.eml", EML)})
    assert "Engine plans" in good.content.decode()
    page = browser.get(f"/contacts/{contact.pk}/").content.decode()
    link = re.search(r'href="(/attachments/\d+/)">plans.pdf</a>', page).group(1)
    download = browser.get(link)
    assert b"".join(download.streaming_content) == b"%PDF-1.4\n" and "plans.pdf" in download["Content-Disposition"]
    pasted = htmx(browser, "post", f"/record/{contact.pk}/emails/upload/", {"raw": EML.decode().replace("Engine plans", "Pasted plans")})
    assert "Pasted plans" in pasted.content.decode()
    bad = htmx(browser, "post", f"/record/{contact.pk}/emails/upload/", {"file": SimpleUploadedFile("m.eml", b"junk")})
    assert bad["HX-Retarget"] == "#activity-form" and 'id="eml-file-error"' in bad.content.decode()


def test_edit_in_place(browser, contact, rep):
    logged = services.log_activity("notes", {"hs_note_body": "draft"}, rep, on=[contact])
    form = htmx(browser, "get", f"/activities/{logged.pk}/edit/", {"record": contact.pk}).content.decode()
    assert f'id="edit-{logged.pk}-hs_note_body"' in form
    saved = htmx(browser, "post", f"/activities/{logged.pk}/edit/", {"record": contact.pk, "hs_note_body": "final"})
    assert "final" in saved.content.decode() and saved["HX-Reswap"] == "outerHTML"
    refused = htmx(browser, "post", f"/activities/{logged.pk}/edit/", {"record": contact.pk, "hs_note_body": "x", "hs_timestamp": "never"})
    assert f'id="edit-{logged.pk}-hs_timestamp-error"' in refused.content.decode()
    assert records.get_record("notes", logged.pk).properties["hs_note_body"] == "final"


def test_timeline_partial_query_count_is_flat(browser, contact, rep, owner):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            htmx(browser, "get", f"/record/{contact.pk}/timeline/")
        return len(queries)

    services.add_comment(services.log_activity("notes", {"hs_note_body": "one"}, rep, on=[contact]), owner, "c")
    small = count()
    for i in range(30):
        logged = services.log_activity("tasks", {"hs_task_subject": f"t{i}"}, rep, on=[contact])
        services.add_comment(logged, owner, "c")
    records.update_record(contact, {"lifecyclestage": "lead"}, rep)
    assert count() == small


def test_the_item_partials_url_prefix_matches_the_url_conf():
    from django.urls import reverse

    from scheda.activities.views import ACTIVITY_BASE

    for name, tail in (("comments", "comments"), ("edit_activity", "edit"), ("activity_associations", "associations")):
        assert reverse(name, args=[5]) == f"{ACTIVITY_BASE}5/{tail}/"
    assert reverse("activity_action", args=[5, "pin"]) == f"{ACTIVITY_BASE}5/pin/"


def test_a_mention_shows_in_the_mentioned_users_notifications(client, contact, rep, owner):
    from scheda.accounts.models import User

    bea = User.objects.create_user("bea@example.com", "a-long-password-2", first_name="Bea")
    logged = services.log_activity("notes", {"hs_note_body": "discuss"}, rep, on=[contact])
    services.add_comment(logged, owner, "@bea@example.com please check")
    client.force_login(bea)
    assert "1 notification" in client.get("/").content.decode()
    page = client.get("/notifications/").content.decode()
    assert "Olga Owner mentioned you in a comment on a Note" in page and f"/contacts/{contact.pk}/" in page
    assert "0 notifications" in client.get("/").content.decode()  # read once seen


def test_the_tab_speaks_italian(browser, contact):
    page = browser.get(f"/contacts/{contact.pk}/", HTTP_ACCEPT_LANGUAGE="it").content.decode()
    for words in ("Cerca attività", "Filtra attività", "Espandi tutto", "Comprimi tutto", "Tutti gli utenti", "Contact creato"):
        assert words in page, words


def test_home_links_to_recent_records(browser, contact):
    assert f'href="/contacts/{contact.pk}/">Ada Lovelace</a>' in browser.get("/").content.decode()


def test_an_emails_plain_text_is_escaped_not_run(browser, contact, rep):
    services.log_activity("emails", {"hs_email_subject": "hi", "hs_email_text": "<script>alert(1)</script>\nline two"}, rep, on=[contact])
    page = browser.get(f"/contacts/{contact.pk}/").content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;<br>line two" in page


def test_actions_only_touch_activities_on_the_posting_records_timeline(browser, contact, rep):
    other = records.create_record("contacts", {"email": "eve@example.com"}, rep)
    theirs = services.log_activity("notes", {"hs_note_body": "not yours"}, rep, on=[other])
    for path in ("delete/", "complete/", "comments/", "edit/", "associations/"):
        assert htmx(browser, "post", f"/activities/{theirs.pk}/{path}", {"record": contact.pk, "body": "x"}).status_code == 404
    assert htmx(browser, "post", f"/activities/{theirs.pk}/delete/", {"record": "x"}).status_code == 404
    assert records.get_record("notes", theirs.pk).pk == theirs.pk and Comment.objects.count() == 0


def test_a_cursor_without_a_zone_is_refused(browser, contact):
    import base64

    cursor = base64.urlsafe_b64encode(b"2026-01-01T10:00:00|5").decode().rstrip("=")
    assert 'role="alert"' in htmx(browser, "get", f"/record/{contact.pk}/timeline/", {"after": cursor}).content.decode()


def test_search_highlights_text_with_ampersands_once(browser, contact, rep):
    services.log_activity("notes", {"hs_note_body": "<p>R&amp;D budget</p>"}, rep, on=[contact])
    page = htmx(browser, "get", f"/record/{contact.pk}/timeline/", {"q": "budget"}).content.decode()
    assert "R&amp;D <mark>budget</mark>" in page


def test_an_edit_over_a_change_made_meanwhile_is_refused_then_overwrites(browser, contact, rep):
    """The edit form carries the activity's version: a save over a change made since (by the API
    here) is refused next to the field with who and what, writes nothing, and carries the newer
    version, so saving again overwrites. A change to a property the form does not edit (the
    task's status) is no conflict."""
    task = services.log_activity("tasks", {"hs_task_subject": "Call back"}, rep, on=[contact])
    form = htmx(browser, "get", f"/activities/{task.pk}/edit/", {"record": contact.pk}).content.decode()
    version = re.search(r'name="version" value="(\d+)"', form).group(1)
    services.complete_task(task, records.Author(records.Source.API))
    saved = htmx(browser, "post", f"/activities/{task.pk}/edit/",
                 {"record": contact.pk, "version": version, "hs_task_subject": "Call back twice"})
    assert saved["HX-Reswap"] == "outerHTML"
    form = htmx(browser, "get", f"/activities/{task.pk}/edit/", {"record": contact.pk}).content.decode()
    version = re.search(r'name="version" value="(\d+)"', form).group(1)
    records.update_record(records.get_record("tasks", task.pk), {"hs_task_subject": "Call on Monday"}, records.Author(records.Source.API))
    refused = htmx(browser, "post", f"/activities/{task.pk}/edit/",
                   {"record": contact.pk, "version": version, "hs_task_subject": "Call on Friday"})
    page = refused.content.decode()
    error = re.search(rf'<p class="field-error" id="edit-{task.pk}-hs_task_subject-error" role="alert">([^<]*)</p>', page)
    assert error and error.group(1) == "Changed by API meanwhile: now &quot;Call on Monday&quot;. Save again to overwrite."
    assert 'value="Call on Friday"' in page  # what the user typed stays in the field
    assert records.get_record("tasks", task.pk).properties["hs_task_subject"] == "Call on Monday"
    newer = re.search(r'name="version" value="(\d+)"', page).group(1)
    assert int(newer) > int(version)
    again = htmx(browser, "post", f"/activities/{task.pk}/edit/",
                 {"record": contact.pk, "version": newer, "hs_task_subject": "Call on Friday"})
    assert again["HX-Reswap"] == "outerHTML"
    assert records.get_record("tasks", task.pk).properties["hs_task_subject"] == "Call on Friday"
