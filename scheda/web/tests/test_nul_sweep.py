"""Text with a NUL written through every service that stores what a user writes (the writers of
the XSS sweep): refused with a SchedaError naming the field, on both databases. PostgreSQL
cannot store a NUL (a 500 wherever a caller had not refused it first), and a SQLite database
holding one could not be moved to PostgreSQL. docs/DECISIONS.md 40."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from scheda.accounts import services as accounts
from scheda.accounts.permissions import STANDARD
from scheda.activities import services as activities
from scheda.associations import services as associations
from scheda.errors import SchedaError
from scheda.layouts import services as layouts
from scheda.objects import services as objects
from scheda.pipelines import services as pipelines
from scheda.records import services as records
from scheda.savedviews import services as savedviews

pytestmark = pytest.mark.django_db
NUL = "a\x00b"


def writers(owner, rep, contact):
    """(what, a call writing NUL into it)."""
    contacts, companies, deals = (objects.get_object_type(n) for n in ("contacts", "companies", "deals"))
    stage = {"label": "Won", "metadata": {"probability": "1.0"}, "displayOrder": 0}

    def layout_with(label):
        config = layouts.built_in(contacts)
        config["left"][0]["label"] = label
        return layouts.save_layout(contacts, config, owner)

    def prop(**changes):
        return objects.create_property(contacts, {"name": "nul_probe", "label": "Probe", "type": "string",
                                                  "field_type": "text", **changes})

    return [
        ("team name", lambda: accounts.save_team(None, NUL, [owner], owner)),
        ("user names", lambda: accounts.update_preferences(owner, first_name=NUL, last_name="x", language="")),
        ("permission set name", lambda: accounts.save_permission_set(
            None, owner, name=NUL, objects_access=STANDARD["objects_access"], rights=[])),
        ("permission set description", lambda: accounts.save_permission_set(
            None, owner, name="Probe", description=NUL, objects_access=STANDARD["objects_access"], rights=[])),
        ("object type label", lambda: objects.create_object_type(
            name="probes", singular=NUL, plural="Probes", primary_display_property="title",
            properties=[{"name": "title", "label": "Title", "type": "string", "field_type": "text"}])),
        ("object type description", lambda: objects.create_object_type(
            name="probes", singular="Probe", plural="Probes", primary_display_property="title", description=NUL,
            properties=[{"name": "title", "label": "Title", "type": "string", "field_type": "text"}])),
        ("property label", lambda: prop(label=NUL)),
        ("property description", lambda: prop(description=NUL)),
        ("option label", lambda: prop(type="enumeration", field_type="select",
                                      options=[{"value": "one", "label": NUL, "displayOrder": 0}])),
        ("option value", lambda: prop(type="enumeration", field_type="select",
                                      options=[{"value": NUL, "label": "One", "displayOrder": 0}])),
        ("group label", lambda: objects.create_group(contacts, "nul_probe", NUL)),
        ("pipeline label", lambda: pipelines.create_pipeline(deals, NUL, [stage])),
        ("stage label", lambda: pipelines.create_pipeline(deals, "Probe", [{**stage, "label": NUL}])),
        ("association label", lambda: associations.create_label(contacts, companies, NUL)),
        ("record value", lambda: records.create_record("contacts", {"firstname": NUL}, rep)),
        ("note body", lambda: activities.log_activity("notes", {"hs_note_body": NUL}, rep, on=[contact])),
        ("saved view name", lambda: savedviews.create_view(contacts, owner, {"name": NUL, "columns": ["email"]})),
        ("section name", lambda: layout_with(NUL)),
    ]


class Stored(Exception):
    """Rolls back a write that went through, so each writer starts from the same state."""


def test_every_writer_refuses_a_nul(owner, rep):
    owner.is_superuser = True
    owner.save()
    accounts.set_tier("enterprise", owner)
    contact = records.create_record("contacts", {"email": "ada@example.com"}, rep)
    wrong = []
    for what, write in writers(owner, rep, contact):
        try:
            with transaction.atomic():
                write()
                raise Stored
        except Stored:
            wrong.append(f"{what}: stored")
        except SchedaError as refused:
            said = " ".join([refused.message, *(e.message for e in refused.errors)])
            if "NUL" not in said or not all(e.name for e in refused.errors):
                wrong.append(f"{what}: refused for another reason: {said}")
        except DatabaseError as failed:
            wrong.append(f"{what}: the database refused it: {failed}")
    assert not wrong, "\n".join(wrong)
    # A comment is sanitised HTML: the sanitiser drops the NUL, and it is kept without.
    note = activities.log_activity("notes", {"hs_note_body": "Hello"}, rep, on=[contact])
    assert activities.add_comment(note, owner, f"<p>{NUL}</p>").body == "<p>ab</p>"
