from django.contrib import admin
from django.urls import include, path

from scheda.accounts import settings_views
from scheda.api.main import api

handler400 = "scheda.web.limits.bad_request"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("scheda.accounts.urls")),
    path("", include("scheda.web.urls")),
    path("", include("scheda.activities.urls")),
    # Before the layout editors (/settings/layouts/<object>/) and the record pages.
    path("settings/", include("scheda.accounts.settings_urls")),
    path("invitation/<str:uidb64>/<str:token>/", settings_views.accept_invitation, name="accept_invitation"),
    path("", include("scheda.layouts.urls")),
    path("", include("scheda.savedviews.urls")),
    path("", include("scheda.records.urls")),
    # After the web pages: ninja's API also answers "" (with a 404), which would hide the home page.
    path("", api.urls),
]
