"""One cache backend object per process for livechat's own keys.

Django's ``caches[alias]`` (and ``django.core.cache.cache``) is local to the
async context: under ASGI every WebSocket's task gets a backend object of its
own, and Django's Redis backend gives each object its own connection pool. A
consumer touching the cache would hold a Redis connection, and its memory,
per open socket. livechat's keys (rate limits, the availability answer, the
widget's face, the housekeeping lock) go through ``cache`` here instead: one
backend object per process, built from the ``default`` alias's settings.
Django's backends are safe to share between threads. A cache that cannot
be reached is treated as empty (``_SharedCache``).
"""

import logging
import threading
import time

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.signals import setting_changed

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_shared = None


def shared():
    """This process's backend object for the default cache alias."""
    global _shared
    backend = _shared
    if backend is None:
        with _lock:
            if _shared is None:
                _shared = caches.create_connection(DEFAULT_CACHE_ALIAS)
            backend = _shared
    return backend


class _SharedCache:
    """The shared backend, tolerant of a cache that cannot be reached.

    The cache only ever holds what livechat can do without: a cache server
    that is down (or a Redis restart) is logged and treated as empty. Rate
    limits let traffic through, cached answers are computed afresh, the
    housekeeping lock is not taken; no message, page or socket fails
    because of it. Errors of livechat's own use (``incr`` of a missing key)
    still raise.
    """

    def get(self, key, default=None):
        try:
            return shared().get(key, default)
        except Exception:
            unavailable("get")
            return default

    def set(self, key, value, timeout=DEFAULT_TIMEOUT):
        try:
            shared().set(key, value, timeout)
        except Exception:
            unavailable("set")

    def add(self, key, value, timeout=DEFAULT_TIMEOUT):
        try:
            return shared().add(key, value, timeout)
        except Exception:
            unavailable("add")
            return False

    def incr(self, key, delta=1):
        try:
            return shared().incr(key, delta)
        except ValueError:  # no such key: the caller's business
            raise
        except Exception:
            unavailable("incr")
            return 0

    def delete(self, key):
        try:
            return shared().delete(key)
        except Exception:
            unavailable("delete")
            return False

    def clear(self):
        shared().clear()


_last_warning = [0.0]


def unavailable(operation):
    """Log that the cache failed, at most once every 10 s per process."""
    now = time.monotonic()
    if now - _last_warning[0] >= 10:
        _last_warning[0] = now
        logger.warning(
            "livechat: cache %s failed; going on without the cache",
            operation,
            exc_info=True,
        )


cache = _SharedCache()


def _forget(*, setting, **kwargs):
    global _shared
    if setting == "CACHES":
        with _lock:
            _shared = None


setting_changed.connect(_forget)
