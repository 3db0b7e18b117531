"""The queue: where each waiting shopper stands, and how long it may take.

Every change to the queue (a chat opened, taken, transferred, closed or
missed) tells the shoppers waiting their place, coalesced per process.
"""

import math
from datetime import timedelta

from django.db.models import DurationField, ExpressionWrapper, F
from django.utils import timezone

from .. import events
from ..models import Conversation
from ..realtime import groups
from ..realtime.publishing import send_latest
from . import availability


def _typical_first_response(now):
    """Median seconds to a first agent reply over recent answered chats."""
    waits = list(
        Conversation.objects.filter(
            source=Conversation.Source.CHAT,
            first_agent_reply_at__isnull=False,
            created_at__gte=now - timedelta(days=7),
        )
        .annotate(
            wait=ExpressionWrapper(
                F("first_agent_reply_at") - F("created_at"),
                output_field=DurationField(),
            )
        )
        .order_by("-created_at")
        .values_list("wait", flat=True)[:50]
    )
    if not waits:
        return None
    waits.sort()
    return max(waits[len(waits) // 2].total_seconds(), 5)


def queue_frames(now=None):
    """A ``queue`` frame for every waiting live chat, keyed by visitor id."""
    now = now or timezone.now()
    waiting = list(
        Conversation.objects.filter(
            status=Conversation.Status.WAITING, source=Conversation.Source.CHAT
        )
        .order_by("created_at", "pk")
        .values_list("pk", "visitor_id")
    )
    if not waiting:
        return {}
    typical = _typical_first_response(now)
    agents = availability.agents_online(now)
    frames = {}
    for position, (conversation_id, visitor_id) in enumerate(waiting, start=1):
        expected = None
        if typical is not None and agents:
            expected = int(math.ceil(position / agents) * typical)
        frames[visitor_id] = {
            "type": "queue",
            "conversation": conversation_id,
            "position": position,
            "expected_wait": expected,
        }
    return frames


def queue_frame_for(conversation):
    if conversation is None or conversation.status != Conversation.Status.WAITING:
        return None
    return queue_frames().get(conversation.visitor_id)


def publish_queue():
    """Tell every waiting shopper where they stand now (coalesced per process).

    Every change to the queue moves everyone behind it: a burst of changes
    (a hundred chats answered in a minute) is one frame per waiting shopper
    per interval, not one per change.
    """
    send_latest("queue", _queue_update)


def _queue_update():
    return [
        ([groups.visitor_group(visitor_id)], frame)
        for visitor_id, frame in queue_frames().items()
    ]


@events.listen(
    events.ConversationOpened,
    events.ConversationAssigned,
    events.ConversationTransferred,
    events.ConversationClosed,
    events.ConversationReopened,
    events.ConversationMissed,
)
def _queue_moved(event):
    """Runs after a change to the queue: the shoppers waiting learn their place."""
    if event.conversation.source != Conversation.Source.CHAT:
        return  # offline messages are not in the queue
    if isinstance(event, events.ConversationTransferred) and event.to_agent:
        return  # its ConversationAssigned moved the queue
    publish_queue()
