from django.urls import path

from scheda.records import views

urlpatterns = [
    path("<str:object_name>/<int:record_id>/", views.record_page, name="record"),
]
