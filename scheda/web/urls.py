from django.urls import path

from scheda.web import create, views

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("preferences/", views.preferences, name="preferences"),
    # Before the record page (/<object_name>/<id>/, in scheda.records.urls).
    path("<str:object_name>/create/", create.create, name="record_create"),
    path("<str:object_name>/create/duplicate/", create.duplicate, name="record_create_duplicate"),
    path("<str:object_name>/create/stages/", create.stages, name="record_create_stages"),
    path("<str:object_name>/create/associate/", create.associate_search, name="record_create_associate"),
]
