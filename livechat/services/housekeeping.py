"""Time-based changes: missed chats, inactive chats closed, replies emailed
to shoppers who have been gone a while.

Run by ``manage.py livechat_housekeeping`` (from cron, every minute or so) and,
so a store without cron still gets it, at most once a minute from the agent
consoles' heartbeats.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from .. import events
from ..conf import app_settings
from ..models import Conversation
from ..realtime.publishing import publish_conversation
from ..shared_cache import cache
from . import webhooks
from .conversations import close_conversation
from .lookups import locked
from .offline import send_due_followups
from .presence import forget_dead_connections, publish_availability
from .reports.agent_time import settle_held_time, settle_online_time

_LOCK_KEY = "livechat:housekeeping"


def mark_missed(now=None):
    """Chats nobody answered in time become "missed" (and stay open)."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=app_settings.MISSED_AFTER_SECONDS)
    ids = list(
        Conversation.objects.filter(
            status=Conversation.Status.WAITING,
            source=Conversation.Source.CHAT,
            first_agent_reply_at__isnull=True,
        )
        # A reopened chat waits from its reopening, not from its first day.
        .filter(
            Q(reopened_at__isnull=True, created_at__lt=limit) | Q(reopened_at__lt=limit)
        )
        .values_list("pk", flat=True)[:500]
    )
    for conversation_id in ids:
        with transaction.atomic():
            conversation = locked(conversation_id)
            if conversation.status != Conversation.Status.WAITING:
                continue
            conversation.status = Conversation.Status.MISSED
            conversation.save(update_fields=["status"])
            publish_conversation(conversation)
            events.emit(events.ConversationMissed(conversation))
    return len(ids)


def close_inactive(now=None):
    """Close open chats with no message for LIVECHAT_AUTO_CLOSE_AFTER_SECONDS."""
    seconds = app_settings.AUTO_CLOSE_AFTER_SECONDS
    if not seconds:
        return 0
    now = now or timezone.now()
    limit = now - timedelta(seconds=seconds)
    ids = list(
        Conversation.objects.filter(
            status__in=Conversation.OPEN_STATUSES,
            source=Conversation.Source.CHAT,
            last_message_at__lt=limit,
        ).values_list("pk", flat=True)[:500]
    )
    for conversation_id in ids:
        conversation = Conversation(pk=conversation_id)
        close_conversation(
            conversation,
            tag="inactive",
            # Lazy: translated into the shopper's language when stored.
            reason=gettext_lazy("The chat was closed after a while without messages."),
        )
    return len(ids)


def run(now=None):
    """Everything time-based; returns counts for the command's output."""
    forget_dead_connections()
    counts = {
        "missed": mark_missed(now),
        "closed": close_inactive(now),
        "followups": send_due_followups(now),
    }
    # The reports' agent time, counted as it passes.
    settle_held_time(now)
    settle_online_time(now)
    webhooks.prune_log(now)
    return counts


def run_if_due():
    """Run at most once a minute across processes sharing the cache.

    Also re-tells open widgets whether anyone is there: an agent whose
    console died without a goodbye drops out when their heartbeat expires,
    and no other event would announce it.
    """
    if cache.add(_LOCK_KEY, True, 60):
        run()
        publish_availability()
