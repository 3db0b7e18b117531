"""The one write path: every message and every change of a conversation.

Consumers, the admin and the API call these functions. Each persists first,
inside a transaction, and publishes to the channel layer only once that
transaction has committed: the database is the truth, the channel layer a
notification path that may drop things (clients fill gaps by sequence number).
"""

import logging
from importlib import import_module

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Case, F, Model, OuterRef, Subquery, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import events, protocol
from .access import Action, check_may_act, may_chat_as
from .adapter import get_adapter
from .conf import app_settings
from .errors import ServiceError
from .ip_addresses import stored_ip
from .models import AgentProfile, Conversation, Message, Visitor
from .realtime.groups import (
    ACTIVITY_GROUP,
    AGENTS_GROUP,
    conversation_group,
    visitor_group,
)
from .realtime.layer import send_to_groups
from .realtime.publishing import send_inbox_activity, send_now
from .visit import visit_context

logger = logging.getLogger(__name__)


# Publishing -----------------------------------------------------------------


def publish_on_commit(groups, frame):
    """Send ``frame`` to ``groups`` once the current transaction commits."""
    groups = list(groups)
    transaction.on_commit(lambda: send_now(groups, frame))


def publish_conversation(conversation, preview=""):
    """Tell the visitor and every console about a conversation (on commit)."""
    _publish_conversation(conversation, preview)


def _publish_conversation(conversation, preview=""):
    """Tell the visitor and every agent console about a conversation's state."""
    publish_on_commit(
        [visitor_group(conversation.visitor_id)],
        {
            "type": "conversation",
            "conversation": protocol.conversation_state(conversation),
        },
    )
    publish_on_commit(
        [AGENTS_GROUP],
        {
            "type": "conversation",
            "conversation": protocol.conversation_summary(conversation, preview),
        },
    )


# Visitors -------------------------------------------------------------------


def get_or_create_visitor(key, user=None):
    """Return the visitor with ``key``, creating it; link it to ``user``.

    Raises ``ServiceError("forbidden")``, changing nothing, when the visitor
    belongs to another customer (``access.may_chat_as``). An anonymous
    visitor becomes the logged-in ``user``'s: their chat follows them.
    """
    with transaction.atomic():
        visitor, _created = Visitor.objects.select_for_update().get_or_create(key=key)
        if not may_chat_as(user, visitor):
            raise ServiceError(
                "forbidden", _("Please log in again to continue this chat.")
            )
        if visitor.user_id is None and user is not None and user.is_authenticated:
            _link_to_user(visitor, user)
            visitor.save(update_fields=["user", "name", "email"])
    return visitor


def _link_to_user(visitor, user):
    """Make ``visitor`` the customer's, filling its name and email from them."""
    visitor.user = user
    get_adapter().populate_visitor(visitor, user)


def visitor_for_user(user, anonymous_key=None):
    """The visitor a logged-in user chats as, the same on every device.

    A shopper who chatted anonymously and then logged in keeps that
    conversation: with no visitor of their own yet, the anonymous visitor of
    ``anonymous_key`` (from their session) becomes theirs.
    """
    visitor = Visitor.objects.filter(user=user).order_by("-last_seen_at").first()
    if visitor is not None:
        return visitor
    if anonymous_key is not None:
        visitor = Visitor.objects.filter(key=anonymous_key, user=None).first()
    if visitor is None:
        visitor = Visitor()
    _link_to_user(visitor, user)
    visitor.save()
    return visitor


def visitor_socket_opened(visitor):
    Visitor.objects.filter(pk=visitor.pk).update(
        live_sockets=F("live_sockets") + 1, absent_since=None
    )


def visitor_socket_closed(visitor):
    # F() reads the row as it was before this update: its last socket closes.
    Visitor.objects.filter(pk=visitor.pk).update(
        live_sockets=Greatest(F("live_sockets") - 1, Value(0)),
        absent_since=Case(
            When(live_sockets__lte=1, then=Value(timezone.now())),
            default=F("absent_since"),
        ),
    )


def touch_visitor(
    visitor, page=None, locale=None, user_agent=None, session_key=None, ip=None
):
    """Record that the visitor is here now, and where."""
    visitor.last_seen_at = timezone.now()
    fields = ["last_seen_at"]
    ip = stored_ip(ip)
    if ip and ip != visitor.ip_address:
        visitor.ip_address = ip
        fields.append("ip_address")
    for name, value, limit in (
        ("current_page", page, 2000),
        ("locale", locale, 35),
        ("user_agent", user_agent, 500),
        ("session_key", session_key, 40),
    ):
        if isinstance(value, str) and value[:limit] != getattr(visitor, name):
            setattr(visitor, name, value[:limit])
            fields.append(name)
    visitor.save(update_fields=fields)


def visitor_session(visitor):
    """The visitor's Django session (read-only use), or None."""
    if not visitor.session_key:
        return None
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore(session_key=visitor.session_key)
    # exists() rather than load(): load() of a missing key makes a new session.
    return session if session.exists(visitor.session_key) else None


def visitor_context(visitor, conversation_id=None):
    """What agents see beside a conversation: ``(store_context, visit)``.

    ``store_context`` comes from the adapter (cart, orders...); ``visit`` is
    livechat's own (pages seen, browser, language, past conversations).
    """
    session = visitor_session(visitor)
    try:
        store = get_adapter().get_visitor_context(visitor, session=session)
    except Exception:
        # A broken store hook must not stop agents from answering.
        logger.exception("livechat: get_visitor_context failed")
        store = {}
    return store, visit_context(visitor, session, exclude_conversation=conversation_id)


def open_conversation_of(visitor):
    """The visitor's waiting or active conversation, or None."""
    return (
        Conversation.objects.filter(
            visitor=visitor, status__in=Conversation.OPEN_STATUSES
        )
        .select_related("assigned_agent__livechat_profile")
        .order_by("-created_at")
        .first()
    )


# Messages -------------------------------------------------------------------


def is_duplicate(visitor, client_id):
    """Has this visitor already sent a message with ``client_id``?"""
    return Message.objects.filter(
        conversation__visitor=visitor, client_id=client_id
    ).exists()


def _existing_message(conversation_filter, client_id):
    return (
        Message.objects.filter(client_id=client_id, **conversation_filter)
        .select_related("author__livechat_profile", "conversation", "attachment")
        .first()
    )


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
    seq = _next_seq(
        conversation_id, {"last_message_at": now, **(changes or {})}, read_by
    )
    message = Message.objects.create(
        conversation_id=conversation_id,
        seq=seq,
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


def _next_seq(conversation_id, fields, read_by=None):
    """``last_seq + 1`` and ``fields`` in one UPDATE ... RETURNING last_seq.

    One statement on PostgreSQL and SQLite (two elsewhere) instead of an
    UPDATE, a SELECT and a second UPDATE per message.
    """
    connection = connections[router.db_for_write(Conversation)]
    meta = Conversation._meta
    quote = connection.ops.quote_name
    table, seq = quote(meta.db_table), quote(meta.get_field("last_seq").column)
    sets, params = [f"{seq} = {seq} + 1"], []
    for name, value in fields.items():
        field = meta.get_field(name)
        if isinstance(value, Model):
            value = value.pk
        sets.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    if read_by is not None:
        column = meta.get_field(f"{read_by}_read_seq").column
        sets.append(f"{quote(column)} = {seq} + 1")
    # Only quoted names from the model are formatted in; values are parameters.
    where = f"{quote(meta.pk.column)} = %s"
    sql = f"UPDATE {table} SET {', '.join(sets)} WHERE {where}"  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor in ("postgresql", "sqlite"):
            cursor.execute(f"{sql} RETURNING {seq}", [*params, conversation_id])
        else:  # pragma: no cover - no UPDATE ... RETURNING (MySQL)
            cursor.execute(sql, [*params, conversation_id])
            cursor.execute(
                f"SELECT {seq} FROM {table} WHERE {where}",  # noqa: S608
                [conversation_id],
            )
        row = cursor.fetchone()
    if row is None:
        raise Conversation.DoesNotExist(f"No conversation {conversation_id}.")
    return row[0]


def store_message(conversation, sender_kind, body, client_id="", author=None):
    """Store and publish a message in ``conversation`` (inside a transaction)."""
    message = _insert_message(conversation.pk, sender_kind, body, client_id, author)
    conversation.last_seq = message.seq
    _after_message(message, conversation)
    return message


def _after_message(message, conversation):
    frame = protocol.message_frame(message)
    publish_on_commit(
        [visitor_group(conversation.visitor_id), conversation_group(conversation.pk)],
        frame,
    )
    conversation.last_seq = message.seq
    conversation.last_message_at = message.created_at
    # System lines ("The chat has ended.") are never a preview; the console
    # keeps the previous one when this is empty.
    preview = "" if message.sender_kind == Message.Sender.SYSTEM else message.body
    if (
        conversation.assigned_agent_id is None
        or conversation.status in Conversation.UNANSWERED_STATUSES
    ):
        # Waiting or missed: every console's queue shows it, at once.
        summary = protocol.conversation_summary(conversation, preview)
        publish_on_commit(
            [AGENTS_GROUP], {"type": "conversation", "conversation": summary}
        )
    else:
        # The assigned agent's consoles follow the conversation's group and
        # have the message itself; consoles watching other agents' chats get
        # the activity coalesced (one frame per interval, not per message).
        activity = protocol.conversation_activity(conversation, preview)
        transaction.on_commit(lambda: send_inbox_activity(activity))
    events.emit(events.MessageStored(message, conversation))


def post_visitor_message(
    visitor, body, client_id, topic="", attachment=None, limit=None
):
    """Store a visitor's message in their open conversation, opening one if needed.

    Returns ``(message, created)``; a repeated ``client_id`` returns the stored
    message with ``created=False`` and publishes nothing. ``limit(opened)``,
    if given, runs once a new message is stored, inside the transaction
    (``opened``: it opened a conversation); raising refuses the message. The
    consumers count their rate limits there, so a retry never counts.
    """
    try:
        with transaction.atomic():
            conversation = open_conversation_of(visitor)
            opened = conversation is None
            if opened:
                # A retry of a message stored in a conversation closed since.
                existing = _existing_message(
                    {"conversation__visitor": visitor}, client_id
                )
                if existing is not None:
                    return existing, False
                from .assignment import department_for_topic

                conversation = Conversation.objects.create(
                    visitor=visitor,
                    topic=topic[:50],
                    department=department_for_topic(topic),
                )
            # A retry in the open conversation hits its unique client id.
            message = _insert_message(
                conversation.pk,
                Message.Sender.VISITOR,
                body,
                client_id,
                attachment=attachment,
                read_by="visitor",
            )
            if limit is not None:
                limit(opened)
            conversation.visitor = visitor
            conversation.visitor_read_seq = message.seq
            if opened:
                conversation.last_seq = message.seq
                _publish_conversation(conversation, body)
            _after_message(message, conversation)
            if opened:
                # After the message's own frames, so the router's "assigned"
                # update is the last word consoles get, not a stale "waiting".
                events.emit(events.ConversationOpened(conversation))
    except IntegrityError:
        # A retry (or a concurrent one) with the same client id.
        existing = _existing_message({"conversation__visitor": visitor}, client_id)
        if existing is None:
            raise
        return existing, False
    return message, True


def post_agent_message(conversation, agent, body, client_id, attachment=None):
    """Store an agent's reply; the first reply to a waiting chat takes it.

    ``conversation``: a Conversation or its id (it is read again, locked).
    """
    conversation_id = getattr(conversation, "pk", conversation)
    try:
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
                changes["status"] = Conversation.Status.ACTIVE
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
                _publish_conversation(conversation, body)
                if assigned:
                    events.emit(events.ConversationAssigned(conversation, agent))
            if conversation.source == Conversation.Source.OFFLINE:
                # They left a message because nobody was there: answer by email
                # too, they are probably not on the site any more.
                transaction.on_commit(lambda: _email_offline_reply(message))
            else:
                transaction.on_commit(
                    lambda: _mark_followup_pending(message, conversation)
                )
            _after_message(message, conversation)
    except IntegrityError:
        existing = _existing_message({"conversation_id": conversation_id}, client_id)
        if existing is None:
            raise
        return existing, False
    return message, True


def _locked_for_reply(conversation_id):
    """The conversation, its row locked, with what the reply's frames show."""
    connection = connections[router.db_for_write(Conversation)]
    of = ("self",) if connection.features.has_select_for_update_of else ()
    try:
        return (
            Conversation.objects.select_for_update(of=of)
            .select_related("visitor", "assigned_agent__livechat_profile")
            .get(pk=conversation_id)
        )
    except Conversation.DoesNotExist:
        raise ServiceError("not_found", _("No such conversation.")) from None


def _mark_followup_pending(message, conversation):
    from .visitors import follow_up_later

    follow_up_later(message, conversation)


def _email_offline_reply(message):
    from .visitors import email_offline_reply

    email_offline_reply(message)


def post_system_message(conversation, body):
    """Store a line from the store itself (joins, closes...)."""
    with transaction.atomic():
        message = _insert_message(conversation.pk, Message.Sender.SYSTEM, body)
        _after_message(message, conversation)
    return message


# Conversation state -----------------------------------------------------------


def visitor_language(conversation):
    """Context manager: lines and emails for the shopper in their language."""
    locale = getattr(conversation.visitor, "locale", "") or ""
    try:
        language = translation.get_supported_language_variant(locale.lower())
    except LookupError:
        language = translation.get_language()
    return translation.override(language)


def locked(conversation_id):
    """The conversation, row-locked until the transaction ends."""
    return (
        Conversation.objects.select_for_update()
        .select_related("visitor")
        .get(pk=conversation_id)
    )


def claim_conversation(conversation, agent, override=False):
    """Assign a waiting conversation to ``agent``; refuse if someone has it.

    An agent who already holds their maximum of open chats (the adapter's
    ``max_concurrent_chats``) is refused with ``agent_full`` unless
    ``override`` says they chose to take one more.
    """
    adapter = get_adapter()
    with transaction.atomic():
        conversation = locked(conversation.pk)
        if not conversation.is_open:
            raise ServiceError("conversation_closed", _("This conversation is closed."))
        if conversation.assigned_agent_id not in (None, agent.pk):
            raise ServiceError(
                "already_assigned", _("Another agent already has this conversation.")
            )
        if conversation.assigned_agent_id == agent.pk:
            return conversation
        check_may_act(agent, conversation, Action.CLAIM)
        if not override:
            check_room(agent)
        conversation.assigned_agent = agent
        conversation.status = Conversation.Status.ACTIVE
        conversation.save(update_fields=["assigned_agent", "status"])
        name = adapter.agent_public_name(agent)
        with visitor_language(conversation):
            line = _("%(name)s joined the chat.") % {"name": name}
        post_system_message(conversation, line)
        _publish_conversation(conversation)
        events.emit(events.ConversationAssigned(conversation, agent))
    return conversation


def check_room(agent, full_message=None):
    """Refuse with ``agent_full`` when ``agent`` holds their maximum of open
    chats (the adapter's ``max_concurrent_chats``).

    Call inside the transaction that gives them the chat: their profile's
    row lock serialises claims, replies that take a chat and transfers to
    them, so two at once cannot both take the last slot.
    """
    limit = get_adapter().max_concurrent_chats(agent)
    AgentProfile.objects.select_for_update().filter(user=agent).first()
    held = Conversation.objects.filter(
        status__in=Conversation.OPEN_STATUSES, assigned_agent=agent
    ).count()
    if held >= limit:
        raise ServiceError(
            "agent_full",
            full_message
            or _("You already have %(open)s of %(max)s chats.")
            % {"open": held, "max": limit},
        )


def close_conversation(conversation, closed_by=None, tag="", reason=None):
    """Close an open conversation; closing a closed one changes nothing.

    ``tag`` says what it turned out to be about (for the store's reports);
    ``reason`` replaces the default line shown to the shopper. ``closed_by``:
    the member of staff closing it (checked by ``access``), or None when the
    store itself does (housekeeping, erasure).
    """
    with transaction.atomic():
        conversation = locked(conversation.pk)
        if not conversation.is_open:
            return conversation
        if closed_by is not None:
            check_may_act(closed_by, conversation, Action.CLOSE)
        conversation.status = Conversation.Status.CLOSED
        conversation.closed_at = timezone.now()
        conversation.close_tag = (tag or "").strip()[:50]
        conversation.save(update_fields=["status", "closed_at", "close_tag"])
        with visitor_language(conversation):
            line = str(reason or _("The chat has ended."))
        post_system_message(conversation, line)
        _publish_conversation(conversation)
        events.emit(events.ConversationClosed(conversation, closed_by))
    return conversation


def mark_read(conversation, reader, seq, user=None):
    """Record that ``reader`` ("visitor" or "agent") has read up to ``seq``.

    For "agent", ``user`` is who read it, and only the agent the chat is
    assigned to reads for the store: a supervisor or another agent watching
    it, or anyone looking at a chat nobody has taken yet, changes nothing
    (the assigned agent keeps their unread count, the shopper is not told
    "Read"). Returns whether the read was recorded.
    """
    seq = min(seq, conversation.last_seq)
    field = f"{reader}_read_seq"
    other = Message.Sender.AGENT if reader == "visitor" else Message.Sender.VISITOR
    only = {f"{field}__lt": seq}
    if reader == "agent":
        if user is None:
            raise ValueError("An agent's read needs the user who read.")
        # In the UPDATE itself: a transfer committed meanwhile is respected.
        only["assigned_agent"] = user
    with transaction.atomic():
        updated = Conversation.objects.filter(pk=conversation.pk, **only).update(
            **{field: seq}
        )
        if not updated:
            return False
        Message.objects.filter(
            conversation=conversation,
            seq__lte=seq,
            read_at__isnull=True,
        ).exclude(sender_kind=reader).filter(
            sender_kind__in=[other, Message.Sender.SYSTEM]
        ).update(read_at=timezone.now())
        setattr(conversation, field, seq)
        publish_on_commit(
            [
                visitor_group(conversation.visitor_id),
                conversation_group(conversation.pk),
            ],
            {
                "type": "read",
                "conversation": conversation.pk,
                "reader": reader,
                "seq": seq,
            },
        )
        if reader == "agent":
            # For the unread counts of consoles that list the chat but do
            # not follow it (its assigned agent's consoles do).
            publish_on_commit(
                [
                    ACTIVITY_GROUP
                    if conversation.status == Conversation.Status.ACTIVE
                    else AGENTS_GROUP
                ],
                {
                    "type": "read",
                    "conversation": conversation.pk,
                    "reader": reader,
                    "seq": seq,
                },
            )
    return True


async def publish_typing(
    conversation_id, visitor_id, sender, active, name=None, draft=False
):
    """Relay a typing indicator; it is never stored.

    ``draft``: typing paused with unsent words in the box (shown to agents as
    the shopper's draft in progress).
    """
    frame = {
        "type": "typing",
        "conversation": conversation_id,
        "sender": sender,
        "active": bool(active),
        "draft": bool(draft) and not active,
    }
    if name:
        frame["name"] = name
    groups = [conversation_group(conversation_id)]
    if sender == "agent":
        groups.append(visitor_group(visitor_id))
    await send_to_groups(groups, frame)


# Reading --------------------------------------------------------------------


def messages_after(conversation, after_seq, before_seq=None, limit=None):
    """Messages with ``after_seq < seq < before_seq``, oldest first.

    Returns ``(messages, more)``; ``more`` says a further fetch is needed.
    """
    limit = limit or app_settings.REPLAY_BATCH_SIZE
    query = Message.objects.filter(conversation=conversation, seq__gt=after_seq)
    if before_seq is not None:
        query = query.filter(seq__lt=before_seq)
    rows = list(
        query.select_related("author__livechat_profile", "attachment").order_by("seq")[
            : limit + 1
        ]
    )
    return rows[:limit], len(rows) > limit


def last_preview(conversation):
    """The last visitor or agent message body, for the inbox."""
    return (
        Message.objects.filter(conversation=conversation)
        .exclude(sender_kind=Message.Sender.SYSTEM)
        .order_by("-seq")
        .values_list("body", flat=True)
        .first()
        or ""
    )


def others_activity(agent):
    """Activity of the open chats other agents have (``watch`` answers it)."""
    return [
        protocol.activity_summary(summary)
        for summary in inbox_conversations(agent)
        if summary["status"] == Conversation.Status.ACTIVE
        and summary["agent"] is not None
        and summary["agent"]["id"] != agent.pk
    ]


def inbox_conversations(agent):
    """What an agent's console lists: every open chat and the recently closed."""
    preview = Subquery(
        Message.objects.filter(conversation=OuterRef("pk"))
        .exclude(sender_kind=Message.Sender.SYSTEM)
        .order_by("-seq")
        .values("body")[:1]
    )
    base = Conversation.objects.select_related(
        "visitor__user", "assigned_agent__livechat_profile"
    ).annotate(preview=preview)
    open_ = list(
        base.filter(status__in=Conversation.OPEN_STATUSES).order_by("created_at")
    )
    closed = list(
        base.exclude(status__in=Conversation.OPEN_STATUSES).order_by(
            "-closed_at", "-created_at"
        )[: app_settings.CONSOLE_RECENT_CLOSED]
    )
    return [protocol.conversation_summary(c, c.preview or "") for c in open_ + closed]
