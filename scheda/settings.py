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
    "django.middleware.security.SecurityMiddleware",
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

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("it", _("Italian"))]
LOCALE_PATHS = [os.path.join(os.path.dirname(__file__), "locale")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "files"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SCHEDA_LOG_LEVEL", "WARNING")},
}

# Requests per token per 10 seconds; 0 (the default) is no limit.
SCHEDA_API_RATE_LIMIT = int(os.environ.get("SCHEDA_API_RATE_LIMIT", "0") or 0)
# Batch calls carry up to 100 records of up to 64 KiB text values.
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Records stay in the recycle bin this many days before they can no longer be restored.
SCHEDA_RECYCLE_BIN_DAYS = 90

# The largest file a record's Attachments card takes.
SCHEDA_MAX_ATTACHMENT_BYTES = int(os.environ.get("SCHEDA_MAX_ATTACHMENT_BYTES", str(20 * 1024 * 1024)))
