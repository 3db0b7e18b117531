"""Lost live frames, in process: the database fills every gap a client sees.

The channel layer is a notification path that may drop frames (a lost
publish, a consumer's channel over capacity). These tests make it drop them on
purpose, with the consumers under WebsocketCommunicator and the in-memory
layer, and check that a client doing its duty (fetch on a seq gap) still gets
every message, exactly once, from the database.
"""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.test import override_settings

from livechat.models import Message, Visitor
from livechat.realtime import layer as realtime_layer
from livechat.realtime.groups import visitor_group

from ..conftest import new_token

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async
TINY_LAYER = {
    "default": {
        "BACKEND": "channels.layers.InMemoryChannelLayer",
        "CONFIG": {"capacity": 3},
    }
}


async def _chat(visitor_client, agent_client, agent):
    """A visitor's first message and an agent console watching the chat."""
    key, token = new_token()
    visitor = await visitor_client(token=token)
    await visitor.expect("welcome")
    await visitor.send(type="message", client_id="v1", body="Where is my order?")
    ack = await visitor.expect("ack", client_id="v1")
    assert ack["seq"] == 1
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="open", conversation=ack["conversation"], last_seq=0)
    await console.expect("opened")
    await console.expect("messages")
    visitor_id = await db(lambda: Visitor.objects.get(key=key).pk)()
    return visitor, console, ack["conversation"], visitor_id


async def _reply(console, conversation, client_id, body):
    await console.send(
        type="message", conversation=conversation, client_id=client_id, body=body
    )
    return await console.expect("ack", client_id=client_id)


async def _live_messages(client):
    """The ``message`` frames that arrive within a moment, by seq."""
    return {
        frame["message"]["seq"]: frame["message"]
        for frame in await client.drain()
        if frame["type"] == "message"
    }


async def _fetch(client, conversation, after_seq, before_seq):
    """What the widget does on a gap: every message strictly between."""
    messages = []
    while True:
        await client.send(
            type="fetch",
            conversation=conversation,
            after_seq=after_seq,
            before_seq=before_seq,
        )
        frame = await client.expect("messages", conversation=conversation)
        messages.extend(frame["messages"])
        if not frame["more"] or not frame["messages"]:
            return messages
        after_seq = frame["messages"][-1]["seq"]


async def _stored(conversation):
    return await db(
        lambda: list(
            Message.objects.filter(conversation_id=conversation)
            .order_by("seq")
            .values_list("seq", "client_id", "body")
        )
    )()


async def test_a_dropped_group_message_is_fetched(
    visitor_client, agent_client, agent, monkeypatch
):
    visitor, console, conversation, visitor_id = await _chat(
        visitor_client, agent_client, agent
    )
    publish = realtime_layer.send_to_groups
    dropped = []

    async def lose_one(groups, frame, **options):
        """The network eats one message frame on its way to the visitor."""
        mine = visitor_group(visitor_id)
        if not dropped and frame["type"] == "message" and mine in groups:
            dropped.append(frame["message"])
            groups = [group for group in groups if group != mine]
        await publish(groups, frame, **options)

    monkeypatch.setattr(realtime_layer, "send_to_groups", lose_one)

    lost = await _reply(console, conversation, "a1", "It left the warehouse.")
    after = await _reply(console, conversation, "a2", "It arrives tomorrow.")
    assert [m["seq"] for m in dropped] == [lost["seq"]] == [2]

    live = await visitor.expect("message")
    assert live["message"]["seq"] == after["seq"] == 3, "a gap: 2 never came"
    assert 2 not in await _live_messages(visitor)
    [missing] = await _fetch(visitor, conversation, after_seq=1, before_seq=3)
    assert missing["id"] == lost["id"]
    assert missing["body"] == "It left the warehouse."
    assert missing["sender"] == "agent" and missing["client_id"] == "a1"
    assert [seq for seq, _, _ in await _stored(conversation)] == [1, 2, 3]
    # The agent, in the conversation's group, was never affected.
    seen = await _live_messages(console)
    assert {2, 3} <= set(seen)


async def test_a_channel_over_capacity_drops_and_fetch_fills(
    visitor_client, agent_client, agent, monkeypatch
):
    flood = 20
    with override_settings(CHANNEL_LAYERS=TINY_LAYER):
        layer = get_channel_layer()
        assert layer.capacity == 3
        visitor, console, conversation, _ = await _chat(
            visitor_client, agent_client, agent
        )
        # The flood's notifications are held back, then delivered all at once,
        # faster than the visitor's consumer drains its channel: as a busy
        # Redis, or a process catching up after a pause, delivers them.
        publish = realtime_layer.send_to_groups
        held = []

        async def hold(groups, frame, **options):
            held.append((groups, frame))

        monkeypatch.setattr(realtime_layer, "send_to_groups", hold)
        acks = [
            await _reply(console, conversation, f"f{n}", f"Update {n}")
            for n in range(flood)
        ]
        monkeypatch.setattr(realtime_layer, "send_to_groups", publish)
        assert [ack["seq"] for ack in acks] == list(range(2, 2 + flood))
        await asyncio.gather(*(publish(groups, frame) for groups, frame in held))

        live = await _live_messages(visitor)
        assert live, "nothing arrived at all"
        assert len(live) < flood, (
            f"the layer (capacity 3) delivered {len(live)} of {flood}: no drop"
        )
        # The next message shows the gap; the widget fetches what lies in it.
        last = await _reply(console, conversation, "last", "That is all for now.")
        newest = await visitor.expect("message")
        assert newest["message"]["seq"] == last["seq"] == flood + 2
        contiguous = 1
        while contiguous + 1 in live:
            contiguous += 1
        fetched = await _fetch(
            visitor, conversation, after_seq=contiguous, before_seq=last["seq"]
        )
        shown = {1: None, **live, **{m["seq"]: m for m in fetched}}
        shown[last["seq"]] = newest["message"]
        assert sorted(shown) == list(range(1, flood + 3))
        assert [m["seq"] for m in fetched] == list(range(contiguous + 1, flood + 2))
        for message in fetched:
            assert message["body"] == f"Update {message['seq'] - 2}"

    stored = await _stored(conversation)
    assert [seq for seq, _, _ in stored] == list(range(1, flood + 3))
    assert [client_id for _, client_id, _ in stored] == (
        ["v1"] + [f"f{n}" for n in range(flood)] + ["last"]
    )
