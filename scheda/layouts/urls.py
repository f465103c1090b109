from django.urls import path

from scheda.layouts import views

urlpatterns = [
    path("layouts/<str:object_name>/mine/", views.mine, name="layout_mine"),
    path("settings/layouts/<str:object_name>/", views.editor, name="layout_editor"),
]
