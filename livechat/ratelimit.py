"""Rate limits per visitor and per IP, in Django's cache (fixed windows).

With a shared cache (Redis, Memcached) limits hold across processes; with the
default local-memory cache each process counts on its own.

A cache that cannot be reached counts nothing and limits nothing (logged):
rate limits protect the chat, they must not stop it during a cache outage.

``atake`` and ``arefund`` are for the event loop (the consumers' fast path):
Django's cache API blocks, and a blocking round trip to a cache server there
would stall every socket of the process. With Django's Redis cache they use
an asyncio Redis client on the same keys: one script checks and counts every
window in one round trip, atomically; the local memory cache needs no I/O;
any other backend runs in a worker thread.
"""

import asyncio
import contextlib
import re
import time
import weakref

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache  # imports redis lazily
from django.utils.translation import gettext as _

from .conf import app_settings
from .shared_cache import cache, shared, unavailable


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


# On the event loop ------------------------------------------------------------

_redis_clients = weakref.WeakKeyDictionary()  # event loop -> _Client

# Check every window and count one in each, or count nothing: one round trip,
# and no two sockets can both take the last one left. KEYS: the windows;
# ARGV: their allowed counts, then their lifetimes. Returns the 1-based
# window at its limit, or 0 (counted). What add() then incr() of Django's
# Redis cache would store: plain integers that expire with the window.
_TAKE = """
local n = #KEYS
for i = 1, n do
  local v = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
  if v >= tonumber(ARGV[i]) then return i end
end
for i = 1, n do
  redis.call('SET', KEYS[i], 0, 'EX', ARGV[n + i], 'NX')
  redis.call('INCR', KEYS[i])
end
return 0
"""
# Give back what _TAKE counted (windows that expired meanwhile stay gone).
_REFUND = """
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('DECR', KEYS[i]) end
end
return 0
"""


class Taken:
    """One ``action`` counted by ``atake``: ``arefund`` it if not done after all."""

    def __init__(self, names, client=None):
        self.names = names  # Redis key names, or the cache's keys
        self.client = client


def take(action, *keys):
    """Raise ``RateLimited`` if one more ``action`` would pass a limit (and
    count nothing), else count it: for work that cannot be undone once done
    (one autocommitted statement), where ``hit`` would count an attempt.

    Returns a ``Taken`` for ``refund`` if the work is not done after all.
    (Atomic on Redis only, with ``atake``; elsewhere two processes may both
    take the last one left.)
    """
    return _take(action, list(_windows(action, keys)))


def _take(action, windows):
    for cache_key, allowed, _window, left in windows:
        if (cache.get(cache_key) or 0) >= allowed:
            raise RateLimited(action, left)
    for cache_key, _allowed, window, _left in windows:
        _count(cache_key, window)
    return Taken([cache_key for cache_key, *_rest in windows])


def refund(taken):
    """Give back what ``take`` counted; never raises."""
    for cache_key in taken.names:
        # A window that is over has nothing to give back.
        with contextlib.suppress(ValueError):
            cache.incr(cache_key, -1)


async def atake(action, *keys):
    """``take`` for the event loop: one round trip with Django's Redis cache.

    Raises ``RateLimited`` (counting nothing) if one more ``action`` would
    pass a limit. A cache that cannot be reached limits nothing (as the
    synchronous path, ``shared_cache``).
    """
    windows = list(_windows(action, keys))
    if not windows:
        return Taken([])
    backend = shared()
    client = _async_redis(backend)
    if client is None:
        if _is_local_memory(backend):
            return _take(action, windows)
        return await sync_to_async(_take, thread_sensitive=False)(action, windows)
    names = [backend.make_and_validate_key(key) for key, *_rest in windows]
    limits = [allowed for _key, allowed, _window, _left in windows]
    lifetimes = [window + 1 for _key, _allowed, window, _left in windows]
    try:
        refused = await client.take(keys=names, args=limits + lifetimes)
    except Exception:
        unavailable("rate limit")
        return Taken([])
    if refused:
        raise RateLimited(action, windows[int(refused) - 1][3])
    return Taken(names, client)


async def arefund(taken):
    """``refund`` for the event loop; never raises (a failure is logged)."""
    if not taken.names:
        return
    try:
        if taken.client is None:
            if _is_local_memory(shared()):
                return refund(taken)
            return await sync_to_async(refund, thread_sensitive=False)(taken)
        await taken.client.refund(keys=taken.names)
    except Exception:
        unavailable("rate limit refund")


def _is_local_memory(backend):
    return isinstance(backend, LocMemCache)


class _Client:
    """An event loop's asyncio Redis client and livechat's scripts on it."""

    def __init__(self, server, options):
        import redis.asyncio

        self.server = server
        self.redis = redis.asyncio.Redis.from_url(server, **options)
        # EVALSHA, loading the script again after a Redis restart.
        self.take = self.redis.register_script(_TAKE)
        self.refund = self.redis.register_script(_REFUND)


def _async_redis(backend):
    """This event loop's ``_Client`` for Django's Redis cache, else None."""
    if not isinstance(backend, RedisCache):
        return None
    server, options = _redis_config(settings.CACHES[DEFAULT_CACHE_ALIAS])
    loop = asyncio.get_running_loop()
    client = _redis_clients.get(loop)
    if client is None or client.server != server:
        options = dict(options)
        # A Redis that hangs must not hold a message for long.
        options.setdefault("socket_connect_timeout", 2)
        options.setdefault("socket_timeout", 2)
        client = _redis_clients[loop] = _Client(server, options)
    return client


_parsed_config = (None, None, None)  # (the cache's settings, server, options)


def _redis_config(config):
    """The cache's primary server and its connection options, from its settings.

    Read as Django's RedisCache reads them (its first server is where it
    writes); parsed once per settings object, not on every message.
    """
    global _parsed_config
    if _parsed_config[0] is not config:
        location = config.get("LOCATION", "")
        servers = re.split("[;,]", location) if isinstance(location, str) else location
        # Password, db, timeouts, TLS; not the options naming synchronous classes.
        options = {
            key: value
            for key, value in (config.get("OPTIONS") or {}).items()
            if key not in {"pool_class", "parser_class", "serializer"}
        }
        _parsed_config = (config, servers[0], options)
    return _parsed_config[1], _parsed_config[2]


async def close_connections():
    """Close this event loop's Redis client (a clean shutdown; tests)."""
    client = _redis_clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.redis.aclose()


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
