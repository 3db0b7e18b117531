"""Settings of the Corner Shop demo store, a host project for livechat.

Everything a deployment changes comes from the environment:

- ``DJANGO_SECRET_KEY``, ``DJANGO_DEBUG`` ("1"/"0"), ``DJANGO_ALLOWED_HOSTS``
  (comma separated, added to the local names);
- ``DATABASE_URL``: ``postgres://user:pass@host:5432/name`` or
  ``sqlite:///relative.sqlite3`` / ``sqlite:////absolute/path.sqlite3``;
  SQLite ``db.sqlite3`` at the repository root when unset;
- ``REDIS_URL``: the Redis channel layer; the in-memory layer when unset;
- ``DJANGO_CACHE_URL``: a Redis cache (``redis://host:6379/1``), shared by
  every process (livechat's rate limits); local memory when unset;
  ``DJANGO_CACHE_PREFIX`` its key prefix ("shop").

``settings_production`` tightens this module for a real deployment.
"""

import json
import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

from livechat.csp import with_livechat_sources

BASE_DIR = Path(__file__).resolve().parent.parent

DEMO_SECRET_KEY = "django-insecure-corner-shop-demo-key-change-me"  # noqa: S105
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or DEMO_SECRET_KEY

DEBUG = os.environ.get("DJANGO_DEBUG", "1").lower() in {"1", "true", "yes", "on"}

ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"] + [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")
    if host.strip()
]

CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]

INSTALLED_APPS = [
    # First, so that runserver is daphne's ASGI server.
    "daphne",
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
    # django-csp: the Content-Security-Policy header (CONTENT_SECURITY_POLICY).
    "csp",
    "livechat",
    "example_shop.shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "livechat.middleware.LivechatVisitorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_shop.urls"

# Every page, the shop's and the admin's (with livechat's console), runs with
# no inline script, no eval and no inline style; the browser tests fail on any
# violation (docs/security-headers.md).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": with_livechat_sources(
        {
            "default-src": ["'self'"],
            "script-src": ["'self'"],
            "style-src": ["'self'"],
            "img-src": ["'self'"],
            "object-src": ["'none'"],
            "base-uri": ["'none'"],
            "form-action": ["'self'"],
            "frame-ancestors": ["'none'"],
        }
    )
}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                # {% livechat_widget %} reads the request from the context.
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "example_shop.shop.context_processors.cart",
            ],
        },
    },
]

ASGI_APPLICATION = "example_shop.asgi.application"


def database_from_url(url):
    """Return a Django DATABASES entry for a ``postgres://`` or ``sqlite://`` URL.

    A small stand-in for dj-database-url. SQLite follows its convention:
    ``sqlite:///name.sqlite3`` is relative to the repository root,
    ``sqlite:////abs/name.sqlite3`` is absolute and ``sqlite://`` is in memory.
    Query parameters of a PostgreSQL URL (``?sslmode=require``) become OPTIONS.
    """
    parts = urlparse(url)
    if parts.scheme == "sqlite":
        name = unquote(parts.path[1:]) if parts.path else ""
        if not name or name == ":memory:":
            name = ":memory:"
        elif not os.path.isabs(name):
            name = str(BASE_DIR / name)
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name}
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "postgres",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": unquote(parts.hostname or ""),
            "PORT": str(parts.port or ""),
            # Keep connections: opening one costs a few ms, and every chat
            # message is a database call. Health checks drop dead ones (a
            # restarted server) before use.
            "CONN_MAX_AGE": int(os.environ.get("DJANGO_CONN_MAX_AGE", 60)),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": dict(parse_qsl(parts.query)),
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parts.scheme!r} is not supported; "
        "use postgres:// or sqlite://."
    )


if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def redis_channel_layer(url):
    """The Redis channel layer livechat is measured and tested with."""
    return {
        # The pub/sub layer was chosen by measurement: see docs/channel-layers.md.
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": url,
                    # redis-py 7+ caps the asyncio pool at 100 connections by
                    # default and raises MaxConnectionsError under load.
                    "max_connections": int(
                        os.environ.get("LIVECHAT_REDIS_MAX_CONNECTIONS", 1000)
                    ),
                }
            ],
            # Pub/sub ignores Redis database numbers: give each deployment
            # sharing one Redis its own prefix.
            "prefix": os.environ.get("LIVECHAT_REDIS_PREFIX", "asgi"),
        },
    }


REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL)}
else:
    # One process only: fine for the demo, warned about (livechat.W001) with
    # DEBUG off.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

if os.environ.get("DJANGO_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["DJANGO_CACHE_URL"],
            # Sites sharing one Redis database need prefixes of their own.
            "KEY_PREFIX": os.environ.get("DJANGO_CACHE_PREFIX", "shop"),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("ru", "Русский"),
    ("zh-hans", "简体中文"),
]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Where collectstatic gathers files for a real web server.
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
# Chat attachments live outside MEDIA_ROOT: only livechat's download view,
# which checks who asks, ever serves them.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "livechat": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": os.environ.get(
                "LIVECHAT_PRIVATE_ROOT", str(BASE_DIR / "private" / "livechat")
            ),
            "base_url": None,
        },
    },
}
LIVECHAT_ATTACHMENT_STORAGE = "livechat"

# Messages live with the cart in the session rather than in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LIVECHAT_ADAPTER = "example_shop.shop.livechat_adapter.ShopLivechatAdapter"
LIVECHAT_WIDGET_TITLE = gettext_lazy("Corner Shop support")
# The demo shows a proactive invitation on the checkout (rule in seed_demo);
# livechat's own default is off.
LIVECHAT_INVITATIONS_ENABLED = True
LIVECHAT_NOTIFY_EMAILS = ["support@corner-shop.example"]
# Emails (offline messages, transcripts) are printed by the demo, not sent.
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
if os.environ.get("DJANGO_EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = os.environ["DJANGO_EMAIL_FILE_PATH"]

# Timing and routing knobs, from the environment so the demo and the tests can
# change them without code (all optional; livechat's defaults otherwise).
for _name, _cast in (
    ("LIVECHAT_AGENT_GRACE_SECONDS", float),
    ("LIVECHAT_AGENT_HEARTBEAT_TIMEOUT", float),
    ("LIVECHAT_NO_REPLY_TIMEOUT", float),
    ("LIVECHAT_STATUS_POLL_SECONDS", float),
    ("LIVECHAT_MISSED_AFTER_SECONDS", int),
    ("LIVECHAT_AUTO_CLOSE_AFTER_SECONDS", int),
    ("LIVECHAT_AGENT_IDLE_AWAY_SECONDS", int),
    ("LIVECHAT_MAX_CONCURRENT_CHATS", int),
    ("LIVECHAT_ROUTING", str),
    ("LIVECHAT_LONG_WAIT_SECONDS", int),
    ("LIVECHAT_RATE_LIMITS", json.loads),
    ("LIVECHAT_MAX_SOCKETS_PER_IP", int),
    ("LIVECHAT_MAX_SOCKETS_PER_VISITOR", int),
    ("LIVECHAT_MAX_SENT_FRAME_BYTES", int),
    ("LIVECHAT_WEBHOOK_ALLOW_PRIVATE_TARGETS", lambda v: v.lower() in {"1", "true"}),
    ("LIVECHAT_WEBHOOK_RETRY_DELAY", float),
    ("LIVECHAT_WEBHOOK_POLL_INTERVAL", float),
):
    if os.environ.get(_name):
        globals()[_name] = _cast(os.environ[_name])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "loggers": {
        "livechat": {
            "handlers": ["console"],
            "level": os.environ.get("LIVECHAT_LOG_LEVEL", "WARNING"),
            "propagate": False,
        },
    },
}
