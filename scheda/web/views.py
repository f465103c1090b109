from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from scheda.objects.models import ObjectType
from scheda.records.models import Record
from scheda.records.services import display_name


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The object types, each with its most recently updated records (until index pages exist)."""
    object_types = list(ObjectType.objects.filter(archived=False, is_activity=False))
    recent = []
    for object_type in object_types:
        records = list(Record.objects.filter(object_type=object_type, archived=False).order_by("-updated_at")[:8])
        recent.append((object_type, [(r, display_name(r)) for r in records]))
    return render(request, "web/home.html", {"object_types": object_types, "recent": recent})
