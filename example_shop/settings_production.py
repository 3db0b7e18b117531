"""Production settings: the demo settings with DEBUG off and HTTPS enforced.

Requires ``DJANGO_SECRET_KEY``; uses Redis for the channel layer (``REDIS_URL``,
default ``redis://127.0.0.1:6379/0``) because the in-memory layer only works
within one process, and for the cache (``DJANGO_CACHE_URL``, default
``redis://127.0.0.1:6379/1``) so that every process counts the same rate
limits. Set ``DJANGO_SECURE_PROXY_SSL_HEADER=1`` behind a proxy that sets
``X-Forwarded-Proto`` (and overwrites ``X-Forwarded-For``).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .settings import *  # noqa: F403
from .settings import (
    CONTENT_SECURITY_POLICY,
    DEMO_SECRET_KEY,
    SECRET_KEY,
    redis_channel_layer,
)

if SECRET_KEY == DEMO_SECRET_KEY:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY to a long random value.")

DEBUG = False

CHANNEL_LAYERS = {
    "default": redis_channel_layer(
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
}

SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "1") == "1"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 60 * 60 * 24 * 365))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The demo's Content-Security-Policy (settings.py), over HTTPS only: a URL a
# page still gives as http:// (a MEDIA_URL on another host) is fetched as https.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],
        "upgrade-insecure-requests": True,
    }
}

if os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The proxy (docs/deployment.md's nginx) overwrites X-Forwarded-For.
    LIVECHAT_TRUSTED_PROXY_HEADER = os.environ.get(
        "LIVECHAT_TRUSTED_PROXY_HEADER", "x-forwarded-for"
    )

# Rate limits, the housekeeping lock and cached answers shared by every process.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("DJANGO_CACHE_URL", "redis://127.0.0.1:6379/1"),
        "KEY_PREFIX": os.environ.get("DJANGO_CACHE_PREFIX", "shop"),
    }
}

# Real email for offline-message notifications and transcripts.
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
