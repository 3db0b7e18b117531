"""Data protection: retention, a shopper's export and erasure, stored files.

Used by the management commands ``livechat_retention``, ``livechat_export``
and ``livechat_erase`` and by the Visitor admin's export and erase.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from .. import events
from ..attachments import attachment_storage
from ..conf import app_settings
from ..models import Attachment, Conversation, InternalNote, Message, Visitor
from .conversations import close_conversation

logger = logging.getLogger(__name__)

REMOVED = "[removed]"
RETENTION_MODES = ("delete", "anonymise")
# Conversations per transaction: each batch's messages are loaded (to delete
# their attachments' files), so memory and lock time stay bounded at any size.
RETENTION_BATCH_SIZE = 200

OPEN = Conversation.OPEN_STATUSES
# What identifies a visitor; anonymising empties these and keeps the timings.
_IDENTIFYING = {
    "user": None,
    "name": "",
    "email": "",
    "phone": "",
    "ip_address": None,
    "user_agent": "",
    "current_page": "",
    "session_key": "",
}


@receiver(post_delete, sender=Attachment)
def _delete_stored_files(sender, instance, **kwargs):
    """Runs after an attachment row is deleted: its files go once that commits."""
    names = [f.name for f in (instance.file, instance.thumbnail) if f and f.name]
    if names:
        # A rolled-back deletion keeps its rows, so it must keep their files.
        transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names):
    storage = attachment_storage()
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("livechat: could not delete %s", name)


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


# Retention --------------------------------------------------------------------


class RetentionRefused(ValueError):
    """A retention period or mode that cannot be applied; says which and why."""


def retention_policy(days=None, anonymise=None):
    """``(days, anonymise)`` from the arguments, else from the settings.

    ``days`` None means no retention period (keep everything); 0 means every
    closed conversation, whatever its age. Raises RetentionRefused for a
    negative or non-integer period or an unknown LIVECHAT_RETENTION_MODE.
    """
    source = "days"
    if days is None:
        days, source = app_settings.RETENTION_DAYS, "LIVECHAT_RETENTION_DAYS"
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int) or days < 0
    ):
        raise RetentionRefused(
            f"{source} must be a whole number of days, 0 or more (got {days!r})."
        )
    if anonymise is None:
        mode = app_settings.RETENTION_MODE
        if mode not in RETENTION_MODES:
            raise RetentionRefused(
                f"LIVECHAT_RETENTION_MODE must be one of {', '.join(RETENTION_MODES)}"
                f" (got {mode!r})."
            )
        anonymise = mode == "anonymise"
    return days, anonymise


def retention_cutoff(days, now=None):
    """Closed conversations created before this are past the period."""
    return (now or timezone.now()) - timedelta(days=days)


def count_retention(days=None, anonymise=None, now=None) -> dict:
    """What ``apply_retention`` would change now, counted, changing nothing.

    Keys: conversations, messages, notes, attachments, visitors.
    """
    days, anonymise = retention_policy(days, anonymise)
    if days is None:
        return _no_counts()
    conversations, visitors = _retention_scope(retention_cutoff(days, now), anonymise)
    in_scope = {"conversation__in": conversations.values("pk")}
    messages = Message.objects.filter(**in_scope)
    notes = InternalNote.objects.filter(**in_scope)
    if anonymise:
        messages = messages.filter(_message_not_removed())
        notes = notes.exclude(body=REMOVED)
    return {
        "conversations": conversations.count(),
        "messages": messages.count(),
        "notes": notes.count(),
        "attachments": Attachment.objects.filter(**in_scope).count(),
        "visitors": visitors.count(),
    }


def apply_retention(
    days=None, anonymise=None, now=None, batch_size=RETENTION_BATCH_SIZE
) -> dict:
    """Delete (or anonymise) closed conversations older than ``days``.

    Defaults from LIVECHAT_RETENTION_DAYS (None: keep) and
    LIVECHAT_RETENTION_MODE ("delete" or "anonymise"). Open conversations and
    the visitors who have one are never touched. Works in transactions of at
    most ``batch_size`` conversations (or visitors). Returns the counts of
    what changed, with the keys of ``count_retention``.
    """
    days, anonymise = retention_policy(days, anonymise)
    counts = _no_counts()
    if days is None:
        return counts
    conversations, visitors = _retention_scope(retention_cutoff(days, now), anonymise)
    change_conversations = (
        _anonymise_conversations if anonymise else _delete_conversations
    )
    change_visitors = _anonymise_visitors if anonymise else _delete_visitors
    for queryset, change in (
        (conversations, change_conversations),
        (visitors, change_visitors),
    ):
        for changed in _in_batches(queryset, batch_size, change):
            for key, value in changed.items():
                counts[key] += value
    return counts


def _no_counts():
    return dict.fromkeys(
        ("conversations", "messages", "notes", "attachments", "visitors"), 0
    )


def _retention_scope(cutoff, anonymise):
    """The conversations and the visitors retention changes, as querysets."""
    conversations = Conversation.objects.exclude(status__in=OPEN).filter(
        created_at__lt=cutoff
    )
    # A visitor goes (or is anonymised) only when nothing of theirs is kept:
    # no open conversation (whatever its age) and no recent one.
    kept = Conversation.objects.filter(visitor=OuterRef("pk")).filter(
        Q(status__in=OPEN) | Q(created_at__gte=cutoff)
    )
    # Nor while a widget of theirs is connected (``--days 0`` reaches now).
    visitors = (
        Visitor.objects.filter(last_seen_at__lt=cutoff)
        .exclude(Exists(kept))
        .exclude(live_sockets__gt=0)
    )
    if anonymise:
        # Only what still holds something to remove, so a second run changes
        # (and counts) nothing.
        of_conversation = {"conversation": OuterRef("pk")}
        conversations = conversations.filter(
            ~Q(rating_comment="")
            | Exists(Message.objects.filter(_message_not_removed(), **of_conversation))
            | Exists(
                InternalNote.objects.filter(**of_conversation).exclude(body=REMOVED)
            )
            | Exists(Attachment.objects.filter(**of_conversation))
        )
        identified = Q()
        for field, empty in _IDENTIFYING.items():
            if empty is None:
                identified |= Q(**{f"{field}__isnull": False})
            else:
                identified |= ~Q(**{field: empty})
        visitors = visitors.filter(identified)
    return conversations, visitors


def _message_not_removed():
    """A shopper's or agent's message whose text or client id is still there."""
    return ~Q(sender_kind=Message.Sender.SYSTEM) & (~Q(body=REMOVED) | ~Q(client_id=""))


def _in_batches(queryset, size, change):
    """Call ``change(ids)`` on ``size`` primary keys of ``queryset`` at a time,
    each batch locked and changed in its own transaction; yield its results."""
    last_pk = 0
    while True:
        with transaction.atomic():
            ids = list(
                queryset.filter(pk__gt=last_pk)
                .order_by("pk")
                .select_for_update()
                .values_list("pk", flat=True)[:size]
            )
            if not ids:
                return
            changed = change(ids)
        last_pk = ids[-1]
        yield changed


def _delete_conversations(ids):
    # Attachments go through the cascade one by one, so their files go too.
    _, deleted = Conversation.objects.filter(pk__in=ids).delete()
    return {
        "conversations": deleted.get(Conversation._meta.label, 0),
        "messages": deleted.get(Message._meta.label, 0),
        "notes": deleted.get(InternalNote._meta.label, 0),
        "attachments": deleted.get(Attachment._meta.label, 0),
    }


def _anonymise_conversations(ids):
    in_batch = {"conversation_id__in": ids}
    _, deleted = Attachment.objects.filter(**in_batch).delete()
    Conversation.objects.filter(pk__in=ids).update(rating_comment="")
    return {
        "conversations": len(ids),
        "messages": Message.objects.filter(_message_not_removed(), **in_batch).update(
            body=REMOVED, client_id=""
        ),
        "notes": InternalNote.objects.filter(**in_batch)
        .exclude(body=REMOVED)
        .update(body=REMOVED),
        "attachments": deleted.get(Attachment._meta.label, 0),
    }


def _delete_visitors(ids):
    Visitor.objects.filter(pk__in=ids).delete()
    return {"visitors": len(ids)}


def _anonymise_visitors(ids):
    Visitor.objects.filter(pk__in=ids).update(**_IDENTIFYING)
    return {"visitors": len(ids)}
