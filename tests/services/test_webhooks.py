"""Webhooks against a real HTTP receiver started by the test: signatures
that verify with the documented recipe and the secret the admin shows, order
per conversation, retries with backoff, a receiver switched off after
failing, server-side request forgery refused, and restarts that never send
a delivery twice while its outcome is known."""

import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from livechat import services
from livechat.models import (
    Visitor,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from livechat.services import webhooks
from livechat.services.webhooks import transport

from .receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

FAST = dict(
    LIVECHAT_WEBHOOK_ALLOW_PRIVATE_TARGETS=True,
    LIVECHAT_WEBHOOK_RETRY_DELAY=0.05,
    LIVECHAT_WEBHOOK_RETRY_MAX_DELAY=0.2,
    LIVECHAT_WEBHOOK_TIMEOUT=2,
    LIVECHAT_WEBHOOK_POLL_INTERVAL=0.02,
)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _endpoint(url, events=("message.created",)):
    return WebhookEndpoint.objects.create(url=url, events=list(events))


def _chat(body="Do you ship to Spain?"):
    visitor = Visitor.objects.create(key=uuid.uuid4(), name="Ann")
    message, _ = services.post_visitor_message(visitor, body, uuid.uuid4().hex)
    return message.conversation


def _deliver_all():
    return webhooks.run(threading.Event(), once=True)


def _verify_as_documented(secret, header, body):
    """docs/api.md's Python recipe, verbatim in substance."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    signed = parts["t"].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(parts["t"])) < 300
    return fresh and hmac.compare_digest(expected, parts["v1"])


@override_settings(**FAST)
def test_a_delivery_is_signed_with_the_secret_the_admin_shows(receiver):
    endpoint = _endpoint(receiver.url, ["conversation.opened", "message.created"])
    conversation = _chat()
    assert _deliver_all() == 2
    (h1, b1), (h2, b2) = receiver.requests
    for headers, body in receiver.requests:
        assert _verify_as_documented(
            endpoint.secret, headers["Livechat-Signature"], body
        )
        assert not _verify_as_documented(
            endpoint.secret + "x", headers["Livechat-Signature"], body
        )
    events = [json.loads(b)["event"] for b in (b1, b2)]
    assert events == ["conversation.opened", "message.created"]
    opened, created = receiver.bodies()
    assert opened["data"]["conversation"]["id"] == conversation.pk
    assert created["data"]["message"]["body"] == "Do you ship to Spain?"
    assert h2["Livechat-Event-Id"] == created["id"]
    assert WebhookDelivery.objects.filter(state="delivered").count() == 2
    attempt = WebhookAttempt.objects.first()
    assert attempt.status_code == 200 and attempt.response_excerpt.startswith(
        "received"
    )


@override_settings(**FAST)
def test_an_event_nobody_subscribed_to_makes_no_delivery(receiver):
    _endpoint(receiver.url, ["conversation.closed"])
    _chat()
    assert WebhookDelivery.objects.count() == 0


@override_settings(**FAST)
def test_a_failing_receiver_is_retried_with_backoff_then_recovers(receiver):
    receiver.answer = lambda n: (500, 0) if n < 2 else (200, 0)
    _endpoint(receiver.url)
    _chat()
    deadline = time.monotonic() + 10
    while len(receiver.requests) < 3 and time.monotonic() < deadline:
        _deliver_all()
        time.sleep(0.05)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "delivered" and delivery.attempts == 3
    statuses = list(delivery.attempt_log.values_list("status_code", flat=True))
    assert statuses == [500, 500, 200]
    ids = {json.loads(body)["id"] for _h, body in receiver.requests}
    assert len(ids) == 1  # one event, tried three times under one id
    times = list(delivery.attempt_log.values_list("started_at", flat=True))
    assert (times[2] - times[1]) >= (times[1] - times[0]) * 0.8  # backing off


@override_settings(**FAST)
def test_order_is_kept_per_conversation_while_one_is_retried(receiver):
    receiver.answer = lambda n: (503, 0) if n == 0 else (200, 0)
    _endpoint(receiver.url)
    conversation = _chat("first")
    visitor = conversation.visitor
    for text in ("second", "third"):
        services.post_visitor_message(visitor, text, uuid.uuid4().hex)
    deadline = time.monotonic() + 10
    while (
        WebhookDelivery.objects.filter(state="pending").exists()
        and time.monotonic() < deadline
    ):
        _deliver_all()
        time.sleep(0.05)
    bodies = [b["data"]["message"]["body"] for b in receiver.bodies()]
    assert bodies == ["first", "first", "second", "third"]


@override_settings(**FAST)
def test_a_slow_receiver_does_not_hold_up_another(receiver):
    slow = Receiver()
    try:
        slow.answer = lambda n: (200, 1.5)
        _endpoint(slow.url)
        _endpoint(receiver.url)
        _chat()
        stop = threading.Event()
        worker = threading.Thread(target=webhooks.run, args=(stop,))
        started = time.monotonic()
        worker.start()
        while not receiver.requests and time.monotonic() - started < 5:
            time.sleep(0.01)
        fast_after = time.monotonic() - started
        stop.set()
        worker.join(10)
        assert receiver.requests and fast_after < 1.0
        assert len(slow.requests) == 1  # and it finished before stopping
        assert WebhookDelivery.objects.filter(state="delivered").count() == 2
    finally:
        slow.close()


@override_settings(**FAST)
def test_a_worker_stopped_mid_delivery_finishes_it_and_nothing_goes_twice(
    receiver,
):
    receiver.answer = lambda n: (200, 0.5)
    _endpoint(receiver.url)
    _chat()
    stop = threading.Event()
    worker = threading.Thread(target=webhooks.run, args=(stop,))
    worker.start()
    while not receiver.requests:
        time.sleep(0.01)
    stop.set()  # SIGTERM while the receiver is still answering
    worker.join(10)
    assert WebhookDelivery.objects.get().state == "delivered"
    assert _deliver_all() == 0  # the restarted worker finds nothing to send
    assert len(receiver.requests) == 1


@override_settings(**FAST)
def test_a_leased_delivery_is_not_sent_by_a_second_worker(receiver):
    _endpoint(receiver.url)
    _chat()
    claimed = webhooks.worker.claim(10)  # a worker that then dies
    assert len(claimed) == 1
    assert _deliver_all() == 0 and receiver.requests == []
    # Its lease runs out: the next worker sends it, under the same event id.
    WebhookDelivery.objects.update(locked_until=None)
    assert _deliver_all() == 1
    assert receiver.bodies()[0]["id"] == claimed[0].event_id


@override_settings(
    **{**FAST, "LIVECHAT_WEBHOOK_DISABLE_AFTER": 0, "LIVECHAT_WEBHOOK_RETRY_FOR": 0},
    ADMINS=[("Ops", "ops@shop.example")],
)
def test_a_receiver_that_keeps_failing_is_disabled_and_admins_told(receiver):
    receiver.answer = lambda n: (500, 0)
    endpoint = _endpoint(receiver.url)
    _chat()
    _deliver_all()
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "HTTP 500" in endpoint.disabled_reason
    assert WebhookDelivery.objects.get().state == "failed"
    assert "Webhook disabled" in mail.outbox[0].subject
    _chat("another")  # nothing is recorded for a disabled endpoint
    assert WebhookDelivery.objects.count() == 1


@override_settings(**{**FAST, "LIVECHAT_WEBHOOK_RETRY_DELAY": 60})
def test_a_redirect_is_not_followed(receiver):
    receiver.answer = lambda n: (302, 0) if n == 0 else (200, 0)
    _endpoint(receiver.url)
    _chat()
    _deliver_all()
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 302 and "redirect" in attempt.error
    assert len(receiver.requests) == 1  # not to the Location


def test_private_and_local_targets_are_refused_by_default(receiver):
    for url in (
        receiver.url,
        "http://localhost:9/",
        "http://10.0.0.8/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/",
        "http://[::ffff:127.0.0.1]:9/",
        "http://0.0.0.0:9/",
    ):
        with pytest.raises(transport.DeliveryError, match="private or local"):
            transport.post(url, b"{}", {}, timeout=1, allow_private=False)
    for url in ("ftp://example.com/", "http://user:pw@example.com/", "http:///x"):
        with pytest.raises(transport.DeliveryError):
            transport.check_url(url)
    assert receiver.requests == []


def test_a_refused_target_is_logged_as_a_failed_attempt(receiver):
    _endpoint(receiver.url)
    _chat()
    _deliver_all()
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "private or local" in attempt.error
    assert receiver.requests == []


@override_settings(**FAST)
def test_redeliver_sends_the_same_event_again(receiver):
    _endpoint(receiver.url)
    _chat()
    _deliver_all()
    assert webhooks.redeliver(WebhookDelivery.objects.all()) == 1
    _deliver_all()
    first, second = receiver.bodies()
    assert first == second
    assert WebhookDelivery.objects.filter(state="delivered").count() == 2


def test_erasing_a_visitor_deletes_the_deliveries_about_them_but_tells_of_it():
    _endpoint("https://crm.example/hook", ["message.created", "visitor.erased"])
    conversation = _chat("My address is 1 Main St")
    other = _chat("Someone else's words")
    assert WebhookDelivery.objects.count() == 2
    services.privacy.erase_visitors(Visitor.objects.filter(pk=conversation.visitor_id))
    left = list(WebhookDelivery.objects.values_list("ordering_key", "event"))
    assert sorted(left) == [
        (f"conversation:{other.pk}", "message.created"),
        (f"visitor:{conversation.visitor_id}", "visitor.erased"),
    ]
    assert "1 Main St" not in str(list(WebhookDelivery.objects.values("payload")))


def test_the_log_keeps_finished_deliveries_for_its_days():
    endpoint = _endpoint("https://crm.example/hook")
    old = timezone.now() - timedelta(days=31)
    for state in ("delivered", "failed", "pending"):
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event="message.created",
            event_id=state,
            payload={},
            state=state,
            created_at=old,
        )
    services.housekeeping.run()
    assert list(WebhookDelivery.objects.values_list("event_id", flat=True)) == [
        "pending"
    ]


def test_a_receiver_trickling_its_answer_is_cut_off_at_the_timeout():
    import socket as _socket

    server = _socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def trickle():
        conn, _ = server.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        try:
            for _ in range(40):  # a byte every 0.1 s: never a read timeout
                conn.sendall(b"x")
                time.sleep(0.1)
        except OSError:
            pass
        conn.close()

    threading.Thread(target=trickle, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(transport.DeliveryError, match="timed out|too long"):
        transport.post(
            f"http://127.0.0.1:{server.getsockname()[1]}/",
            b"{}",
            {},
            timeout=1,
            allow_private=True,
        )
    assert time.monotonic() - started < 2
    server.close()


@pytest.mark.parametrize(
    "address",
    [
        "100.64.0.1",  # carrier-grade NAT
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "::ffff:10.0.0.1",
        "fe80::1%eth0",
        "192.0.2.1",  # documentation range
    ],
)
def test_addresses_that_only_look_public_are_refused(address):
    assert transport._forbidden(address)


def test_public_addresses_are_allowed():
    for address in ("93.184.216.34", "2606:4700:4700::1111"):
        assert not transport._forbidden(address)
