"""The common chat message on PostgreSQL: one statement, from the event loop.

Most frames a busy store gets are messages in chats an agent is already
answering. On PostgreSQL (``LIVECHAT_FAST_MESSAGES``, on by default) the
consumers store those with one autocommitted statement (the sequence number,
the conversation's counters and the message row together) over psycopg's
asyncio connections on the event loop: no hop to a database thread, and no
contention for the GIL between the event loop and the ORM on every frame.
A visitor's message is not echoed to their own socket (it has the ack) unless
they have other tabs open.

Only that case: a message that would open a conversation, a chat that waits
or was missed, an offline-message chat, a first reply, an attachment, a
repeated client id or any other database take ``services`` (the ORM path,
the reference behaviour). The frames sent are the same; the ``message_posted``
signal is sent too (from a database thread, when anyone listens).
"""

import asyncio
import contextlib
import logging
import weakref

from django.conf import settings
from django.db import DatabaseError, OperationalError, connections
from django.db import router as db_router
from django.utils import timezone

from . import events, protocol, ratelimit
from .conf import app_settings
from .models import Conversation, Message, Visitor
from .realtime import layer, publishing
from .realtime.groups import conversation_group, visitor_group
from .realtime.publishing import db_call

logger = logging.getLogger(__name__)

try:
    import psycopg
    from psycopg import errors as pg_errors
except ImportError:  # pragma: no cover - no PostgreSQL driver
    psycopg = None

APPLICATION_NAME = "livechat fast path"
_pools = weakref.WeakKeyDictionary()  # event loop -> _Pool
_statements = {}


def enabled():
    """Is the fast path on here (PostgreSQL with psycopg 3, and the setting)?"""
    if not app_settings.FAST_MESSAGES or psycopg is None:
        return False
    alias = db_router.db_for_write(Message)
    return connections[alias].vendor == "postgresql"


async def post_visitor_message(visitor_id, body, client_id, ip=None):
    """Store a visitor's message in their active chat; ``None``: use services.

    Returns the message's frame data, once published. The ``message`` rate
    limits (per visitor, per ``ip``) are taken first, and given back if the
    message is not stored here. At a limit, services decide (a retry of a
    stored message is acked, a new one refused), so a retry never counts.
    """
    try:
        taken = await ratelimit.atake("message", visitor_id, ip)
    except ratelimit.RateLimited:
        return None
    except Exception:
        # Not an outage (atake lets traffic through then): something
        # unexpected; services decide, and report it.
        logger.warning("livechat: rate limit check failed", exc_info=True)
        return None
    now = timezone.now()
    try:
        row = await _run(
            "visitor",
            {"visitor": visitor_id, "body": body, "client_id": client_id, "now": now},
        )
    except Exception:
        await ratelimit.arefund(taken)  # the client retries it
        raise
    if row is None:
        await ratelimit.arefund(taken)  # services count it, if they store it
        return None
    conversation_id, seq, agent_read, visitor_read, _visitor, message_id = row[:6]
    sockets = row[6]
    data = protocol.message_data(
        message_id, conversation_id, seq, "visitor", None, body, client_id, now
    )
    # The sender has the ack; other tabs of theirs (if any) need the message.
    echo = sockets is None or sockets > 1
    await _published(
        data, visitor_id if echo else None, (agent_read, visitor_read), now, body
    )
    return data


async def post_agent_message(agent, author, conversation_id, body, client_id):
    """Store an agent's reply in their own active chat; ``None``: use services.

    ``author``: the message's ``author`` frame (name and avatar shoppers see).
    """
    now = timezone.now()
    row = await _run(
        "agent",
        {
            "conversation": conversation_id,
            "agent": agent.pk,
            "body": body,
            "client_id": client_id,
            "now": now,
        },
    )
    if row is None:
        return None
    _id, seq, agent_read, visitor_read, visitor_id, message_id, sockets, email = row
    data = protocol.message_data(
        message_id, conversation_id, seq, "agent", author, body, client_id, now
    )
    await _published(data, visitor_id, (agent_read, visitor_read), now, body)
    if email and not sockets and app_settings.FOLLOWUP_EMAIL_EVERY_SECONDS:
        # Their widget is gone: the reply may go by email too (rare; ORM).
        await _after_stored(_mark_followup_pending, message_id)
    return data


async def _after_stored(func, message_id):
    """Work after the message is stored and sent: a failure is logged, the
    sender still gets their ack (a retry would only be a duplicate)."""
    try:
        await db_call(func)(message_id)
    except Exception:
        logger.exception(
            "livechat: %s failed for message %s", func.__name__, message_id
        )


async def _published(data, visitor_id, reads, now, body):
    """What services publish on commit for a message in an active chat."""
    conversation_id = data["conversation"]
    groups = [conversation_group(conversation_id)]
    if visitor_id is not None:
        groups.insert(0, visitor_group(visitor_id))
    await layer.send_to_groups(groups, {"type": "message", "message": data})
    publishing.send_inbox_activity_now(
        protocol.activity(conversation_id, data["seq"], *reads, body, now)
    )
    if events.has_listeners(events.MessageStored):
        await _after_stored(_message_stored, data["id"])


def _message_stored(message_id):
    # The statement committed already: deliver now (emit waits for a commit).
    message = Message.objects.select_related("conversation__visitor").get(pk=message_id)
    events.deliver(events.MessageStored(message, message.conversation))


def _mark_followup_pending(message_id):
    from .visitors import follow_up_later

    message = Message.objects.select_related("conversation__visitor", "author").get(
        pk=message_id
    )
    follow_up_later(message, message.conversation)


# The statement -------------------------------------------------------------------


async def _run(kind, params):
    """Run the ``kind`` statement (its own transaction): its row, or None."""
    pool = _pool()
    for attempt in (1, 2):
        reused = False  # no connection yet if opening one is what failed
        try:
            async with pool.connection() as (conn, reused):
                cursor = await conn.execute(_statement(kind), params)
                return await cursor.fetchone()
        except pg_errors.UniqueViolation:
            return None  # a retry: services finds the stored message
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            # An idle connection the server dropped (a restart, a failover):
            # so are its siblings. Once more on a new one; if the statement
            # did run, its client id makes the second try a duplicate.
            await pool.close()
            if attempt == 1 and reused:
                logger.info("livechat: fast path reconnecting after %s", exc)
                continue
            raise OperationalError(str(exc)) from exc
        except psycopg.Error as exc:
            raise DatabaseError(str(exc)) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _statement(kind):
    """The SQL of ``kind``, built once from the models' tables and columns."""
    sql = _statements.get(kind)
    if sql is None:
        sql = _statements[kind] = _build(kind)
    return sql


def _build(kind):
    conv, msg, vis = Conversation._meta, Message._meta, Visitor._meta
    quote = connections[db_router.db_for_write(Message)].ops.quote_name

    def col(meta, name):
        return quote(meta.get_field(name).column)

    conv_table, msg_table = quote(conv.db_table), quote(msg.db_table)
    seq = col(conv, "last_seq")
    returning = ", ".join(
        col(conv, name)
        for name in ("id", "last_seq", "agent_read_seq", "visitor_read_seq", "visitor")
    )
    active = f"{col(conv, 'status')} = '{Conversation.Status.ACTIVE}'"
    if kind == "visitor":
        open_statuses = ", ".join(f"'{s}'" for s in Conversation.OPEN_STATUSES)
        # The visitor's newest open conversation, as services picks it; it
        # must be active still when its row is locked (the recheck).
        where = (
            f"{col(conv, 'id')} = (SELECT {col(conv, 'id')} FROM {conv_table} "  # noqa: S608
            f"WHERE {col(conv, 'visitor')} = %(visitor)s "
            f"AND {col(conv, 'status')} IN ({open_statuses}) "
            f"ORDER BY {col(conv, 'created_at')} DESC LIMIT 1) AND {active}"
        )
        read = col(conv, "visitor_read_seq")
        author = "NULL"
        extra_select = f", v.{col(vis, 'live_sockets')}"
    else:
        # Their own chat, already answered, a live chat (offline messages
        # are answered by email too: services does that).
        where = (
            f"{col(conv, 'id')} = %(conversation)s AND {active} "
            f"AND {col(conv, 'assigned_agent')} = %(agent)s "
            f"AND {col(conv, 'source')} = '{Conversation.Source.CHAT}' "
            f"AND {col(conv, 'first_agent_reply_at')} IS NOT NULL"
        )
        read = col(conv, "agent_read_seq")
        author = "%(agent)s"
        extra_select = f", v.{col(vis, 'live_sockets')}, v.{col(vis, 'email')}"
    visitor_id = col(conv, "visitor")
    extra_join = f" JOIN {quote(vis.db_table)} v ON v.{col(vis, 'id')} = c.{visitor_id}"
    columns = ", ".join(
        col(msg, name)
        for name in (
            "conversation",
            "seq",
            "sender_kind",
            "author",
            "body",
            "client_id",
            "created_at",
        )
    )
    # Quoted names from the models only; every value is a parameter.
    return (
        f"WITH c AS (UPDATE {conv_table} SET {seq} = {seq} + 1, "  # noqa: S608
        f"{read} = {seq} + 1, {col(conv, 'last_message_at')} = %(now)s "
        f"WHERE {where} RETURNING {returning}), "
        f"m AS (INSERT INTO {msg_table} ({columns}) "
        f"SELECT c.{col(conv, 'id')}, c.{seq}, '{kind}', {author}, %(body)s, "
        f"%(client_id)s, %(now)s FROM c RETURNING {col(msg, 'id')}) "
        f"SELECT c.*, m.{col(msg, 'id')}{extra_select} FROM c CROSS JOIN m{extra_join}"
    )


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
    alias = db_router.db_for_write(Message)
    params = connections[alias].get_connection_params()
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
