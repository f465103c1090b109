from django.urls import path

from scheda.records import views

urlpatterns = [
    path("<str:object_name>/<int:record_id>/", views.record_page, name="record"),
    path("<str:object_name>/<int:record_id>/tab/<str:tab>/", views.record_tab, name="record_tab"),
    path("<str:object_name>/<int:record_id>/property/<str:name>/", views.property_row, name="property_row"),
    path("<str:object_name>/<int:record_id>/associated/<str:to_object>/", views.association_card, name="association_card"),
    path("<str:object_name>/<int:record_id>/associated/<str:to_object>/<int:other_id>/remove/", views.remove_association,
         name="remove_association"),
    path("<str:object_name>/<int:record_id>/attachments/", views.attachments, name="record_attachments"),
    path("<str:object_name>/<int:record_id>/attachments/<int:attachment_id>/delete/", views.delete_attachment,
         name="delete_attachment"),
]
