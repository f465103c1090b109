"""A user's own arrangement of record pages (sections moved or collapsed), kept as they change
it; and the editor of an object's default and team layouts, for users with the permission."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from scheda.accounts import tiers
from scheda.accounts.models import Team
from scheda.accounts.permissions import rights_of
from scheda.errors import SchedaError
from scheda.layouts import services
from scheda.objects.models import ObjectType
from scheda.objects.services import load_schema
from scheda.records.pages import is_id, page_object_type


@login_required
@require_POST
def mine(request: HttpRequest, object_name: str) -> HttpResponse:
    """Keep a change to this user's record pages of an object: `side` + `order` (section keys),
    or `section` + `collapsed` ("1"/"0")."""
    object_type = page_object_type(request, object_name)
    try:
        if "section" in request.POST:
            services.remember(request.user, object_type, section=request.POST["section"],
                              collapsed=request.POST.get("collapsed") == "1")
        else:
            services.remember(request.user, object_type, side=request.POST.get("side", ""),
                              order=request.POST.getlist("order"))
    except SchedaError as error:
        return HttpResponse(error.message, status=400)
    return HttpResponse(status=204)


def previews_only(config: dict[str, Any], posted: dict[str, Any]) -> dict[str, Any]:
    """Below Professional only the cards' preview properties change: the rest stays as saved."""
    previews = {card["key"]: card["properties"] for card in posted["right"] if "properties" in card}
    return {**config, "right": [{**card, "properties": previews[card["key"]]} if card["key"] in previews else card
                                for card in config["right"]]}


def _lines(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


def parse_form(data, current: dict[str, Any]) -> dict[str, Any]:
    """The layout config the editor's form describes."""
    left = []
    sections = data.get("sections", "")
    for position in range(min(int(sections), 50) + 1 if is_id(sections) else 1):
        label = data.get(f"left-{position}-label", "").strip()
        props = _lines(data.get(f"left-{position}-properties", ""))
        # A new section's key must not be one a kept section already has.
        key = data.get(f"left-{position}-key", "") or f"section-{uuid.uuid4().hex[:8]}"
        if data.get(f"left-{position}-remove") or (not label and not props and key != "record_source"):
            continue
        left.append({"key": key, "label": label, "properties": props})
    right = []
    for card in current["right"]:
        key = card["key"]
        if not data.get(f"right-{key}-shown"):
            continue
        position = data.get(f"right-{key}-position", "")
        entry: dict[str, Any] = {"key": key, "position": int(position) if is_id(position) else 99}
        if key not in services.TOOL_CARDS:
            entry["properties"] = _lines(data.get(f"right-{key}", ""))
        right.append(entry)
    right.sort(key=lambda entry: entry.pop("position"))
    return {"header": _lines(data.get("header", "")), "left": left, "right": right,
            "overview": {"highlights": _lines(data.get("highlights", "")),
                         "cards": [c for c in services.OVERVIEW_CARDS if data.get(f"card-{c}")]}}


@login_required
def editor(request: HttpRequest, object_name: str) -> HttpResponse:
    """Customise an object's record page for everyone, or for one team (`team`): the left
    sidebar's key facts and sections, the Overview cards, the right sidebar's cards and their
    preview properties (LS-3, MC-11, RS-2). For users with the right to customise record
    layouts; on Starter only the preview properties, team layouts from Professional."""
    rights_of(request.user).check_right("customise_layouts")
    tiers.check("preview_properties")
    object_type = page_object_type(request, object_name)
    team_value = request.POST.get("team") or request.GET.get("team") or ""
    if team_value:
        tiers.check("team_layouts")
    team = Team.objects.filter(pk=int(team_value)).first() if is_id(team_value) else None
    if team_value and team is None:  # never the account's layout in place of a team that is gone
        raise Http404(_("No such team"))
    team_id = team.pk if team else None
    saved = services.shared_layout(object_type, team_id)
    fallback = services.shared_layout(object_type, None) if team_id else None
    base = saved or fallback
    config = base.config if base else services.built_in(object_type)
    # Every card the object can show is listed, shown or not; the saved ones in their order.
    all_right = services.built_in(object_type)["right"]
    placed = {card["key"]: card for card in config["right"]}
    current = {**config, "right": [*config["right"], *(c for c in all_right if c["key"] not in placed)]}
    errors: dict[str, str] = {}
    shown = set(placed)
    if request.method == "POST":
        if request.POST.get("reset"):
            services.reset_layout(object_type, team_id)
            return redirect(f"{request.path}?team={team_id or ''}")
        posted = parse_form(request.POST, current)
        if not tiers.has("record_layouts"):
            posted = previews_only(config, posted)
        try:
            services.save_layout(object_type, posted, request.user, team_id)
            return redirect(f"{request.path}?team={team_id or ''}&saved=1")
        except SchedaError as error:
            errors = {e.name: e.message for e in error.errors} or {"": error.message}
            shown = {card["key"] for card in posted["right"]}
            current = {**posted, "right": [*posted["right"], *(c for c in current["right"] if c["key"] not in shown)]}
    schema = load_schema(object_type)
    names = dict(ObjectType.objects.filter(name__in=[c["key"] for c in current["right"]]).values_list("name", "plural_label"))
    tools = {"attachments": _("Attachments"), "account_overview": _("Account overview")}
    right_cards = [{"key": card["key"], "position": position, "shown": card["key"] in shown,
                    "label": tools.get(card["key"]) or names.get(card["key"], card["key"]),
                    "properties": "\n".join(card.get("properties", [])), "previewable": card["key"] not in tools,
                    "error": errors.get(f"right-{card['key']}", "")} for position, card in enumerate(current["right"])]
    sections = [{"position": i, "key": s.get("key", ""), "label": s.get("label", ""), "properties": "\n".join(s.get("properties", [])),
                 "computed": s.get("key") == "record_source", "label_error": errors.get(f"left-{i}-label", ""),
                 "error": errors.get(f"left-{i}-properties", "")} for i, s in enumerate(current["left"])]
    return render(request, "layouts/editor.html", {
        "object_type": object_type, "team": team, "customised": saved is not None,
        "teams": Team.objects.all() if tiers.has("team_layouts") else [], "full": tiers.has("record_layouts"),
        "professional": tiers.unlocked_by("record_layouts"),
        "header": "\n".join(current["header"]), "sections": sections, "new_position": len(sections),
        "highlights": "\n".join(current["overview"].get("highlights", [])),
        "cards": [(c, c in current["overview"].get("cards", [])) for c in services.OVERVIEW_CARDS],
        "right_cards": right_cards, "errors": errors, "summary": next(iter(errors.values()), ""), "saved": request.GET.get("saved"),
        "properties": sorted(schema.properties.values(), key=lambda p: str(p.label).lower())})
