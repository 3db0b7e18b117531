"""Settings for livechat's own test suite; never imports example_shop.

Runs on the real PostgreSQL when it is reachable (DATABASE_URL, or the local
server on 127.0.0.1:5432); otherwise on SQLite, loudly, and never in CI.
"""

import os
from urllib.parse import unquote, urlparse

from tests.services_env import database_url

SECRET_KEY = "livechat-tests-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    # The REST API's documentation page: Swagger UI's static files.
    "drf_spectacular_sidecar",
    "livechat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "livechat.middleware.LivechatVisitorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"

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
            ]
        },
    }
]


def _database_from_url(url):
    parts = urlparse(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "test",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        # One test database per run: two runs on one server never drop each
        # other's database (pytest-django drops it at the end).
        "TEST": {"NAME": f"test_livechat_{os.getpid()}"},
    }


_DATABASE_URL = database_url()
if _DATABASE_URL:
    DATABASES = {"default": _database_from_url(_DATABASE_URL)}
else:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    }

# The reports may read from a replica (LIVECHAT_REPORTS_DATABASE): in tests
# the alias "reports" is the default database under another name.
DATABASES["reports"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}

CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
ASGI_APPLICATION = "tests.asgi.application"

STATIC_URL = "/static/"
MEDIA_URL = "/media/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish"),
    ("ru", "Russian"),
    ("zh-hans", "Simplified Chinese"),
]
