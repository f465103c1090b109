"""The timeline service and the activity services, on the database."""

import os
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from scheda.accounts.models import Team, User
from scheda.activities import services, timeline
from scheda.activities.models import Attachment, Notification, TimelineEntry
from scheda.activities.timeline import Filters
from scheda.errors import NotFound, ValidationFailed
from scheda.objects.services import load_schema, set_property_roles
from scheda.objects.types import format_datetime
from scheda.records import services as records
from scheda.records.services import Author, Source

pytestmark = pytest.mark.django_db


def at(days: float) -> str:
    return format_datetime(timezone.now() + timedelta(days=days))


@pytest.fixture
def contact(rep):
    return records.create_record("contacts", {"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace"}, rep)


def timelines_of(activity_ids):
    """The records whose timelines show each activity."""
    found = {}
    for record_id, activity_id in TimelineEntry.objects.filter(activity_id__in=activity_ids).values_list("record_id", "activity_id"):
        found.setdefault(activity_id, []).append(record_id)
    return found


def keys(page):
    return [i.activity.pk if i.activity else i.kind for i in page.items]


def note(rep, on, text, days=-1.0, **extra):
    return services.log_activity("notes", {"hs_note_body": text, "hs_timestamp": at(days), **extra}, rep, on=[on])


def test_activities_newest_first_then_record_created(rep, contact):
    old = note(rep, contact, "first call went well", days=-3)
    new = note(rep, contact, "sent the proposal", days=-1)
    page = timeline.timeline(contact)
    assert keys(page) == ["created", new.pk, old.pk]  # the contact was created after the back-dated notes
    assert page.after is None


def test_record_created_sits_where_its_time_puts_it(rep, contact):
    later = note(rep, contact, "after creation", days=1 / 24)
    earlier = note(rep, contact, "back-dated", days=-5)
    assert keys(timeline.timeline(contact, now=timezone.now() + timedelta(days=1))) == [later.pk, "created", earlier.pk]


def test_upcoming_tasks_and_meetings_first_soonest_first(rep, contact):
    past = note(rep, contact, "done", days=-1)
    far = services.log_activity("tasks", {"hs_task_subject": "Renewal", "hs_timestamp": at(10)}, rep, on=[contact])
    soon = services.log_activity("meetings", {"hs_meeting_title": "Demo", "hs_timestamp": at(2)}, rep, on=[contact])
    done = services.log_activity("tasks", {"hs_task_subject": "Old", "hs_timestamp": at(5), "hs_task_status": "COMPLETED"},
                                 rep, on=[contact])
    page = timeline.timeline(contact)
    assert [i.activity.pk for i in page.upcoming] == [soon.pk, far.pk]
    assert all(i.upcoming for i in page.upcoming)
    # A completed task is history even when dated ahead; the rest stays newest first.
    assert keys(page) == [done.pk, "created", past.pk]
    # Once its time has passed, a meeting is no longer upcoming.
    later = timeline.timeline(contact, now=timezone.now() + timedelta(days=3))
    assert [i.activity.pk for i in later.upcoming] == [far.pk] and soon.pk in keys(later)
    services.complete_task(far, rep)
    assert [i.activity.pk for i in timeline.timeline(contact).upcoming] == [soon.pk]


def test_pinned_first_and_once(rep, contact):
    one, two = note(rep, contact, "one", days=-2), note(rep, contact, "two", days=-1)
    contact = services.pin(contact, one, rep)
    page = timeline.timeline(contact)
    assert page.pinned.activity.pk == one.pk and page.pinned.pinned
    assert one.pk not in keys(page) and two.pk in keys(page)
    contact = services.pin(contact, None, rep)
    assert timeline.timeline(contact).pinned is None and one.pk in keys(timeline.timeline(contact))


def test_only_an_activity_of_this_timeline_can_be_pinned(rep, contact):
    other = records.create_record("contacts", {"email": "bob@example.com"}, rep)
    theirs = note(rep, other, "not here")
    with pytest.raises(ValidationFailed) as caught:
        services.pin(contact, theirs, rep)
    assert caught.value.errors[0].code == "NOT_ON_TIMELINE"
    assert records.get_record("contacts", contact.pk).properties.get("hs_pinned_engagement_id") is None


def test_keyset_pages_cover_everything_once_even_with_equal_times(rep, contact):
    same = at(-1)
    logged = [services.log_activity("notes", {"hs_note_body": f"n{i}", "hs_timestamp": same}, rep, on=[contact]).pk
              for i in range(7)]
    seen, after = [], None
    while True:
        page = timeline.timeline(contact, after=after, limit=3)
        assert len(page.items) <= 3
        seen += keys(page)
        after = page.after
        if after is None:
            break
    assert sorted(k for k in seen if k != "created") == sorted(logged)
    assert seen.count("created") == 1 and len(seen) == 8


def test_a_limit_exactly_filled_has_no_next_page(rep, contact):
    note(rep, contact, "a", days=-1)
    page = timeline.timeline(contact, limit=2)
    assert len(page.items) == 2 and page.after is None


def test_a_bad_cursor_is_refused(contact):
    with pytest.raises(ValidationFailed) as caught:
        timeline.timeline(contact, after="not-a-cursor")
    assert caught.value.errors[0].name == "after"


def test_filters_by_type_user_and_team_combine(rep, contact, owner):
    other_user = User.objects.create_user("bea@example.com", "a-long-password-2")
    team = Team.objects.create(name="Inside sales")
    team.members.add(other_user)
    mine = note(rep, contact, "mine")
    theirs = services.log_activity("calls", {"hs_call_body": "called", "hs_timestamp": at(-1)},
                                   Author(Source.UI, user=other_user), on=[contact])
    assert keys(timeline.timeline(contact, Filters(kinds={"notes"}))) == [mine.pk]
    assert keys(timeline.timeline(contact, Filters(users={owner.pk}))) == [mine.pk]
    assert keys(timeline.timeline(contact, Filters(teams={team.pk}))) == [theirs.pk]
    assert keys(timeline.timeline(contact, Filters(kinds={"notes"}, teams={team.pk}))) == []
    assert keys(timeline.timeline(contact, Filters(kinds={"created"}))) == ["created"]
    with pytest.raises(ValidationFailed):
        timeline.timeline(contact, Filters(kinds={"faxes"}))


def test_search_matches_the_texts_the_issue_names_and_highlights(rep, contact):
    wanted = [
        services.log_activity("tasks", {"hs_task_subject": "Budget review", "hs_timestamp": at(-1)}, rep, on=[contact]),
        services.log_activity("tasks", {"hs_task_subject": "x", "hs_task_body": "check the budget", "hs_timestamp": at(-1)}, rep, on=[contact]),
        note(rep, contact, "<p>The <b>budget</b> is approved</p>"),
        services.log_activity("calls", {"hs_call_body": "talked budget", "hs_timestamp": at(-1)}, rep, on=[contact]),
        services.log_activity("emails", {"hs_email_subject": "Budget 2027", "hs_timestamp": at(-1)}, rep, on=[contact]),
        services.log_activity("meetings", {"hs_meeting_title": "m", "hs_meeting_body": "budget talk", "hs_timestamp": at(-1)}, rep, on=[contact]),
    ]
    note(rep, contact, "nothing to see")
    found = timeline.timeline(contact, Filters(query="BUDGET"))
    assert sorted(keys(found)) == sorted(a.pk for a in wanted)
    assert keys(timeline.timeline(contact, Filters(query="budget approved"))) == [wanted[2].pk]
    assert timeline.highlight("Budget review", ["budget"]) == [("Budget", True), (" review", False)]


def test_search_words_are_matched_literally_in_any_case_and_planned_as_ilike(rep, contact):
    """A word's "_" is a character, not LIKE's wildcard; on PostgreSQL the match is ILIKE, which
    it can estimate (UPPER(...) LIKE made it read and sort a busy contact's whole timeline)."""
    literal = note(rep, contact, "ref Q3_PLAN sent")
    note(rep, contact, "ref Q3xPLAN sent")
    with CaptureQueriesContext(connection) as captured:
        assert keys(timeline.timeline(contact, Filters(query="q3_plan"))) == [literal.pk]
    page_sql = next(q["sql"] for q in captured.captured_queries if "ORDER BY" in q["sql"] and "DESC" in q["sql"])
    assert (" ILIKE " in page_sql) == (connection.vendor == "postgresql") and "UPPER(" not in page_sql, page_sql


def test_a_search_word_is_written_into_the_statement_on_postgresql(rep, contact):
    """Bound as a parameter, the word's statement would be prepared on its fifth run and might
    keep one plan for every word (docs/DECISIONS.md 42); written in, each word is planned for."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements")
    wanted = note(rep, contact, "the 50% discount_code")
    note(rep, contact, "the 50x discountxcode")
    for _run in range(6):
        assert keys(timeline.timeline(contact, Filters(query="50% discount_code"))) == [wanted.pk]
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ["%ILIKE%"])
        prepared = [row[0] for row in cursor.fetchall()]
    assert not [statement for statement in prepared if "ILIKE $" in statement], prepared


def test_search_reads_the_entries_alone_and_follows_an_edited_activity(rep, contact):
    """The entries copy their activity's search text: the search joins no activity to match, and
    an edit, an association made later and a new activity are each found by their words."""
    edited = note(rep, contact, "call about the invoice")
    company = records.create_record("companies", {"name": "Acme", "domain": "acme.example"}, rep)
    records.update_record(edited, {"hs_note_body": "call about the renewal"}, rep)
    services.edit_associations(edited, rep, add=[company.pk])
    for record in (contact, company):
        assert keys(timeline.timeline(record, Filters(query="invoice"))) == []
        assert keys(timeline.timeline(record, Filters(query="renewal"))) == [edited.pk]
    # The note's body no longer searchable: the role change rewrites the text, and the copies with it.
    schema = load_schema("notes")
    set_property_roles(schema.object_type, searchable=[n for n in schema.searchable if n != "hs_note_body"])
    assert keys(timeline.timeline(company, Filters(query="renewal"))) == []
    records.update_record(records.get_record("notes", edited.pk), {"hs_attachment_ids": "7"}, rep)
    assert keys(timeline.timeline(company, Filters(query="renewal"))) == []
    with CaptureQueriesContext(connection) as captured:
        assert keys(timeline.timeline(contact, Filters(query="nothing-holds-this"))) == []
    searches = [q["sql"] for q in captured.captured_queries if "LIKE" in q["sql"]]
    assert searches and all('"search_text"' not in sql.split(" WHERE ", 1)[1] for sql in searches), searches


def test_system_events_for_tracked_changes_merges_and_associations(rep, contact, owner):
    records.update_record(contact, {"lifecyclestage": "customer", "firstname": "Augusta"}, rep)
    company = records.create_record("companies", {"name": "Analytical Engines"}, rep)
    services.edit_associations(note(rep, contact, "n"), rep)  # an activity edit is no event
    from scheda.associations import services as associations

    associations.associate_many([associations.Pair(contact.pk, company.pk, 279)], user_id=owner.pk)
    kinds = [i.kind for i in timeline.timeline(contact).items]
    assert kinds.count("lifecycle_stage") == 1 and "association_added" in kinds
    change = next(i for i in timeline.timeline(contact).items if i.kind == "lifecycle_stage")
    assert change.data == {"property": "lifecyclestage", "from": None, "to": "customer"} and change.user_id == owner.pk
    assert "association_added" in [i.kind for i in timeline.timeline(company).items]
    associations.dissociate([(contact.pk, company.pk)], user_id=owner.pk)
    assert "association_removed" in [i.kind for i in timeline.timeline(company).items]
    twin = records.create_record("contacts", {"email": "ada2@example.com"}, rep)
    twin_note = note(rep, twin, "from the twin")
    merge = records.merge_records(contact, twin, rep)
    page = timeline.timeline(contact)
    assert "merge" in [i.kind for i in page.items] and twin_note.pk in keys(page)
    records.unmerge(merge, rep)
    assert twin_note.pk not in keys(timeline.timeline(contact))
    assert twin_note.pk in keys(timeline.timeline(records.get_record("contacts", twin.pk)))


def test_automatic_associations_follow_the_settings(rep, contact):
    company = records.create_record("companies", {"name": "Acme"}, rep)
    from scheda.associations import services as associations

    associations.associate_many([associations.Pair(contact.pk, company.pk, 1)])
    open_deal = records.create_record("deals", {"dealname": "Open", "pipeline": "default", "dealstage": "appointmentscheduled"},
                                      rep, [(contact.pk, 3)])
    won_deal = records.create_record("deals", {"dealname": "Won", "pipeline": "default", "dealstage": "closedwon"},
                                     rep, [(contact.pk, 3)])
    logged = note(rep, contact, "auto")
    on = set(timelines_of([logged.pk])[logged.pk])
    assert on == {contact.pk, company.pk, open_deal.pk}
    services.set_auto_association(contact.object_type, primary_company=False, open_deals=False)
    again = note(rep, contact, "not auto")
    assert timelines_of([again.pk])[again.pk] == [contact.pk]
    assert won_deal.pk not in on


def test_editing_associations_moves_the_activity_between_timelines(rep, contact):
    other = records.create_record("contacts", {"email": "bob@example.com"}, rep)
    logged = note(rep, contact, "shared")
    services.edit_associations(logged, rep, add=[other.pk], remove=[contact.pk])
    assert logged.pk in keys(timeline.timeline(other)) and logged.pk not in keys(timeline.timeline(contact))
    assert [r.pk for r in services.associated_records(logged)] == [other.pk]
    with pytest.raises(NotFound):
        services.edit_associations(logged, rep, add=[999_999_999], remove=[other.pk])
    assert [r.pk for r in services.associated_records(logged)] == [other.pk]  # nothing changed


def test_delete_and_restore_an_activity(rep, contact):
    logged = note(rep, contact, "oops")
    services.delete_activity(logged, rep)
    assert logged.pk not in keys(timeline.timeline(contact))
    assert [a.pk for a in services.deleted_activities(contact)] == [logged.pk]
    services.restore_activity(records.get_record("notes", logged.pk, archived=True), rep)
    assert logged.pk in keys(timeline.timeline(contact)) and services.deleted_activities(contact) == []


def test_restore_window_is_ninety_days(rep, contact):
    logged = note(rep, contact, "old")
    services.delete_activity(logged, rep)
    from scheda.records.models import Record

    Record.objects.filter(pk=logged.pk).update(archived_at=timezone.now() - timedelta(days=91))
    assert services.deleted_activities(contact) == []
    with pytest.raises(ValidationFailed):
        services.restore_activity(records.get_record("notes", logged.pk, archived=True), rep)


def test_changing_an_activity_moves_its_entry(rep, contact, owner):
    logged = note(rep, contact, "moves", days=-10)
    newer = note(rep, contact, "stays", days=-2)
    records.update_record(logged, {"hs_timestamp": at(-1)}, rep)
    assert keys(timeline.timeline(contact)) == ["created", logged.pk, newer.pk]


def test_bad_input_changes_nothing(rep, contact):
    before = keys(timeline.timeline(contact))
    with pytest.raises(ValidationFailed) as empty:
        services.log_activity("notes", {"hs_note_body": "<p> </p>"}, rep, on=[contact])
    assert empty.value.errors[0].name == "hs_note_body"
    with pytest.raises(ValidationFailed) as bad_date:
        services.log_activity("tasks", {"hs_task_subject": "x", "hs_timestamp": "next tuesday"}, rep, on=[contact])
    assert bad_date.value.errors[0].name == "hs_timestamp"
    with pytest.raises(NotFound):
        services.log_activity("notes", {"hs_note_body": "x"}, rep, on=[contact], also=[999_999_999])
    with pytest.raises(ValidationFailed):
        services.log_activity("faxes", {"body": "x"}, rep, on=[contact])
    assert keys(timeline.timeline(contact)) == before


def test_script_in_a_note_is_removed(rep, contact):
    logged = note(rep, contact, '<p onclick="x()">hi<script>alert(1)</script></p>')
    assert logged.properties["hs_note_body"] == "<p>hi</p>"


def test_comments_and_mentions_notify_once_and_not_oneself(rep, contact, owner):
    bea = User.objects.create_user("bea@example.com", "a-long-password-2")
    logged = note(rep, contact, "discuss")
    services.add_comment(logged, owner, "@bea@example.com can you look? cc @owner@example.com")
    services.add_comment(logged, owner, "@bea@example.com ping")
    assert Notification.objects.filter(user=bea).count() == 1
    assert Notification.objects.filter(user=owner).count() == 0
    assert [c.body for c in services.comments_of(logged)][1] == "@bea@example.com ping"
    company = records.create_record("companies", {"name": "Acme"}, rep)
    services.edit_associations(logged, rep, add=[company.pk])
    note(rep, contact, "quiet")
    page = timeline.timeline(contact)
    item = next(i for i in page.items if i.activity and i.activity.pk == logged.pk)
    assert (item.comments, item.associations) == (2, 2)  # the contact and the company
    other = next(i for i in page.items if i.activity and i.activity.pk != logged.pk)
    assert (other.comments, other.associations) == (0, 1)
    records.archive_record(company, Author(Source.UI, user=rep))  # an archived record is not counted
    assert next(i for i in timeline.timeline(contact).items if i.activity and i.activity.pk == logged.pk).associations == 1
    with pytest.raises(ValidationFailed):
        services.add_comment(logged, owner, "<script>x</script>")
    assert services.add_comment(logged, owner, "<b onmouseover=x>ok</b>").body == "<b>ok</b>"


EML = b"""From: Ada Lovelace <ada@example.com>
To: Olga Owner <owner@example.com>, Charles <charles@example.com>
Cc: bob@example.com
Subject: Engine plans
Date: Tue, 24 Nov 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: multipart/alternative; boundary="b2"

--b2
Content-Type: text/plain; charset=utf-8

The plans are attached.
--b2
Content-Type: text/html; charset=utf-8

<p>The plans are <b>attached</b>.<script>steal()</script></p>
--b2--

--b1
Content-Type: application/pdf
Content-Disposition: attachment; filename="plans.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--b1--
"""


def test_a_logged_eml_becomes_an_email_on_the_named_contacts(rep, contact):
    bob = records.create_record("contacts", {"email": "bob@example.com"}, rep)
    logged = services.log_email_message(EML, rep)
    values = logged.properties
    assert values["hs_email_subject"] == "Engine plans" and values["hs_email_direction"] == "INCOMING_EMAIL"
    assert "<script>" not in values["hs_email_html"] and "<b>attached</b>" in values["hs_email_html"]
    assert set(timelines_of([logged.pk])[logged.pk]) == {contact.pk, bob.pk}
    (attachment,) = services.attachments_of(contact)
    assert attachment.name == "plans.pdf" and attachment.file.read() == b"%PDF-1.4\n"
    assert services.attachments_of(bob)[0].pk == attachment.pk
    assert records.get_record("emails", logged.pk).properties["hs_attachment_ids"] == str(attachment.pk)
    assert datetime.fromisoformat(values["hs_timestamp"].replace("Z", "+00:00")) == datetime(2026, 11, 24, 10, tzinfo=UTC)


@pytest.mark.parametrize("raw", [b"", b"not an e-mail at all", b"From: a@example.com\n\nno recipient",
                                 b"x" * (services.MAX_EML_BYTES + 1)])
def test_a_bad_eml_is_refused_and_nothing_is_kept(rep, contact, raw):
    with pytest.raises(ValidationFailed) as caught:
        services.log_email_message(raw, rep)
    assert caught.value.errors[0].name == "file"
    assert Attachment.objects.count() == 0 and keys(timeline.timeline(contact)) == ["created"]


def test_query_count_of_a_page_does_not_grow_with_the_timeline(rep, contact, owner):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            page = timeline.timeline(records.get_record("contacts", contact.pk), Filters(query="call"))
            timeline.timeline(records.get_record("contacts", contact.pk), after=page.after)
        return len(queries)

    for i in range(3):
        services.add_comment(note(rep, contact, f"call {i}"), owner, "ok")
    small = count()
    for i in range(40):
        logged = services.log_activity("tasks", {"hs_task_subject": f"call {i}", "hs_timestamp": at(i - 20)}, rep, on=[contact])
        services.add_comment(logged, owner, "ok")
    assert count() == small


def test_a_permanent_delete_takes_the_attachment_files(rep, contact, django_capture_on_commit_callbacks):
    logged = services.log_email_message(EML, rep)
    (attachment,) = services.attachments_of(contact)
    path = attachment.file.path
    with django_capture_on_commit_callbacks(execute=True):
        records.delete_records_permanently([logged.pk], rep)
    assert Attachment.objects.count() == 0 and not os.path.exists(path)


def test_completing_a_task_sets_its_completion_date_and_reopening_clears_it(rep, contact):
    task = services.log_activity("tasks", {"hs_task_subject": "Call back"}, rep, on=[contact])
    assert "hs_task_completion_date" not in task.properties
    done = services.complete_task(task, rep)
    assert done.properties["hs_task_status"] == "COMPLETED" and done.properties["hs_task_completion_date"]
    assert "hs_task_completion_date" not in services.complete_task(done, rep, done=False).properties


def test_an_attachment_name_cannot_pick_the_folder(rep, contact):
    raw = EML.replace(b'filename="plans.pdf"', b'filename="../../etc/plans.pdf"')
    services.log_email_message(raw, rep)
    (attachment,) = services.attachments_of(contact)
    assert attachment.name == "plans.pdf" and ".." not in attachment.file.name
