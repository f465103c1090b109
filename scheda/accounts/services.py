"""Writers of users and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from scheda.accounts.models import ApiToken, User
from scheda.accounts.scopes import SCOPES
from scheda.errors import Conflict, FieldError, ValidationFailed

TOKEN_PREFIX = "pat-scheda-"


def create_user(email: str, password: str, *, superuser: bool = False, first_name: str = "",
                last_name: str = "") -> User:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(f"{email!r} is not a valid e-mail address", [FieldError("Invalid e-mail", "INVALID_EMAIL", "email")]) from None
    if User.objects.filter(email=email).exists():
        raise Conflict(f"A user with e-mail {email} already exists", [FieldError("User exists", "USER_EXISTS", "email")])
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
def create_token(name: str, scopes: list[str] | None = None, user: User | None = None) -> tuple[ApiToken, str]:
    """A new API token with the given scopes (every scope when none are named). Returns the
    stored token and the secret, which is not kept."""
    if not name:
        raise ValidationFailed("A token needs a name", [FieldError("A token needs a name", "REQUIRED_FIELD", "name")])
    chosen = sorted(set(scopes)) if scopes else list(SCOPES)
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise ValidationFailed(f"Unknown scope(s): {', '.join(unknown)}", [FieldError(f"Unknown scope {s}", "UNKNOWN_SCOPE", "scopes") for s in unknown])
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(name=name, prefix=secret[: len(TOKEN_PREFIX) + 4], token_hash=hash_token(secret),
                                    scopes=chosen, user=user)
    return token, secret


def revoke_token(token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])


def authenticate_token(secret: str) -> ApiToken | None:
    token = ApiToken.objects.filter(token_hash=hash_token(secret), revoked_at=None).select_related("user").first()
    if token is not None and (token.user is None or token.user.is_active):
        return token
    return None


def update_preferences(user: User, *, first_name: str, last_name: str, language: str) -> User:
    """A user's own name and interface language ("" = the browser's)."""
    languages = {code for code, _label in settings.LANGUAGES}
    if language and language not in languages:
        raise ValidationFailed(f"{language!r} is not a language of Scheda",
                               [FieldError(f"Unknown language {language!r}", "INVALID_OPTION", "language")])
    user.first_name, user.last_name, user.language = first_name.strip()[:150], last_name.strip()[:150], language
    user.save(update_fields=["first_name", "last_name", "language", "updated_at"])
    return user
