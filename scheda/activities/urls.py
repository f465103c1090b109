from django.urls import path

from scheda.activities import views

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("record/<int:record_id>/timeline/", views.timeline_view, name="timeline"),
    path("record/<int:record_id>/activities/<str:kind>/", views.activity_form, name="activity_form"),
    path("record/<int:record_id>/emails/upload/", views.upload_email, name="upload_email"),
    path("activities/<int:activity_id>/comments/", views.comments, name="comments"),
    path("activities/<int:activity_id>/edit/", views.edit_activity, name="edit_activity"),
    path("activities/<int:activity_id>/associations/", views.activity_associations, name="activity_associations"),
    path("activities/<int:activity_id>/<str:action>/", views.activity_action, name="activity_action"),
]
