"""The ORM route: any message, in a transaction on a database thread.

Publishes on commit (``realtime.publishing``) and emits its events then.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ... import events, presentation, ratelimit
from ...access import Action, check_may_act, check_room
from ...errors import ServiceError
from ...models import Conversation, Message, Visitor
from ...realtime.publishing import publish_conversation, send_inbox_activity, send_many
from .. import invitations, lookups, offers
from ..reopening import reopen_locked, reopenable_conversation
from ..search import conversation_language
from ..snooze import wake_for_shopper
from .rules import ACTIVE, allocation, deliveries, echo_to_sender


def post_visitor_message_from_socket(
    visitor, body, client_id, topic, ip, invitation=None
):
    """``(message, created)`` of a shopper's message from their widget's socket.

    ``invitation``: the id of the invitation the shopper accepted, for a
    message that opens a chat (``services.invitations``); ignored otherwise.

    The ``conversation`` rate limit is taken before the transaction when the
    message would open one (it has no open chat and this is no retry), and
    given back if it did not open one after all (a chat opened meanwhile).
    """
    taken = None
    if not (
        lookups.open_conversations(visitor).exists()
        or lookups.is_duplicate(visitor, client_id)
    ):
        taken = ratelimit.take("conversation", visitor.pk, ip)
    try:
        message, created, opened = _store_visitor_message(
            visitor, body, client_id, topic, from_socket=True, invitation=invitation
        )
    except Exception:
        if taken is not None:
            ratelimit.refund(taken)
        raise
    if taken is not None and not opened:
        ratelimit.refund(taken)
    return message, created


def post_visitor_message(visitor, body, client_id, topic="", attachment=None):
    """Store a visitor's message in their open conversation, opening one if needed.

    Returns ``(message, created)``; a repeated ``client_id`` returns the stored
    message with ``created=False`` and publishes nothing. For faces that are
    not the widget's socket (uploads, the admin): they count their own limits.
    """
    message, created, _opened = _store_visitor_message(
        visitor, body, client_id, topic, attachment
    )
    return message, created


def _store_visitor_message(
    visitor,
    body,
    client_id,
    topic="",
    attachment=None,
    from_socket=False,
    invitation=None,
):
    """``(message, created, opened)``; ``from_socket``: the sender has the ack."""
    try:
        with transaction.atomic():
            conversation = lookups.open_conversation_of(visitor)
            opened = conversation is None
            reopened = None  # the events of a reopen, emitted last
            if opened:
                # A retry of a message stored in a conversation closed since.
                existing = lookups.stored_message(
                    client_id, conversation__visitor=visitor
                )
                if existing is not None:
                    return existing, False, False
                conversation, reopened = _new_or_reopened(visitor, topic, invitation)
            # A retry in the open conversation hits its unique client id.
            message = _insert_message(
                conversation.pk,
                Message.Sender.VISITOR,
                body,
                client_id,
                attachment=attachment,
                read_by="visitor",
            )
            conversation.visitor = visitor
            conversation.visitor_read_seq = message.seq
            if opened:
                conversation.last_seq = message.seq
                publish_conversation(conversation, body)
            echo = True
            if from_socket:
                sockets = Visitor.objects.filter(pk=visitor.pk).values_list(
                    "live_sockets", flat=True
                )
                echo = echo_to_sender(sockets.first())
            _after_message(message, conversation, echo=echo)
            if not opened and conversation.snoozed_at is not None:
                wake_for_shopper(conversation)
            # After the message's own frames, so the router's "assigned"
            # update is the last word consoles get, not a stale "waiting".
            if reopened is not None:
                for event in reopened:
                    events.emit(event)
            elif opened:
                events.emit(events.ConversationOpened(conversation))
    except IntegrityError:
        # A retry (or a concurrent one) with the same client id.
        existing = lookups.stored_message(client_id, conversation__visitor=visitor)
        if existing is None:
            raise
        return existing, False, False
    return message, True, opened


def _new_or_reopened(visitor, topic, invitation=None):
    """``(conversation, reopen_events)``: the visitor's chat closed within
    ``LIVECHAT_REOPEN_WINDOW`` opened again (with the events of its reopen,
    for the caller to emit), or a new one (and None), started from the
    invitation of id ``invitation`` when that rule is active."""
    closed = reopenable_conversation(visitor, topic)
    if closed is not None:
        conversation = lookups.locked(closed)
        if conversation.status == Conversation.Status.CLOSED:
            line, pending = reopen_locked(conversation)
            post_system_message(conversation, line)
            return conversation, pending
    conversation = Conversation.objects.create(
        visitor=visitor,
        language=conversation_language(visitor),
        start_page=visitor.current_page[:500],
        topic=topic[:50],
        department=lookups.department_for_topic(topic),
        invitation=invitations.accepted_rule(invitation, visitor.pk),
    )
    if conversation.invitation is not None:
        invitations.invitation_accepted(conversation, conversation.invitation)
    return conversation, None


def post_agent_message(
    conversation,
    agent,
    body,
    client_id,
    attachment=None,
    author=None,
    offer=None,
    canned=None,
):
    """Store an agent's reply; the first reply to a waiting chat takes it.

    ``conversation``: a Conversation or its id (it is read again, locked).
    ``author``: the author frame shoppers see, if the caller has it (else the
    adapter is asked). ``offer``: the code of the offer the reply makes
    (``services.offers``: refused with ``unknown_offer`` when the shopper is
    not offered it; counted as sent only if the code is still in ``body``).
    ``canned``: the id of the saved reply it was written from (a
    ``CannedUse``, edited or not). Returns ``(message, created)`` as
    ``post_visitor_message``; a retry of a stored reply is that reply, even
    once the chat is closed or transferred.
    """
    conversation_id = getattr(conversation, "pk", conversation)
    try:
        if offer is not None:
            offer = offers.find_offer(conversation_id, offer)
        with transaction.atomic():
            conversation = _locked_for_reply(conversation_id)
            if not conversation.is_open:
                raise ServiceError(
                    "conversation_closed", _("This conversation is closed.")
                )
            check_may_act(agent, conversation, Action.REPLY)
            now, changes = timezone.now(), {}
            if conversation.first_agent_reply_at is None:
                changes["first_agent_reply_at"] = now
            assigned = conversation.assigned_agent_id is None
            if assigned:
                # Taking the chat by answering it: as a claim without override.
                check_room(agent)
                changes["assigned_agent"] = agent
            if conversation.status in Conversation.UNANSWERED_STATUSES:
                changes["status"] = ACTIVE
            # A retry hits the conversation's unique client id.
            message = _insert_message(
                conversation.pk,
                Message.Sender.AGENT,
                body,
                client_id,
                author=agent,
                attachment=attachment,
                read_by="agent",
                changes=changes,
                now=now,
            )
            for name, value in changes.items():
                setattr(conversation, name, value)
            conversation.last_seq = conversation.agent_read_seq = message.seq
            if assigned or "status" in changes:
                publish_conversation(conversation, body)
                if assigned:
                    events.emit(events.ConversationAssigned(conversation, agent))
            if "first_agent_reply_at" in changes:
                events.emit(events.ConversationAnswered(conversation, message, agent))
            _after_message(message, conversation, author=author)
            if offer is not None:
                offers.record_offer(conversation, message, agent, offer)
            if canned is not None:
                offers.record_canned_use(conversation, message, agent, canned, author)
    except (IntegrityError, ServiceError):
        # A retry (its reply is stored) is acked whatever happened since.
        existing = lookups.stored_message(
            client_id, conversation_id=conversation_id, author=agent
        )
        if existing is None:
            raise
        return existing, False
    return message, True


def _locked_for_reply(conversation_id):
    """The conversation, its row locked, with what the reply's frames show."""
    connection = lookups.messages_database()
    of = ("self",) if connection.features.has_select_for_update_of else ()
    try:
        return (
            Conversation.objects.select_for_update(of=of)
            .select_related("visitor", "assigned_agent__livechat_profile")
            .get(pk=conversation_id)
        )
    except Conversation.DoesNotExist:
        raise ServiceError("not_found", _("No such conversation.")) from None


def store_message(conversation, sender_kind, body, client_id="", author=None):
    """Store and publish a message in ``conversation`` (inside a transaction)."""
    message = _insert_message(conversation.pk, sender_kind, body, client_id, author)
    _after_message(message, conversation)
    return message


def post_system_message(conversation, body):
    """Store a line from the store itself (joins, closes...)."""
    with transaction.atomic():
        message = _insert_message(conversation.pk, Message.Sender.SYSTEM, body)
        _after_message(message, conversation)
    return message


def _insert_message(
    conversation_id,
    sender_kind,
    body,
    client_id="",
    author=None,
    attachment=None,
    read_by=None,
    changes=None,
    now=None,
):
    """Allocate the next sequence number and insert the message.

    Must run inside a transaction. The UPDATE takes the conversation's row lock
    (a write lock on SQLite) until commit, so concurrent senders are serialised
    and sequence numbers are gapless and unique. ``read_by`` ("visitor" or
    "agent"): that side has read up to its own message. ``changes``: other
    conversation fields, set in the same statement.
    """
    now = now or timezone.now()
    seq, language = _next_seq(conversation_id, now, read_by, changes or {})
    message = Message.objects.create(
        conversation_id=conversation_id,
        seq=seq,
        language=language,
        sender_kind=sender_kind,
        author=author,
        body=body,
        client_id=client_id,
        created_at=now,
    )
    if attachment is not None:
        # Saving writes the file to storage; setting the forward side also
        # caches it on the message, so serialising needs no query.
        attachment.conversation_id = conversation_id
        attachment.message = message
        attachment.save()
    else:
        message._state.fields_cache["attachment"] = None
    return message


def _next_seq(conversation_id, now, read_by, changes):
    """The ORM route's allocation: one UPDATE ... RETURNING the new last_seq
    and the conversation's language (the message is indexed in it)."""
    connection = lookups.messages_database()
    meta = Conversation._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    returned = ", ".join(
        quote(meta.get_field(name).column) for name in ("last_seq", "language")
    )
    sets, params = allocation(connection, now, read_by, changes)
    where = f"{quote(meta.pk.column)} = %s"
    sql = f"UPDATE {table} SET {sets} WHERE {where}"  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor in ("postgresql", "sqlite"):
            cursor.execute(f"{sql} RETURNING {returned}", [*params, conversation_id])
        else:  # pragma: no cover - no UPDATE ... RETURNING (MySQL)
            cursor.execute(sql, [*params, conversation_id])
            cursor.execute(
                f"SELECT {returned} FROM {table} WHERE {where}",  # noqa: S608
                [conversation_id],
            )
        row = cursor.fetchone()
    if row is None:
        raise Conversation.DoesNotExist(f"No conversation {conversation_id}.")
    return row[0], row[1]


def _after_message(message, conversation, echo=True, author=None):
    """The ORM route's fan-out and event, on commit."""
    conversation.last_seq = message.seq
    conversation.last_message_at = message.created_at
    data = presentation.message_data(message, author)
    pairs, activity = deliveries(data, conversation, echo)
    transaction.on_commit(lambda: send_many(pairs))
    if activity is not None:
        transaction.on_commit(lambda: send_inbox_activity(activity))
    events.emit(events.MessageStored(message, conversation))
