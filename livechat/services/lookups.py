"""Reading conversations and messages: what the write modules and the faces ask.

Nothing here changes anything. ``locked`` reads a conversation with its row
locked for the transaction that is about to change it.
"""

from django.db import connections, router
from django.db.models import OuterRef, Subquery
from django.utils import translation

from ..conf import app_settings
from ..models import Conversation, Department, Message


def messages_database():
    """Django's connection of the database messages are written to."""
    return connections[router.db_for_write(Message)]


def open_conversations(visitor):
    """A visitor's open conversations, newest first (``visitor``: one or its id).

    The first is the one their messages go to; the statement route compiles
    this same query (``messages``).
    """
    return Conversation.objects.filter(
        visitor=visitor, status__in=Conversation.OPEN_STATUSES
    ).order_by("-created_at")


def open_conversation_of(visitor):
    """The visitor's waiting or active conversation, or None."""
    return (
        open_conversations(visitor)
        .select_related("assigned_agent__livechat_profile")
        .first()
    )


def locked(conversation_id):
    """The conversation, row-locked until the transaction ends."""
    return (
        Conversation.objects.select_for_update()
        .select_related("visitor")
        .get(pk=conversation_id)
    )


def department_for_topic(topic):
    """The department taking chats of ``topic``, or None."""
    if not topic:
        return None
    for department in Department.objects.all():
        if topic in department.topic_keys:
            return department
    return None


def visitor_language(conversation):
    """Context manager: lines and emails for the shopper in their language."""
    return shopper_language(conversation.visitor)


def shopper_language(visitor):
    """Context manager: the language of ``visitor``'s widget (else the
    current one), for what is written to them."""
    locale = getattr(visitor, "locale", "") or ""
    try:
        language = translation.get_supported_language_variant(locale.lower())
    except LookupError:
        language = translation.get_language()
    return translation.override(language)


def stored_message(client_id, **conversation_filter):
    """The message stored with ``client_id`` in the conversations filtered, or None.

    A client id is unique per conversation: a retry finds its message here.
    """
    return (
        Message.objects.filter(client_id=client_id, **conversation_filter)
        .select_related("author__livechat_profile", "conversation", "attachment")
        .first()
    )


def is_duplicate(visitor, client_id):
    """Has this visitor already sent a message with ``client_id``?"""
    return Message.objects.filter(
        conversation__visitor=visitor, client_id=client_id
    ).exists()


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


def conversations_with_preview():
    """Conversations as lists show them: with the visitor, the agent and
    ``preview``, the last visitor or agent message, in one query."""
    preview = Subquery(
        Message.objects.filter(conversation=OuterRef("pk"))
        .exclude(sender_kind=Message.Sender.SYSTEM)
        .order_by("-seq")
        .values("body")[:1]
    )
    return Conversation.objects.select_related(
        "visitor__user", "assigned_agent__livechat_profile"
    ).annotate(preview=preview)
