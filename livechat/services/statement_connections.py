"""The statement route's connections: psycopg's asyncio ones, on the event loop.

``messages`` stores a message in a quiet chat with one autocommitted
statement over these connections, with no hop to a database thread. A few
per event loop (``LIVECHAT_DATABASE_THREADS``), opened when first needed,
told apart in ``pg_stat_activity`` by their application name.
"""

import asyncio
import contextlib
import logging
import weakref

from django.conf import settings
from django.db import DatabaseError, OperationalError

from ..conf import app_settings
from .lookups import messages_database

logger = logging.getLogger(__name__)

try:
    import psycopg
    from psycopg import errors as pg_errors
except ImportError:  # pragma: no cover - no PostgreSQL driver
    psycopg = None

APPLICATION_NAME = "livechat fast path"
_pools = weakref.WeakKeyDictionary()  # event loop -> _Pool


def enabled():
    """Is the statement route on here (PostgreSQL with psycopg 3, and the setting)?"""
    if not app_settings.FAST_MESSAGES or psycopg is None:
        return False
    return messages_database().vendor == "postgresql"


class Duplicate(Exception):
    """The statement hit a unique constraint: a retry of a stored message."""


async def fetch_one(sql, params):
    """Run ``sql`` (its own transaction) and return its row, or None.

    Raises ``Duplicate`` on a unique violation, Django's ``OperationalError``
    when the database cannot be reached (after one more try on a new
    connection if an idle one had been dropped), ``DatabaseError`` otherwise.
    """
    pool = _pool()
    for attempt in (1, 2):
        reused = False  # no connection yet if opening one is what failed
        try:
            async with pool.connection() as (conn, reused):
                cursor = await conn.execute(sql, params)
                return await cursor.fetchone()
        except pg_errors.UniqueViolation as exc:
            raise Duplicate() from exc
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            # An idle connection the server dropped (a restart, a failover):
            # so are its siblings. Once more on a new one; if the statement
            # did run, its client id makes the second try a duplicate.
            await pool.close()
            if attempt == 1 and reused:
                logger.info("livechat: statement route reconnecting after %s", exc)
                continue
            raise OperationalError(str(exc)) from exc
        except psycopg.Error as exc:
            raise DatabaseError(str(exc)) from exc
    raise AssertionError("unreachable")  # pragma: no cover


# Connections ---------------------------------------------------------------------


def _pool():
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None:
        pool = _pools[loop] = _Pool(app_settings.DATABASE_THREADS)
    return pool


class _Pool:
    """A few asyncio connections of this event loop, opened when first needed."""

    def __init__(self, size):
        self.slots = asyncio.Semaphore(max(1, size))
        self.idle = []

    @contextlib.asynccontextmanager
    async def connection(self):
        """``(connection, reused)``: an idle one of the pool, or a new one."""
        async with self.slots:
            conn = self.idle.pop() if self.idle else None
            reused = conn is not None and not conn.closed
            if not reused:
                conn = await _connect()
            try:
                yield conn, reused
            finally:
                if conn.closed or conn.info.transaction_status != _IDLE:
                    await conn.close()  # broken: the next call opens another
                else:
                    self.idle.append(conn)

    async def close(self):
        idle, self.idle = self.idle, []
        for conn in idle:
            await conn.close()


_IDLE = psycopg.pq.TransactionStatus.IDLE if psycopg else None


async def _connect():
    params = messages_database().get_connection_params()
    params.pop("cursor_factory", None)  # Django's is a synchronous cursor
    # Tells these connections apart in pg_stat_activity.
    params.setdefault("application_name", APPLICATION_NAME)
    conn = await psycopg.AsyncConnection.connect(autocommit=True, **params)
    if settings.USE_TZ:
        await conn.execute("SET TIME ZONE 'UTC'")
    return conn


async def close_connections():
    """Close this event loop's connections (a clean shutdown; tests)."""
    pool = _pools.pop(asyncio.get_running_loop(), None)
    if pool is not None:
        await pool.close()
