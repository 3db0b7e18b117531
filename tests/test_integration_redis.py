"""A shopper and an agent chatting through the real Redis channel layer."""

import os

import pytest
from channels.layers import channel_layers, get_channel_layer
from django.db import connection
from django.test import override_settings

from livechat.models import Message

from .conftest import new_token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture
async def redis_layer(redis_layer_url):
    config = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": redis_layer_url, "max_connections": 1000}],
                # Per process: two test runs on one Redis must not hear each
                # other's conversations (the same ids, in two databases).
                "prefix": f"livechat-test-{os.getpid()}",
            },
        }
    }
    with override_settings(CHANNEL_LAYERS=config):
        layer = get_channel_layer()
        assert type(layer).__name__ == "RedisPubSubChannelLayer"
        yield layer
        await layer.flush()
    channel_layers.backends.clear()


async def test_chat_round_trip_over_redis(
    redis_layer, visitor_client, agent_client, agent
):
    # In CI the suite runs on PostgreSQL (tests/settings.py refuses SQLite there).
    print(f"database: {connection.vendor}, layer: {type(redis_layer).__name__}")
    _, token = new_token()
    shopper = await visitor_client(token=token)
    await shopper.expect("welcome")
    console = await agent_client(agent)
    await console.expect("welcome")

    await shopper.send(type="message", client_id="v1", body="Is this in stock?")
    ack = await shopper.expect("ack", client_id="v1")
    inbox = await console.expect("conversation")
    assert inbox["conversation"]["preview"] == "Is this in stock?"

    await console.send(type="open", conversation=ack["conversation"], last_seq=0)
    await console.expect("opened")
    history = await console.expect("messages")
    assert [m["body"] for m in history["messages"]] == ["Is this in stock?"]

    await console.send(
        type="message", conversation=ack["conversation"], client_id="a1", body="Yes!"
    )
    await console.expect("ack", client_id="a1")
    reply = await shopper.expect_message("agent")
    assert reply["body"] == "Yes!" and reply["seq"] == 2

    await shopper.send(type="typing", active=True)
    assert (await console.expect("typing"))["sender"] == "visitor"

    # A second tab resumes and gets exactly what it lacks.
    tab = await visitor_client(
        token=token, conversation=ack["conversation"], last_seq=1
    )
    await tab.expect("welcome")
    replay = await tab.expect("messages")
    assert [m["seq"] for m in replay["messages"]] == [2]
    assert await Message.objects.acount() == 2
    for client in (shopper, console, tab):
        await client.disconnect()
