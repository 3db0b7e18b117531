"""Webhooks: domain events recorded as deliveries (``listeners``) and sent,
signed, by the ``livechat_webhooks`` worker (``worker``).

Modules: ``payloads`` (what is sent), ``signing`` (the signature header),
``transport`` (one guarded POST), ``listeners``, ``worker``.
"""

from django.db import transaction
from django.utils import timezone

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
    "redeliver",
    "resolve",
    "run",
    "sign",
    "verify",
]
