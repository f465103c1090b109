from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from scheda.accounts import services as accounts
from scheda.accounts.permissions import rights_of
from scheda.errors import SchedaError
from scheda.objects.models import ObjectType
from scheda.records.models import Record
from scheda.records.search import search_ids
from scheda.records.services import display_name
from scheda.web.navigation import navigable_object_types

# Records shown per object type: a few as the user types, more on the full results page.
SEARCH_AS_YOU_TYPE = 5
SEARCH_PAGE = 25


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The object types the user may open, each with its most recently updated records the
    user may see."""
    object_types = navigable_object_types(request.user)
    rights = rights_of(request.user)
    recent = []
    for object_type in object_types:
        visible = rights.visible(Record.objects.filter(object_type=object_type, archived=False), object_type)
        records = list(visible.order_by("-updated_at")[:8])
        recent.append((object_type, [(r, display_name(r)) for r in records]))
    return render(request, "web/home.html", {"object_types": object_types, "recent": recent})


def search_groups(request: HttpRequest, query: str, per_type: int) -> list[tuple[ObjectType, list[tuple[Record, str]]]]:
    """The records matching `query` that the user may see, grouped by object type: one text
    search per type and one query for all the records found, however many match."""
    object_types = navigable_object_types(request.user)
    rights = rights_of(request.user)
    found = {object_type.pk: search_ids(object_type, query, limit=per_type, owners=rights.owners(object_type))
             for object_type in object_types}
    wanted = [record_id for ids in found.values() for record_id in ids]
    records = {r.pk: r for r in Record.objects.filter(pk__in=wanted)} if wanted else {}
    groups = []
    for object_type in object_types:
        shown = []
        for record_id in found[object_type.pk]:
            record = records[record_id]
            record.object_type = object_type  # display_name reads it: no query per record
            shown.append((record, display_name(record)))
        if shown:
            groups.append((object_type, shown))
    return groups


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Global search: as the user types (an htmx partial under the search box) or, on Enter, a
    page of results."""
    query = request.GET.get("q", "")[:200].strip()
    partial = bool(request.htmx)  # type: ignore[attr-defined]
    groups = search_groups(request, query, SEARCH_AS_YOU_TYPE if partial else SEARCH_PAGE) if query else []
    context = {"query": query, "search_query": query, "groups": groups}
    return render(request, "web/search.html#results" if partial else "web/search.html", context)


class PreferencesForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=[("", _("The browser's language")), *settings.LANGUAGES])


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Profile and preferences: the user's name and the language of the interface."""
    user = request.user
    form = PreferencesForm(request.POST or None, initial={
        "first_name": user.first_name, "last_name": user.last_name, "language": user.language})  # type: ignore[union-attr]
    if request.method == "POST" and form.is_valid():
        try:
            accounts.update_preferences(user, **form.cleaned_data)  # type: ignore[arg-type]
        except SchedaError as exc:
            for error in exc.errors:
                form.add_error(error.name if error.name in form.fields else None, error.message)
        else:
            # The next page is in the chosen language; the message too.
            translation.activate(form.cleaned_data["language"] or translation.get_language_from_request(request))
            messages.success(request, translation.gettext("Your preferences were saved"))
            return redirect("preferences")
    return render(request, "web/preferences.html", {"form": form})
