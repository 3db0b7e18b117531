"""The widget's frames over the visitor socket (docs/protocol.md additions)."""

import pytest
from channels.db import database_sync_to_async
from django.core import mail
from django.test import override_settings

from livechat.models import Conversation, Message, Visitor

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


async def test_welcome_tells_availability_honestly(visitor_client, agent_client, agent):
    shopper = await visitor_client()
    welcome = await shopper.expect("welcome")
    assert welcome["availability"]["available"] is False
    assert welcome["queue"] is None
    console = await agent_client(agent)
    await console.expect("welcome")
    pushed = await shopper.expect("availability")
    assert pushed["available"] is True and pushed["agents_online"] is True


@override_settings(LIVECHAT_AGENT_GRACE_SECONDS=0)
async def test_last_agent_leaving_is_pushed_after_grace(
    visitor_client, agent_client, agent
):
    console = await agent_client(agent)
    await console.expect("welcome")
    shopper = await visitor_client()
    assert (await shopper.expect("welcome"))["availability"]["available"]
    await console.disconnect()
    # The push for the agent's arrival may come after the welcome (it is
    # debounced): the one that counts says nobody is left.
    gone = await shopper.expect("availability", available=False)
    assert gone["agents_online"] is False


async def test_agent_going_away_makes_widgets_offline(
    visitor_client, agent_client, agent
):
    console = await agent_client(agent)
    assert (await console.expect("welcome"))["presence"] == "online"
    shopper = await visitor_client()
    await shopper.expect("welcome")
    await console.send(type="presence", status="away")
    assert (await console.expect("presence"))["status"] == "away"
    assert (await shopper.expect("availability"))["available"] is False
    await console.send(type="presence", status="lunch")
    assert (await console.expect("error"))["code"] == "bad_frame"


@pytest.mark.slow
async def test_queue_position_is_pushed(visitor_client, agent_client, agent):
    first = await visitor_client()
    await first.expect("welcome")
    await first.send(type="message", client_id="a", body="first")
    ack = await first.expect("ack")
    assert (await first.expect("queue"))["position"] == 1
    second = await visitor_client()
    await second.expect("welcome")
    await second.send(type="message", client_id="b", body="second")
    await second.expect("ack")
    assert (await second.expect("queue"))["position"] == 2
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="claim", conversation=ack["conversation"])
    moved = await second.expect("queue", position=1)
    assert moved["conversation"] != ack["conversation"]


async def test_prechat_profile_frame(visitor_client):
    shopper = await visitor_client()
    await shopper.expect("welcome")
    await shopper.send(type="profile", prechat=True, name="Ann", email="bad")
    error = await shopper.expect("error")
    assert error["code"] == "invalid" and "email" in error["fields"]
    await shopper.send(type="profile", prechat=True, name="Ann", email="a@example.com")
    saved = await shopper.expect("profile")
    assert saved["visitor"]["email"] == "a@example.com"
    await shopper.send(type="message", client_id="m", body="hi", topic="order")
    ack = await shopper.expect("ack")
    conversation = await db(Conversation.objects.get)(pk=ack["conversation"])
    assert conversation.topic == "order"


@override_settings(MANAGERS=[("Store", "store@example.com")])
async def test_offline_message_frame_is_idempotent(visitor_client):
    shopper = await visitor_client()
    await shopper.expect("welcome")
    frame = {
        "type": "offline_message",
        "client_id": "off",
        "name": "Ann",
        "email": "ann@example.com",
        "body": "Call me back",
    }
    await shopper.send(**frame)
    first = await shopper.expect("offline_ack")
    await shopper.send(**frame)
    again = await shopper.expect("offline_ack")
    assert first["conversation"] == again["conversation"]
    assert await db(Message.objects.count)() == 1
    assert len(mail.outbox) == 1
    await shopper.send(type="offline_message", client_id="x", email="", body="hi")
    error = await shopper.expect("error")
    assert error["code"] == "invalid" and error["client_id"] == "x"


async def test_rate_and_transcript_of_own_conversation_only(
    visitor_client, agent_client, agent
):
    shopper = await visitor_client()
    await shopper.expect("welcome")
    await shopper.send(type="message", client_id="m", body="hi")
    ack = await shopper.expect("ack")
    conv_id = ack["conversation"]
    await shopper.send(type="rate", conversation=conv_id, rating="good")
    assert (await shopper.expect("error"))["code"] == "conversation_open"
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="close", conversation=conv_id)
    await shopper.expect_state("closed")
    await shopper.send(type="rate", conversation=conv_id, rating="good", comment="Fast")
    assert (await shopper.expect("rated"))["rating"] == "good"
    await shopper.send(type="transcript", conversation=conv_id, email="a@example.com")
    assert (await shopper.expect("transcript_sent"))["email"] == "a@example.com"
    assert len(mail.outbox) == 1
    intruder = await visitor_client()
    await intruder.expect("welcome")
    await intruder.send(type="transcript", conversation=conv_id, email="evil@x.com")
    assert (await intruder.expect("error"))["code"] == "forbidden"
    await intruder.send(type="rate", conversation=conv_id, rating="bad")
    assert (await intruder.expect("error"))["code"] == "forbidden"
    assert len(mail.outbox) == 1
    conversation = await db(Conversation.objects.get)(pk=conv_id)
    assert conversation.rating == "good"
    assert await db(Visitor.objects.count)() == 2
