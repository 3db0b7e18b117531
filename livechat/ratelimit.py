"""Rate limits per visitor and per IP, in Django's cache (fixed windows).

With a shared cache (Redis, Memcached) limits hold across processes; with the
default local-memory cache each process counts on its own.

A cache that cannot be reached counts nothing and limits nothing (logged):
rate limits protect the chat, they must not stop it during a cache outage.

``acheck`` and ``acount`` are for the event loop (the consumers' fast path):
Django's cache API blocks, and a blocking round trip to a cache server there
would stall every socket of the process. With Django's Redis cache they use
an asyncio Redis client on the same keys (one round trip each); the local
memory cache needs no I/O; any other backend runs in a worker thread.
"""

import asyncio
import time
import weakref

from asgiref.sync import sync_to_async
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache  # imports redis lazily
from django.utils.translation import gettext as _

from .caching import cache, shared, unavailable
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


# On the event loop ------------------------------------------------------------

_redis_clients = weakref.WeakKeyDictionary()  # event loop -> (client, server)


async def acheck(action, *keys):
    """``check`` for the event loop; raises ``RateLimited`` the same way."""
    windows = list(_windows(action, keys))
    if not windows:
        return
    backend = shared()
    client = _async_redis(backend)
    if client is None:
        if _is_local_memory(backend):
            return check(action, *keys)
        return await sync_to_async(check, thread_sensitive=False)(action, *keys)
    names = [backend.make_and_validate_key(key) for key, *_rest in windows]
    try:
        values = await client.mget(names)
    except Exception:
        # As the synchronous path (caching): no cache, no limit.
        unavailable("mget")
        return
    for value, (_key, count, _window, left) in zip(values, windows, strict=True):
        if _as_int(value) >= count:
            raise RateLimited(action, left)


async def acount(action, *keys):
    """``count`` for the event loop; never raises (a failure is logged)."""
    windows = list(_windows(action, keys))
    if not windows:
        return
    backend = shared()
    try:
        client = _async_redis(backend)
        if client is None:
            if _is_local_memory(backend):
                return count(action, *keys)
            return await sync_to_async(count, thread_sensitive=False)(action, *keys)
        pipe = client.pipeline(transaction=False)
        for key, _count_allowed, window, _left in windows:
            name = backend.make_and_validate_key(key)
            # What the cache's add() then incr() do, in one round trip.
            pipe.set(name, 0, ex=window + 1, nx=True)
            pipe.incr(name)
        await pipe.execute()
    except Exception:
        unavailable("rate limit count")


def _as_int(value):
    try:
        return int(value or 0)
    except ValueError:  # not a counter written by this module
        return 0


def _is_local_memory(backend):
    return isinstance(backend, LocMemCache)


def _async_redis(backend):
    """This event loop's asyncio client for Django's Redis cache, else None."""
    if not isinstance(backend, RedisCache):
        return None
    server = backend._servers[0]  # where the cache writes (its primary)
    loop = asyncio.get_running_loop()
    known = _redis_clients.get(loop)
    if known is None or known[1] != server:
        import redis.asyncio

        # The cache's connection options (password, db, timeouts, TLS), less
        # those naming synchronous classes.
        options = {
            key: value
            for key, value in (backend._options or {}).items()
            if key not in {"pool_class", "parser_class", "serializer"}
        }
        # A Redis that hangs must not hold a message for long.
        options.setdefault("socket_connect_timeout", 2)
        options.setdefault("socket_timeout", 2)
        client = redis.asyncio.Redis.from_url(server, **options)
        known = _redis_clients[loop] = (client, server)
    return known[0]


async def close_connections():
    """Close this event loop's Redis client (a clean shutdown; tests)."""
    known = _redis_clients.pop(asyncio.get_running_loop(), None)
    if known is not None:
        await known[0].aclose()


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
