"""XSS sweep: script in every text a user can write, rendered back on every page and partial that
shows it, parsed as a browser would. Each written text is a marker naming where it was written
followed by PAYLOAD; the test fails if any page has an element or attribute the payload made
(a <script> of ours is a file under /static/, no element has an on* attribute, no link or form
goes to javascript:), and if some written text was shown on no page (the sweep would prove
nothing for it)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from scheda.accounts import services as accounts
from scheda.accounts.models import User
from scheda.accounts.permissions import STANDARD
from scheda.activities import services as activities
from scheda.associations import services as associations
from scheda.layouts import services as layouts
from scheda.objects import services as objects
from scheda.pipelines import services as pipelines
from scheda.records import services as records
from scheda.savedviews import services as savedviews

pytestmark = pytest.mark.django_db

PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "{{7*7}}",
            "</textarea><svg onload=alert(1)>", "' onmouseover='alert(1)")
PAYLOAD = "".join(PAYLOADS)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "hx-get", "hx-post", "hx-put", "hx-delete", "data", "xlink:href"}


def hostile(where: str) -> str:
    """A marker naming the field, then every payload."""
    return f"[{where}]{PAYLOAD}"


class Page(HTMLParser):
    """What a browser would build from a page: its elements and attributes, and its text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and not (names.get("src") or "").startswith("/static/"):
            self.problems.append(f"<script> not from /static/: {attrs}")
        # Rich text keeps an <img> (its onerror goes); nothing may make these.
        if tag in ("svg", "iframe", "object", "embed", "base", "style") or (tag == "meta" and "http-equiv" in names):
            self.problems.append(f"<{tag}> {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and re.sub(r"\s", "", value or "").lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            self.text.append(value or "")

    def handle_data(self, data):
        self.text.append(data)


def check(html: str, where: str) -> set[str]:
    """The markers the page shows; fails on anything the payload made."""
    page = Page()
    page.feed(html)
    page.close()
    assert not page.problems, (where, page.problems[:5])
    assert "<script>alert(1)" not in html and "onerror=alert(1)>" not in html, where
    return set(re.findall(r"\[([a-z0-9_ .:-]+)\]", "".join(page.text)))


@pytest.fixture
def world(owner, rep):
    """Every kind of text a user writes, written with PAYLOAD."""
    owner.is_superuser = True
    owner.first_name, owner.last_name = hostile("user first name")[:150], hostile("user last name")[:150]
    owner.save()
    accounts.set_tier("enterprise", owner)
    colleague = User.objects.create_user("eve@example.com", "a-long-password-2", first_name=hostile("colleague name")[:150])
    team = accounts.save_team(None, hostile("team name"), [owner, colleague], owner)
    permission_set = accounts.save_permission_set(None, owner, name=hostile("permission set")[:100],
                                                  description=hostile("permission set description"),
                                                  objects_access=STANDARD["objects_access"], rights=[])
    custom = objects.create_object_type(
        name="gadgets", singular=hostile("object singular")[:100], plural=hostile("object plural")[:100],
        primary_display_property="title", description=hostile("object description"),
        properties=[{"name": "title", "label": hostile("custom property label"), "type": "string", "field_type": "text"}],
    )
    written: dict[str, dict] = {}
    for name in ("contacts", "companies", "deals", "tickets"):
        object_type = objects.get_object_type(name)
        objects.create_property(object_type, {
            "name": "hostile_choice", "label": hostile(f"{name} property label"), "type": "enumeration",
            "field_type": "select", "description": hostile(f"{name} property description"),
            "options": [{"value": "one", "label": hostile(f"{name} option label"), "displayOrder": 0}]})
        schema = objects.load_schema(name)
        values = {prop.name: hostile(f"{name} {prop.name}") for prop in schema.properties.values()
                  if prop.type == "string" and prop.field_type in ("text", "textarea", "html")
                  and not (prop.read_only or prop.calculated or prop.format or prop.name.startswith("hs_") or prop.unique)}
        values["hostile_choice"] = "one"
        if name == "contacts":
            values["email"] = "ada@example.com"
        written[name] = values
    stages = [{"label": hostile("stage name"), "metadata": {"probability": "0.5"}, "displayOrder": 0},
              {"label": "Won", "metadata": {"probability": "1.0", "isClosed": "true"}, "displayOrder": 1}]
    pipeline = pipelines.create_pipeline(objects.get_object_type("deals"), hostile("pipeline name"), stages)
    stage = pipeline.stages.order_by("display_order").first()
    written["deals"].update(pipeline=pipeline.pipeline_id, dealstage=stage.stage_id)
    made = {name: records.create_record(name, values, rep) for name, values in written.items()}
    gadget = records.create_record("gadgets", {"title": hostile("gadget title")}, rep)
    label = associations.create_label(made["contacts"].object_type, made["companies"].object_type,
                                      hostile("association label")[:100], hostile("inverse label")[:100])
    associations.associate_many([associations.Pair(made["contacts"].pk, made["companies"].pk, label.pk)])
    contact = made["contacts"]
    note = activities.log_activity("notes", {"hs_note_body": hostile("note body")}, rep, on=[contact])
    activities.log_activity("emails", {"hs_email_subject": hostile("email subject"), "hs_email_html": hostile("email body")},
                            rep, on=[contact])
    activities.log_activity("calls", {"hs_call_title": hostile("call title"), "hs_call_body": hostile("call body")}, rep, on=[contact])
    activities.log_activity("meetings", {"hs_meeting_title": hostile("meeting title"), "hs_meeting_body": hostile("meeting body")},
                            rep, on=[contact])
    activities.log_activity("tasks", {"hs_task_subject": hostile("task subject"), "hs_task_body": hostile("task body")}, rep, on=[contact])
    comment = hostile("comment") + " @owner@example.com"
    activities.add_comment(note, colleague, comment)
    # The part after the payload's last "/" is the name (the rest would be a folder): marker last.
    activities.attach_file(contact, f"{PAYLOAD}[file name].txt", b"text", rep)
    savedviews.create_view(contact.object_type, owner, {"name": hostile("saved view")[:100], "columns": ["email"]})
    config = layouts.built_in(contact.object_type)
    config["left"][0]["label"] = hostile("layout card title")
    layouts.save_layout(contact.object_type, config, owner)
    return {"records": made, "values": written, "gadget": gadget, "note": note, "team": team, "permission_set": permission_set,
            "custom": custom, "colleague": colleague}


def test_no_text_a_user_writes_becomes_markup_on_any_page(browser, world):
    contact, company, deal = (world["records"][k] for k in ("contacts", "companies", "deals"))
    note = world["note"]
    pages = ["/", f"/search/?q={contact.pk}", "/search/?q=script", "/notifications/", "/preferences/",
             "/settings/", "/settings/users/", f"/settings/users/{world['colleague'].pk}/", "/settings/teams/",
             f"/settings/teams/{world['team'].pk}/", "/settings/permission-sets/",
             f"/settings/permission-sets/{world['permission_set'].pk}/", "/settings/audit-log/",
             "/settings/layouts/contacts/", "/contacts/create/", "/deals/create/", "/gadgets/create/",
             "/deals/?mode=board", f"/gadgets/{world['gadget'].pk}/", "/gadgets/"]
    for record in world["records"].values():
        base = f"/{record.object_type.name}/{record.pk}/"
        pages += [f"/{record.object_type.name}/", base, f"{base}tab/activities/", f"{base}properties/", f"{base}history/",
                  f"{base}access/", f"{base}attachments/", f"{base}merge/", f"{base}property/hostile_choice/?edit=1",
                  f"/record/{record.pk}/timeline/", f"/record/{record.pk}/activities/notes/"]
    pages += [f"/contacts/{contact.pk}/associated/companies/", f"/companies/{company.pk}/associated/contacts/",
              f"/activities/{note.pk}/comments/?record={contact.pk}", f"/activities/{note.pk}/edit/?record={contact.pk}",
              f"/activities/{note.pk}/associations/?record={contact.pk}", f"/deals/board/column/?mode=board&pipeline={deal.properties['pipeline']}&stage={deal.properties['dealstage']}",
              f"/deals/?mode=board&pipeline={deal.properties['pipeline']}"]
    shown: set[str] = set()
    for url in pages:
        for htmx in (False, True):
            answer = browser.get(url, HTTP_HX_REQUEST="true") if htmx else browser.get(url)
            assert answer.status_code in (200, 400), (url, htmx, answer.status_code)
            shown |= check(answer.content.decode(), f"{url} htmx={htmx}")
    written = {"user first name", "user last name", "colleague name", "team name", "permission set", "object singular",
               "object plural", "custom property label", "stage name", "pipeline name", "gadget title", "association label",
               "inverse label", "note body", "email subject", "email body", "call title", "call body", "meeting title",
               "meeting body", "task subject", "task body", "comment", "file name", "saved view", "layout card title",
               "permission set description"}  # property and object descriptions are shown on no page
    for name, values in world["values"].items():
        written |= {f"{name} property label", f"{name} option label"}
        written |= {f"{name} {prop}" for prop in values if prop not in ("hostile_choice", "email", "pipeline", "dealstage")}
    missing = sorted(written - shown)
    assert not missing, f"written but shown on no page swept: {missing}"
