"""Messages: the one module that stores them, by one of two routes.

Every message (a widget's, a console's, an upload, the REST API's, the
store's own lines) is stored here and nowhere else. The sockets' entry points
are ``send_visitor_message`` and ``send_agent_message``: they choose the
route and return a ``Posted`` whatever route stored it; a shopper's message
takes its rate limit once, before the attempt and outside any transaction.

- **The statement route** (PostgreSQL, ``LIVECHAT_FAST_MESSAGES``): a message
  in a *quiet* chat, one whose state it does not change, is stored with one
  autocommitted statement from the event loop (the sequence number, the
  sender's read marker and the row together; ``statement_connections``).
- **The ORM route**, on a database thread, for everything else: a message
  that opens a conversation, a first reply that takes a chat, a chat that
  waits, an attachment, a retry, and every database but PostgreSQL.

What makes a chat quiet, who hears of a message, the echo rule and the
sequence allocation are written once (``rules``); the statement's conditions
are compiled from those rules and from the query the ORM route uses to find
a shopper's chat (``lookups.open_conversations``). The frames and the
``MessageStored`` event are the same on both routes.
"""

from dataclasses import dataclass

from ... import presentation, protocol, ratelimit
from ...realtime.publishing import db_call
from .. import lookups, statement_connections
from .orm_route import (
    post_agent_message,
    post_system_message,
    post_visitor_message,
    post_visitor_message_from_socket,
    store_message,
)
from .statement_route import agent_statement, visitor_statement

__all__ = [
    "Posted",
    "post_agent_message",
    "post_system_message",
    "post_visitor_message",
    "send_agent_message",
    "send_visitor_message",
    "store_message",
]


@dataclass(frozen=True)
class Posted:
    """A message the service stored, or had stored before (a retry)."""

    message: dict  # as clients see it (protocol.message_data)
    created: bool  # False: a retry of a message stored before

    def ack(self):
        return protocol.ack_frame(self.message, duplicate=not self.created)


async def send_visitor_message(
    visitor, body, client_id, topic="", ip=None, invitation=None
):
    """Store a shopper's message from their widget, opening a chat if needed
    (``invitation``: the id of the invitation it was started from, if any).

    The ``message`` rate limit (per visitor and per ``ip``) is taken first
    and given back for a retry; at the limit, a retry of a stored message is
    still acked and a new one refused (``RateLimited``).
    """
    try:
        taken = await ratelimit.atake("message", visitor.pk, ip)
    except ratelimit.RateLimited:
        stored = await db_call(lookups.stored_message)(
            client_id, conversation__visitor=visitor
        )
        if stored is None:
            raise
        return Posted(presentation.message_data(stored), created=False)
    try:
        posted = None
        if statement_connections.enabled():
            data = await visitor_statement(visitor, body, client_id)
            if data is not None:
                posted = Posted(data, created=True)
        if posted is None:
            message, created = await db_call(post_visitor_message_from_socket)(
                visitor, body, client_id, topic, ip, invitation
            )
            posted = Posted(presentation.message_data(message), created)
    except Exception:
        await ratelimit.arefund(taken)  # not stored: the client retries it
        raise
    if not posted.created:
        await ratelimit.arefund(taken)  # a retry never counts
    return posted


async def send_agent_message(
    agent, conversation_id, body, client_id, author, offer=None, canned=None
):
    """Store an agent's reply from their console; a first reply takes the chat.

    ``author``: the message's ``author`` frame (the name and avatar shoppers
    see), which the console has: no route asks the adapter per message, and
    both send the same one. ``offer`` (a coupon code) and ``canned`` (a saved
    reply's id) say what the reply was written from (``post_agent_message``);
    such a reply takes the ORM route, which records them in its transaction.
    """
    if offer is None and canned is None and statement_connections.enabled():
        data = await agent_statement(agent, conversation_id, body, client_id, author)
        if data is not None:
            return Posted(data, created=True)
    message, created = await db_call(post_agent_message)(
        conversation_id,
        agent,
        body,
        client_id,
        author=author,
        offer=offer,
        canned=canned,
    )
    return Posted(presentation.message_data(message, author), created)
