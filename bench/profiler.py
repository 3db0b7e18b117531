"""cProfile inside a daphne process, between two signals (patched_asgi ``profile``).

SIGUSR1 starts two profilers: one on the main thread (the event loop: Twisted,
autobahn, Channels, the consumers' async code) and one around every
``database_sync_to_async`` call on the database thread (the ORM, livechat's
services, the ``on_commit`` publishes). SIGUSR2 stops them and writes a report
to ``BENCH_PROFILE_OUT`` (``{pid}`` is replaced): CPU time per package, then the
functions with the most own time and the most cumulative time. cProfile slows
the process down, so profile at a rate it keeps up with; the shares are what
matter, not the totals.
"""

import cProfile
import io
import os
import pstats
import signal
import threading
from collections import Counter

# Package of a function, from its file path (first match wins).
_PACKAGES = (
    ("/livechat/", "livechat"),
    ("/example_shop/", "example_shop"),
    ("/django/db/", "django ORM"),
    ("/django/", "django (other)"),
    ("/channels_redis/", "channels_redis"),
    ("/channels/", "channels"),
    ("/daphne/", "daphne"),
    ("/autobahn/", "autobahn (WebSocket)"),
    ("/twisted/", "twisted"),
    ("/asgiref/", "asgiref (sync/async hops)"),
    ("/redis/", "redis-py"),
    ("/psycopg/", "psycopg"),
    ("/msgpack/", "msgpack"),
    ("/json/", "json"),
    ("/asyncio/", "asyncio"),
    ("/bench/", "bench (profiling)"),
)


def _package(filename, function):
    if filename == "~":  # C functions: name them
        if "json" in function or "encode" in function:
            return "json (C)"
        if "msgpack" in function or "unpack" in function or "pack" in function:
            return "msgpack (C)"
        if "select" in function or "epoll" in function or "poll" in function:
            return "waiting in select/epoll (C)"
        if "send" in function or "recv" in function or "write" in function:
            return "socket I/O (C)"
        if "psycopg" in function or "pq" in function:
            return "psycopg (C)"
        return "other C functions"
    for marker, name in _PACKAGES:
        if marker in filename:
            return name
    return "other Python"


class Profiles:
    def __init__(self, path):
        self.path = path
        self.active = False
        self.main = None
        self.database = None
        self.lock = threading.Lock()

    def start(self, signum=None, frame=None):
        self.main = cProfile.Profile()
        self.database = cProfile.Profile()
        self.active = True
        self.main.enable()

    def stop(self, signum=None, frame=None):
        self.active = False
        if self.main is None:
            return
        self.main.disable()
        parts = [
            self._section("main thread (event loop)", self.main),
            self._section(
                "database thread (database_sync_to_async calls)", self.database
            ),
        ]
        with open(self.path.format(pid=os.getpid()), "w") as out:
            out.write("\n\n".join(parts) + "\n")

    def _section(self, title, profile):
        try:
            stats = pstats.Stats(profile)
        except TypeError:  # nothing recorded
            return f"== {title}: nothing recorded"
        by_package = Counter()
        total = 0.0
        for (filename, _line, function), row in stats.stats.items():
            own = row[2]
            total += own
            by_package[_package(filename, function)] += own
        lines = [f"== {title}: {total:.2f} s of own time recorded"]
        lines.append("  own time by package:")
        for name, own in by_package.most_common():
            lines.append(
                f"    {100 * own / max(total, 1e-9):5.1f}%  {own:7.3f} s  {name}"
            )
        for key, heading in (("tottime", "own time"), ("cumulative", "cumulative")):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(key).print_stats(30)
            body = out.getvalue().split("\n", 6)[-1]
            lines.append(f"  top functions by {heading}:")
            lines.extend("    " + line for line in body.splitlines() if line.strip())
        return "\n".join(lines)


def install(path):
    """Signals on the main thread; the database thread wrapped by Channels' class."""
    from channels.db import DatabaseSyncToAsync

    profiles = Profiles(path)
    original = DatabaseSyncToAsync.thread_handler

    def thread_handler(self, loop, *args, **kwargs):
        profile = profiles.database if profiles.active else None
        if profile is None:
            return original(self, loop, *args, **kwargs)
        with profiles.lock:  # one profiler, possibly several pool threads
            profile.enable()
            try:
                return original(self, loop, *args, **kwargs)
            finally:
                profile.disable()

    DatabaseSyncToAsync.thread_handler = thread_handler
    signal.signal(signal.SIGUSR1, profiles.start)
    signal.signal(signal.SIGUSR2, profiles.stop)
    return profiles
