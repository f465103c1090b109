"""The user menu's "Settings" entry, for users with any account right."""

from __future__ import annotations

from typing import Any

from django import template

from scheda.accounts.permissions import RIGHTS, rights_of

register = template.Library()


@register.filter
def has_any_right(user: Any) -> bool:
    # rights_of is kept on the user object: on pages that already asked, no query.
    rights = rights_of(user)
    return any(rights.has(right) for right in RIGHTS)
