"""One cache backend object per process for livechat's own keys.

Django's ``caches[alias]`` (and ``django.core.cache.cache``) is local to the
async context: under ASGI every WebSocket's task gets a backend object of its
own, and Django's Redis backend gives each object its own connection pool. A
consumer touching the cache would hold a Redis connection, and its memory,
per open socket. livechat's keys (rate limits, the availability answer, the
widget's face, the housekeeping lock) go through ``cache`` here instead: one
backend object per process, built from the ``default`` alias's settings.
Django's backends are safe to share between threads.
"""

import threading

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.signals import setting_changed

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
    """``cache.get(...)`` etc. on the process's shared backend object."""

    def __getattr__(self, name):
        return getattr(shared(), name)


cache = _SharedCache()


def _forget(*, setting, **kwargs):
    global _shared
    if setting == "CACHES":
        with _lock:
            _shared = None


setting_changed.connect(_forget)
