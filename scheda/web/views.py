from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from scheda.objects.models import ObjectType


@login_required
def home(request: HttpRequest) -> HttpResponse:
    object_types = ObjectType.objects.filter(archived=False, is_activity=False)
    return render(request, "web/home.html", {"object_types": object_types})
