"""Property-based fuzzing of every frame type both consumers accept.

Whatever a client sends, the consumer answers without an unexpected error,
stays usable (a ping still gets its pong) and stores nothing it did not ack.
"""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livechat.models import InternalNote, Message
from livechat.realtime.consumers import AgentConsumer, VisitorConsumer

from ..conftest import Client, new_token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

FIELDS = [
    "client_id",
    "body",
    "conversation",
    "after_seq",
    "before_seq",
    "seq",
    "last_seq",
    "active",
    "url",
    "name",
    "email",
    "phone",
    "topic",
    "rating",
    "comment",
    "prechat",
    "v",
    "token",
    "status",
    "agent",
    "department",
    "note",
    "tag",
    "sound",
    "desktop",
    "on",
    "override",
    "title",
    "id",
    "shortcut",
    "language",
    "shared",
    "from_message",
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=60),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=8,
)


def frames(types):
    structured = st.fixed_dictionaries(
        {"type": st.sampled_from(sorted(types)) | st.text(max_size=12)},
        optional={field: json_values for field in FIELDS},
    ).map(json.dumps)
    junk = (
        st.text(min_size=1, max_size=80)
        | st.just("{")
        | st.just("[]")
        | st.just("null")
    )
    return st.lists(structured | junk, min_size=1, max_size=12)


FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


async def _drive(client, raw_frames):
    acked = set()
    for raw in raw_frames:
        await client.send_raw(raw)
        await client.send(type="ping")
        while True:
            frame = await client.receive()
            assert not (frame["type"] == "error" and frame["code"] == "server_error"), (
                raw,
                frame,
            )
            if frame["type"] in {"ack", "note_ack"} and not frame.get("duplicate"):
                acked.add((frame["type"], frame["id"]))
            if frame["type"] == "pong":
                break
    return acked


async def _visitor_run(raw_frames):
    before = await database_sync_to_async(Message.objects.count)()
    client = await Client("/ws/livechat/visitor/").connect()
    await client.send(type="hello", v=1, token=new_token()[1])
    await client.expect("welcome")
    acked = await _drive(client, raw_frames)
    await client.disconnect()
    after = await database_sync_to_async(Message.objects.count)()
    # System lines come only from state changes a visitor cannot cause.
    assert after - before == len(acked)


async def _agent_run(user, raw_frames):
    before = await database_sync_to_async(
        lambda: (Message.objects.count(), InternalNote.objects.count())
    )()
    client = await Client("/ws/livechat/agent/", user=user).connect()
    await client.send(type="hello", v=1)
    await client.expect("welcome")
    acked = await _drive(client, raw_frames)
    await client.disconnect()
    after = await database_sync_to_async(
        lambda: (Message.objects.count(), InternalNote.objects.count())
    )()
    # No conversation exists, so nothing an agent sends can store anything.
    assert after == before and not acked


@given(raw_frames=frames(VisitorConsumer.frame_types))
@FUZZ
def test_visitor_consumer_survives_any_frames(raw_frames):
    async_to_sync(_visitor_run)(raw_frames)


@given(raw_frames=frames(AgentConsumer.frame_types))
@FUZZ
def test_agent_consumer_survives_any_frames(agent, raw_frames):
    async_to_sync(_agent_run)(agent, raw_frames)
