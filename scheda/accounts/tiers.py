"""Subscription tiers and the features each switches on: one matrix, which the UI and the API
consult (`has`, `check`). A new installation starts on Enterprise, everything on."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from scheda.errors import Forbidden

STARTER, PROFESSIONAL, ENTERPRISE = "starter", "professional", "enterprise"
TIERS = {STARTER: _("Starter"), PROFESSIONAL: _("Professional"), ENTERPRISE: _("Enterprise")}
RANK = {STARTER: 0, PROFESSIONAL: 1, ENTERPRISE: 2}

# Feature -> (the lowest tier that has it, its name in the UI, which reads before "needs the
# ... tier").
FEATURES = {
    "preview_properties": (STARTER, _("Customising association card preview properties")),
    "teams": (STARTER, _("Using teams")),
    "record_layouts": (PROFESSIONAL, _("Customising record page layouts")),
    "team_layouts": (PROFESSIONAL, _("Setting record layouts per team")),
    "record_access_panel": (PROFESSIONAL, _("View record access")),
    "permission_sets": (PROFESSIONAL, _("Creating custom permission sets")),
    "custom_objects": (ENTERPRISE, _("Using custom objects")),
    "audit_log": (ENTERPRISE, _("Audit log")),
}


def current() -> str:
    """The installation's tier, kept with the schema: changing it changes the schema token, so
    every process sees the change at its next request without reading the tier each time."""
    from scheda.accounts.models import Account
    from scheda.objects.services import with_schema

    def read() -> str:
        account = Account.objects.filter(pk=1).only("tier").first()
        return account.tier if account is not None and account.tier in TIERS else ENTERPRISE

    return with_schema("tier", read)


def has(feature: str, tier: str | None = None) -> bool:
    return RANK[tier or current()] >= RANK[FEATURES[feature][0]]


def unlocked_by(feature: str) -> str:
    """The tier that unlocks `feature`, by name ("Professional")."""
    return str(TIERS[FEATURES[feature][0]])


def check(feature: str, tier: str | None = None) -> None:
    if not has(feature, tier):
        raise Forbidden(str(_("%(feature)s needs the %(tier)s tier") % {"feature": FEATURES[feature][1], "tier": unlocked_by(feature)}),
                        feature=feature, requiredTier=FEATURES[feature][0])
