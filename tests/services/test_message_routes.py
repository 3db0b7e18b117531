"""Both routes of a message, scenario by scenario: every frame every socket gets.

Each scenario runs twice in one test, on the statement route
(``LIVECHAT_FAST_MESSAGES`` on, PostgreSQL) and on the ORM route (off), with
the same people and fresh conversations; the frames each socket received
(the shopper's tabs, the assigned agent's console, a colleague's console
watching, a supervisor's) must be the same, once ids and times are written
as placeholders. Where a scenario is one the statement route takes, the test
also checks that it did: no database thread stored the message.
"""

import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from livechat.models import AgentConnection, AgentProfile, Conversation, Visitor
from livechat.realtime import coalescing

from ..conftest import new_token

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgresql_only"),
]

db = database_sync_to_async
ORM_STORES = {"post_visitor_message_from_socket", "post_agent_message"}
TIMES = {"created", "last_message_at", "first_agent_reply_at", "closed_at"}
# Coalesced frames of who is online, each agent's load and the queue: sent
# once per interval whatever changed, and whether a socket that joins during
# the set-up gets one depends on the interval, not on a route: left out.
STATE_FRAMES = {"availability", "agents", "queue"}


class World:
    """One run of a scenario: its sockets, and the database threads it used."""

    def __init__(self, visitor_client, agent_client, people, threads):
        self.threads = threads
        self.visitor_client = visitor_client
        self.agent_client = agent_client
        self.alice, self.bob, self.sue = people
        self.sockets = {}

    async def shopper(self, name="shopper", token=None):
        token = token or new_token()[1]
        client = await self.visitor_client(token=token)
        client.token = token
        if (await client.expect("welcome"))["conversation"] is not None:
            await client.expect("messages")  # the replay, before anything new
        self.sockets[name] = client
        return client

    async def console(self, name, user):
        client = await self.agent_client(user)
        await client.expect("welcome")
        self.sockets[name] = client
        return client

    async def answered_chat(self):
        """Alice answered the shopper once; Bob and Sue watch the inbox."""
        shopper = await self.shopper()
        await shopper.send(type="message", client_id="v1", body="Hello?")
        conversation = (await shopper.expect("ack"))["conversation"]
        alice = await self.console("alice", self.alice)
        await alice.send(type="open", conversation=conversation)
        await alice.expect("opened")
        await alice.expect("messages")
        await alice.send(
            type="message", conversation=conversation, client_id="a1", body="Hi!"
        )
        await alice.expect("ack", client_id="a1")
        await shopper.expect_message("agent")
        await self.watchers(conversation)
        self.threads.clear()  # what the scenario itself does starts now
        return shopper, alice, conversation

    async def waiting_chat(self):
        shopper = await self.shopper()
        await shopper.send(type="message", client_id="v1", body="Anyone there?")
        conversation = (await shopper.expect("ack"))["conversation"]
        alice = await self.console("alice", self.alice)
        await self.watchers(conversation)
        return shopper, alice, conversation

    async def watchers(self, conversation):
        for name, user in (("bob", self.bob), ("sue", self.sue)):
            console = await self.console(name, user)
            await console.send(type="open", conversation=conversation)
            await console.expect("opened")
            await console.expect("messages")  # the replay, before anything new


# The scenarios ----------------------------------------------------------------


async def visitor_writes_in_an_answered_chat(world):
    shopper, alice, _conversation = await world.answered_chat()
    await shopper.send(type="message", client_id="v2", body="Where is my parcel?")
    await shopper.expect("ack", client_id="v2")
    return True  # the statement route takes it


async def agent_replies_in_their_answered_chat(world):
    shopper, alice, conversation = await world.answered_chat()
    await alice.send(
        type="message", conversation=conversation, client_id="a2", body="On its way"
    )
    await alice.expect("ack", client_id="a2")
    return True


async def visitor_writes_from_two_tabs(world):
    shopper, _alice, _conversation = await world.answered_chat()
    other = await world.shopper("other tab", token=shopper.token)
    await shopper.send(type="message", client_id="v2", body="From tab one")
    await shopper.expect("ack", client_id="v2")
    await other.send(type="message", client_id="v3", body="From tab two")
    await other.expect("ack", client_id="v3")
    return True


async def retries_are_acked_as_duplicates(world):
    shopper, alice, conversation = await world.answered_chat()
    for _attempt in range(2):
        await shopper.send(type="message", client_id="v2", body="Twice?")
    await shopper.expect("ack", client_id="v2", duplicate=False)
    await shopper.expect("ack", client_id="v2", duplicate=True)
    for _attempt in range(2):
        await alice.send(
            type="message", conversation=conversation, client_id="a2", body="Once"
        )
    await alice.expect("ack", client_id="a2", duplicate=False)
    await alice.expect("ack", client_id="a2", duplicate=True)
    return False  # the retries take the ORM route


async def first_message_opens_a_chat(world):
    await world.console("alice", world.alice)
    shopper = await world.shopper()
    await shopper.send(type="message", client_id="v1", body="Do you ship to Peru?")
    await shopper.expect("ack", client_id="v1")
    return False


async def visitor_writes_in_a_waiting_chat(world):
    shopper, _alice, _conversation = await world.waiting_chat()
    await shopper.send(type="message", client_id="v2", body="Hello??")
    await shopper.expect("ack", client_id="v2")
    return False


async def first_reply_takes_a_waiting_chat(world):
    shopper, alice, conversation = await world.waiting_chat()
    await alice.send(
        type="message", conversation=conversation, client_id="a1", body="I'm here"
    )
    await alice.expect("ack", client_id="a1")
    await shopper.expect_message("agent")
    return False


async def a_colleague_and_a_closed_chat_are_refused(world):
    shopper, alice, conversation = await world.answered_chat()
    bob = world.sockets["bob"]
    await bob.send(
        type="message", conversation=conversation, client_id="b1", body="Mine now"
    )
    await bob.expect("error", client_id="b1")
    await alice.send(type="close", conversation=conversation)
    await shopper.expect_state("closed")
    await alice.send(
        type="message", conversation=conversation, client_id="a2", body="Too late"
    )
    await alice.expect("error", client_id="a2")
    return False


async def a_rate_limit_refuses_a_new_message_not_a_retry(world):
    shopper, _alice, _conversation = await world.answered_chat()
    with override_settings(LIVECHAT_RATE_LIMITS={"message": "1/100000000"}):
        await shopper.send(type="message", client_id="v2", body="One")
        await shopper.expect("ack", client_id="v2")
        await shopper.send(type="message", client_id="v3", body="Three")
        await shopper.expect("error", client_id="v3")
        await shopper.send(type="message", client_id="v2", body="One")
        await shopper.expect("ack", client_id="v2", duplicate=True)
    return False


SCENARIOS = [
    visitor_writes_in_an_answered_chat,
    agent_replies_in_their_answered_chat,
    visitor_writes_from_two_tabs,
    retries_are_acked_as_duplicates,
    first_message_opens_a_chat,
    visitor_writes_in_a_waiting_chat,
    first_reply_takes_a_waiting_chat,
    a_colleague_and_a_closed_chat_are_refused,
    a_rate_limit_refuses_a_new_message_not_a_retry,
]


# Running and comparing ------------------------------------------------------------


@pytest.fixture
def people(make_agent, django_user_model):
    alice = make_agent("alice", first_name="Alice")
    bob = make_agent("bob", first_name="Bob")
    sue = django_user_model.objects.create_user(
        username="sue", password="pw", is_staff=True, first_name="Sue"
    )
    sue.user_permissions.add(Permission.objects.get(codename="supervise_conversation"))
    for user in (alice, bob, sue):  # as the first run leaves them
        AgentProfile.objects.get_or_create(user=user)
    return alice, bob, django_user_model.objects.get(pk=sue.pk)


@pytest.fixture
def threads(database_calls):
    return database_calls


async def _run(
    scenario, statement_route, visitor_client, agent_client, people, threads
):
    world = World(visitor_client, agent_client, people, threads)
    with override_settings(
        LIVECHAT_FAST_MESSAGES=statement_route, LIVECHAT_INBOX_BATCH_SECONDS=0.05
    ):
        threads.clear()
        quiet = await scenario(world)
        stored_by_orm = ORM_STORES & set(threads)
        await coalescing.flush_pending()
        transcripts = {}
        for name, client in world.sockets.items():
            await client.drain(timeout=0.4)
            transcripts[name] = client.log
        for client in world.sockets.values():
            await client.disconnect()
        await coalescing.flush_pending()
    await db(_forget_everything)()
    return quiet, stored_by_orm, transcripts


def _forget_everything():
    """As before the first run: no chats, no shoppers, nobody online."""
    Conversation.objects.all().delete()
    Visitor.objects.all().delete()
    AgentConnection.objects.all().delete()
    AgentProfile.objects.update(last_seen_at=timezone.now() - timedelta(days=1))
    cache.clear()


class _Placeholders:
    """Ids and times as placeholders, numbered in order of appearance."""

    def __init__(self):
        self.seen = {}

    def name(self, kind, value):
        if value is None:
            return None
        key = (kind, value)
        if key not in self.seen:
            count = sum(1 for k, _v in self.seen if k == kind)
            self.seen[key] = f"<{kind}{count + 1}>"
        return self.seen[key]

    def walk(self, value, context="frame"):
        if isinstance(value, list):
            return [self.walk(item, context) for item in value]
        if not isinstance(value, dict):
            return value
        out = {}
        for key, item in value.items():
            if key in TIMES and item is not None:
                out[key] = "<time>"
            elif key in ("retry_after", "message") and context == "error":
                out[key] = "<wait>"  # seconds left in the window: a time
            elif key == "conversation" and isinstance(item, int):
                out[key] = self.name("conversation", item)
            elif key == "id" and context in ("message", "ack"):
                out[key] = self.name("message", item)
            elif key == "id" and context == "conversation":
                out[key] = self.name("conversation", item)
            elif key == "id" and context == "visitor":
                out[key] = self.name("visitor", item)
            elif key == "name" and context == "visitor":
                out[key] = self.name("visitor name", item)  # from a random key
            elif key in ("message", "messages"):
                out[key] = self.walk(item, "message")
            elif key in ("conversation", "conversations", "inbox"):
                out[key] = self.walk(item, "conversation")
            elif key == "visitor":
                out[key] = self.walk(item, "visitor")
            elif key in ("agent", "agents", "author"):
                out[key] = self.walk(item, "user")  # the same people on both
            else:
                out[key] = self.walk(item, context)
        return out


def _comparable(frames):
    """The frames, with the coalesced ones reduced to what they end at."""
    places = _Placeholders()
    kept, activity = [], {}
    for frame in frames:
        context = frame["type"] if frame["type"] in ("ack", "error") else "frame"
        frame = places.walk(frame, context)
        if frame["type"] in STATE_FRAMES:
            continue
        if frame["type"] == "conversations":
            for entry in frame["conversations"]:
                activity[entry["id"]] = entry
        else:
            kept.append(json.dumps(frame, sort_keys=True))
    # Frames to different groups race each other: compared as a multiset.
    return sorted(kept), activity


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
async def test_both_routes_send_the_same_frames(
    scenario, visitor_client, agent_client, people, threads
):
    statement = await _run(
        scenario, True, visitor_client, agent_client, people, threads
    )
    orm = await _run(scenario, False, visitor_client, agent_client, people, threads)
    quiet, stored_by_orm, statement_frames = statement
    if quiet:
        assert not stored_by_orm, "the statement route stored the message"
    assert orm[1], "the ORM route stored a message"
    orm_frames = orm[2]
    assert statement_frames.keys() == orm_frames.keys()
    for name in statement_frames:
        one, other = _comparable(statement_frames[name]), _comparable(orm_frames[name])
        assert one == other, _difference(name, one, other)


def _difference(name, one, other):
    only_one = [f for f in one[0] if f not in other[0]]
    only_other = [f for f in other[0] if f not in one[0]]
    return (
        f"{name} received different frames on the two routes: statement route "
        f"only {only_one} {one[1:]}; ORM route only {only_other} {other[1:]}"
    )
