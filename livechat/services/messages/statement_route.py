"""The statement route: a message in a quiet chat, in one statement.

On PostgreSQL the sequence number, the sender's read marker, the chat's
last activity and the message row are written by one autocommitted statement
over the event loop's own connections (``statement_connections``): no
database thread, no transaction left open. The statement is compiled once
per database from the same rules and querysets the ORM route uses; a chat
that is not quiet matches no row, and the message takes the ORM route.
"""

from types import SimpleNamespace

from django.db.models import Expression, IntegerField, Subquery
from django.utils import timezone

from ... import events, protocol
from ...models import Conversation, Message, Visitor
from ...realtime import layer
from ...realtime.publishing import db_call, send_inbox_activity_now
from .. import lookups, statement_connections
from .rules import (
    QUIET_AGENT_REPLY,
    QUIET_VISITOR_CHAT,
    allocation,
    deliveries,
    echo_to_sender,
)


class _Parameter(Expression):
    """A value of the statement, by name: compiled as a placeholder once,
    filled on every call."""

    def __init__(self, name):
        super().__init__(output_field=IntegerField())
        self.name = name

    def as_sql(self, compiler, connection):
        return "%s", [self]


# What the statement returns of the conversation, the message and the visitor.
_CONVERSATION_COLUMNS = (
    "id",
    "last_seq",
    "agent_read_seq",
    "visitor_read_seq",
    "visitor_id",
    "assigned_agent_id",
    "status",
    "source",
    "last_message_at",
    "first_agent_reply_at",
    "language",
)
_VISITOR_COLUMNS = ("live_sockets", "email")
_statements = {}  # (kind, database alias) -> (sql, parameter slots)


def _quiet_chats(kind):
    """The conversation a ``kind`` message is stored in by the statement."""
    if kind == "visitor":
        newest = lookups.open_conversations(_Parameter("visitor")).values("pk")[:1]
        return Conversation.objects.filter(pk=Subquery(newest), **QUIET_VISITOR_CHAT)
    return Conversation.objects.filter(
        pk=_Parameter("conversation"),
        assigned_agent=_Parameter("agent"),
        **QUIET_AGENT_REPLY,
    )


def _statement(kind, connection):
    """``(sql, slots)`` of the ``kind`` statement, compiled once per database."""
    key = (kind, connection.alias)
    if key not in _statements:
        _statements[key] = _build(kind, connection)
    return _statements[key]


def _build(kind, connection):
    quote = connection.ops.quote_name
    conv, msg, vis = Conversation._meta, Message._meta, Visitor._meta

    def column(meta, name):
        return quote(meta.get_field(name).column)

    queryset = _quiet_chats(kind)
    compiler = queryset.query.get_compiler(connection=connection)
    where, where_params = queryset.query.where.as_sql(compiler, connection)
    now = _Parameter("now")
    sets, set_params = allocation(connection, None, read_by=kind)
    set_params[0] = now  # last_message_at: the call's time
    returning = ", ".join(
        f"{quote(conv.get_field(name.removesuffix('_id')).column)}"
        for name in _CONVERSATION_COLUMNS
    )
    inserted = ", ".join(
        column(msg, name)
        for name in ("conversation", "seq", "sender_kind", "author")
        + ("body", "client_id", "created_at", "language")
    )
    seq = column(conv, "last_seq")
    visitor_columns = ", ".join(f"v.{column(vis, name)}" for name in _VISITOR_COLUMNS)
    sql = (
        f"WITH c AS (UPDATE {quote(conv.db_table)} SET {sets} "  # noqa: S608
        f"WHERE {where} RETURNING {returning}), "
        f"m AS (INSERT INTO {quote(msg.db_table)} ({inserted}) "
        f"SELECT c.{column(conv, 'id')}, c.{seq}, %s, %s, %s, %s, %s, "
        f"c.{column(conv, 'language')} FROM c "
        f"RETURNING {column(msg, 'id')}) "
        f"SELECT c.*, m.{column(msg, 'id')}, {visitor_columns} FROM c CROSS JOIN m "
        f"JOIN {quote(vis.db_table)} v ON v.{column(vis, 'id')} = "
        f"c.{column(conv, 'visitor')}"
    )
    author = _Parameter("agent") if kind == "agent" else None
    slots = [
        *set_params,
        *where_params,
        kind,
        author,
        _Parameter("body"),
        _Parameter("client_id"),
        now,
    ]
    return _inline_constants(sql, slots)


def _literal(value):
    """A constant of the model's own (a status, a kind) as SQL: never a
    value from a request, which stays a parameter."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(int(value))
    return "'" + str(value).replace("'", "''") + "'"


def _inline_constants(sql, slots):
    """``(sql, slots)`` with the constant slots written into the SQL: fewer
    parameters to send and adapt per message."""
    pieces = sql.split("%s")
    assert len(pieces) == len(slots) + 1, "one slot per placeholder"
    out, kept = [pieces[0]], []
    for slot, piece in zip(slots, pieces[1:], strict=True):
        if isinstance(slot, _Parameter):
            out.append("%s")
            kept.append(slot)
        else:
            out.append(_literal(slot))
        out.append(piece)
    return "".join(out), kept


def statement(kind, values):
    """``(sql, params)``: the ``kind`` statement ("visitor" or "agent") with
    ``values`` (visitor or conversation and agent, body, client_id, now)."""
    sql, slots = _statement(kind, lookups.messages_database())
    return sql, [values[slot.name] for slot in slots]


async def _run_statement(kind, values):
    """The stored ``(conversation, message)`` as rows, or None: the ORM route.

    Rows, not model instances: the frames and the listeners' ``wanted`` read
    a few fields, and building three models per message was most of the
    route's own cost. Listeners get models (``_deliver_stored``).
    """
    sql, params = statement(kind, values)
    try:
        row = await statement_connections.fetch_one(sql, params)
    except statement_connections.Duplicate:
        return None  # a retry: the ORM route finds the stored message
    if row is None:
        return None
    count = len(_CONVERSATION_COLUMNS)
    conversation = Row(**dict(zip(_CONVERSATION_COLUMNS, row, strict=False)))
    conversation.pk = conversation.id
    conversation.visitor = Row(
        pk=conversation.visitor_id,
        **dict(zip(_VISITOR_COLUMNS, row[count + 1 :], strict=True)),
    )
    message = Row(
        pk=row[count],
        conversation_id=conversation.pk,
        seq=conversation.last_seq,
        sender_kind=kind,
        author_id=values.get("agent"),
        body=values["body"],
        client_id=values["client_id"],
        created_at=values["now"],
        language=conversation.language,
    )
    return conversation, message


class Row(SimpleNamespace):
    """A stored row's fields, read by attribute as a model's."""


async def visitor_statement(visitor, body, client_id):
    stored = await _run_statement(
        "visitor",
        {"visitor": visitor.pk, "body": body, "client_id": client_id, "now": _now()},
    )
    if stored is None:
        return None
    conversation, message = stored
    data = protocol.message_data(message)
    echo = echo_to_sender(conversation.visitor.live_sockets)
    await _published(message, conversation, data, echo)
    return data


async def agent_statement(agent, conversation_id, body, client_id, author):
    values = {
        "conversation": conversation_id,
        "agent": agent.pk,
        "body": body,
        "client_id": client_id,
        "now": _now(),
    }
    stored = await _run_statement("agent", values)
    if stored is None:
        return None
    conversation, message = stored
    data = protocol.message_data(message, author)
    await _published(message, conversation, data, echo=True)
    return data


def _now():
    return timezone.now()


async def _published(message, conversation, data, echo):
    """The statement route's fan-out and event: it has committed already."""
    pairs, activity = deliveries(data, conversation, echo)
    for groups, frame in pairs:
        await layer.send_to_groups(groups, frame)
    if activity is not None:
        send_inbox_activity_now(activity)
    if events.wanted(events.MessageStored(message, conversation)):
        # Whether anyone wants it is read from the rows; listeners get the
        # message and its chat as models loaded in full, as the ORM route's,
        # on a database thread (they may read the database).
        await db_call(_deliver_stored)(message.pk)


def _deliver_stored(message_id):
    message = Message.objects.select_related(
        "conversation__visitor", "author", "attachment"
    ).get(pk=message_id)
    events.deliver(events.MessageStored(message, message.conversation))
