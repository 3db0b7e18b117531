"""Webhooks from the deployed stack: a shopper chats over daphne, the
``livechat_webhooks`` worker runs as its own process, is stopped with
SIGTERM while a slow receiver is still answering, and is started again: every
event reaches the receiver once, in order, signed with the secret the admin
shows."""

import json
import signal
import subprocess
import sys
import time

import pytest

from livechat.services.webhooks import listeners, verify

from ..services.receiver import Receiver
from .live import ROOT, run_manage

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

_ENDPOINT = """
from livechat.models import WebhookEndpoint
endpoint = WebhookEndpoint.objects.create(url={url!r}, events={events!r})
print("endpoint:", endpoint.pk, endpoint.secret)
"""
_DELETE = """
from livechat.models import WebhookEndpoint
WebhookEndpoint.objects.filter(pk={pk}).delete()
"""


def _worker(env):
    return subprocess.Popen(
        [sys.executable, "manage.py", "livechat_webhooks"],
        cwd=ROOT,
        env={
            **env,
            "LIVECHAT_WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",
            "LIVECHAT_WEBHOOK_RETRY_DELAY": "0.2",
            "LIVECHAT_WEBHOOK_POLL_INTERVAL": "0.05",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for(condition, what, timeout=20):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


async def test_a_restarted_worker_sends_each_event_once_in_order(
    live_shop, open_visitor
):
    receiver = Receiver()
    # The first answer is slow: the worker is stopped while it is under way.
    receiver.answer = lambda n: (200, 1.0) if n == 0 else (200, 0)
    output = run_manage(
        live_shop.env,
        "shell",
        "-c",
        _ENDPOINT.format(
            url=receiver.url, events=["conversation.opened", "message.created"]
        ),
    )
    pk, secret = output.split("endpoint:", 1)[1].split()
    # daphne learns of an endpoint made by another process within this.
    time.sleep(listeners._REFRESH_SECONDS + 0.5)
    worker = _worker(live_shop.env)
    try:
        visitor = await open_visitor(page="http://127.0.0.1/cart/")
        texts = ["Do you ship to Spain?", "And to Portugal?", "Thanks!"]
        conversation = None
        for text in texts:
            conversation = (await visitor.post(text))["conversation"]
        _wait_for(lambda: receiver.requests, "the first delivery")
        worker.send_signal(signal.SIGTERM)  # while the receiver is answering
        output, _ = worker.communicate(timeout=30)
        assert worker.returncode == 0, output
        worker = _worker(live_shop.env)
        mine = lambda: [  # noqa: E731
            b
            for b in receiver.bodies()
            if (b["data"]["conversation"] or {}).get("id") == conversation
        ]
        _wait_for(lambda: len(mine()) >= 4, "four events of the conversation")
        time.sleep(0.5)  # anything sent twice would arrive by now
        events = mine()
        assert [b["event"] for b in events] == ["conversation.opened"] + [
            "message.created"
        ] * 3
        assert [b["data"]["message"]["body"] for b in events[1:]] == texts
        ids = [b["id"] for b in events]
        assert len(set(ids)) == len(ids)
        for headers, body in receiver.requests:
            assert verify(secret, headers["Livechat-Signature"], body)
            assert json.loads(body)["id"] == headers["Livechat-Event-Id"]
    finally:
        worker.kill()
        worker.wait()
        receiver.close()
        run_manage(live_shop.env, "shell", "-c", _DELETE.format(pk=pk))
