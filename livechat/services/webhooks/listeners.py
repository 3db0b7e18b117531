"""Domain events into webhook deliveries: one row per endpoint that wants
the event, written after the change committed; the ``livechat_webhooks``
worker sends them, so no request ever waits on a receiver.

Whether any endpoint wants an event is answered from a per-process cache of
the subscribed event names, without the database (``events.listen``'s
``wanted``): a store with no webhooks pays nothing per message but one query
every ``_REFRESH_SECONDS``. The cache is refreshed by the listener itself, and
at once when an endpoint is saved or deleted in this process: another
process hears of a new endpoint within ``_REFRESH_SECONDS``.
"""

import time

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from ... import events
from ...models import Conversation, WebhookDelivery, WebhookEndpoint
from .payloads import EVENTS, envelope

_REFRESH_SECONDS = 5

_cache = {"names": frozenset(), "read_at": float("-inf")}


def _stale() -> bool:
    return time.monotonic() - _cache["read_at"] > _REFRESH_SECONDS


def _active_endpoints():
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True))
    _cache["names"] = frozenset(name for e in endpoints for name in e.events)
    _cache["read_at"] = time.monotonic()
    return endpoints


@receiver([post_save, post_delete], sender=WebhookEndpoint)
def _endpoints_changed(sender, **kwargs):
    _cache["read_at"] = float("-inf")


def _wanted(event) -> bool:
    return _stale() or EVENTS[type(event)][0] in _cache["names"]


@events.listen(*EVENTS, wanted=_wanted)
def _record_deliveries(event):
    endpoints = _active_endpoints()
    name, build = EVENTS[type(event)]
    if name not in _cache["names"]:
        return
    conversation = getattr(event, "conversation", None)
    if (
        conversation is not None
        and not Conversation.objects.filter(pk=conversation.pk).exists()
    ):
        # Erased meanwhile (an erasure closes open chats first): nothing of
        # it may go out now.
        return
    rows = []
    # A conversation is opened by its first message, whose event is emitted
    # first (the consoles hear of the message before the routing): for
    # receivers, "opened" comes first, at the moment it was opened.
    occurred = (
        event.conversation.created_at
        if isinstance(event, events.ConversationOpened)
        else timezone.now()
    )
    for ordering_key, data in build(event):
        body = envelope(name, data)
        rows.extend(
            WebhookDelivery(
                endpoint=endpoint,
                event=str(name),
                event_id=body["id"],
                ordering_key=ordering_key,
                occurred_at=occurred,
                payload=body,
            )
            for endpoint in endpoints
            if endpoint.wants(name)
        )
    WebhookDelivery.objects.bulk_create(rows)
