from django.urls import path

from scheda.records import actions, views

RECORD = "<str:object_name>/<int:record_id>/"

urlpatterns = [
    path(RECORD, views.record_page, name="record"),
    path(f"{RECORD}tab/<str:tab>/", views.record_tab, name="record_tab"),
    path(f"{RECORD}property/<str:name>/", views.property_row, name="property_row"),
    path(f"{RECORD}associated/<str:to_object>/", views.association_card, name="association_card"),
    path(f"{RECORD}associated/<str:to_object>/<int:other_id>/remove/", views.remove_association,
         name="remove_association"),
    path(f"{RECORD}attachments/", views.attachments, name="record_attachments"),
    path(f"{RECORD}attachments/<int:attachment_id>/delete/", views.delete_attachment,
         name="delete_attachment"),
    # The record page's "Actions" menu (scheda.records.actions).
    path(f"{RECORD}follow/", actions.follow, {"action": "follow"}, name="record_follow"),
    path(f"{RECORD}unfollow/", actions.follow, {"action": "unfollow"}, name="record_unfollow"),
    path(f"{RECORD}properties/", actions.properties, name="record_properties"),
    path(f"{RECORD}history/", actions.history, name="record_history"),
    path(f"{RECORD}clone/", actions.clone, name="record_clone"),
    path(f"{RECORD}merge/", actions.merge, name="record_merge"),
    path(f"{RECORD}merges/", actions.undo_merge, name="record_undo_merge"),
    path(f"{RECORD}delete/", actions.delete, name="record_delete"),
    path(f"{RECORD}restore/", actions.restore, name="record_restore"),
    path(f"{RECORD}restore-activity/", actions.restore_activity, name="record_restore_activity"),
    path(f"{RECORD}export/", actions.export, name="record_export"),
    path(f"{RECORD}access/", actions.access, name="record_access"),
]
