"""Rate limits per visitor and per IP, in Django's cache (fixed windows).

With a shared cache (Redis, Memcached) limits hold across processes; with the
default local-memory cache each process counts on its own.
"""

import time

from django.core.cache import cache
from django.utils.translation import gettext as _

from .conf import app_settings


class RateLimited(Exception):
    """Too many requests; ``retry_after`` seconds until the window resets."""

    def __init__(self, action, retry_after):
        super().__init__(action)
        self.action = action
        self.retry_after = retry_after
        self.message = _("You are sending too fast. Please wait %(s)d seconds.") % {
            "s": retry_after
        }


def _parse(rate):
    count, _slash, seconds = str(rate).partition("/")
    return int(count), int(seconds or 60)


def _windows(action, keys):
    """``(cache key, allowed count, window, seconds left)`` per limited key."""
    limits = app_settings.RATE_LIMITS
    now = time.time()
    for kind, key in zip(("", "_ip"), keys, strict=False):
        rate = limits.get(action + kind)
        if key is None or not rate:
            continue
        count, window = _parse(rate)
        slot = int(now // window)
        cache_key = f"livechat:rl:{action}{kind}:{key}:{slot}"
        yield cache_key, count, window, int(window - now % window) + 1


def _count(cache_key, window):
    cache.add(cache_key, 0, window + 1)
    try:
        return cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.set(cache_key, 1, window + 1)
        return 1


def hit(action, *keys):
    """Count one ``action`` for each key (visitor id, IP...); raise past a limit.

    Keys that are None are skipped. Limits come from LIVECHAT_RATE_LIMITS:
    ``{"message": "30/60", ...}`` per visitor and ``"message_ip"`` per IP.
    """
    for cache_key, count, window, left in _windows(action, keys):
        if _count(cache_key, window) > count:
            raise RateLimited(action, left)


def check(action, *keys):
    """Raise if one more ``action`` would pass a limit; count nothing.

    With ``count`` once the action is done: ``hit`` in two steps, for work
    that cannot be undone after it (one autocommitted statement).
    """
    for cache_key, count, _window, left in _windows(action, keys):
        if (cache.get(cache_key) or 0) >= count:
            raise RateLimited(action, left)


def count(action, *keys):
    """Count one ``action`` done (after ``check``); never raises."""
    for cache_key, _count_allowed, window, _left in _windows(action, keys):
        _count(cache_key, window)


def client_ip(scope_or_meta):
    """The client's IP from an ASGI scope or request.META.

    Behind a proxy set LIVECHAT_TRUSTED_PROXY_HEADER (e.g. "x-forwarded-for");
    the first address in it is used. Anonymised if LIVECHAT_ANONYMIZE_IP.
    """
    header = app_settings.TRUSTED_PROXY_HEADER
    ip = None
    if isinstance(scope_or_meta, dict) and "type" in scope_or_meta:
        if header:
            headers = dict(scope_or_meta.get("headers") or [])
            raw = headers.get(header.lower().encode("latin-1"), b"").decode("latin-1")
            ip = raw.split(",")[0].strip() or None
        if ip is None and scope_or_meta.get("client"):
            ip = scope_or_meta["client"][0]
    else:
        if header:
            meta_key = "HTTP_" + header.upper().replace("-", "_")
            ip = (scope_or_meta.get(meta_key) or "").split(",")[0].strip() or None
        ip = ip or scope_or_meta.get("REMOTE_ADDR")
    return ip
