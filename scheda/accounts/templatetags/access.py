"""Template filters that ask scheda.accounts.permissions, so a page offers only what the user
may do (the views refuse the rest anyway)."""

from __future__ import annotations

from typing import Any

from django import template

from scheda.accounts.permissions import rights_of

register = template.Library()


@register.filter
def can_edit(user: Any, record: Any) -> bool:
    """`{% if user|can_edit:record %}`: the user may change `record`."""
    return rights_of(user).can_edit(record)
