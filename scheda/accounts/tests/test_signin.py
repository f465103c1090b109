"""Signing in and out, throttling, changing and resetting a password, and the security headers
and settings around them (CSP, CSRF, HTTPS cookies, argon2)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.db.models import F
from django.test import Client, RequestFactory, override_settings

from scheda.accounts import services
from scheda.accounts.models import AuditEvent, User
from scheda.accounts.views import client_ip

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "a-long-password-1"  # the `owner` fixture's
WRONG = "Please enter a correct email and password."


def sign_in(client, email, password, **extra):
    return client.post("/login/", {"username": email, "password": password}, **extra)


def alert(response) -> str:
    found = re.search(r'<p class="error" role="alert">([^<]*)</p>', response.content.decode())
    return found.group(1) if found else ""


def kinds(**where) -> list[str]:
    return list(AuditEvent.objects.filter(**where).order_by("at", "id").values_list("kind", flat=True))


# --- signing in ---------------------------------------------------------------------------------


def test_sign_in_with_email_and_password(client, owner):
    response = sign_in(client, " Owner@Example.com ", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    event = AuditEvent.objects.get(kind="sign_in")
    assert (event.actor, event.actor_email, event.ip) == (owner, "owner@example.com", "127.0.0.1")


def test_sign_in_goes_to_the_page_asked_for_but_not_elsewhere(client, owner):
    assert client.get("/preferences/")["Location"] == "/login/?next=/preferences/"
    response = client.post("/login/", {"username": "owner@example.com", "password": PASSWORD, "next": "/preferences/"})
    assert response["Location"] == "/preferences/"
    client.logout()
    response = client.post("/login/", {"username": "owner@example.com", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_wrong_password_unknown_email_and_deactivated_user_get_the_same_answer(client, owner, monkeypatch):
    other = User.objects.create_user("gone@example.com", PASSWORD)
    services.set_active(other, False, None)
    # Each attempt runs argon2 once, known address or not, so none answers faster.
    from django.contrib.auth.hashers import Argon2PasswordHasher

    hashed = []
    for name in ("encode", "verify"):
        real = getattr(Argon2PasswordHasher, name)
        monkeypatch.setattr(Argon2PasswordHasher, name, lambda *a, _real=real, _name=name, **k: hashed.append(_name) or _real(*a, **k))
    pages = []
    for email, password in [("owner@example.com", "wrong-password"), ("nobody@example.com", "wrong-password"),
                            ("gone@example.com", PASSWORD)]:
        hashed.clear()
        response = sign_in(client, email, password)
        assert response.status_code == 200 and alert(response) == WRONG
        assert len(hashed) == 1, (email, hashed)
        page = response.content.decode().replace(email, "EMAIL")
        pages.append(re.sub(r"[A-Za-z0-9]{64}", "TOKEN", page))  # CSRF tokens are masked afresh each time
    assert pages[0] == pages[1] == pages[2]
    assert "_auth_user_id" not in client.session
    failed = AuditEvent.objects.filter(kind="sign_in_failed").order_by("id")
    assert [(e.actor, e.actor_email, e.ip) for e in failed] == [
        (None, "owner@example.com", "127.0.0.1"), (None, "nobody@example.com", "127.0.0.1"), (None, "gone@example.com", "127.0.0.1")]


def test_five_failures_for_an_address_close_the_form_for_that_address_whether_or_not_it_exists(client, owner):
    for email in ("owner@example.com", "nobody@example.com"):
        for _ in range(5):
            assert alert(sign_in(client, email, "wrong-password")) == WRONG
        # The right password no longer helps; an unknown address reads the same.
        response = sign_in(client, email, PASSWORD)
        assert alert(response) == "Too many attempts. Try again in 15 minutes."
        assert "_auth_user_id" not in client.session
    assert kinds(kind="sign_in_throttled") == ["sign_in_throttled", "sign_in_throttled"]
    # Another address from the same client is still let through.
    User.objects.create_user("rep@example.com", PASSWORD)
    assert sign_in(client, "rep@example.com", PASSWORD).status_code == 302


def test_the_form_opens_again_when_the_failures_leave_the_window(client, owner):
    for _ in range(5):
        sign_in(client, "owner@example.com", "wrong-password")
    failures = AuditEvent.objects.filter(kind="sign_in_failed")
    failures.update(at=F("at") - timedelta(minutes=10))
    assert alert(sign_in(client, "owner@example.com", PASSWORD)) == "Too many attempts. Try again in 5 minutes."
    failures.update(at=F("at") - timedelta(minutes=5, seconds=1))
    assert sign_in(client, "owner@example.com", PASSWORD).status_code == 302
    # Throttled attempts do not count as failures: they do not push the window on.
    assert AuditEvent.objects.filter(kind="sign_in_failed").count() == 5


def test_twenty_failures_from_one_address_close_the_form_for_every_account_from_there(client, owner):
    for n in range(19):
        services.audit("sign_in_failed", None, email=f"guess{n}@example.com", ip="10.0.0.5")
    assert alert(sign_in(client, "guess19@example.com", "x-wrong-password", REMOTE_ADDR="10.0.0.5")) == WRONG
    response = sign_in(client, "owner@example.com", PASSWORD, REMOTE_ADDR="10.0.0.5")
    assert alert(response) == "Too many attempts. Try again in 15 minutes."
    event = AuditEvent.objects.get(kind="sign_in_throttled")
    assert (event.actor_email, event.ip) == ("owner@example.com", "10.0.0.5")
    # Other clients are not held back by it.
    assert sign_in(client, "owner@example.com", PASSWORD, REMOTE_ADDR="10.0.0.6").status_code == 302


def test_the_client_address_is_the_proxys_last_forwarded_one_only_when_the_proxy_is_trusted(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    settings.SCHEDA_TRUST_PROXY = False
    assert client_ip(request) == "10.0.0.1"
    settings.SCHEDA_TRUST_PROXY = True
    assert client_ip(request) == "203.0.113.9"
    garbled = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="not-an-address")
    assert client_ip(garbled) == "10.0.0.1"


def test_sign_out_ends_the_session_and_is_in_the_audit_log(browser, owner):
    assert browser.post("/logout/")["Location"] == "/login/"
    assert browser.get("/")["Location"].startswith("/login/")
    assert kinds(kind="sign_out") == ["sign_out"]
    assert AuditEvent.objects.get(kind="sign_out").actor == owner


def test_a_user_deactivated_while_signed_in_is_signed_out(browser, owner):
    assert browser.get("/").status_code == 200
    services.set_active(owner, False, None)
    assert browser.get("/")["Location"] == "/login/?next=/"


def test_the_login_page_offers_a_password_reset(client):
    page = client.get("/login/").content.decode()
    assert '<a href="/password/reset/">Forgot your password?</a>' in page
    assert '<label for="id_username">Email</label>' in page and '<label for="id_password">Password</label>' in page


# --- passwords ----------------------------------------------------------------------------------


def test_new_passwords_are_stored_with_argon2(db):
    user = services.create_user("new@example.com", "a-long-password-5")
    assert user.password.startswith("argon2$argon2id$")


def test_change_password_keeps_this_session_and_ends_the_others(client, owner):
    elsewhere = Client()
    elsewhere.force_login(owner)
    client.force_login(owner)
    page = client.get("/preferences/").content.decode()
    assert '<a href="/password/change/">Change password</a>' in page
    page = client.get("/password/change/").content.decode()
    for label in ("Current password", "New password", "Confirm new password"):
        assert f">{label}</label>" in page
    wrong = client.post("/password/change/", {"old_password": "nope", "new_password1": "b-long-password-2",
                                              "new_password2": "b-long-password-2"})
    assert wrong.status_code == 200 and "Your old password was entered incorrectly" in wrong.content.decode()
    short = client.post("/password/change/", {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"})
    assert "too short" in short.content.decode()
    response = client.post("/password/change/", {"old_password": PASSWORD, "new_password1": "b-long-password-2",
                                                 "new_password2": "b-long-password-2"}, follow=True)
    assert response.redirect_chain[-1][0] == "/password/change/"
    assert '<p class="confirmation" role="status">Your password has been changed.</p>' in response.content.decode()
    assert client.get("/").status_code == 200  # still signed in here
    assert elsewhere.get("/").status_code == 302  # but no longer elsewhere
    owner.refresh_from_db()
    assert owner.check_password("b-long-password-2") and owner.password.startswith("argon2$")
    assert kinds(kind="password_changed") == ["password_changed"]
    assert AuditEvent.objects.get(kind="password_changed").actor == owner


def test_change_password_needs_a_signed_in_user(client):
    assert client.get("/password/change/")["Location"] == "/login/?next=/password/change/"


def test_reset_password_by_email_end_to_end(client, owner):
    invited = services.invite_user("invited@example.com", None)
    gone = User.objects.create_user("gone@example.com", PASSWORD)
    services.set_active(gone, False, None)
    pages = []
    for email in ("owner@example.com", "nobody@example.com", "gone@example.com"):
        response = client.post("/password/reset/", {"email": email}, follow=True)
        assert response.redirect_chain[-1][0] == "/password/reset/sent/"
        pages.append(re.sub(r"[A-Za-z0-9]{64}", "TOKEN", response.content.decode()))
    assert len(set(pages)) == 1
    assert "If an account exists for that address, we sent an e-mail" in pages[0]
    # Only the active account got an e-mail.
    assert [m.to for m in mail.outbox] == [["owner@example.com"]]
    message = mail.outbox[0]
    assert message.subject == "Reset your Scheda password"
    link = re.search(r"http://testserver(/password/reset/\S+/)", message.body).group(1)
    form_url = client.get(link)["Location"]  # Django moves the token into the session
    page = client.get(form_url).content.decode()
    assert ">New password</label>" in page and ">Confirm new password</label>" in page
    response = client.post(form_url, {"new_password1": "c-long-password-3", "new_password2": "c-long-password-3"})
    assert response["Location"] == "/password/reset/complete/"
    assert "Your new password is set." in client.get("/password/reset/complete/").content.decode()
    # The link works once.
    assert "This link has expired or was already used." in client.get(link, follow=True).content.decode()
    assert sign_in(client, "owner@example.com", "c-long-password-3").status_code == 302
    assert kinds(kind__startswith="password_reset") == ["password_reset_requested"] * 3 + ["password_reset_done"]
    assert AuditEvent.objects.get(kind="password_reset_done").actor == owner
    # An invited user who has not chosen a password yet can choose one this way.
    client.post("/password/reset/", {"email": "invited@example.com"})
    assert mail.outbox[-1].to == ["invited@example.com"]
    assert not invited.has_usable_password()


def test_an_address_gets_three_reset_emails_per_window(client, owner):
    for _ in range(4):
        response = client.post("/password/reset/", {"email": "owner@example.com"})
        assert response["Location"] == "/password/reset/sent/"
    assert len(mail.outbox) == 3
    events = AuditEvent.objects.filter(kind="password_reset_requested").order_by("id")
    assert [e.details for e in events] == [{}, {}, {}, {"throttled": True}]
    events.update(at=F("at") - timedelta(minutes=15))
    client.post("/password/reset/", {"email": "owner@example.com"})
    assert len(mail.outbox) == 4


# --- headers, cookies, CSRF -----------------------------------------------------------------------


POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
          "form-action 'self'; base-uri 'self'; object-src 'none'")


def directives(header: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in header.split("; ")}


def test_every_page_carries_the_content_security_policy(browser, client):
    for path in ("/", "/contacts/", "/preferences/", "/password/change/"):
        response = browser.get(path)
        assert response.status_code == 200, path
        assert directives(response["Content-Security-Policy"]) == directives(POLICY), path
    assert directives(client.get("/login/")["Content-Security-Policy"]) == directives(POLICY)


def test_the_api_docs_work_under_the_policy(client):
    response = client.get("/api/docs")
    page = response.content.decode()
    assert response.status_code == 200 and directives(response["Content-Security-Policy"]) == directives(POLICY)
    # Swagger UI from Scheda itself (no CDN), started by a script file rather than inline script.
    assert '<script src="/static/ninja/swagger-ui-bundle.js"></script>' in page
    assert '<script src="/static/ninja/swagger-ui-init.js"></script>' in page
    assert "cdn." not in page
    assert client.get("/static/ninja/swagger-ui-init.js").status_code == 200


def test_the_django_admin_is_under_the_same_policy(client):
    assert directives(client.get("/admin/login/")["Content-Security-Policy"]) == directives(POLICY)


def test_pages_turn_off_htmx_eval_and_injected_styles(browser):
    page = browser.get("/").content.decode()
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false, "allowEval": false}'>""" in page
    css = (ROOT / "scheda/web/static/web/scheda.css").read_text()
    assert ".htmx-request .htmx-indicator" in css


def test_no_template_has_inline_script_handlers_or_styles():
    """What the policy would block, looked for in every template we serve."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)|\son[a-z]+=|\sstyle=|\shx-on|javascript:", re.I)
    found = [f"{path.relative_to(ROOT)}: {line.strip()}" for path in (ROOT / "scheda").rglob("templates/**/*.html")
             for line in path.read_text().splitlines() if inline.search(line)]
    assert found == []


def test_an_htmx_post_without_the_csrf_token_is_refused(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    page = client.get("/preferences/").content.decode()
    token = json.loads(re.search(r"<body hx-headers='([^']+)'", page).group(1))["X-CSRFToken"]
    data = {"first_name": "Olga", "last_name": "Owner", "language": ""}
    refused = client.post("/preferences/", data, HTTP_HX_REQUEST="true")
    assert refused.status_code == 403
    assert refused.content.decode().startswith('<p class="denied" role="alert">This form was sent without a valid security token')
    assert client.post("/preferences/", data, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token).status_code == 302
    # scheda.js's own requests (sections kept open or closed, their order) send the same header.
    script = (ROOT / "scheda/web/static/web/scheda.js").read_text()
    assert 'headers: { "X-CSRFToken": csrfToken() }' in script


def test_a_login_post_without_the_csrf_token_is_refused_with_our_page(owner):
    client = Client(enforce_csrf_checks=True)
    response = sign_in(client, "owner@example.com", PASSWORD)
    assert response.status_code == 403 and "<h1>The page expired</h1>" in response.content.decode()
    assert directives(response["Content-Security-Policy"]) == directives(POLICY)
    assert "_auth_user_id" not in client.session


def scheda_settings(**env: str) -> dict:
    """Settings as `scheda` starts with these environment variables (a fresh process)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDA_")}
    clean.update(SCHEDA_DATA_DIR=os.environ["SCHEDA_DATA_DIR"], DJANGO_SETTINGS_MODULE="scheda.settings", **env)
    names = ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
             "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SAMESITE", "SESSION_COOKIE_AGE", "EMAIL_BACKEND",
             "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "EMAIL_USE_SSL", "DEFAULT_FROM_EMAIL"]
    code = f"from django.conf import settings; import json; print(json.dumps({{n: getattr(settings, n, None) for n in {names!r}}}))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_plain_http_settings_by_default():
    values = scheda_settings()
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0 and values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax" and values["SESSION_COOKIE_AGE"] == 14 * 24 * 3600
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_https_settings():
    values = scheda_settings(SCHEDA_HTTPS="1", SCHEDA_TRUST_PROXY="1", SCHEDA_SESSION_DAYS="3")
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SESSION_COOKIE_AGE"] == 3 * 24 * 3600


def test_smtp_settings():
    values = scheda_settings(SCHEDA_EMAIL="smtp", SCHEDA_SMTP_HOST="mail.example.com", SCHEDA_SMTP_TLS="ssl",
                             SCHEDA_FROM_EMAIL="crm@example.com")
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"], values["EMAIL_USE_TLS"], values["EMAIL_USE_SSL"]) == (
        "mail.example.com", 465, False, True)
    assert values["DEFAULT_FROM_EMAIL"] == "crm@example.com"


@pytest.mark.parametrize("env, message", [
    ({"SCHEDA_HTTPS": "maybe"}, "scheda: SCHEDA_HTTPS=maybe is not a yes/no value: use 1 or 0"),
    ({"SCHEDA_SESSION_DAYS": "0"}, "scheda: SCHEDA_SESSION_DAYS=0 is not a positive whole number"),
    ({"SCHEDA_EMAIL": "pigeon"}, "scheda: SCHEDA_EMAIL=pigeon is not one of console, file, smtp"),
    ({"SCHEDA_EMAIL": "smtp"}, "scheda: SCHEDA_EMAIL=smtp needs SCHEDA_SMTP_HOST"),
])
def test_a_bad_setting_stops_start_up_with_one_line(env, message):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDA_")}
    clean.update(SCHEDA_DATA_DIR=os.environ["SCHEDA_DATA_DIR"], **env)
    result = subprocess.run([sys.executable, "-m", "scheda.cli", "check"], cwd=ROOT, env=clean, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.strip() == message


@override_settings(SECURE_SSL_REDIRECT=True, SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True, SECURE_HSTS_SECONDS=31536000)
def test_under_https_plain_requests_are_redirected_and_cookies_are_secure(client, owner):
    assert client.get("/login/")["Location"] == "https://testserver/login/"
    assert client.get("/login/", secure=True).cookies["csrftoken"]["secure"]
    response = sign_in(client, "owner@example.com", PASSWORD, secure=True)
    assert response.cookies["sessionid"]["secure"] and response.cookies["sessionid"]["httponly"]
    assert response.cookies["sessionid"]["samesite"] == "Lax"
    assert response["Strict-Transport-Security"] == "max-age=31536000"


def test_the_signed_in_user_comes_with_their_permission_set(client, owner, grant):
    """accounts.backends.Backend: a page reads the user and their set in one query; a session
    signed in by Django's own backend (before it) stays signed in."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = grant(owner)
    assert sign_in(client, user.email, PASSWORD).status_code == 302
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/contacts/").status_code == 200
    sets = [q["sql"] for q in queries.captured_queries if 'FROM "accounts_permissionset"' in q["sql"]]
    assert sets == [], sets
    assert any('"accounts_user"' in q["sql"] and "accounts_permissionset" in q["sql"] for q in queries.captured_queries)
    older = Client()
    older.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert older.get("/contacts/").status_code == 200
