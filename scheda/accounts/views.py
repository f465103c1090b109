"""Signing in and out, changing a password, and resetting it by e-mail: Django's auth views with
our forms, our templates, login throttling and the audit log (scheda.accounts.services)."""

from __future__ import annotations

import ipaddress
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from scheda.accounts import services
from scheda.accounts.models import User


def client_ip(request: HttpRequest) -> str | None:
    """The address a request came from, for the audit log and login throttling. Behind a reverse
    proxy (SCHEDA_TRUST_PROXY=1) the last X-Forwarded-For entry, the one our proxy added: the
    entries before it are whatever the client chose to send."""
    candidates = [request.META.get("REMOTE_ADDR", "")]
    if settings.SCHEDA_TRUST_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        candidates = forwarded[-1:] + candidates
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


class SignInForm(auth_forms.AuthenticationForm):
    """E-mail and password. One message for a wrong password, an unknown address and a
    deactivated user; one for too many failed attempts, whether or not the account exists."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": _("Please enter a correct email and password."),
    }

    def clean(self) -> dict[str, Any]:
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email and password:
            try:
                ip = client_ip(self.request) if self.request is not None else None
                self.user_cache = services.sign_in(self.request, email, password, ip)
            except services.SignInRefused as refused:
                if refused.minutes:
                    raise forms.ValidationError(ngettext(
                        "Too many attempts. Try again in %(minutes)d minute.",
                        "Too many attempts. Try again in %(minutes)d minutes.", refused.minutes)
                        % {"minutes": refused.minutes}, code="throttled") from None
                raise self.get_invalid_login_error() from None
        return self.cleaned_data


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            services.audit("sign_out", request.user, f"user {request.user.email}", ip=client_ip(request))  # type: ignore[arg-type]
        return super().post(request, *args, **kwargs)


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Current password")
        self.fields["new_password1"].label = _("New password")
        self.fields["new_password2"].label = _("Confirm new password")


class PasswordChangeView(auth_views.PasswordChangeView):
    """The user's own password; the session they changed it in stays signed in."""

    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("password_change")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        user = services.set_password(form.user, form.cleaned_data["new_password1"], ip=client_ip(self.request))
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("Your password has been changed."))
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetForm(auth_forms.PasswordResetForm):
    def get_users(self, email: str) -> Any:
        # Every active user, also one invited who has not chosen a password yet: the link in the
        # e-mail lets them choose one (Django's form leaves out users without a usable password).
        return User.objects.filter(email__iexact=email.strip(), is_active=True)


class PasswordResetView(auth_views.PasswordResetView):
    """Always answers "if an account exists, we sent an e-mail": the page never tells whether
    an address has an account."""

    template_name = "accounts/password_reset.html"
    form_class = PasswordResetForm
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        if services.password_reset_requested(form.cleaned_data["email"], client_ip(self.request)):
            return super().form_valid(form)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def get_form(self, form_class: Any = None) -> auth_forms.SetPasswordForm:
        form = super().get_form(form_class)
        form.fields["new_password1"].label = _("New password")
        form.fields["new_password2"].label = _("Confirm new password")
        return form

    def form_valid(self, form: auth_forms.SetPasswordForm) -> HttpResponse:
        services.set_password(form.user, form.cleaned_data["new_password1"], ip=client_ip(self.request), reset=True)
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form or htmx request without a valid CSRF token (CSRF_FAILURE_VIEW): our page, under our
    policy, instead of Django's, whose inline styles the CSP blocks. For htmx, the message alone."""
    template = "accounts/csrf_failure_message.html" if request.headers.get("HX-Request") else "accounts/csrf_failure.html"
    return render(request, template, status=403)
