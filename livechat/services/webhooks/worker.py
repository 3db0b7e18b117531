"""Sending the webhook deliveries: claim what is due, POST it, log the
attempt, retry with exponential backoff for a bounded time, and switch off
an endpoint that keeps failing.

A claimed delivery is leased to its worker (``locked_until``) so two workers
never send it at once; the lease outlives the request's timeout. A worker
stopped with SIGTERM finishes what it sent before it exits; one killed
outright leaves its lease to expire, and the delivery goes out again with
the same event id (receivers deduplicate by ``id``).
"""

import json
import logging
import random
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.mail import mail_admins
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ...conf import app_settings
from ...models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from . import transport
from .signing import HEADER, sign

logger = logging.getLogger("livechat.webhooks")

PENDING = WebhookDelivery.State.PENDING


def _lease() -> timedelta:
    return timedelta(seconds=app_settings.WEBHOOK_TIMEOUT * 2 + 30)


def backoff(attempts: int) -> float:
    """Seconds before try ``attempts + 1``: doubling from the first retry's
    delay up to the longest, with a tenth of jitter."""
    delay = min(
        app_settings.WEBHOOK_RETRY_DELAY * 2 ** max(attempts - 1, 0),
        app_settings.WEBHOOK_RETRY_MAX_DELAY,
    )
    return delay * random.uniform(0.9, 1.1)


def claim(limit: int) -> list[WebhookDelivery]:
    """Lease up to ``limit`` due deliveries, each the oldest pending one of
    its conversation at its endpoint (so a conversation's events arrive in
    order)."""
    now = timezone.now()
    earlier = (
        WebhookDelivery.objects.filter(
            endpoint=OuterRef("endpoint"),
            ordering_key=OuterRef("ordering_key"),
            state=PENDING,
        )
        .filter(
            Q(occurred_at__lt=OuterRef("occurred_at"))
            | Q(occurred_at=OuterRef("occurred_at"), id__lt=OuterRef("id"))
        )
        .exclude(ordering_key="")
    )
    with transaction.atomic():
        due = WebhookDelivery.objects.filter(
            Q(locked_until__isnull=True) | Q(locked_until__lte=now),
            ~Exists(earlier),
            state=PENDING,
            next_attempt_at__lte=now,
            endpoint__is_active=True,
        ).order_by("occurred_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        rows = list(due.select_related("endpoint")[:limit])
        until = now + _lease()
        free = Q(locked_until__isnull=True) | Q(locked_until__lte=now)
        # Each row is taken only if still free: without SKIP LOCKED (SQLite)
        # two workers may read the same rows, and only one takes each.
        taken = []
        for row in rows:
            if WebhookDelivery.objects.filter(free, pk=row.pk, state=PENDING).update(
                locked_until=until
            ):
                row.locked_until = until
                taken.append(row)
    return taken


def body_of(delivery) -> bytes:
    return json.dumps(
        delivery.payload,
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def attempt(delivery: WebhookDelivery) -> bool:
    """POST one leased delivery and record what happened; True if accepted."""
    endpoint = delivery.endpoint
    body = body_of(delivery)
    headers = {
        HEADER: sign(endpoint.secret, body),
        "Livechat-Event": delivery.event,
        "Livechat-Event-Id": delivery.event_id,
        "Livechat-Delivery": str(delivery.pk),
    }
    started = timezone.now()
    status, excerpt, error = None, "", ""
    try:
        answer = transport.post(
            endpoint.url,
            body,
            headers,
            timeout=app_settings.WEBHOOK_TIMEOUT,
            allow_private=app_settings.WEBHOOK_ALLOW_PRIVATE_TARGETS,
        )
    except transport.DeliveryError as exc:
        error = str(exc)
    else:
        status, excerpt = answer.status, answer.excerpt
        if 300 <= status < 400:
            error = "redirect not followed"
    finished = timezone.now()
    ok = status is not None and 200 <= status < 300
    _record(delivery, started, finished, status, excerpt, error, ok)
    return ok


def _record(delivery, started, finished, status, excerpt, error, ok):
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            started_at=started,
            status_code=status,
            duration_ms=int((finished - started).total_seconds() * 1000),
            response_excerpt=excerpt,
            error=error[:300],
        )
        attempts = delivery.attempts + 1
        changes = {"attempts": attempts, "locked_until": None}
        if ok:
            changes.update(state=WebhookDelivery.State.DELIVERED, delivered_at=finished)
        elif finished - delivery.created_at >= timedelta(
            seconds=app_settings.WEBHOOK_RETRY_FOR
        ):
            changes["state"] = WebhookDelivery.State.FAILED
        else:
            changes["next_attempt_at"] = finished + timedelta(seconds=backoff(attempts))
        # Only while the lease is ours: a worker that outlived its lease
        # does not overwrite what the next one recorded.
        WebhookDelivery.objects.filter(
            pk=delivery.pk, locked_until=delivery.locked_until
        ).update(**changes)
        _endpoint_health(delivery.endpoint, ok, finished, error or f"HTTP {status}")
    if not ok:
        logger.info(
            "livechat: webhook %s to %s failed (%s)",
            delivery.event_id,
            _where(delivery.endpoint.url),
            error or f"HTTP {status}",
        )


def _endpoint_health(endpoint, ok, now, why):
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint.pk)
    if ok:
        endpoints.exclude(failing_since=None).update(failing_since=None)
        return
    endpoints.filter(failing_since=None).update(failing_since=now)
    limit = now - timedelta(seconds=app_settings.WEBHOOK_DISABLE_AFTER)
    disabled = endpoints.filter(is_active=True, failing_since__lte=limit).update(
        is_active=False,
        disabled_reason=f"Every delivery failed since {limit:%Y-%m-%d %H:%M} UTC; "
        f"last: {why}"[:300],
    )
    if disabled:
        logger.warning(
            "livechat: webhook endpoint %s switched off", _where(endpoint.url)
        )
        transaction.on_commit(lambda: _tell_admins(endpoint, why))


def _where(url):
    """Scheme, host and port of a receiver's URL: its path and query may hold
    a key of the receiver's, which logs and emails must not spread."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _tell_admins(endpoint, why):
    where = _where(endpoint.url)
    mail_admins(
        f"Webhook disabled: {where}",
        f"livechat stopped sending webhooks to {where} (endpoint "
        f"#{endpoint.pk}): every delivery "
        f"failed for {app_settings.WEBHOOK_DISABLE_AFTER // 3600} hours "
        f"(last: {why}). Fix the receiver, then tick 'active' again in the "
        "admin; the deliveries still pending go out then.",
        fail_silently=True,
    )


def _run_one(delivery):
    try:
        return attempt(delivery)
    except Exception:
        logger.exception("livechat: webhook delivery %s crashed", delivery.pk)
        return False
    finally:
        close_old_connections()


def run(stop: threading.Event, *, concurrency=None, poll=None, once=False) -> int:
    """Deliver until ``stop`` is set (or, with ``once``, until nothing is due):
    up to ``concurrency`` receivers at a time, so one slow receiver holds
    only its own thread. Returns how many attempts were made."""
    concurrency = concurrency or app_settings.WEBHOOK_CONCURRENCY
    poll = app_settings.WEBHOOK_POLL_INTERVAL if poll is None else poll
    made = 0
    running = set()
    with ThreadPoolExecutor(concurrency, thread_name_prefix="webhook") as pool:
        while True:
            if not stop.is_set() and len(running) < concurrency:
                for delivery in claim(concurrency - len(running)):
                    running.add(pool.submit(_run_one, delivery))
            if not running:
                if stop.is_set() or once:
                    break
                stop.wait(poll)
                continue
            done, running = wait(running, timeout=poll, return_when=FIRST_COMPLETED)
            made += len(done)
            running = set(running)
    close_old_connections()
    return made
