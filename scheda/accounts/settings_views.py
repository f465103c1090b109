"""The account settings pages: users and their invitations, teams, permission sets, API tokens,
the subscription tier and the audit log. Each page asks scheda.accounts.permissions for the
right it needs (and scheda.accounts.tiers for a gated feature); a refusal becomes the 403 page.
Every change goes through scheda.accounts.services, which writes the audit log."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, F, Q
from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from scheda.accounts import permissions, services, tiers
from scheda.accounts.models import ApiToken, AuditEvent, PermissionSet, Team, User
from scheda.accounts.permissions import rights_of
from scheda.accounts.settings_forms import (
    AccessForm,
    InviteForm,
    TeamForm,
    TierForm,
    TokenForm,
    add_errors,
    scope_groups,
)
from scheda.errors import Forbidden, SchedaError
from scheda.objects.models import ObjectType
from scheda.records.pages import is_id
from scheda.web.navigation import navigable_object_types

ACTIVE, DEACTIVATED, INVITED = "active", "deactivated", "invited"
STATUSES = {ACTIVE: gettext_lazy("Active"), DEACTIVATED: gettext_lazy("Deactivated"), INVITED: gettext_lazy("Invited")}
# The audit log's kinds, as people say them; a kind not listed shows its own name.
AUDIT_KINDS = {
    "sign_in": gettext_lazy("Signed in"),
    "sign_in_failed": gettext_lazy("Failed sign-in"),
    "sign_in_throttled": gettext_lazy("Sign-in blocked after failed attempts"),
    "sign_out": gettext_lazy("Signed out"),
    "password_changed": gettext_lazy("Password changed"),
    "password_reset_requested": gettext_lazy("Password reset requested"),
    "password_reset_done": gettext_lazy("Password reset"),
    "user_invited": gettext_lazy("User invited"),
    "invitation_sent": gettext_lazy("Invitation sent"),
    "invitation_accepted": gettext_lazy("Invitation accepted"),
    "user_deactivated": gettext_lazy("User deactivated"),
    "user_reactivated": gettext_lazy("User reactivated"),
    "user_access_changed": gettext_lazy("User access changed"),
    "team_created": gettext_lazy("Team created"),
    "team_changed": gettext_lazy("Team changed"),
    "team_deleted": gettext_lazy("Team deleted"),
    "permission_set_created": gettext_lazy("Permission set created"),
    "permission_set_changed": gettext_lazy("Permission set changed"),
    "permission_set_deleted": gettext_lazy("Permission set deleted"),
    "token_created": gettext_lazy("API token created"),
    "token_revoked": gettext_lazy("API token revoked"),
    "tier_changed": gettext_lazy("Subscription tier changed"),
}
AUDIT_PAGE = 50
DETAILS_INLINE = 120


def _check(request: HttpRequest, right: str) -> None:
    rights_of(request.user).check_right(right)


# --- the index ------------------------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The settings the user may change, and nothing else."""
    rights = rights_of(request.user)
    if not any(rights.has(right) for right in permissions.RIGHTS):
        raise Forbidden(_("You don't have permission to change any settings"))
    links = []
    if rights.has("manage_users"):
        links += [(reverse("settings_users"), _("Users"), ""), (reverse("settings_teams"), _("Teams"), ""),
                  (reverse("settings_permission_sets"), _("Permission sets"), ""),
                  (reverse("settings_audit_log"), _("Audit log"), _gated("audit_log"))]
    if rights.has("manage_tokens"):
        links.append((reverse("settings_tokens"), _("API tokens"), ""))
    if rights.has("change_tier"):
        links.append((reverse("settings_subscription"), _("Subscription"), ""))
    layouts = navigable_object_types(request.user) if rights.has("customise_layouts") else []
    return render(request, "accounts/settings/index.html", {"links": links, "layouts": layouts,
                                                             "layouts_gated": _gated("record_layouts")})


def _gated(feature: str) -> str:
    """"Needs the Professional tier" when the installation's tier lacks `feature`."""
    return "" if tiers.has(feature) else _("Needs the %(tier)s tier") % {"tier": tiers.unlocked_by(feature)}


# --- users ----------------------------------------------------------------------------------------


def _invited_q() -> Q:
    return Q(last_login=None, password__startswith=UNUSABLE_PASSWORD_PREFIX)


def user_status(user: User) -> str:
    return DEACTIVATED if not user.is_active else INVITED if services.is_invited(user) else ACTIVE


@login_required
def users(request: HttpRequest, invite_form: InviteForm | None = None) -> HttpResponse:
    """Every user, searched by name or e-mail and filtered by team and status; "Invite user"."""
    _check(request, "manage_users")
    query, team_id, status = (request.GET.get(k, "").strip() for k in ("q", "team", "status"))
    found = User.objects.select_related("permission_set", "primary_team").prefetch_related("teams")
    for word in query.split():
        found = found.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word))
    if is_id(team_id):
        found = found.filter(teams=int(team_id))
    if status == DEACTIVATED:
        found = found.filter(is_active=False)
    elif status == INVITED:
        found = found.filter(_invited_q(), is_active=True)
    elif status == ACTIVE:
        found = found.filter(is_active=True).exclude(_invited_q())
    default = permissions.default_set()
    rows = [{"user": user, "status": user_status(user), "status_label": STATUSES[user_status(user)],
             "teams": sorted(user.teams.all(), key=lambda t: (t.pk != user.primary_team_id, t.name))}
            for user in found.order_by("first_name", "last_name", "email")]
    context = {"rows": rows, "query": query, "team_id": team_id, "status": status, "statuses": STATUSES.items(),
               "teams": Team.objects.all(), "default_set": default,
               "invite_form": invite_form or InviteForm(), "invite_open": invite_form is not None or "invite" in request.GET}
    template = "accounts/settings/users.html#users-table" if getattr(request, "htmx", False) and not invite_form else "accounts/settings/users.html"
    return render(request, template, context, status=400 if invite_form is not None else 200)


def _invitation_link(request: HttpRequest, user: User) -> str:
    return request.build_absolute_uri(reverse("accept_invitation", args=[
        urlsafe_base64_encode(force_bytes(user.pk)), services.invitations.make_token(user)]))


def _send_invitation(request: HttpRequest, user: User) -> None:
    try:
        services.send_invitation(user, request.user, _invitation_link(request, user))  # type: ignore[arg-type]
    except OSError as exc:  # no mail server: the user exists, "Resend invitation" tries again
        messages.error(request, _("The invitation e-mail to %(email)s could not be sent (%(error)s)")
                       % {"email": user.email, "error": exc})
    else:
        messages.success(request, _("Invitation sent to %(email)s") % {"email": user.email})


@login_required
def invite(request: HttpRequest) -> HttpResponse:
    """"Invite user": the dialog's form; its page is the users page with the dialog open."""
    _check(request, "manage_users")
    if request.method != "POST":
        return redirect(reverse("settings_users") + "?invite=1")
    form = InviteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            user = services.invite_user(data["email"], request.user, first_name=data["first_name"],  # type: ignore[arg-type]
                                        last_name=data["last_name"], permission_set=data["permission_set"],
                                        teams=list(data["teams"]))
        except SchedaError as error:
            add_errors(form, error)
        else:
            _send_invitation(request, user)
            return redirect("settings_users")
    return users(request, invite_form=form)


def _user_or_404(user_id: int) -> User:
    return get_object_or_404(User.objects.select_related("permission_set", "primary_team"), pk=user_id)


@login_required
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    """One user's access: "Edit access", "Resend invitation", "Deactivate user"."""
    _check(request, "manage_users")
    user = _user_or_404(user_id)
    if request.method == "POST":
        form = AccessForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.set_user_access(user, request.user, permission_set=data["permission_set"],  # type: ignore[arg-type]
                                         superuser=data["is_superuser"], teams=list(data["teams"]),
                                         primary_team=data["primary_team"])
            except SchedaError as error:
                add_errors(form, error)
                user.refresh_from_db()
            else:
                messages.success(request, _("Access of %(user)s saved") % {"user": user})
                return redirect("settings_user", user_id=user.pk)
    else:
        form = AccessForm(initial={"permission_set": user.permission_set, "is_superuser": user.is_superuser,
                                   "teams": list(user.teams.all()), "primary_team": user.primary_team})
    return render(request, "accounts/settings/user.html", {
        "subject": user, "form": form, "status": user_status(user), "status_label": STATUSES[user_status(user)],
        "teams": list(user.teams.all())}, status=400 if form.errors else 200)


@login_required
@require_POST
def user_active(request: HttpRequest, user_id: int) -> HttpResponse:
    """"Deactivate user" / "Reactivate user": `active` is "1" or "0"."""
    _check(request, "manage_users")
    user = _user_or_404(user_id)
    try:
        services.set_active(user, request.POST.get("active") == "1", request.user)  # type: ignore[arg-type]
    except SchedaError as error:
        messages.error(request, error.errors[0].message if error.errors else error.message)
    else:
        messages.success(request, (_("%(user)s was reactivated") if user.is_active else _("%(user)s was deactivated"))
                         % {"user": user})
    return redirect("settings_user", user_id=user.pk)


@login_required
@require_POST
def resend_invitation(request: HttpRequest, user_id: int) -> HttpResponse:
    _check(request, "manage_users")
    user = _user_or_404(user_id)
    if user.is_active and services.is_invited(user):
        _send_invitation(request, user)
    else:
        messages.error(request, _("%(user)s has already accepted the invitation") % {"user": user})
    return redirect("settings_user", user_id=user.pk)


def accept_invitation(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The invitation e-mail's link: the invited user chooses a password and is signed in. The
    link stops working once used (the password is part of the token) or after
    PASSWORD_RESET_TIMEOUT."""
    try:
        uid = urlsafe_base64_decode(uidb64).decode()
    except (ValueError, UnicodeDecodeError):
        uid = ""
    user = User.objects.filter(pk=int(uid)).first() if is_id(uid) else None
    valid = (user is not None and user.is_active and services.is_invited(user)
             and services.invitations.check_token(user, token))
    errors: dict[str, list[str]] = {}
    if valid and request.method == "POST":
        assert user is not None
        password, confirmation = request.POST.get("password", ""), request.POST.get("password_confirmation", "")
        if password != confirmation:
            errors["password_confirmation"] = [_("The two passwords do not match")]
        else:
            try:
                services.accept_invitation(user, password)
            except SchedaError as error:
                for field_error in error.errors:
                    errors.setdefault("password", []).append(field_error.message)
            else:
                login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
                return redirect("home")
    return render(request, "accounts/settings/invitation.html", {"valid": valid, "invited": user if valid else None,
                                                                "errors": errors},
                  status=200 if valid and not errors else 400 if valid else 404)


# --- teams ----------------------------------------------------------------------------------------


@login_required
def teams(request: HttpRequest) -> HttpResponse:
    """Teams with their member counts, and "Create team"."""
    _check(request, "manage_users")
    tiers.check("teams")
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.save_team(None, form.cleaned_data["name"], list(form.cleaned_data["members"]), request.user)  # type: ignore[arg-type]
        except SchedaError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Team %(name)s created") % {"name": team.name})
            return redirect("settings_teams")
    listed = Team.objects.annotate(member_count=Count("members")).order_by("name")
    return render(request, "accounts/settings/teams.html", {"teams": listed, "form": form},
                  status=400 if form.errors else 200)


@login_required
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    """Rename a team and choose its members."""
    _check(request, "manage_users")
    tiers.check("teams")
    team = get_object_or_404(Team, pk=team_id)
    if request.method == "POST":
        form = TeamForm(request.POST, team=team)
        if form.is_valid():
            try:
                services.save_team(team, form.cleaned_data["name"], list(form.cleaned_data["members"]), request.user)  # type: ignore[arg-type]
            except SchedaError as error:
                add_errors(form, error)
                team.refresh_from_db()
            else:
                messages.success(request, _("Team %(name)s saved") % {"name": team.name})
                return redirect("settings_team", team_id=team.pk)
    else:
        form = TeamForm(initial={"name": team.name, "members": list(team.members.all())}, team=team)
    return render(request, "accounts/settings/team.html", {"team": team, "form": form},
                  status=400 if form.errors else 200)


@login_required
def team_delete(request: HttpRequest, team_id: int) -> HttpResponse:
    """"Delete team", after a confirmation."""
    _check(request, "manage_users")
    tiers.check("teams")
    team = get_object_or_404(Team, pk=team_id)
    if request.method == "POST":
        services.delete_team(team, request.user)  # type: ignore[arg-type]
        messages.success(request, _("Team %(name)s deleted") % {"name": team.name})
        return redirect("settings_teams")
    return render(request, "accounts/settings/confirm_delete.html", {
        "title": _("Delete team"), "back": reverse("settings_team", args=[team.pk]),
        "question": _("Delete the team %(name)s? Its members stay; the team's record layouts go.") % {"name": team.name}})


# --- permission sets --------------------------------------------------------------------------------


@login_required
def permission_sets(request: HttpRequest) -> HttpResponse:
    """The permission sets with how many users have each (users with none have the default)."""
    _check(request, "manage_users")
    sets = list(PermissionSet.objects.annotate(user_count=Count("users")).order_by("name"))
    without = User.objects.filter(permission_set=None, is_superuser=False).count()
    for permission_set in sets:
        permission_set.user_count += without if permission_set.is_default else 0  # type: ignore[attr-defined]
    return render(request, "accounts/settings/permission_sets.html", {
        "sets": sets, "may_customise": tiers.has("permission_sets"), "gated": _permission_sets_gated()})


def _permission_sets_gated() -> str:
    return _("Custom permission sets need the %(tier)s tier") % {"tier": tiers.unlocked_by("permission_sets")}


EVERY_OTHER = gettext_lazy("All other objects")


def _editor_rows(access: dict[str, Any], object_types: list[ObjectType], posted: Any = None) -> list[dict[str, Any]]:
    """One row per object type, and the last for every other one ("*"), with what the set (or
    the form just posted) gives each."""
    keys = [(o.name, o.plural_label) for o in object_types] + [(permissions.EVERY_OBJECT, EVERY_OTHER)]
    rows = []
    for position, (name, label) in enumerate(keys):
        if posted is not None:
            rule = {"view": posted.get(f"row-{position}-view", permissions.NONE),
                    "edit": posted.get(f"row-{position}-edit", permissions.NONE),
                    **{action: bool(posted.get(f"row-{position}-{action}")) for action in permissions.ACTIONS}}
        else:
            rule = permissions.object_rule(access, name)
        rows.append({"position": position, "name": name, "label": label, "rule": rule,
                     "actions": [(action, action_label, bool(rule.get(action))) for action, action_label in permissions.ACTIONS.items()]})
    return rows


def _access_from_rows(rows: list[dict[str, Any]], before: dict[str, Any]) -> dict[str, Any]:
    """The set's `objects_access`: "*" and only the objects that differ from it, so that an
    object created later follows "All other objects". The rules of archived objects, which
    have no row, are kept for when they come back."""
    every = next(row["rule"] for row in rows if row["name"] == permissions.EVERY_OBJECT)
    normal = {"view": every["view"], "edit": every["edit"], **{a: bool(every.get(a)) for a in permissions.ACTIONS}}
    shown = {row["name"] for row in rows}
    access = {name: rule for name, rule in before.items() if name not in shown}
    access[permissions.EVERY_OBJECT] = normal
    for row in rows:
        rule = {"view": row["rule"]["view"], "edit": row["rule"]["edit"], **{a: bool(row["rule"].get(a)) for a in permissions.ACTIONS}}
        if row["name"] != permissions.EVERY_OBJECT and rule != normal:
            access[row["name"]] = rule
    return access


@login_required
def permission_set_editor(request: HttpRequest, set_id: int | None = None) -> HttpResponse:
    """Create or change a permission set: per object type the view and edit levels and the
    actions, and the account rights. Custom sets are a tier feature; the default set can always
    be changed."""
    _check(request, "manage_users")
    permission_set = get_object_or_404(PermissionSet, pk=set_id) if set_id is not None else None
    if permission_set is None:
        tiers.check("permission_sets")
    editable = tiers.has("permission_sets") or (permission_set is not None and permission_set.is_default)
    object_types = list(ObjectType.objects.filter(archived=False).only("name", "plural_label").order_by("id"))
    access = permission_set.objects_access if permission_set else permissions.STANDARD["objects_access"]
    errors: dict[str, str] = {}
    values = {"name": permission_set.name if permission_set else "",
              "description": permission_set.description if permission_set else "",
              "rights": set(permission_set.rights if permission_set else []),
              "is_default": bool(permission_set and permission_set.is_default)}
    rows = _editor_rows(access, object_types)
    if request.method == "POST":
        if not editable:
            raise Forbidden(_permission_sets_gated(), feature="permission_sets", requiredTier=tiers.FEATURES["permission_sets"][0])
        rows = _editor_rows(access, object_types, request.POST)
        rights = sorted(set(request.POST.getlist("rights")))
        values = {"name": request.POST.get("name", ""), "description": request.POST.get("description", ""),
                  "rights": set(rights), "is_default": bool(request.POST.get("is_default"))}
        try:
            saved = services.save_permission_set(
                permission_set, request.user, name=request.POST.get("name", ""),  # type: ignore[arg-type]
                description=request.POST.get("description", ""), objects_access=_access_from_rows(rows, access),
                rights=rights, is_default=bool(request.POST.get("is_default")))
        except SchedaError as error:
            errors = {e.name: e.message for e in error.errors} or {"": error.message}
        else:
            messages.success(request, _("Permission set %(name)s saved") % {"name": saved.name})
            return redirect("settings_permission_set", set_id=saved.pk)
    for row in rows:
        row["view_error"] = errors.get(f"{row['name']}.view", "")
        row["edit_error"] = errors.get(f"{row['name']}.edit", "") or errors.get(row["name"], "")
    known = {"name", "description", "rights", *(f"{row['name']}.{a}" for row in rows for a in ("view", "edit")), *(row["name"] for row in rows)}
    return render(request, "accounts/settings/permission_set.html", {
        "permission_set": permission_set, "rows": rows, "values": values, "errors": errors, "editable": editable,
        "gated": "" if editable else _permission_sets_gated(), "levels": permissions.LEVELS.items(),
        "actions": permissions.ACTIONS.items(), "rights": permissions.RIGHTS.items(),
        "other_errors": [message for name, message in errors.items() if name not in known],
    }, status=400 if errors else 200)


@login_required
def permission_set_delete(request: HttpRequest, set_id: int) -> HttpResponse:
    """"Delete permission set", after a confirmation; refused while users have it."""
    _check(request, "manage_users")
    permission_set = get_object_or_404(PermissionSet, pk=set_id)
    if not permission_set.is_default:
        tiers.check("permission_sets")
    error = ""
    if request.method == "POST":
        try:
            services.delete_permission_set(permission_set, request.user)  # type: ignore[arg-type]
        except SchedaError as refusal:
            error = refusal.errors[0].message if refusal.errors else refusal.message
        else:
            messages.success(request, _("Permission set %(name)s deleted") % {"name": permission_set.name})
            return redirect("settings_permission_sets")
    return render(request, "accounts/settings/confirm_delete.html", {
        "title": _("Delete permission set"), "back": reverse("settings_permission_set", args=[permission_set.pk]),
        "question": _("Delete the permission set %(name)s?") % {"name": permission_set.name}, "error": error},
        status=409 if error else 200)


# --- API tokens ---------------------------------------------------------------------------------------


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """The API tokens, "Create token" (whose secret is shown once, here) and "Revoke token"."""
    _check(request, "manage_tokens")
    form = TokenForm(request.POST or None)
    created: tuple[ApiToken, str] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_token(form.cleaned_data["name"], form.cleaned_data["scopes"],
                                            form.cleaned_data["user"], by=request.user)  # type: ignore[arg-type]
        except SchedaError as error:
            add_errors(form, error)
        else:
            form = TokenForm()
    listed = ApiToken.objects.select_related("user").order_by("revoked_at", "-created_at")
    chosen = set(form["scopes"].value() or []) if form.is_bound else set()
    response = render(request, "accounts/settings/tokens.html", {
        "tokens": listed, "form": form, "created": created, "chosen": chosen,
        "scope_groups": scope_groups()}, status=400 if form.errors else 200)
    if created:  # the secret is on this page only
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    _check(request, "manage_tokens")
    token = get_object_or_404(ApiToken, pk=token_id)
    if token.revoked_at is None:
        services.revoke_token(token, request.user)  # type: ignore[arg-type]
        messages.success(request, _("Token %(name)s revoked") % {"name": token.name})
    return redirect("settings_tokens")


# --- the subscription ---------------------------------------------------------------------------------


@login_required
def subscription(request: HttpRequest) -> HttpResponse:
    """The tier, and what each tier has."""
    _check(request, "change_tier")
    form = TierForm(request.POST or None, initial={"tier": tiers.current()})
    if request.method == "POST" and form.is_valid():
        try:
            tier = services.set_tier(form.cleaned_data["tier"], request.user)  # type: ignore[arg-type]
        except SchedaError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Your subscription is now %(tier)s") % {"tier": tiers.TIERS[tier]})
            return redirect("settings_subscription")
    matrix = [(label, [tiers.has(feature, tier) for tier in tiers.TIERS]) for feature, (_lowest, label) in tiers.FEATURES.items()]
    return render(request, "accounts/settings/subscription.html", {
        "form": form, "current": tiers.TIERS[tiers.current()], "tiers": list(tiers.TIERS.values()), "matrix": matrix},
        status=400 if form.errors else 200)


# --- the audit log -----------------------------------------------------------------------------------


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Security events, newest first, filtered by kind, user e-mail and dates; "Next" pages by
    keyset (the last row's time and id), so a page costs the same however far back it is."""
    _check(request, "manage_users")
    tiers.check("audit_log")
    kind, email = request.GET.get("kind", ""), request.GET.get("email", "").strip()
    start, end = request.GET.get("from", ""), request.GET.get("to", "")
    errors = {}
    events = AuditEvent.objects.select_related("actor")
    if kind:
        events = events.filter(kind=kind)
    if email:
        events = events.filter(actor_email__iexact=email)
    for name, value in (("from", start), ("to", end)):
        if value and _date(value) is None:
            errors[name] = _("Enter a date as YYYY-MM-DD")
    first, last = _date(start), _date(end)
    if first:
        events = events.filter(at__gte=timezone.make_aware(datetime.datetime.combine(first, datetime.time.min)))
    if last:
        events = events.filter(at__lt=timezone.make_aware(datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min)))
    after = request.GET.get("after", "")
    at_text, _sep, last_id = after.partition("_")
    try:
        after_at = datetime.datetime.fromisoformat(at_text) if after else None
    except ValueError:
        after_at = None
    if after_at is not None and is_id(last_id):
        # A row comparison, one index range on PostgreSQL whatever plan it keeps (the timeline's keyset)
        events = events.filter(TupleLessThan(Tuple(F("at"), F("id")), (after_at, int(last_id))))
    page = list(events.order_by("-at", "-id")[:AUDIT_PAGE + 1])
    more = len(page) > AUDIT_PAGE
    page = page[:AUDIT_PAGE]
    following = ""
    if more:
        params = request.GET.copy()
        params["after"] = f"{page[-1].at.isoformat()}_{page[-1].pk}"
        following = params.urlencode()
    kinds = sorted({*AUDIT_KINDS, *AuditEvent.objects.values_list("kind", flat=True).distinct()},
                   key=lambda k: str(_kind_label(k)).lower())
    rows = [{"event": event, "label": _kind_label(event.kind), **_details(event.details)} for event in page]
    return render(request, "accounts/settings/audit_log.html", {
        "rows": rows, "kinds": [(k, _kind_label(k)) for k in kinds], "kind": kind, "email": email, "start": start,
        "end": end, "errors": errors, "next": following, "paged": bool(after)}, status=400 if errors else 200)


def _kind_label(kind: str) -> str:
    return str(AUDIT_KINDS.get(kind) or kind.replace("_", " ").capitalize())


def _details(details: dict[str, Any]) -> dict[str, str]:
    """An event's details in one line, and, when that is long, in full (indented JSON) to open."""
    line = "; ".join(f"{key}: {_detail(value)}" for key, value in details.items())
    if len(line) <= DETAILS_INLINE:
        return {"details": line, "full": ""}
    return {"details": line[:DETAILS_INLINE].rstrip() + "…", "full": json.dumps(details, indent=2, ensure_ascii=False)}


def _detail(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_detail(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_detail(v) for v in value) or "-"
    return str(value)
