from django.contrib import admin
from django.urls import include, path

from scheda.api.main import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", api.urls),
    path("", include("scheda.web.urls")),
]
