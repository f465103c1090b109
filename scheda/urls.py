from django.contrib import admin
from django.urls import include, path

from scheda.api.main import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("scheda.accounts.urls")),
    path("", include("scheda.web.urls")),
    path("", include("scheda.activities.urls")),
    path("", include("scheda.layouts.urls")),
    path("", include("scheda.savedviews.urls")),
    path("", include("scheda.records.urls")),
    # After the web pages: ninja's API also answers "" (with a 404), which would hide the home page.
    path("", api.urls),
]
