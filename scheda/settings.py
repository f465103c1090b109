"""Django settings. Everything a deployment changes comes from SCHEDA_* environment variables
(see scheda/config.py); a bad value stops start-up with one line."""

from __future__ import annotations

import os

from django.utils.translation import gettext_lazy as _

from scheda import config

DATA_DIR = config.data_dir()
SECRET_KEY = config.secret_key(DATA_DIR)
DEBUG = os.environ.get("SCHEDA_DEBUG", "") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("SCHEDA_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    # ninja's own copy of Swagger UI for /api/docs: no CDN, and no inline script under our CSP.
    "ninja",
    "template_partials",
    "scheda.accounts",
    "scheda.objects",
    "scheda.records",
    "scheda.associations",
    "scheda.pipelines",
    "scheda.activities",
    "scheda.layouts",
    "scheda.savedviews",
    "scheda.api",
    "scheda.web",
    "scheda.demo",
]

MIDDLEWARE = [
    # The request id first, so that every log line of the request carries it; /health/ next,
    # before the HTTPS redirect, the host check and sessions (scheda.operations.health).
    "scheda.operations.middleware.RequestId",
    "scheda.operations.health.Health",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "scheda.api.middleware.ApiMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "scheda.objects.services.SchemaPerRequest",
    "scheda.web.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After the session and htmx (it renders a page) and before any view reads the body: its
    # __call__ runs before every process_view, CsrfViewMiddleware's reading of request.POST too.
    "scheda.web.limits.NulInUrl",
    "scheda.web.limits.BodyLimit",
    "scheda.web.middleware.ForbiddenPage",
]

ROOT_URLCONF = "scheda.urls"
WSGI_APPLICATION = "scheda.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "scheda.activities.views.unread_count",
            ],
        },
    },
]

DATABASES = {"default": config.database(DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Ours first (it signs users in); Django's own keeps the sessions it signed in valid.
AUTHENTICATION_BACKENDS = ["scheda.accounts.backends.Backend", "django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Failed sign-ins (AuditEvent "sign_in_failed") that close the sign-in form for the rest of the
# window: per e-mail address, and per client address (scheda.accounts.services.sign_in_wait).
SCHEDA_SIGN_IN_WINDOW_MINUTES = 15
SCHEDA_SIGN_IN_FAILURES_PER_EMAIL = 5
SCHEDA_SIGN_IN_FAILURES_PER_IP = 20
# Reset e-mails one address may be sent within that window.
SCHEDA_PASSWORD_RESETS_PER_EMAIL = 3
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link works for one day

# E-mail (password resets): SCHEDA_EMAIL=console|file|smtp and SCHEDA_SMTP_*.
globals().update(config.email(DATA_DIR))

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("it", _("Italian"))]
LOCALE_PATHS = [os.path.join(os.path.dirname(__file__), "locale")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # `scheda serve` collects into it; WhiteNoise warns of a missing one
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "files"
STORAGES = {
    "default": {"BACKEND": "scheda.files.DurableFileStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = config.positive_int("SCHEDA_SESSION_DAYS", 14) * 24 * 60 * 60
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send X-CSRFToken
CSRF_FAILURE_VIEW = "scheda.accounts.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"

# Behind a reverse proxy (SCHEDA_TRUST_PROXY=1) the client's address is the last one in
# X-Forwarded-For and the scheme comes from X-Forwarded-Proto; otherwise both headers are ignored.
SCHEDA_TRUST_PROXY = config.flag("SCHEDA_TRUST_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SCHEDA_TRUST_PROXY else None
# SCHEDA_HTTPS=1: cookies only over HTTPS, every http:// request redirected, and browsers told
# to use HTTPS for a year (HSTS).
SCHEDA_HTTPS = config.flag("SCHEDA_HTTPS")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = SCHEDA_HTTPS
SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60 if SCHEDA_HTTPS else 0

# Content-Security-Policy (django-csp): scripts, styles and images only from Scheda itself, so
# injected markup can neither run script nor restyle the page. No inline script, no style=
# attribute, no eval (htmx's eval features are off: base.html's htmx-config). The Django admin
# works under the same policy (its scripts are files), so nothing is exempt.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# Logs go to stderr, as text or (SCHEDA_LOG_FORMAT=json) one JSON object per line, each with the
# request id; "scheda.request" writes one INFO line per request (SCHEDA_LOG_LEVEL=WARNING hides them).
SCHEDA_LOG_FORMAT = config.choice("SCHEDA_LOG_FORMAT", ("text", "json"), "text")
SCHEDA_LOG_LEVEL = config.choice("SCHEDA_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "scheda.operations.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"()": "scheda.operations.logs.TextFormatter"},
        "json": {"()": "scheda.operations.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": SCHEDA_LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": SCHEDA_LOG_LEVEL},
}

# Requests per token per 10 seconds; 0 (the default) is no limit.
SCHEDA_API_RATE_LIMIT = int(os.environ.get("SCHEDA_API_RATE_LIMIT", "0") or 0)
# Batch calls carry up to 100 records of up to 64 KiB text values.
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Records stay in the recycle bin this many days before they can no longer be restored.
SCHEDA_RECYCLE_BIN_DAYS = 90
# A change of a type's searchable properties rewrites its records' search text in the same
# request up to this many records; above, `scheda reindex` does (DECISIONS.md 25).
SCHEDA_REWRITE_TEXT_IN_REQUEST = int(os.environ.get("SCHEDA_REWRITE_TEXT_IN_REQUEST", "20000") or 0)

# Uploads are counted while they stream in and dropped past their form's limit (scheda.web.limits).
FILE_UPLOAD_HANDLERS = [
    "scheda.web.limits.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# The largest file a record's Attachments card takes.
SCHEDA_MAX_ATTACHMENT_BYTES = int(os.environ.get("SCHEDA_MAX_ATTACHMENT_BYTES", str(20 * 1024 * 1024)))
