"""Retention: closed conversations past the period deleted or anonymised.

Used by the management command ``livechat_retention``. The work goes in
batches of conversations (then of visitors) chosen in primary-key order, each
batch in its own transaction: an interrupted run leaves whole batches done,
and running it again carries on with what is left.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.signals import post_delete, pre_delete
from django.utils import timezone

from ..attachments import delete_stored_files
from ..conf import app_settings
from ..models import Attachment, Conversation, InternalNote, Message, Visitor
from . import webhooks

REMOVED = "[removed]"
RETENTION_MODES = ("delete", "anonymise")
COUNT_KEYS = ("conversations", "messages", "notes", "attachments", "visitors")

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


class RetentionRefused(ValueError):
    """A retention period, mode or batch size that cannot be applied; says
    which and why."""


@dataclass(frozen=True)
class RetentionProgress:
    """Where an ``apply_retention`` run stands, after each committed batch."""

    stage: str  # "conversations", then "visitors"
    done: int  # rows of this stage changed so far
    batches: int  # batches committed so far, both stages
    counts: dict = field(default_factory=dict)  # all changed so far


def retention_policy(days=None, anonymise=None):
    """``(days, anonymise)`` from the arguments, else from the settings.

    ``days`` None means no retention period (keep everything); 0 means every
    closed conversation, whatever its age. Raises RetentionRefused for a
    negative or non-integer period or an unknown LIVECHAT_RETENTION_MODE.
    """
    source = "days"
    if days is None:
        days, source = app_settings.RETENTION_DAYS, "LIVECHAT_RETENTION_DAYS"
    if days is not None and not _whole(days, 0):
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


def retention_batch_size(batch_size=None) -> int:
    """``batch_size``, else LIVECHAT_RETENTION_BATCH_SIZE; RetentionRefused
    unless it is a whole number, 1 or more."""
    source = "batch size"
    if batch_size is None:
        batch_size = app_settings.RETENTION_BATCH_SIZE
        source = "LIVECHAT_RETENTION_BATCH_SIZE"
    if not _whole(batch_size, 1):
        raise RetentionRefused(
            f"{source} must be a whole number, 1 or more (got {batch_size!r})."
        )
    return batch_size


def _whole(value, minimum):
    return not isinstance(value, bool) and isinstance(value, int) and value >= minimum


def retention_cutoff(days, now=None):
    """Closed conversations created before this are past the period."""
    return (now or timezone.now()) - timedelta(days=days)


def count_retention(days=None, anonymise=None, now=None, kinds=COUNT_KEYS) -> dict:
    """What ``apply_retention`` would change now, counted, changing nothing.

    Keys: ``kinds``, by default conversations, messages, notes, attachments
    and visitors (counting messages takes longest at a large store).
    """
    days, anonymise = retention_policy(days, anonymise)
    if days is None:
        return dict.fromkeys(kinds, 0)
    conversations, visitors = _retention_scope(retention_cutoff(days, now), anonymise)
    in_scope = {"conversation__in": conversations.values("pk")}
    messages = Message.objects.filter(**in_scope)
    notes = InternalNote.objects.filter(**in_scope)
    if anonymise:
        messages = messages.filter(_message_not_removed())
        notes = notes.exclude(body=REMOVED)
    querysets = {
        "conversations": conversations,
        "messages": messages,
        "notes": notes,
        "attachments": Attachment.objects.filter(**in_scope),
        "visitors": visitors,
    }
    return {kind: querysets[kind].count() for kind in kinds}


def retention_span(days=None, anonymise=None, now=None) -> dict | None:
    """The oldest and the newest conversation ``apply_retention`` would
    change now, each as ``{"id": ..., "created": datetime}``; None if none."""
    days, anonymise = retention_policy(days, anonymise)
    if days is None:
        return None
    conversations, _ = _retention_scope(retention_cutoff(days, now), anonymise)
    by_age = conversations.order_by("created_at", "pk").values("pk", "created_at")
    oldest = by_age.first()
    if oldest is None:
        return None
    newest = by_age.last()
    return {
        end: {"id": row["pk"], "created": row["created_at"]}
        for end, row in (("oldest", oldest), ("newest", newest))
    }


def apply_retention(
    days=None,
    anonymise=None,
    now=None,
    batch_size=None,
    progress: Callable[[RetentionProgress], None] | None = None,
) -> dict:
    """Delete (or anonymise) closed conversations older than ``days``.

    Defaults from LIVECHAT_RETENTION_DAYS (None: keep),
    LIVECHAT_RETENTION_MODE ("delete" or "anonymise") and
    LIVECHAT_RETENTION_BATCH_SIZE. Open conversations and the visitors who
    have one are never touched. Works in transactions of at most
    ``batch_size`` conversations, then visitors, taken in primary-key order;
    ``progress`` is called after each one commits. Memory stays the same
    whatever the backlog: messages, notes and attachments are deleted or
    updated by statements, never loaded. Returns the counts of what changed,
    with the keys of ``count_retention``.
    """
    days, anonymise = retention_policy(days, anonymise)
    batch_size = retention_batch_size(batch_size)
    counts = dict.fromkeys(COUNT_KEYS, 0)
    if days is None:
        return counts
    conversations, visitors = _retention_scope(retention_cutoff(days, now), anonymise)
    stages = (
        (
            "conversations",
            conversations,
            _anonymise_conversations if anonymise else _delete_conversations,
        ),
        ("visitors", visitors, _anonymise_visitors if anonymise else _delete_visitors),
    )
    batches = 0
    for stage, queryset, change in stages:
        for changed in _in_batches(queryset, batch_size, change):
            batches += 1
            for key, value in changed.items():
                counts[key] += value
            if progress is not None:
                progress(RetentionProgress(stage, counts[stage], batches, dict(counts)))
    return counts


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
        for name, empty in _IDENTIFYING.items():
            if empty is None:
                identified |= Q(**{f"{name}__isnull": False})
            else:
                identified |= ~Q(**{name: empty})
        visitors = visitors.filter(identified)
    return conversations, visitors


def _message_not_removed():
    """A shopper's or agent's message whose text or client id is still there."""
    return ~Q(sender_kind=Message.Sender.SYSTEM) & (~Q(body=REMOVED) | ~Q(client_id=""))


def _in_batches(queryset, size, change):
    """Call ``change(ids)`` on ``size`` primary keys of ``queryset`` at a time,
    in primary-key order, each batch locked and changed in its own
    transaction; yield each batch's results once it has committed."""
    last_pk = 0
    while True:
        # Chosen outside the transaction, so the run ends without opening
        # one for an empty batch.
        ids = list(
            queryset.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        if not ids:
            return
        with transaction.atomic():
            # Locked and checked again: a chat reopened or a shopper back
            # since the choice above is left alone.
            locked = list(
                queryset.filter(pk__in=ids)
                .order_by("pk")
                .select_for_update()
                .values_list("pk", flat=True)
            )
            changed = change(locked) if locked else {}
        last_pk = ids[-1]
        yield changed


def _bulk_delete(queryset):
    """Delete the rows of ``queryset`` by one DELETE, without fetching them.

    Django's ``delete()`` loads every row of a model that others reference
    (each message, for its attachment) to cascade and send pre/post_delete
    per row. Here the rows that reference them are deleted first, and no
    per-row signal is sent. Returns how many rows went.
    """
    return queryset._raw_delete(queryset.db)


def _delete_attachments(ids):
    """Delete the attachments of conversations ``ids``, then their files once
    the transaction commits; how many went."""
    attachments = Attachment.objects.filter(conversation_id__in=ids)
    # Only the names: the files go after the rows, so a rolled-back batch
    # keeps both.
    names = [
        name
        for pair in attachments.values_list("file", "thumbnail")
        for name in pair
        if name
    ]
    deleted = _bulk_delete(attachments)
    if names:
        # After the commit the rows are gone for good; a file the storage
        # cannot delete then is logged (livechat.attachments) and stays in
        # the storage, unreferenced, and no later run retries it.
        transaction.on_commit(partial(delete_stored_files, names))
    return deleted


def _delete_rows(model, ids, referenced_by):
    """Delete the rows ``ids`` of ``model``, whose rows in ``referenced_by``
    are already deleted; how many went.

    By one statement when nothing else references ``model`` and nobody
    listens to its deletion; else through Django's delete, so that a host
    model referencing it is handled as its on_delete says, and signalled.
    """
    rows = model.objects.filter(pk__in=ids)
    others = {rel.related_model for rel in model._meta.related_objects}
    listened = any(signal.has_listeners(model) for signal in (pre_delete, post_delete))
    if others <= set(referenced_by) and not listened:
        return _bulk_delete(rows)
    _, deleted = rows.delete()
    return deleted.get(model._meta.label, 0)


def _delete_conversations(ids):
    in_batch = {"conversation_id__in": ids}
    webhooks.forget_conversations(ids)
    attachments = _delete_attachments(ids)
    messages = _bulk_delete(Message.objects.filter(**in_batch))
    notes = _bulk_delete(InternalNote.objects.filter(**in_batch))
    return {
        "conversations": _delete_rows(
            Conversation, ids, (Message, Attachment, InternalNote)
        ),
        "messages": messages,
        "notes": notes,
        "attachments": attachments,
    }


def _anonymise_conversations(ids):
    in_batch = {"conversation_id__in": ids}
    webhooks.forget_conversations(ids)
    attachments = _delete_attachments(ids)
    Conversation.objects.filter(pk__in=ids).update(rating_comment="")
    return {
        "conversations": len(ids),
        "messages": Message.objects.filter(_message_not_removed(), **in_batch).update(
            body=REMOVED, client_id=""
        ),
        "notes": InternalNote.objects.filter(**in_batch)
        .exclude(body=REMOVED)
        .update(body=REMOVED),
        "attachments": attachments,
    }


def _delete_visitors(ids):
    # A visitor with an open chat stays, however it came (checked again here,
    # in the batch's transaction, with the visitors locked).
    busy = set(
        Conversation.objects.filter(visitor_id__in=ids, status__in=OPEN).values_list(
            "visitor_id", flat=True
        )
    )
    ids = [pk for pk in ids if pk not in busy]
    if not ids:
        return {"visitors": 0}
    # Their conversations went in the first stage, but for one closed since
    # (an old chat that was still open then): it goes now, like the others.
    left = list(
        Conversation.objects.filter(visitor_id__in=ids).values_list("pk", flat=True)
    )
    changed = _delete_conversations(left) if left else {}
    return {**changed, "visitors": _delete_rows(Visitor, ids, (Conversation,))}


def _anonymise_visitors(ids):
    Visitor.objects.filter(pk__in=ids).update(**_IDENTIFYING)
    return {"visitors": len(ids)}
