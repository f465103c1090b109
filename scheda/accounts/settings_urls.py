"""The account settings pages, under /settings/ (before the record layout editors at
/settings/layouts/<object>/)."""

from django.urls import path

from scheda.accounts import settings_views as views

urlpatterns = [
    path("", views.index, name="settings"),
    path("users/", views.users, name="settings_users"),
    path("users/invite/", views.invite, name="settings_invite"),
    path("users/<int:user_id>/", views.user_detail, name="settings_user"),
    path("users/<int:user_id>/active/", views.user_active, name="settings_user_active"),
    path("users/<int:user_id>/resend/", views.resend_invitation, name="settings_resend_invitation"),
    path("teams/", views.teams, name="settings_teams"),
    path("teams/<int:team_id>/", views.team_detail, name="settings_team"),
    path("teams/<int:team_id>/delete/", views.team_delete, name="settings_team_delete"),
    path("permission-sets/", views.permission_sets, name="settings_permission_sets"),
    path("permission-sets/new/", views.permission_set_editor, name="settings_permission_set_new"),
    path("permission-sets/<int:set_id>/", views.permission_set_editor, name="settings_permission_set"),
    path("permission-sets/<int:set_id>/delete/", views.permission_set_delete, name="settings_permission_set_delete"),
    path("api-tokens/", views.tokens, name="settings_tokens"),
    path("api-tokens/<int:token_id>/revoke/", views.token_revoke, name="settings_token_revoke"),
    path("subscription/", views.subscription, name="settings_subscription"),
    path("audit-log/", views.audit_log, name="settings_audit_log"),
]
