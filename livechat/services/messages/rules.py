"""What both routes of a message share: which chats are quiet, who hears of a
message, and how its sequence number is allocated. Written once, here."""

from django.db.models import Model

from ... import presentation, protocol
from ...models import Conversation, Message
from ...realtime.groups import AGENTS_GROUP, conversation_group, visitor_group

ACTIVE = Conversation.Status.ACTIVE

# A shopper's message in a chat an agent has: it changes nothing but the
# chat's counters, and goes to its two sides and the consoles' activity.
# A snoozed chat is not quiet: the message wakes it.
QUIET_VISITOR_CHAT = {
    "status": ACTIVE,
    "assigned_agent__isnull": False,
    "snoozed_at__isnull": True,
}
# An agent's reply in their own chat (the statement adds "assigned to them",
# the rule of ``access``) that has had its first reply: it takes nothing and
# changes no status. Offline messages are answered by email too, so not here.
QUIET_AGENT_REPLY = {
    "status": ACTIVE,
    "source": Conversation.Source.CHAT,
    "first_agent_reply_at__isnull": False,
}


def allocation(connection, now, read_by=None, changes=None):
    """The SET clause that allocates a conversation's next sequence number:
    ``last_seq + 1``, the sender's read marker, ``last_message_at`` and any
    ``changes``. ``(sql, params)``; only quoted names from the model are
    formatted in, every value is a parameter."""
    meta = Conversation._meta
    quote = connection.ops.quote_name
    seq = quote(meta.get_field("last_seq").column)
    sets, params = [f"{seq} = {seq} + 1"], []
    for name, value in {"last_message_at": now, **(changes or {})}.items():
        field = meta.get_field(name)
        if isinstance(value, Model):
            value = value.pk
        sets.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    if read_by is not None:
        column = meta.get_field(f"{read_by}_read_seq").column
        sets.append(f"{quote(column)} = {seq} + 1")
    return ", ".join(sets), params


def echo_to_sender(live_sockets):
    """Does the sending shopper's own group get their message? They have the
    ack; only their other tabs (if any) need it."""
    return live_sockets is None or live_sockets > 1


def deliveries(data, conversation, echo=True):
    """``(pairs, activity)``: the ``(groups, frame)`` pairs a stored message
    sends, and the coalesced inbox activity (or None)."""
    groups = [conversation_group(conversation.pk)]
    if echo:
        groups.insert(0, visitor_group(conversation.visitor_id))
    pairs = [(groups, {"type": "message", "message": data})]
    # System lines ("The chat has ended.") are never a preview; the console
    # keeps the previous one when this is empty.
    preview = "" if data["sender"] == Message.Sender.SYSTEM else data["body"]
    if conversation.assigned_agent_id is not None and (
        conversation.status not in Conversation.UNANSWERED_STATUSES
    ):
        # The assigned agent's consoles follow the conversation's group and
        # have the message itself; consoles watching other agents' chats get
        # the activity coalesced (one frame per interval, not per message).
        return pairs, protocol.conversation_activity(conversation, preview)
    # Waiting or missed: every console's queue shows it, at once.
    summary = presentation.conversation_summary(conversation, preview)
    pairs.append(([AGENTS_GROUP], {"type": "conversation", "conversation": summary}))
    return pairs, None
