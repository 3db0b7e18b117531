"""Data protection: a shopper's export and erasure, stored files.

Used by the management commands ``livechat_export`` and ``livechat_erase``
and by the Visitor admin's export and erase (retention is ``retention``).
"""

import json
import logging
from collections.abc import Iterator
from functools import partial

from django.db import transaction
from django.db.models import Prefetch, Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from .. import events
from ..attachments import delete_stored_files
from ..models import (
    Attachment,
    Conversation,
    InternalNote,
    Message,
    OrderRecord,
    Visitor,
)
from . import webhooks
from .conversations import close_conversation

logger = logging.getLogger(__name__)

OPEN = Conversation.OPEN_STATUSES
# Conversations read (with their messages and attachments) per query while
# exporting: memory holds this many at a time, whatever the history.
EXPORT_CHUNK_SIZE = 100


@receiver(post_delete, sender=Attachment)
def _files_of_deleted_attachment(sender, instance, **kwargs):
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


def export_visitors(visitors, chunk_size=EXPORT_CHUNK_SIZE) -> dict:
    """Everything stored about ``visitors`` (a queryset), ready for JSON.

    Holds it all in memory; ``export_visitors_json`` streams the same.
    """
    data = _export(visitors, chunk_size)
    data["visitors"] = [
        {**visitor, "conversations": list(visitor["conversations"])}
        for visitor in data["visitors"]
    ]
    return data


def export_visitors_json(visitors, chunk_size=EXPORT_CHUNK_SIZE) -> Iterator[str]:
    """``export_visitors`` as JSON text (indented by 2), in pieces: one
    conversation at a time, read ``chunk_size`` conversations per query, so
    memory does not grow with a shopper's history.

    The pieces joined are the text of
    ``json.dumps(export_visitors(visitors), indent=2, ensure_ascii=False)``.
    The number of queries depends on the number of chunks, not of
    conversations.
    """
    return _json_pieces(_export(visitors, chunk_size))


def _export(visitors, chunk_size):
    """The export, its lists of visitors and conversations lazy iterators."""
    return {
        "exported_at": timezone.now().isoformat(),
        "visitors": _visitor_exports(visitors, chunk_size),
    }


def _visitor_exports(visitors, chunk_size):
    conversations = _Peekable(
        Conversation.objects.filter(visitor__in=visitors.values("pk"))
        .order_by("visitor_id", "created_at", "pk")
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=Message.objects.select_related("attachment").order_by("seq"),
            ),
            Prefetch("attachments", queryset=Attachment.objects.order_by("pk")),
        )
        .iterator(chunk_size=chunk_size)
    )
    for visitor in visitors.order_by("pk").iterator(chunk_size=chunk_size):
        yield {
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
            "conversations": _conversations_of(visitor.pk, conversations),
            "orders": [
                {
                    "number": order.number,
                    "placed": order.placed_at.isoformat(),
                    "total": str(order.total),
                    "currency": order.currency,
                    "email": order.email,
                    "coupon_codes": order.coupon_codes,
                }
                for order in _orders_of([visitor.pk]).order_by("placed_at")
            ],
        }


class _Peekable:
    """An iterator whose next item can be looked at without taking it."""

    _END = object()

    def __init__(self, iterator):
        self._iterator = iterator
        self._next = self._END

    def peek(self):
        """The next item without taking it; None at the end."""
        if self._next is self._END:
            self._next = next(self._iterator, None)
        return self._next

    def take(self):
        item = self.peek()
        self._next = self._END
        return item


def _conversations_of(visitor_pk, conversations):
    """The exports of ``visitor_pk``'s conversations, taken from the shared
    iterator of every exported visitor's, ordered by visitor."""
    while (conversation := conversations.peek()) is not None:
        if conversation.visitor_id > visitor_pk:
            return
        conversations.take()
        # One of an earlier visitor's (whose list a reader left unfinished)
        # is skipped.
        if conversation.visitor_id == visitor_pk:
            yield _conversation_export(conversation)


def _json_pieces(value, level=0):
    """``value`` as indented JSON text, in pieces; an iterator inside it
    becomes a list written one item at a time."""
    if isinstance(value, dict):
        if not value:
            yield "{}"
            return
        inner = "\n" + "  " * (level + 1)
        for position, (key, item) in enumerate(value.items()):
            yield ("{" if position == 0 else ",") + inner
            yield json.dumps(key, ensure_ascii=False) + ": "
            yield from _json_pieces(item, level + 1)
        yield "\n" + "  " * level + "}"
    elif isinstance(value, Iterator):
        empty = True
        for item in value:
            yield ("[" if empty else ",") + "\n" + "  " * (level + 1)
            yield from _json_pieces(item, level + 1)
            empty = False
        yield "[]" if empty else "\n" + "  " * level + "]"
    else:
        # A string never holds a raw newline in JSON: re-indenting is safe.
        text = json.dumps(value, indent=2, ensure_ascii=False)
        yield text.replace("\n", "\n" + "  " * level)


def _conversation_export(conversation):
    """One conversation, from its prefetched messages and attachments."""
    return {
        "id": conversation.pk,
        "created": conversation.created_at.isoformat(),
        "status": conversation.status,
        "topic": conversation.topic,
        "rating": conversation.rating,
        "rating_comment": conversation.rating_comment,
        "messages": [_message_export(m) for m in conversation.messages.all()],
        "attachments": [
            {
                "name": attachment.original_name,
                "type": attachment.content_type,
                "size": attachment.size,
                "created": attachment.created_at.isoformat(),
            }
            for attachment in conversation.attachments.all()
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
        # Orders reported for the reports (the store keeps its own).
        "orders": _orders_of(pks).count(),
    }


def _orders_of(visitor_pks):
    return OrderRecord.objects.filter(
        Q(visitor__in=visitor_pks) | Q(conversation__visitor__in=visitor_pks)
    )


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
        _orders_of(pks).delete()
        webhooks.forget_conversations(
            Conversation.objects.filter(visitor_id__in=pks).values_list("pk", flat=True)
        )
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
