"""Webhooks: domain events recorded as deliveries (``listeners``) and sent,
signed, by the ``livechat_webhooks`` worker (``worker``).

Modules: ``payloads`` (what is sent), ``signing`` (the signature header),
``transport`` (one guarded POST), ``listeners``, ``worker``.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ...conf import app_settings
from ...models import WebhookDelivery, WebhookEndpoint
from .signing import sign, verify
from .transport import DeliveryError, check_url, resolve
from .worker import run


def redeliver(deliveries) -> int:
    """Send these deliveries again as new deliveries, with the same event id
    and body (receivers deduplicate by it); the originals keep their log."""
    copies = [
        WebhookDelivery(
            endpoint_id=d.endpoint_id,
            event=d.event,
            event_id=d.event_id,
            ordering_key=d.ordering_key,
            occurred_at=d.occurred_at,
            payload=d.payload,
        )
        for d in deliveries
    ]
    WebhookDelivery.objects.bulk_create(copies)
    return len(copies)


def forget_conversations(conversation_ids) -> int:
    """Delete the deliveries (sent or not, with their attempts) about these
    conversations: they carry the shopper's words and contact details, which
    an erasure or the retention policy removes everywhere."""
    keys = [f"conversation:{pk}" for pk in conversation_ids]
    if not keys:
        return 0
    deleted, _ = WebhookDelivery.objects.filter(ordering_key__in=keys).delete()
    return deleted


def prune_log(now=None) -> int:
    """Delete finished deliveries older than LIVECHAT_WEBHOOK_LOG_DAYS."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=app_settings.WEBHOOK_LOG_DAYS)
    deleted, _ = (
        WebhookDelivery.objects.exclude(state=WebhookDelivery.State.PENDING)
        .filter(created_at__lt=cutoff)
        .delete()
    )
    return deleted


def activate_endpoint(endpoint: WebhookEndpoint) -> None:
    """Switch a (disabled) endpoint on again: its pending deliveries resume."""
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_active=True, disabled_reason="", failing_since=None
        )
        # Deliveries that waited past their time while it was off get a
        # fresh start rather than failing on their first try.
        WebhookDelivery.objects.filter(
            endpoint=endpoint, state=WebhookDelivery.State.PENDING
        ).update(created_at=timezone.now(), next_attempt_at=timezone.now())


__all__ = [
    "DeliveryError",
    "activate_endpoint",
    "check_url",
    "forget_conversations",
    "prune_log",
    "redeliver",
    "resolve",
    "run",
    "sign",
    "verify",
]
