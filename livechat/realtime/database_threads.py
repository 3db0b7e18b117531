"""The threads that run the consumers' database calls.

``LIVECHAT_DATABASE_THREADS`` threads, each with its own connection, so a
slow query of one socket does not queue every other socket's behind it (as
Channels' single database thread would). SQLite keeps one thread.
"""

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

from channels.db import database_sync_to_async
from django.db import close_old_connections, connection, connections

from ..conf import app_settings

_lock = threading.Lock()
_pool = None  # (executor, number of threads), made on first use


def _executor():
    """The pool's executor (None: Channels' own database thread)."""
    global _pool
    threads = app_settings.DATABASE_THREADS
    if threads <= 1 or connection.vendor == "sqlite":
        # SQLite takes one writer at a time: one thread avoids lock errors.
        return None
    with _lock:
        if _pool is None:
            executor = ThreadPoolExecutor(threads, thread_name_prefix="livechat-db")
            _pool = (executor, threads)
        return _pool[0]


def on_database_thread(func):
    """``func`` run by an awaitable on the database threads, connections kept fresh.

    Channels closes stale connections around the call too, but outside the
    context the call runs in, where a pool thread's connection may live.
    """

    def fresh(*args, **kwargs):
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    executor = _executor()
    if executor is None:
        return database_sync_to_async(fresh)
    return database_sync_to_async(fresh, thread_sensitive=False, executor=executor)


def shutdown_database_threads():
    """Wait for the database threads' calls, close their connections, end them.

    A call whose awaiting consumer was cancelled still runs to its end on its
    thread. For a clean shutdown, and for tests before they drop the tables.
    """
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is None:
        return
    executor, threads = pool
    barrier = threading.Barrier(threads)

    def close_connections():
        # Each thread holds here until all are in: every thread closes its own.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)
        connections.close_all()

    for _ in range(threads):
        executor.submit(close_connections)
    executor.shutdown(wait=True)
