"""Writers of users and API tokens."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from scheda.accounts import permissions, tiers
from scheda.accounts.models import Account, ApiToken, AuditEvent, PermissionSet, Team, User
from scheda.accounts.scopes import SCOPES
from scheda.errors import Conflict, FieldError, Forbidden, ValidationFailed, check_texts
from scheda.objects.services import schema_changed

TOKEN_PREFIX = "pat-scheda-"


def _new_email(email: str) -> str:
    """A new user's e-mail address, normalised: valid, and no other user's."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(f"{email!r} is not a valid e-mail address", [FieldError("Enter a valid e-mail address", "INVALID_EMAIL", "email")]) from None
    if User.objects.filter(email=email).exists():
        raise Conflict(f"A user with e-mail {email} already exists", [FieldError("A user with this e-mail already exists", "USER_EXISTS", "email")])
    return email


def create_user(email: str, password: str, *, superuser: bool = False, first_name: str = "",
                last_name: str = "") -> User:
    email = _new_email(email)
    try:
        validate_password(password)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), [FieldError(m, "INVALID_PASSWORD", "password") for m in exc.messages]) from None
    if superuser:
        return User.objects.create_superuser(email, password, first_name=first_name, last_name=last_name)
    return User.objects.create_user(email, password, first_name=first_name, last_name=last_name)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_token(name: str, scopes: list[str] | None = None, user: User | None = None,
                 by: User | None = None) -> tuple[ApiToken, str]:
    """A new API token with the given scopes (every scope when none are named), acting as `user`
    (with that user's permissions) or, without one, for the account. Returns the stored token
    and the secret, which is not kept."""
    if not name:
        raise ValidationFailed("A token needs a name", [FieldError("A token needs a name", "REQUIRED_FIELD", "name")])
    if by is not None and not by.is_superuser and (user is None or user.pk != by.pk):
        # A token for the account, or acting as someone else, reaches further than its maker.
        raise _refuse("Only a super admin can create a token for the account or for another user", "user")
    chosen = sorted(set(scopes)) if scopes else list(SCOPES)
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise ValidationFailed(f"Unknown scope(s): {', '.join(unknown)}", [FieldError(f"Unknown scope {s}", "UNKNOWN_SCOPE", "scopes") for s in unknown])
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(name=name, prefix=secret[: len(TOKEN_PREFIX) + 4], token_hash=hash_token(secret),
                                    scopes=chosen, user=user)
    audit("token_created", by, f"token {name}", prefix=token.prefix, scopes=chosen,
          user=user.email if user is not None else None)
    return token, secret


@transaction.atomic
def revoke_token(token: ApiToken, by: User | None = None) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit("token_revoked", by, f"token {token.name}", prefix=token.prefix)


def authenticate_token(secret: str) -> ApiToken | None:
    """The live token whose secret this is; a user's only while the user is active."""
    # Every API call asks: written out, the statement is not built by the ORM each time (0.09
    # against 0.65 ms with the user joined); a user token reads its user when asked.
    token = next(iter(ApiToken.objects.raw(_LIVE_TOKEN, [hash_token(secret)])), None)
    if token is not None and (token.user is None or token.user.is_active):  # no query without a user
        return token
    return None


# The model's columns by name, not *: a prepared `SELECT *` fails once a migration adds a column
# ("cached plan must not change result type") in a server started before it.
_TOKEN_COLUMNS = ", ".join(f'"{f.column}"' for f in ApiToken._meta.concrete_fields)
_LIVE_TOKEN = f"SELECT {_TOKEN_COLUMNS} FROM {ApiToken._meta.db_table} WHERE token_hash = %s AND revoked_at IS NULL"


def update_preferences(user: User, *, first_name: str, last_name: str, language: str) -> User:
    """A user's own name and interface language ("" = the browser's)."""
    languages = {code for code, _label in settings.LANGUAGES}
    if language and language not in languages:
        raise ValidationFailed(f"{language!r} is not a language of Scheda",
                               [FieldError(f"Unknown language {language!r}", "INVALID_OPTION", "language")])
    first_name, last_name = first_name.strip(), last_name.strip()
    check_texts(first_name=(first_name, 150), last_name=(last_name, 150))
    user.first_name, user.last_name, user.language = first_name, last_name, language
    user.save(update_fields=["first_name", "last_name", "language", "updated_at"])
    return user


# --- what an admin may hand out -----------------------------------------------------------------


def _refuse(message: str, field: str) -> Forbidden:
    return Forbidden(message, [FieldError(message, "FORBIDDEN", field)])


def _may_give(by: User | None, permission_set: PermissionSet | None, field: str = "permission_set") -> None:
    """Only a super admin hands out more than they have: a user who manages users gives sets
    (the default one included, for None) that reach no further than their own rights."""
    if by is None or by.is_superuser:
        return
    given = permission_set or permissions.default_set()
    access, rights = (given.objects_access, given.rights) if given else (permissions.STANDARD["objects_access"], [])
    if not permissions.rights_of(by).covers(access, rights):
        raise _refuse("You can only give permissions you have yourself", field)


def _may_change(by: User | None, user: User) -> None:
    """Only a super admin changes a super admin."""
    if by is not None and not by.is_superuser and user.is_superuser:
        raise _refuse("Only a super admin can change a super admin", "is_superuser")


# --- the audit log ------------------------------------------------------------------------------


def audit(kind: str, actor: User | None, target: str = "", *, email: str = "", ip: str | None = None,
          **details: Any) -> AuditEvent:
    """One security event. `email` names the address of a failed sign-in, which has no user."""
    return AuditEvent.objects.create(
        kind=kind, actor=actor if actor is not None and actor.pk else None,
        actor_email=(actor.email if actor is not None and actor.pk else email)[:254], target=target[:255], ip=ip,
        details={k: v for k, v in details.items() if v is not None})


# --- signing in -----------------------------------------------------------------------------------


class SignInRefused(Exception):
    """A sign-in that did not pass: `minutes` > 0 when too many attempts failed (try again then),
    0 for a wrong address or password, an unknown address or a deactivated user alike."""

    def __init__(self, minutes: int = 0):
        super().__init__(f"sign-in refused, retry in {minutes} minutes" if minutes else "sign-in refused")
        self.minutes = minutes


def sign_in_wait(email: str, ip: str | None, now: datetime | None = None) -> int:
    """Minutes until another sign-in may be tried for `email` or from `ip` (0: now). Counted from
    the "sign_in_failed" rows of the audit log, so every server process sees the same count: the
    form closes while `SCHEDA_SIGN_IN_FAILURES_PER_EMAIL` failures for the address, or
    `..._PER_IP` from the client address, fall in the last `SCHEDA_SIGN_IN_WINDOW_MINUTES`, and
    opens when the oldest of those leaves the window."""
    now = now or timezone.now()
    window = timedelta(minutes=settings.SCHEDA_SIGN_IN_WINDOW_MINUTES)
    failures = AuditEvent.objects.filter(kind="sign_in_failed", at__gt=now - window).order_by("-at")
    wait = timedelta(0)
    limits = [({"actor_email": email}, settings.SCHEDA_SIGN_IN_FAILURES_PER_EMAIL)]
    if ip:
        limits.append(({"ip": ip}, settings.SCHEDA_SIGN_IN_FAILURES_PER_IP))
    for where, limit in limits:
        # The limit-th most recent failure: while it is in the window, so are `limit` failures.
        oldest = failures.filter(**where).values_list("at", flat=True)[limit - 1:limit].first()
        if oldest is not None:
            wait = max(wait, oldest + window - now)
    return math.ceil(wait.total_seconds() / 60) if wait else 0


def sign_in(request: Any, email: str, password: str, ip: str | None) -> User:
    """The active user with this e-mail and password, or SignInRefused. Every refusal is in the
    audit log; an unknown address costs the same password hashing as a known one (Django's
    ModelBackend hashes for nobody too), so neither message nor timing tells which it was."""
    email = (email or "").strip().lower()
    minutes = sign_in_wait(email, ip)
    if minutes:
        audit("sign_in_throttled", None, f"user {email}", email=email, ip=ip)
        raise SignInRefused(minutes)
    user = authenticate(request, username=email, password=password)
    if not isinstance(user, User):
        audit("sign_in_failed", None, f"user {email}", email=email, ip=ip)
        raise SignInRefused()
    audit("sign_in", user, f"user {user.email}", ip=ip)
    return user


def password_reset_requested(email: str, ip: str | None) -> bool:
    """Writes a reset request to the audit log; True if a reset e-mail may go to the address:
    fewer than `SCHEDA_PASSWORD_RESETS_PER_EMAIL` were asked for it within the sign-in window,
    so nobody can flood a mailbox through the form. The page says the same either way."""
    email = (email or "").strip().lower()
    since = timezone.now() - timedelta(minutes=settings.SCHEDA_SIGN_IN_WINDOW_MINUTES)
    recent = AuditEvent.objects.filter(kind="password_reset_requested", actor_email=email, at__gt=since).count()
    allowed = recent < settings.SCHEDA_PASSWORD_RESETS_PER_EMAIL
    audit("password_reset_requested", None, f"user {email}", email=email, ip=ip, throttled=None if allowed else True)
    return allowed


@transaction.atomic
def set_password(user: User, password: str, *, ip: str | None, reset: bool = False) -> User:
    """A user's new password (already validated by the form), chosen on the "Change password" page
    or through a reset link. Every other session of the user ends (Django checks a session's
    password hash); the view keeps the current one."""
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    audit("password_reset_done" if reset else "password_changed", user, f"user {user.email}", ip=ip)
    return user


def _required(value: str, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"{label} is required", [FieldError(f"{label} is required", "REQUIRED_FIELD", field)])
    return value


# --- users --------------------------------------------------------------------------------------


@transaction.atomic
def invite_user(email: str, by: User | None, *, first_name: str = "", last_name: str = "",
                permission_set: PermissionSet | None = None, teams: list[Team] | None = None) -> User:
    """A new user with no password yet: the invitation e-mail's link lets them choose one."""
    email = _new_email(email)
    first_name, last_name = first_name.strip(), last_name.strip()
    check_texts(first_name=(first_name, 150), last_name=(last_name, 150))
    _may_give(by, permission_set)
    user = User.objects.create_user(email, None, first_name=first_name, last_name=last_name,
                                    permission_set=permission_set)
    if teams:
        user.teams.set(teams)
        user.primary_team = teams[0]
        user.save(update_fields=["primary_team"])
    audit("user_invited", by, f"user {email}", permission_set=permission_set.name if permission_set else None)
    return user


def send_invitation(user: User, by: User | None, link: str) -> None:
    """E-mail `user` the link (to /invitation/<uidb64>/<token>/) that lets them choose a
    password; a resent invitation is sent the same way. Raises OSError (SMTP) if it cannot be sent."""
    from django.core.mail import send_mail
    from django.utils.translation import gettext as _

    inviter = (by.full_name or by.email) if by is not None else "Scheda"
    send_mail(_("You are invited to Scheda"),
              _("%(inviter)s invited you to Scheda. Choose your password here to sign in:\n\n%(link)s\n\n"
                "The link works once, until you have chosen a password.") % {"inviter": inviter, "link": link},
              None, [user.email])
    audit("invitation_sent", by, f"user {user.email}")


class InvitationTokens(PasswordResetTokenGenerator):
    """Invitation links: tokens of their own, so that a password-reset token is no invitation."""

    key_salt = "scheda.accounts.invitation"


invitations = InvitationTokens()


def is_invited(user: User) -> bool:
    """Invited and not yet arrived: never signed in and no password chosen."""
    return user.last_login is None and not user.has_usable_password()


@transaction.atomic
def accept_invitation(user: User, password: str) -> User:
    """The invited user's chosen password, checked by the installation's password validators."""
    if not user.is_active or not is_invited(user):
        raise ValidationFailed("This invitation was already used", [FieldError("This invitation was already used", "INVALID", "token")])
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), [FieldError(m, "INVALID_PASSWORD", "password") for m in exc.messages]) from None
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    audit("invitation_accepted", user, f"user {user.email}")
    return user


@transaction.atomic
def set_active(user: User, active: bool, by: User | None) -> User:
    """Deactivate (or reactivate) a user. A deactivated user cannot sign in and their tokens stop
    working; the records they own keep them as owner, and their owner history stays."""
    if not active and by is not None and by.pk == user.pk:
        raise ValidationFailed("You cannot deactivate yourself", [FieldError("You cannot deactivate yourself", "INVALID", "is_active")])
    _may_change(by, user)
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active", "updated_at"])
        audit("user_reactivated" if active else "user_deactivated", by, f"user {user.email}")
    return user


@transaction.atomic
def set_user_access(user: User, by: User | None, *, permission_set: PermissionSet | None, superuser: bool,
                    teams: list[Team], primary_team: Team | None) -> User:
    """A user's permission set, super admin flag, teams and primary team (one of the teams)."""
    if by is not None and by.pk == user.pk and user.is_superuser and not superuser:
        raise ValidationFailed("You cannot remove your own super admin rights",
                               [FieldError("You cannot remove your own super admin rights", "INVALID", "is_superuser")])
    _may_change(by, user)
    if superuser and by is not None and not by.is_superuser:
        raise _refuse("Only a super admin can make a super admin", "is_superuser")
    _may_give(by, permission_set)
    if primary_team is not None and primary_team not in teams:
        raise ValidationFailed("The primary team must be one of the user's teams",
                               [FieldError("The primary team must be one of the user's teams", "INVALID", "primary_team")])
    before = {"permission_set": user.permission_set.name if user.permission_set else None,
              "superuser": user.is_superuser, "teams": sorted(t.name for t in user.teams.all()),
              "primary_team": user.primary_team.name if user.primary_team else None}
    user.permission_set, user.is_superuser = permission_set, superuser
    user.is_staff = superuser
    user.primary_team = primary_team or (teams[0] if teams else None)
    user.save(update_fields=["permission_set", "is_superuser", "is_staff", "primary_team", "updated_at"])
    user.teams.set(teams)
    after = {"permission_set": permission_set.name if permission_set else None, "superuser": superuser,
             "teams": sorted(t.name for t in teams), "primary_team": user.primary_team.name if user.primary_team else None}
    if after != before:
        audit("user_access_changed", by, f"user {user.email}", before=before, after=after)
    return user


# --- teams ----------------------------------------------------------------------------------------


@transaction.atomic
def save_team(team: Team | None, name: str, members: list[User], by: User | None) -> Team:
    name = _required(name, "name", "A team's name")
    check_texts(name=(name, 255))
    if Team.objects.filter(name__iexact=name).exclude(pk=team.pk if team else -1).exists():
        raise Conflict(f"A team named {name} already exists", [FieldError("A team with this name already exists", "TEAM_EXISTS", "name")])
    created = team is None
    team = team or Team()
    team.name = name
    team.save()
    team.members.set(members)
    # A user's primary team is one of their teams.
    User.objects.filter(primary_team=team).exclude(pk__in=[m.pk for m in members]).update(primary_team=None)
    User.objects.filter(pk__in=[m.pk for m in members], primary_team=None).update(primary_team=team)
    audit("team_created" if created else "team_changed", by, f"team {name}", members=sorted(m.email for m in members))
    return team


@transaction.atomic
def delete_team(team: Team, by: User | None) -> None:
    name = team.name
    team.delete()
    audit("team_deleted", by, f"team {name}")


# --- permission sets ----------------------------------------------------------------------------


def _clean_access(objects_access: Any, object_names: set[str]) -> dict[str, Any]:
    if not isinstance(objects_access, dict):
        raise ValidationFailed("objects_access must map object names to access", [FieldError("Not an object", "INVALID", "objects_access")])
    clean: dict[str, Any] = {}
    for name, rule in objects_access.items():
        if name != permissions.EVERY_OBJECT and name not in object_names:
            raise ValidationFailed(f"No object named {name!r}", [FieldError(f"No object named {name!r}", "INVALID", name)])
        if not isinstance(rule, dict):
            raise ValidationFailed(f"The access to {name} is not an object", [FieldError("Not an object", "INVALID", name)])
        entry: dict[str, Any] = {}
        for access in ("view", "edit"):
            level = rule.get(access, permissions.NONE)
            if level not in permissions.LEVELS:
                raise ValidationFailed(f"{level!r} is not an access level", [FieldError(f"Choose one of {', '.join(permissions.LEVELS)}", "INVALID_OPTION", f"{name}.{access}")])
            entry[access] = level
        if permissions.RANK[entry["edit"]] > permissions.RANK[entry["view"]]:
            raise ValidationFailed(f"{name}: edit access cannot reach further than view access",
                                   [FieldError("Edit access cannot reach further than view access", "INVALID", f"{name}.edit")])
        entry.update({action: bool(rule.get(action)) for action in permissions.ACTIONS})
        clean[name] = entry
    return clean


@transaction.atomic
def save_permission_set(permission_set: PermissionSet | None, by: User | None, *, name: str, description: str = "",
                        objects_access: dict[str, Any], rights: list[str], is_default: bool = False) -> PermissionSet:
    """Create or change a permission set; validation names the field at fault."""
    from scheda.objects.models import ObjectType

    name, description = _required(name, "name", "A permission set's name"), (description or "").strip()
    check_texts(name=(name, 100), description=(description, 500))
    if PermissionSet.objects.filter(name__iexact=name).exclude(pk=permission_set.pk if permission_set else -1).exists():
        raise Conflict(f"A permission set named {name} already exists", [FieldError("A permission set with this name already exists", "PERMISSION_SET_EXISTS", "name")])
    unknown = [r for r in rights if r not in permissions.RIGHTS]
    if unknown:
        raise ValidationFailed(f"Unknown right(s): {', '.join(unknown)}", [FieldError(f"Unknown right {r}", "INVALID_OPTION", "rights") for r in unknown])
    clean = _clean_access(objects_access, set(ObjectType.objects.values_list("name", flat=True)))
    if by is not None and not permissions.rights_of(by).covers(clean, rights):
        raise _refuse("You can only give permissions you have yourself", "rights")
    if permission_set is not None and permission_set.is_default and not is_default:
        # Users without a set would get the code's Standard rules: make another set the default instead.
        raise ValidationFailed("The default permission set stays the default until another one is made the default",
                               [FieldError("Make another permission set the default instead", "IS_DEFAULT", "is_default")])
    created = permission_set is None
    permission_set = permission_set or PermissionSet()
    before = {"objects_access": permission_set.objects_access, "rights": permission_set.rights}
    permission_set.name, permission_set.description = name, description
    permission_set.objects_access, permission_set.rights = clean, sorted(set(rights))
    permission_set.is_default = is_default
    permission_set.save()
    if is_default:
        PermissionSet.objects.exclude(pk=permission_set.pk).update(is_default=False)
    schema_changed()  # every process reads the default set again (permissions.default_set)
    audit("permission_set_created" if created else "permission_set_changed", by, f"permission set {name}",
          before=None if created else before, after={"objects_access": clean, "rights": permission_set.rights})
    return permission_set


@transaction.atomic
def delete_permission_set(permission_set: PermissionSet, by: User | None) -> None:
    if permission_set.is_default:  # users without a set would silently get the built-in rules
        raise Conflict("The default permission set cannot be deleted: make another one the default first",
                       [FieldError("Make another permission set the default first", "IS_DEFAULT", "permission_set")])
    if permission_set.users.exists():
        raise Conflict("Users still have this permission set: give them another first",
                       [FieldError("Users still have this permission set", "IN_USE", "permission_set")])
    name = permission_set.name
    permission_set.delete()
    audit("permission_set_deleted", by, f"permission set {name}")


# --- the tier -------------------------------------------------------------------------------------


@transaction.atomic
def set_tier(tier: str, by: User | None) -> str:
    if tier not in tiers.TIERS:
        raise ValidationFailed(f"{tier!r} is not a tier", [FieldError(f"Choose one of {', '.join(tiers.TIERS)}", "INVALID_OPTION", "tier")])
    before = tiers.current()
    Account.objects.update_or_create(pk=1, defaults={"tier": tier})
    schema_changed()  # every process reads the tier again
    if before != tier:
        audit("tier_changed", by, "account", before=before, after=tier)
    return tier


