from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("A user needs an e-mail address")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Every active user is also a record owner (HubSpot's owners)."""

    email = models.EmailField(_("email"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    language = models.CharField(_("language"), max_length=8, blank=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # What the user may see and do (scheda.accounts.permissions); none = the default set.
    permission_set = models.ForeignKey("PermissionSet", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="users", verbose_name=_("permission set"))
    # The team whose record layout the user sees and the one the owners API calls primary.
    primary_team = models.ForeignKey("Team", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("primary team"))

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ApiToken(models.Model):
    """A private-app access token for the API. Only its SHA-256 is kept; the token itself is
    shown once, when it is created."""

    name = models.CharField(max_length=255)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Team(models.Model):
    """A group of users: the timeline's "All teams" filter, team layouts, and "owned or team"
    record access."""

    name = models.CharField(_("name"), max_length=255, unique=True)
    members = models.ManyToManyField(User, related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PermissionSet(models.Model):
    """What a user may see and do, assigned to users (HubSpot's permission sets).

    `objects_access` maps an object type's name, or "*" for every type not named, to
    {"view": level, "edit": level, "delete": bool, "bulk_delete": bool, "merge": bool,
    "export": bool, "import": bool}, a level being "none", "owned", "team" or "all".
    `rights` lists account-level rights by name. scheda.accounts.permissions reads both."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    objects_access = models.JSONField(default=dict)
    rights = models.JSONField(default=list)
    # The set of users who were given none, e.g. an invited user.
    is_default = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Account(models.Model):
    """The installation itself: one row (pk 1), holding its subscription tier."""

    tier = models.CharField(max_length=20, default="enterprise")
    updated_at = models.DateTimeField(auto_now=True)


class AuditEvent(models.Model):
    """A security event: sign-ins, failed sign-ins, and changes to users, teams, permission
    sets, tokens and the tier. Written by the services, read by admins, never changed."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=40)
    # Who did it; the e-mail stays when the user is gone, and names the address a failed
    # sign-in tried.
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_email = models.CharField(max_length=254, blank=True)
    # What it was done to, in words ("user bob@example.com", "token Zapier").
    target = models.CharField(max_length=255, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "actor_email", "at"], name="audit_kind_email_at"),
                   models.Index(fields=["kind", "ip", "at"], name="audit_kind_ip_at")]
