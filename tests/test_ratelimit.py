"""Rate limits: a flood gets a clear, retriable error and stores nothing more."""

import asyncio
import time
import uuid

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache, caches
from django.test import override_settings

from livechat import ratelimit
from livechat import shared_cache as cache_module
from livechat.models import Conversation, Message

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async

LIMITS = {
    "message": "3/60",
    "message_ip": "100/60",
    "conversation": "1/3600",
    "offline": "1/3600",
    "transcript": "1/3600",
    "profile": "2/60",
}


@override_settings(LIVECHAT_RATE_LIMITS=LIMITS)
async def test_message_flood_is_limited_per_visitor(visitor_client):
    shopper = await visitor_client()
    await shopper.expect("welcome")
    for n in range(3):
        await shopper.send(type="message", client_id=f"m{n}", body="spam")
        await shopper.expect("ack", client_id=f"m{n}")
    await shopper.send(type="message", client_id="m3", body="spam")
    error = await shopper.expect("error")
    assert error["code"] == "rate_limited" and error["retriable"] is True
    assert error["client_id"] == "m3" and error["retry_after"] > 0
    # A resend of an already stored message is not a new message: still acked.
    await shopper.send(type="message", client_id="m0", body="spam")
    assert (await shopper.expect("ack", client_id="m0"))["duplicate"] is True
    assert await db(Message.objects.count)() == 3
    # Another visitor is not affected.
    other = await visitor_client()
    await other.expect("welcome")
    await other.send(type="message", client_id="o", body="hello")
    await other.expect("ack", client_id="o")


@override_settings(LIVECHAT_RATE_LIMITS={**LIMITS, "message_ip": "2/60"})
async def test_message_flood_is_limited_per_ip(visitor_client):
    for _ in range(2):
        shopper = await visitor_client()
        await shopper.expect("welcome")
        await shopper.send(type="message", client_id="x", body="hi")
        await shopper.expect("ack")
    shopper = await visitor_client()
    await shopper.expect("welcome")
    await shopper.send(type="message", client_id="x", body="hi")
    assert (await shopper.expect("error"))["code"] == "rate_limited"


@override_settings(LIVECHAT_RATE_LIMITS=LIMITS)
async def test_new_conversations_are_limited(visitor_client, agent_client, agent):
    shopper = await visitor_client()
    await shopper.expect("welcome")
    await shopper.send(type="message", client_id="a", body="first chat")
    ack = await shopper.expect("ack")
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="close", conversation=ack["conversation"])
    await shopper.expect_state("closed")
    await shopper.send(type="message", client_id="b", body="second chat")
    assert (await shopper.expect("error"))["code"] == "rate_limited"
    assert await db(Conversation.objects.count)() == 1


@override_settings(LIVECHAT_RATE_LIMITS=LIMITS)
async def test_offline_messages_and_profiles_are_limited(visitor_client):
    shopper = await visitor_client()
    await shopper.expect("welcome")
    frame = {"type": "offline_message", "email": "a@example.com", "body": "hi"}
    await shopper.send(client_id="o1", **frame)
    await shopper.expect("offline_ack")
    await shopper.send(client_id="o2", **frame)
    assert (await shopper.expect("error"))["code"] == "rate_limited"
    for _ in range(2):
        await shopper.send(type="profile", name="Ann")
        await shopper.expect("profile")
    await shopper.send(type="profile", name="Ann")
    assert (await shopper.expect("error"))["code"] == "rate_limited"


def test_client_ip_from_scope_and_meta(settings):
    scope = {"type": "websocket", "client": ("10.1.2.3", 5000), "headers": []}
    assert ratelimit.client_ip(scope) == "10.1.2.3"
    assert ratelimit.client_ip({"REMOTE_ADDR": "10.9.9.9"}) == "10.9.9.9"
    settings.LIVECHAT_TRUSTED_PROXY_HEADER = "x-forwarded-for"
    scope["headers"] = [(b"x-forwarded-for", b"203.0.113.7, 10.0.0.1")]
    assert ratelimit.client_ip(scope) == "203.0.113.7"
    meta = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.8"}
    assert ratelimit.client_ip(meta) == "203.0.113.8"


# On the event loop: atake / arefund share the windows of take / hit ------------


def _cache_settings(kind, tmp_path, redis_layer_url=None):
    if kind == "redis":
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_layer_url,
            # Its own keys: other tests and runs share this Redis.
            "KEY_PREFIX": f"rl-test-{uuid.uuid4().hex}",
        }
    if kind == "file":  # any other backend: a worker thread
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


@pytest.fixture(params=["redis", "locmem", "file"])
def shared_cache(request, tmp_path):
    url = (
        request.getfixturevalue("redis_layer_url") if request.param == "redis" else None
    )
    with override_settings(
        CACHES={"default": _cache_settings(request.param, tmp_path, url)},
        LIVECHAT_RATE_LIMITS={"message": "3/60", "message_ip": "4/60"},
    ):
        yield request.param
        if request.param == "redis":
            import redis

            client = redis.Redis.from_url(url)
            prefix = caches["default"].key_prefix
            for key in client.scan_iter(f"{prefix}:*"):
                client.delete(key)
            client.close()


async def test_async_limits_share_counts_with_the_sync_ones(shared_cache):
    """What a consumer takes on the event loop, the ORM path sees; and back."""
    await ratelimit.atake("message", 7, "10.0.0.1")
    await db(ratelimit.hit)("message", 7, "10.0.0.1")
    await ratelimit.atake("message", 7, "10.0.0.1")  # 3 of 3
    with pytest.raises(ratelimit.RateLimited) as refused:
        await ratelimit.atake("message", 7, "10.0.0.1")
    assert refused.value.action == "message" and refused.value.retry_after > 0
    with pytest.raises(ratelimit.RateLimited):
        await db(ratelimit.take)("message", 7, None)
    with pytest.raises(ratelimit.RateLimited):
        await db(ratelimit.hit)("message", 7, None)
    # Another visitor from the same IP: one left on the IP's limit of 4,
    # given back once (the message was not stored after all) and taken again.
    taken = await ratelimit.atake("message", 8, "10.0.0.1")
    await ratelimit.arefund(taken)
    await ratelimit.atake("message", 8, "10.0.0.1")
    with pytest.raises(ratelimit.RateLimited):
        await ratelimit.atake("message", 9, "10.0.0.1")
    # Refused by the IP, visitor 9 was not counted: three on another IP.
    for _ in range(3):
        await ratelimit.atake("message", 9, "10.0.0.2")
    with pytest.raises(ratelimit.RateLimited):
        await ratelimit.atake("message", 9, "10.0.0.2")
    if shared_cache == "redis":
        # Plain integers, as Django's Redis cache stores them: its incr works.
        key = f"livechat:rl:message:7:{int(time.time() // 60)}"
        # Three taken and the refused hit (hit counts attempts); None: the
        # window turned over mid-test.
        assert await db(cache.get)(key) in (4, None)


# Atomic with Redis (one script) and local memory (no await inside); a file
# cache takes in worker threads, and two may both take the last one.
@pytest.mark.parametrize("shared_cache", ["redis", "locmem"], indirect=True)
async def test_the_last_one_left_is_taken_once(shared_cache):
    """Twenty sockets after the last message of a limit: one gets it."""
    await ratelimit.atake("message", 7, None)
    await ratelimit.atake("message", 7, None)
    results = await asyncio.gather(
        *(ratelimit.atake("message", 7, None) for _ in range(20)),
        return_exceptions=True,
    )
    taken = [r for r in results if isinstance(r, ratelimit.Taken)]
    refused = [r for r in results if isinstance(r, ratelimit.RateLimited)]
    assert (len(taken), len(refused)) == (1, 19)


async def test_an_unreachable_cache_limits_nothing_and_breaks_nothing(caplog):
    """A cache outage is logged; rate limits let traffic through meanwhile."""
    unreachable = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
    with override_settings(
        CACHES={"default": unreachable}, LIVECHAT_RATE_LIMITS={"message": "1/60"}
    ):
        cache_module._last_warning[0] = 0.0
        for _ in range(3):  # past the limit of one, had anything counted
            await ratelimit.arefund(await ratelimit.atake("message", 7, None))
            await ratelimit.atake("message", 7, None)
            await db(ratelimit.hit)("message", 7, None)
            await db(ratelimit.take)("message", 7, None)
        assert "going on without the cache" in caplog.text
        # Logged once, not once per call.
        assert caplog.text.count("going on without the cache") == 1


async def test_the_chat_goes_on_while_the_cache_is_down(visitor_client):
    """Welcome (availability) and messages (rate limits) go on; the widget tag
    too (tests/test_templatetags.py)."""
    unreachable = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
    with override_settings(
        CACHES={"default": unreachable}, LIVECHAT_RATE_LIMITS=LIMITS
    ):
        shopper = await visitor_client()
        welcome = await shopper.expect("welcome")
        assert "available" in welcome["availability"]
        await shopper.send(type="message", client_id="c1", body="Still open?")
        assert (await shopper.expect("ack", client_id="c1"))["seq"] == 1
