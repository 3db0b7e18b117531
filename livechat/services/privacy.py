"""Data protection: a shopper's export and erasure, stored files.

Used by the management commands ``livechat_export`` and ``livechat_erase``
and by the Visitor admin's export and erase (retention is ``retention``).
"""

import logging
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from .. import events
from ..attachments import delete_stored_files
from ..models import Attachment, Conversation, InternalNote, Message, Visitor
from .conversations import close_conversation

logger = logging.getLogger(__name__)

OPEN = Conversation.OPEN_STATUSES


@receiver(post_delete, sender=Attachment)
def _delete_stored_files(sender, instance, **kwargs):
    """Runs after an attachment row is deleted: its files go once that commits."""
    names = [f.name for f in (instance.file, instance.thumbnail) if f and f.name]
    if names:
        # A rolled-back deletion keeps its rows, so it must keep their files.
        transaction.on_commit(partial(delete_stored_files, names))


# A shopper's request ----------------------------------------------------------


def find_visitors(email=None, user=None):
    """The visitors of the shopper with this email (typed or their account's)
    or this user account; none when neither is given."""
    query = Q()
    if email:
        query |= Q(email__iexact=email)
        query |= Q(user__email__iexact=email)
    if user is not None:
        query |= Q(user=user)
    if not query:
        return Visitor.objects.none()
    return Visitor.objects.filter(query).distinct()


def export_visitors(visitors) -> dict:
    """Everything stored about ``visitors`` (a queryset), ready for JSON."""
    data = {"exported_at": timezone.now().isoformat(), "visitors": []}
    for visitor in visitors.order_by("pk"):
        conversations = visitor.conversations.order_by("created_at")
        data["visitors"].append(
            {
                "key": str(visitor.key),
                "name": visitor.name,
                "email": visitor.email,
                "phone": visitor.phone,
                "locale": visitor.locale,
                "ip_address": visitor.ip_address,
                "user_agent": visitor.user_agent,
                "current_page": visitor.current_page,
                "created": visitor.created_at.isoformat(),
                "last_seen": visitor.last_seen_at.isoformat(),
                "conversations": [_conversation_export(c) for c in conversations],
            }
        )
    return data


def _conversation_export(conversation):
    messages = conversation.messages.select_related("attachment").order_by("seq")
    return {
        "id": conversation.pk,
        "created": conversation.created_at.isoformat(),
        "status": conversation.status,
        "topic": conversation.topic,
        "rating": conversation.rating,
        "rating_comment": conversation.rating_comment,
        "messages": [_message_export(m) for m in messages],
        "attachments": [
            {
                "name": attachment.original_name,
                "type": attachment.content_type,
                "size": attachment.size,
                "created": attachment.created_at.isoformat(),
            }
            for attachment in conversation.attachments.order_by("pk")
        ],
    }


def _message_export(message):
    attachment = getattr(message, "attachment", None)
    return {
        "seq": message.seq,
        "sender": message.sender_kind,
        "body": message.body,
        "created": message.created_at.isoformat(),
        "attachment": attachment.original_name if attachment else None,
    }


def erasure_counts(visitors) -> dict:
    """What erasing ``visitors`` (a queryset) removes, counted per kind.

    ``open_conversations`` are among ``conversations``: they are closed (and
    consoles and the shopper told) before everything is deleted.
    """
    pks = visitors.values("pk")
    conversations = Conversation.objects.filter(visitor__in=pks)
    return {
        "visitors": Visitor.objects.filter(pk__in=pks).count(),
        "conversations": conversations.count(),
        "open_conversations": conversations.filter(status__in=OPEN).count(),
        "messages": Message.objects.filter(conversation__visitor__in=pks).count(),
        "notes": InternalNote.objects.filter(conversation__visitor__in=pks).count(),
        "attachments": Attachment.objects.filter(conversation__visitor__in=pks).count(),
    }


def erase_visitors(visitors, erased_by=None) -> dict:
    """Delete ``visitors`` with their conversations, messages, notes and files.

    Open conversations are closed first through ``conversations.close_conversation``
    so consoles and the shopper's widget learn it like any close, and host
    listeners of ``conversation_closed`` still find the conversation. Returns
    ``erasure_counts`` as they were when erased.
    """
    pks = list(visitors.values_list("pk", flat=True))
    _close_open_conversations(pks)
    with transaction.atomic():
        # Locked, no conversation can start for them until this commits.
        list(Visitor.objects.select_for_update().filter(pk__in=pks).only("pk"))
        # One the shopper opened since the closing above is closed here.
        _close_open_conversations(pks)
        counts = erasure_counts(Visitor.objects.filter(pk__in=pks))
        Visitor.objects.filter(pk__in=pks).delete()
        events.emit(events.VisitorsErased(tuple(pks), counts))
    # Ids only: the log must not keep what was just erased.
    logger.info(
        "livechat: erased visitors %s (by user %s): %s",
        pks,
        getattr(erased_by, "pk", None),
        counts,
    )
    return counts


def _close_open_conversations(visitor_pks):
    open_conversations = Conversation.objects.filter(
        visitor_id__in=visitor_pks, status__in=OPEN
    )
    for conversation in open_conversations:
        # Closed by the store, not as an agent: the erasure's own permission
        # (deleting visitors and conversations) is what allows it.
        close_conversation(conversation)
