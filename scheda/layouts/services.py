"""Record page layouts: the built-in default per object, the account's and teams' layouts a user
with the permission saves, and each user's own order, collapsed sections and last tab.

A layout's config:
    {"header": [property, ...],                       # key facts under the name (LS-1)
     "left": [{"key", "label", "properties": [...]},  # sidebar sections (LS-2, LS-4); the key
              {"key": "record_source", "label"}],     #   "record_source" is computed, not properties
     "overview": {"highlights": [property, ...],      # data highlights ("last_activity_date" is
                  "cards": ["highlights", "communications", "associations"]},  # computed)
     "right": [{"key": object name, "properties": [preview property, ...]},
               {"key": "attachments"}, {"key": "account_overview"}]}
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from scheda.accounts import tiers
from scheda.errors import FieldError, ValidationFailed, unstorable
from scheda.layouts.models import RecordLayout, UserLayout
from scheda.objects.models import ObjectType
from scheda.objects.services import load_schema

TABS = ("overview", "activities")
OVERVIEW_CARDS = ("highlights", "communications", "associations")
# Right sidebar cards that are not associated object types.
TOOL_CARDS = ("attachments", "account_overview")
COMPUTED = {"last_activity_date"}  # highlights the page computes from the timeline

_ABOUT = {
    "contacts": ["email", "phone", "hubspot_owner_id", "jobtitle", "lifecyclestage", "hs_lead_status", "company", "city"],
    "companies": ["domain", "name", "industry", "type", "city", "phone", "numberofemployees", "annualrevenue",
                  "hubspot_owner_id", "lifecyclestage"],
    "deals": ["dealname", "amount", "closedate", "pipeline", "dealstage", "dealtype", "hubspot_owner_id", "hs_priority",
              "hs_next_step"],
    "tickets": ["subject", "content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority", "hs_ticket_category",
                "source_type", "hubspot_owner_id"],
}
_HEADER = {
    "contacts": ["email", "phone", "jobtitle"],
    "companies": ["domain", "phone", "industry"],
    "deals": ["amount", "dealstage", "closedate"],
    "tickets": ["hs_pipeline_stage", "hs_ticket_priority"],
}
_STAGE = {"contacts": "lifecyclestage", "companies": "lifecyclestage", "deals": "dealstage", "tickets": "hs_pipeline_stage"}
_PREVIEW = {
    "contacts": ["email", "jobtitle", "phone"],
    "companies": ["domain", "phone"],
    "deals": ["amount", "dealstage", "closedate"],
    "tickets": ["hs_pipeline_stage", "hs_ticket_priority", "createdate"],
}
_CARD_ORDER = ["contacts", "companies", "deals", "tickets"]


def _about_label(object_type: ObjectType) -> str:
    standard = {"contacts": _("About this contact"), "companies": _("About this company"), "deals": _("About this deal"),
                "tickets": _("About this ticket")}
    return standard.get(object_type.name) or _("About this %(object)s") % {"object": str(object_type.singular_label).lower()}


def associable_types(object_type: ObjectType) -> list[ObjectType]:
    """The (non-activity) object types records of this one can be associated with, in the
    order of HubSpot's right sidebar: contacts, companies, deals, tickets, then custom objects.
    Kept with the schema (creating an association type changes the schema token)."""

    return list(default_types(object_type))


def default_types(object_type: ObjectType) -> dict[ObjectType, int]:
    """associable_types with the id of the unlabeled association type to each, which every
    associated pair of records has (so counts and pages read one index range per card)."""
    from scheda.associations.models import AssociationType

    memo = load_schema(object_type).memo
    if "default_types" not in memo:
        kinds = (AssociationType.objects.filter(from_object_type=object_type, label=None, to_object_type__is_activity=False,
                                                to_object_type__archived=False)
                 .exclude(to_object_type__name__in=["line_items", "quotes", "products"]).select_related("to_object_type"))
        ordered = sorted(kinds, key=lambda k: (_CARD_ORDER.index(k.to_object_type.name) if k.to_object_type.name in _CARD_ORDER
                                               else len(_CARD_ORDER), k.to_object_type_id))
        memo["default_types"] = {k.to_object_type: k.pk for k in ordered}
    return memo["default_types"]


def built_in(object_type: ObjectType) -> dict[str, Any]:
    """The layout of an object no one has customised (a copy: callers may change it). Kept with
    the schema, per language, as its section names are translated."""
    memo = load_schema(object_type).memo
    key = f"built_in:{get_language()}"
    if key not in memo:
        memo[key] = _built_in(object_type)
    return copy.deepcopy(memo[key])


def _built_in(object_type: ObjectType) -> dict[str, Any]:
    schema = load_schema(object_type)
    name = object_type.name
    editable = [p for p in schema.properties.values() if not p.hidden and not p.calculated and not p.read_only]
    about = [p for p in _ABOUT.get(name, []) if p in schema.properties] or [p.name for p in editable[:8]]
    left: list[dict[str, Any]] = [{"key": "about", "label": _about_label(object_type), "properties": about}]
    if name == "contacts":
        left += [
            {"key": "subscriptions", "label": _("Communication subscriptions"), "properties": ["hs_email_optout"]},
            {"key": "website_activity", "label": _("Website activity"), "properties": [
                "hs_analytics_num_visits", "hs_analytics_num_page_views", "hs_analytics_first_visit_timestamp",
                "hs_analytics_last_visit_timestamp"]},
            {"key": "record_source", "label": _("Record source")},
        ]
    stage = _STAGE.get(name)
    highlights = ["createdate", "last_activity_date", *([stage] if stage in schema.properties else [])]
    right: list[dict[str, Any]] = []
    for other in associable_types(object_type):
        other_schema = load_schema(other)
        preview = _PREVIEW.get(other.name) or list(other.secondary_display_properties)
        right.append({"key": other.name, "properties": [p for p in preview if p in other_schema.properties]})
    right.append({"key": "attachments"})
    if name == "companies":
        right.insert(0, {"key": "account_overview"})
    return {"header": [p for p in _HEADER.get(name, list(object_type.secondary_display_properties)) if p in schema.properties],
            "left": left, "overview": {"highlights": highlights, "cards": list(OVERVIEW_CARDS)}, "right": right}


@dataclass
class Layout:
    """The layout one user sees on one object's record pages."""

    header: list[str]
    left: list[dict[str, Any]]
    overview: dict[str, Any]
    right: list[dict[str, Any]]
    collapsed: set[str] = field(default_factory=set)
    tab: str = "overview"
    # Where the shared part came from: a team's layout, the account's, or None (built in).
    team_id: int | None = None
    customised: bool = False


def _ordered(sections: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    """Sections in the user's order; sections the user never placed keep their layout place
    after the placed ones before them."""
    rank = {key: position for position, key in enumerate(keys)}
    return sorted(sections, key=lambda s: (rank.get(s["key"], len(rank)), sections.index(s)))


def _team(team_id: int | None) -> Q:
    return Q(team_id=team_id) if team_id is not None else Q(team=None)


def shared_layout(object_type: ObjectType, team_id: int | None) -> RecordLayout | None:
    return RecordLayout.objects.filter(_team(team_id), object_type=object_type).first()


def layout_for(user, object_type: ObjectType) -> Layout:
    """What `user` sees: their primary team's layout, else that of the first of their other
    teams (by name) that has one, else the account's, else the built-in one; in their own
    order, with their collapsed sections. Team layouts are a Professional feature. Two queries."""
    teams = Q(team__members=user) if tiers.has("team_layouts") else Q(pk__in=[])
    shared = list(RecordLayout.objects.filter(object_type=object_type)
                  .filter(Q(team=None) | teams).order_by("team__name").select_related("team"))
    primary = getattr(user, "primary_team_id", None)
    chosen = (next((s for s in shared if primary and s.team_id == primary), None)
              or next((s for s in shared if s.team_id is not None), None) or next(iter(shared), None))
    config = chosen.config if chosen else built_in(object_type)
    mine = UserLayout.objects.filter(user=user, object_type=object_type).first()
    order = mine.order if mine else {}
    return Layout(
        header=list(config.get("header", [])),
        left=_ordered(list(config.get("left", [])), order.get("left", [])),
        overview=dict(config.get("overview", {"highlights": [], "cards": list(OVERVIEW_CARDS)})),
        right=_ordered(list(config.get("right", [])), order.get("right", [])),
        collapsed=set(mine.collapsed) if mine else set(),
        tab=(mine.last_tab if mine and mine.last_tab in TABS else "overview"),
        team_id=chosen.team_id if chosen else None, customised=chosen is not None)


# --- a user's own arrangement ----------------------------------------------------------------


def remember(user, object_type: ObjectType, *, tab: str | None = None, side: str | None = None,
             order: list[str] | None = None, section: str | None = None, collapsed: bool | None = None) -> UserLayout:
    """Keep what the user changed on a record page: the tab opened, a sidebar's new order, a
    section collapsed or expanded."""
    if tab is not None and tab not in TABS:
        raise ValidationFailed(_("No tab %(tab)s") % {"tab": tab}, [FieldError("Unknown tab", "INVALID_TAB", "tab")])
    if side is not None and side not in ("left", "right"):
        raise ValidationFailed(_("No sidebar %(side)s") % {"side": side}, [FieldError("Unknown sidebar", "INVALID_SIDE", "side")])
    with transaction.atomic():
        mine, _created = UserLayout.objects.select_for_update().get_or_create(user=user, object_type=object_type)
        if tab is not None:
            mine.last_tab = tab
        if side is not None and order is not None:
            mine.order = {**mine.order, side: [key for key in dict.fromkeys(order) if _KEY.fullmatch(key)][:50]}
        if section is not None and collapsed is not None and _KEY.fullmatch(section):
            keys = [key for key in mine.collapsed if key != section]
            mine.collapsed = [*keys, section] if collapsed else keys
        mine.save()
    return mine


_KEY = re.compile(r"[a-z0-9_\-]{1,100}")


# --- shared layouts (the right "customise_layouts") ------------------------------------------


def _check_properties(names: list[str], known: set[str], field_name: str, errors: list[FieldError],
                      extra: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    unknown = [n for n in names if n not in known and n not in extra]
    if unknown:
        errors.append(FieldError(_("No property %(names)s") % {"names": ", ".join(unknown)}, "PROPERTY_DOESNT_EXIST", field_name))
    return list(dict.fromkeys(n for n in names if n in known or n in extra))


def validate(object_type: ObjectType, config: dict[str, Any]) -> dict[str, Any]:
    """A layout config cleaned, or ValidationFailed naming each bad field as the editor names it:
    "header", "left-<n>-label", "left-<n>-properties", "highlights", "cards", "right-<key>"."""
    schema = load_schema(object_type)
    known = set(schema.properties)
    errors: list[FieldError] = []
    header = _check_properties(config.get("header", []), known, "header", errors)
    left: list[dict[str, Any]] = []
    placed: set[str] = set()
    for position, section in enumerate(config.get("left", [])):
        label = str(section.get("label", "")).strip()
        key = section.get("key") or f"section-{position}"
        if not label:
            errors.append(FieldError(_("A section needs a name"), "REQUIRED", f"left-{position}-label"))
        elif len(label) > 255:  # a heading on every record page of the object
            errors.append(FieldError(_("A section's name has at most 255 characters"), "TOO_LONG", f"left-{position}-label"))
        elif unstorable(label):  # kept in a JSON column, where PostgreSQL refuses NUL
            errors.append(FieldError(_("A section's name cannot hold a NUL character"), "INVALID_VALUE", f"left-{position}-label"))
        if not _KEY.fullmatch(key):
            errors.append(FieldError(_("Bad section key"), "INVALID", f"left-{position}-label"))
        if key == "record_source":
            left.append({"key": key, "label": label})
            continue
        props = _check_properties(section.get("properties", []), known, f"left-{position}-properties", errors)
        twice = [name for name in props if name in placed]
        if twice:  # a property edits in one place on the page
            errors.append(FieldError(_("Already in another section: %(names)s") % {"names": ", ".join(twice)}, "DUPLICATE",
                                     f"left-{position}-properties"))
        placed.update(props)
        if not props:
            errors.append(FieldError(_("Choose at least one property"), "REQUIRED", f"left-{position}-properties"))
        left.append({"key": key, "label": label, "properties": props})
    if len({s["key"] for s in left}) != len(left):
        errors.append(FieldError(_("Two sections have the same key"), "DUPLICATE", "left"))
    overview = config.get("overview", {})
    highlights = _check_properties(overview.get("highlights", []), known, "highlights", errors, COMPUTED)
    cards = [c for c in overview.get("cards", []) if c in OVERVIEW_CARDS]
    if len(cards) != len(overview.get("cards", [])):
        errors.append(FieldError(_("Unknown Overview card"), "INVALID", "cards"))
    types = {t.name: t for t in associable_types(object_type)}
    right = []
    for card in config.get("right", []):
        key = card.get("key", "")
        if key in TOOL_CARDS:
            if key == "account_overview" and object_type.name != "companies":
                errors.append(FieldError(_("The account overview is a company card"), "INVALID", "right-account_overview"))
            right.append({"key": key})
        elif key in types:
            other = set(load_schema(types[key]).properties)
            right.append({"key": key, "properties": _check_properties(card.get("properties", []), other, f"right-{key}", errors)})
        else:
            errors.append(FieldError(_("No card %(key)s") % {"key": key}, "INVALID", "right"))
    if errors:
        raise ValidationFailed(errors[0].message, errors)
    return {"header": header, "left": left, "overview": {"highlights": highlights, "cards": cards}, "right": right}


def save_layout(object_type: ObjectType, config: dict[str, Any], user, team_id: int | None = None) -> RecordLayout:
    """Save the account's default layout of an object (team_id None) or a team's."""
    cleaned = validate(object_type, config)
    with transaction.atomic():
        layout, _created = RecordLayout.objects.select_for_update().get_or_create(
            object_type=object_type, team_id=team_id, defaults={"config": cleaned, "updated_by": user})
        layout.config, layout.updated_by = cleaned, user
        layout.save()
    return layout


def reset_layout(object_type: ObjectType, team_id: int | None = None) -> None:
    """Drop a customised layout: a team goes back to the account's, the account to the built-in one."""
    RecordLayout.objects.filter(_team(team_id), object_type=object_type).delete()
