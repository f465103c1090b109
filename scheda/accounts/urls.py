from django.urls import path
from django.views.generic import TemplateView

from scheda.accounts import views

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", TemplateView.as_view(template_name="accounts/password_reset_sent.html"),
         name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password/reset/complete/", TemplateView.as_view(template_name="accounts/password_reset_complete.html"),
         name="password_reset_complete"),
]
