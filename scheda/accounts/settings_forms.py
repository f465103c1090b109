"""The forms of the account settings pages. They parse; scheda.accounts.services checks the
rules and writes, and its errors land next to the field they name."""

from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from scheda.accounts import permissions, tiers
from scheda.accounts.models import PermissionSet, Team, User
from scheda.accounts.scopes import SCOPES
from scheda.errors import SchedaError


def add_errors(form: forms.Form, error: SchedaError) -> None:
    """A service's refusal, each message next to the field it names (or above the form)."""
    for field_error in error.errors or []:
        form.add_error(field_error.name if field_error.name in form.fields else None, field_error.message)
    if not error.errors:
        form.add_error(None, error.message)


class UserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        return f"{obj.full_name} ({obj.email})" if obj.full_name else obj.email


def member_choices(team: Team | None = None) -> QuerySet[User]:
    """Active users, and whoever is already on the team even if deactivated."""
    members = Q(teams=team) if team is not None and team.pk else Q(pk__in=[])
    return User.objects.filter(Q(is_active=True) | members).distinct().order_by("first_name", "last_name", "email")


def _permission_set_field(label: str) -> forms.ModelChoiceField:
    default = permissions.default_set()
    empty = _("Default (%(name)s)") % {"name": default.name} if default else _("Default")
    return forms.ModelChoiceField(PermissionSet.objects.all(), required=False, label=label, empty_label=empty)


class InviteForm(forms.Form):
    email = forms.CharField(label=_("Email"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    permission_set = forms.ModelChoiceField(PermissionSet.objects.none(), required=False)
    teams = forms.ModelMultipleChoiceField(Team.objects.all(), required=False, label=_("Teams"),
                                           widget=forms.CheckboxSelectMultiple)

    prefix = "invite"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permission_set"] = _permission_set_field(str(_("Permission set")))


class AccessForm(forms.Form):
    permission_set = forms.ModelChoiceField(PermissionSet.objects.none(), required=False)
    is_superuser = forms.BooleanField(label=_("Super admin"), required=False)
    teams = forms.ModelMultipleChoiceField(Team.objects.all(), required=False, label=_("Teams"),
                                           widget=forms.CheckboxSelectMultiple)
    primary_team = forms.ModelChoiceField(Team.objects.all(), required=False, label=_("Primary team"),
                                          empty_label=_("(no primary team)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permission_set"] = _permission_set_field(str(_("Permission set")))


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=255, required=False)
    members = UserChoiceField(User.objects.none(), required=False, label=_("Members"),
                              widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, team: Team | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = member_choices(team)  # type: ignore[attr-defined]


def scope_groups() -> list[tuple[str, list[str]]]:
    """The scopes by what they reach: records, schemas, everything else."""
    groups: dict[str, list[str]] = {str(_("CRM records")): [], str(_("CRM schemas")): [], str(_("Other")): []}
    keys = list(groups)
    for scope in SCOPES:
        key = keys[0] if scope.startswith("crm.objects.") else keys[1] if scope.startswith("crm.schemas.") else keys[2]
        groups[key].append(scope)
    return [(name, scopes) for name, scopes in groups.items() if scopes]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=255, required=False)
    scopes = forms.MultipleChoiceField(choices=[(s, s) for s in SCOPES], required=False, label=_("Scopes"),
                                       widget=forms.CheckboxSelectMultiple)
    user = forms.ModelChoiceField(User.objects.filter(is_active=True).order_by("first_name", "last_name", "email"),
                                  required=False, label=_("Acts as"), empty_label=_("Account"))

    def clean_scopes(self) -> list[str]:
        # The service reads no scopes as every scope; a person choosing none means a mistake.
        scopes = self.cleaned_data["scopes"]
        if not scopes:
            raise forms.ValidationError(_("Choose at least one scope"))
        return scopes


class TierForm(forms.Form):
    tier = forms.ChoiceField(choices=list(tiers.TIERS.items()), label=_("Tier"), widget=forms.RadioSelect)
