"""The agent workspace's frames over the agent socket."""

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import Permission
from django.test import override_settings
from django.utils import timezone

from livechat.models import AgentProfile, CannedReply, Conversation, InternalNote
from livechat.realtime.consumers import agent as agent_consumer
from livechat.services import presence

from ..conftest import new_token

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


async def _waiting_chat(visitor_client, body="Hello"):
    shopper = await visitor_client(token=new_token()[1])
    await shopper.expect("welcome")
    await shopper.send(type="message", client_id="first", body=body)
    ack = await shopper.expect("ack")
    return shopper, ack["conversation"]


async def test_welcome_carries_canned_replies_tags_and_agents(agent_client, agent):
    await db(CannedReply.objects.create)(
        title="Shipping",
        shortcut="shipping",
        body="Hi {visitor_name}, we ship in 2 days.",
    )
    console = await agent_client(agent)
    welcome = await console.expect("welcome")
    assert welcome["canned"][0]["shortcut"] == "shipping"
    assert {t["key"] for t in welcome["close_tags"]} >= {"order", "other"}
    assert welcome["agents"][0]["name"] == "Alice"
    assert welcome["preferences"] == {"sound": True, "desktop": True}
    assert welcome["supervisor"] is False


async def test_transfer_with_note_reaches_the_new_agent_not_the_shopper(
    visitor_client, agent_client, agent, make_agent
):
    shopper, conv_id = await _waiting_chat(visitor_client, "My parcel is late")
    bob = await db(make_agent)("bob", first_name="Bob")
    alice_console = await agent_client(agent)
    await alice_console.expect("welcome")
    bob_console = await agent_client(bob)
    await bob_console.expect("welcome")
    await alice_console.send(type="claim", conversation=conv_id)
    await shopper.expect_state("active")
    await alice_console.send(type="open", conversation=conv_id)
    await alice_console.expect("opened")
    await alice_console.send(
        type="transfer", conversation=conv_id, agent=bob.pk, note="Order 42, VIP"
    )
    await alice_console.expect("transfer_done")
    handed = await bob_console.expect("transferred")
    assert handed["note"] == "Order 42, VIP"
    assert handed["from"]["name"] == "Alice"
    assert handed["conversation"]["agent"]["name"] == "Bob"
    line = await shopper.expect_message("system")
    while "Bob" not in line["body"]:
        line = await shopper.expect_message("system")
    assert "no need to repeat" in line["body"]
    # Bob opens it: the whole transcript and the note are there.
    await bob_console.send(type="open", conversation=conv_id)
    opened = await bob_console.expect("opened")
    assert "Order 42, VIP" in opened["notes"][0]["body"]
    history = await bob_console.expect("messages")
    assert history["messages"][0]["body"] == "My parcel is late"
    for frame in shopper.frames + shopper.seen:
        assert "VIP" not in str(frame)


async def test_internal_note_never_reaches_the_shopper(
    visitor_client, agent_client, agent
):
    shopper, conv_id = await _waiting_chat(visitor_client)
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="open", conversation=conv_id)
    await console.expect("opened")
    await console.send(
        type="note", conversation=conv_id, client_id="n1", body="Customer is upset"
    )
    ack = await console.expect("note_ack")
    live = await console.expect("note")
    assert live["note"]["id"] == ack["id"]
    await console.send(
        type="note", conversation=conv_id, client_id="n1", body="Customer is upset"
    )
    await console.expect("note_ack")
    for frame in await shopper.drain():
        assert frame["type"] != "note" and "upset" not in str(frame)
    assert await db(InternalNote.objects.count)() == 1
    conversation = await db(Conversation.objects.get)(pk=conv_id)
    assert conversation.last_seq == 1


async def test_presence_change_reaches_every_tab(agent_client, agent):
    tab1 = await agent_client(agent)
    await tab1.expect("welcome")
    tab2 = await agent_client(agent)
    await tab2.expect("welcome")
    await tab1.send(type="presence", status="away")
    assert (await tab1.expect("presence"))["status"] == "away"
    assert (await tab2.expect("presence"))["status"] == "away"


async def test_preferences_are_saved(agent_client, agent):
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="preferences", sound=False)
    saved = await console.expect("preferences")
    assert saved == {"type": "preferences", "sound": False, "desktop": True}
    console2 = await agent_client(agent)
    assert (await console2.expect("welcome"))["preferences"]["sound"] is False


async def test_close_with_tag_and_unknown_tag(visitor_client, agent_client, agent):
    shopper, conv_id = await _waiting_chat(visitor_client)
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="close", conversation=conv_id, tag="nonsense")
    assert (await console.expect("error"))["code"] == "bad_frame"
    await console.send(type="close", conversation=conv_id, tag="order")
    await shopper.expect_state("closed")
    conversation = await db(Conversation.objects.get)(pk=conv_id)
    assert conversation.close_tag == "order"


async def test_supervisor_sees_loads_and_cannot_write_in_others_chats(
    visitor_client, agent_client, agent, make_agent
):
    def make_supervisor():
        boss = make_agent("boss", first_name="Boss")
        boss.user_permissions.add(
            Permission.objects.get(codename="supervise_conversation")
        )
        return type(boss).objects.get(pk=boss.pk)

    boss = await db(make_supervisor)()
    shopper, conv_id = await _waiting_chat(visitor_client)
    supervisor = await agent_client(boss)
    welcome = await supervisor.expect("welcome")
    assert welcome["supervisor"] is True
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="claim", conversation=conv_id)
    board = await supervisor.expect("agents")
    while not any(a["open_chats"] for a in board["agents"]):
        board = await supervisor.expect("agents")
    alice = next(a for a in board["agents"] if a["name"] == "Alice")
    assert alice["open_chats"] == 1 and alice["present"]
    # Watching is allowed, writing in Alice's chat is not.
    await supervisor.send(type="open", conversation=conv_id)
    await supervisor.expect("opened")
    await supervisor.send(
        type="message", conversation=conv_id, client_id="x", body="hi"
    )
    assert (await supervisor.expect("error"))["code"] == "forbidden"


async def test_opened_frame_has_visit_context(visitor_client, agent_client, agent):
    shopper, conv_id = await _waiting_chat(visitor_client)
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="open", conversation=conv_id)
    opened = await console.expect("opened")
    assert set(opened["visit"]) >= {"pages", "browser", "system", "past_conversations"}


async def test_console_closing_while_frames_fly_is_still_counted_out(
    visitor_client, agent
):
    """A send to a socket the client already closed must not end the consumer.

    daphne raises autobahn's ``Disconnected`` on such a send; the consumer has
    to live on to run ``disconnect``, or the agent stays "online" (their
    socket row kept) until the heartbeat expires.
    """
    from autobahn.exception import Disconnected
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator

    from livechat.models import AgentConnection
    from livechat.routing import websocket_urlpatterns

    router = URLRouter(websocket_urlpatterns)
    gone, refused = asyncio.Event(), asyncio.Event()

    async def server(scope, receive, send):
        async def send_unless_gone(message):
            if gone.is_set() and message["type"] == "websocket.send":
                refused.set()
                raise Disconnected("Attempt to send on a closed protocol")
            await send(message)

        return await router(scope, receive, send_unless_gone)

    console = WebsocketCommunicator(
        server,
        "/ws/livechat/agent/",
        headers=[(b"host", b"testserver"), (b"origin", b"http://testserver")],
    )
    console.scope.update(client=["127.0.0.1", 50000], user=agent)
    assert (await console.connect(timeout=3))[0]
    await console.send_json_to({"type": "hello", "v": 1})
    while (await console.receive_json_from(timeout=3))["type"] != "welcome":
        pass
    assert await db(AgentConnection.objects.count)() == 1

    gone.set()  # the client closed; its close frame is still on the way
    await _waiting_chat(visitor_client)  # the inbox update goes to the console
    await asyncio.wait_for(refused.wait(), 3)
    await console.disconnect(timeout=3)  # raised before the fix
    assert await db(AgentConnection.objects.count)() == 0


@pytest.mark.slow
async def test_assigned_chats_news_reaches_its_agent_and_watchers_only(
    visitor_client, agent_client, agent, make_agent
):
    shopper, conversation = await _waiting_chat(visitor_client)
    alice = await agent_client(agent)
    await alice.expect("welcome")
    bob = await agent_client(await db(make_agent)("bob"))
    await bob.expect("welcome")
    # Alice's second console never opens the chat: it follows it once hers.
    alice_other = await agent_client(agent)
    await alice_other.expect("welcome")
    await alice.send(
        type="message", conversation=conversation, client_id="a1", body="Alice here"
    )
    await alice.expect("ack")
    await bob.drain(timeout=0.8)  # the assignment
    await alice_other.drain(timeout=0.3)

    await shopper.send(type="message", client_id="v2", body="Where is my parcel?")
    await shopper.expect("ack")
    # The agent on it, in a console without the chat open: the message itself.
    message = (await alice_other.expect("message"))["message"]
    assert (message["conversation"], message["seq"]) == (conversation, 3)
    assert message["body"] == "Where is my parcel?"
    # Another agent not watching others' chats: nothing per message.
    assert not [
        f
        for f in await bob.drain(timeout=0.8)
        if f["type"] in ("conversations", "message")
    ]

    # Watching: what is there now, then the activity coalesced.
    await bob.send(type="watch", others=True)
    now = await bob.expect("inbox_page")
    assert now["section"] == "others" and now["next"] is None
    assert [a["id"] for a in now["conversations"]] == [conversation]
    assert now["conversations"][0]["last_seq"] == 3
    assert now["counts"]["others"] == 1
    await shopper.send(type="message", client_id="v3", body="It was due Monday")
    await shopper.expect("ack")
    batch = await bob.expect("conversations")
    assert batch["conversations"] == [
        {
            "id": conversation,
            "last_seq": 4,
            "agent_read_seq": 2,
            "visitor_read_seq": 4,
            "preview": "It was due Monday",
            "last_message_at": batch["conversations"][0]["last_message_at"],
        }
    ]
    assert not [
        f
        for f in await bob.drain()
        if f["type"] == "conversation" and f["conversation"]["last_seq"] >= 3
    ]

    # Not watching any more: quiet again.
    await bob.send(type="watch", others=False)
    await bob.drain(timeout=0.3)
    await shopper.send(type="message", client_id="v4", body="Any news?")
    await shopper.expect("ack")
    assert not [f for f in await bob.drain(timeout=0.8) if f["type"] == "conversations"]
    await bob.send(type="watch", others="yes")
    assert (await bob.expect("error"))["code"] == "bad_frame"


@pytest.mark.slow
async def test_consoles_follow_their_agents_chats_across_a_transfer(
    visitor_client, agent_client, agent, make_agent
):
    bob = await db(make_agent)("bob")
    shopper, conversation = await _waiting_chat(visitor_client)
    alice = await agent_client(agent)
    await alice.expect("welcome")
    await alice.send(
        type="message", conversation=conversation, client_id="a1", body="Alice here"
    )
    await alice.expect("ack")
    # Consoles that never opened the chat: one of Alice's, one of Bob's.
    alice_other = await agent_client(agent)
    await alice_other.expect("welcome")
    bob_console = await agent_client(bob)
    await bob_console.expect("welcome")

    async def news(console, seq):
        return [
            f["message"]["seq"]
            for f in await console.drain(timeout=0.6)
            if f["type"] == "message" and f["message"]["seq"] >= seq
        ]

    await shopper.send(type="message", client_id="v2", body="Still there?")
    seq = (await shopper.expect("ack"))["seq"]
    assert seq in await news(alice_other, seq)  # followed since her welcome
    assert not await news(bob_console, seq)

    await alice.send(type="transfer", conversation=conversation, agent=bob.pk)
    await alice.expect("transfer_done")
    await bob_console.expect("transferred")
    await alice_other.drain(timeout=0.3)
    await shopper.send(type="message", client_id="v3", body="Hello Bob?")
    seq = (await shopper.expect("ack"))["seq"]
    assert seq in await news(bob_console, seq)  # followed once his
    assert not await news(alice_other, seq)  # and no longer Alice's


@override_settings(LIVECHAT_AGENT_IDLE_AWAY_SECONDS=600)
async def test_an_idle_agent_is_back_with_their_first_action_once_per_interval(
    visitor_client, agent_client, agent, monkeypatch
):
    """Activity is recorded at once after idleness, then every 30-60 s at most."""
    recorded = []
    real = presence.agent_active

    def agent_active(user):
        recorded.append(user.pk)
        return real(user)

    monkeypatch.setattr(presence, "agent_active", agent_active)
    clock = [1000.0]
    monkeypatch.setattr(agent_consumer, "_clock", lambda: clock[0])
    monkeypatch.setattr(agent_consumer, "_spread", lambda a, b: b)  # 60 s
    _shopper, conversation = await _waiting_chat(visitor_client)
    console = await agent_client(agent)
    await console.expect("welcome")
    long_ago = timezone.now() - timedelta(hours=1)
    await db(AgentProfile.objects.filter(user=agent).update)(last_active_at=long_ago)
    # The first action counts at once; the next within the minute does not,
    # one just after it does.
    for seconds in (0, 29, 61):
        clock[0] = 1000.0 + seconds
        await console.send(type="open", conversation=conversation)
        await console.expect("opened")
        # Activity is noted once the frame is handled: a ping's pong follows.
        await console.send(type="ping")
        await console.expect("pong")
    assert recorded == [agent.pk, agent.pk]
    profile = await db(AgentProfile.objects.get)(user=agent)
    assert profile.last_active_at > long_ago


async def _two_consoles(
    visitor_client, agent_client, agent, make_agent, monkeypatch, draws
):
    """Two agents' consoles on a waiting chat, a clock the test moves, and
    the activity records written: ``(recorded, clock, consoles, act, other)``.
    ``draws``: the random fractions each console's next moment is drawn with."""
    recorded = []
    monkeypatch.setattr(presence, "agent_active", lambda user: recorded.append(user.pk))
    clock = [1000.0]
    monkeypatch.setattr(agent_consumer, "_clock", lambda: clock[0])
    draws = iter(draws)
    monkeypatch.setattr(agent_consumer, "_spread", lambda a, b: next(draws))
    other = await db(make_agent)("other")
    _shopper, conversation = await _waiting_chat(visitor_client)
    consoles = []
    for user in (agent, other):
        console = await agent_client(user)
        await console.expect("welcome")
        consoles.append(console)

    async def act(console):
        """Open the chat (activity), then ping: noted once the pong comes."""
        await console.send(type="open", conversation=conversation)
        await console.expect("opened")
        await console.send(type="ping")
        await console.expect("pong")

    return recorded, clock, consoles, act, other


@override_settings(LIVECHAT_AGENT_IDLE_AWAY_SECONDS=600)
async def test_consoles_that_start_together_record_activity_apart(
    visitor_client, agent_client, agent, make_agent, monkeypatch
):
    """Each console draws its own next moment (in the second half of the
    minute): consoles acting together do not all write again together."""
    draws = [0.5, 1.0, 1.0]  # the first console's gate, the second's, ...
    recorded, clock, consoles, act, other = await _two_consoles(
        visitor_client, agent_client, agent, make_agent, monkeypatch, draws
    )

    for console in consoles:
        await act(console)
    assert recorded == [agent.pk, other.pk]
    clock[0] += 31  # past the first console's 30 s, within the second's 60 s
    for console in consoles:
        await act(console)
    assert recorded == [agent.pk, other.pk, agent.pk]


@override_settings(LIVECHAT_AGENT_IDLE_AWAY_SECONDS=600)
async def test_consoles_that_resume_together_after_a_quiet_spell_record_apart(
    visitor_client, agent_client, agent, make_agent, monkeypatch
):
    """Quiet when their record fell due, consoles that act again together
    each wait for a moment of their own (in the next 30 s); one quiet for
    nearly the idle limit records at once."""
    # Each console's gate: 60 s; after the quiet spell, the first waits 3 s
    # and the second 12 s.
    draws = [1.0, 1.0, 0.05, 0.2, 1.0, 1.0, 1.0]
    recorded, clock, consoles, act, other = await _two_consoles(
        visitor_client, agent_client, agent, make_agent, monkeypatch, draws
    )

    async def all_act():
        for console in consoles:
            await act(console)

    await all_act()
    assert recorded == [agent.pk, other.pk]
    clock[0] += 100  # both quiet past their minute, then busy again together
    await all_act()
    assert recorded == [agent.pk, other.pk]
    clock[0] += 5
    await all_act()
    assert recorded == [agent.pk, other.pk, agent.pk]
    clock[0] += 10
    await all_act()
    assert recorded == [agent.pk, other.pk, agent.pk, other.pk]
    clock[0] += 545  # the first console: 560 s since its record, near idle
    await act(consoles[0])
    assert recorded == [agent.pk, other.pk, agent.pk, other.pk, agent.pk]


async def test_watching_a_chat_reads_nothing_for_its_agent(
    visitor_client, agent_client, agent, make_agent
):
    shopper, conv_id = await _waiting_chat(visitor_client, "Is it in stock?")
    bob = await db(make_agent)("bob", first_name="Bob")
    alice = await agent_client(agent)
    await alice.expect("welcome")
    await alice.send(type="claim", conversation=conv_id)
    await shopper.expect_state("active")
    await alice.expect_state("active")  # her console follows the chat from now
    await shopper.send(type="message", client_id="second", body="Hello?")
    seq = (await shopper.expect("ack"))["seq"]
    await alice.expect_message("visitor")

    # Bob opens Alice's chat and his console says he has read it.
    watcher = await agent_client(bob)
    await watcher.expect("welcome")
    await watcher.send(type="open", conversation=conv_id)
    await watcher.expect("messages")
    await watcher.send(type="read", conversation=conv_id, seq=seq)
    # Frames of one socket are handled in turn: once the note is acked, his
    # read is done and anything it published went out before this message.
    await watcher.send(type="note", conversation=conv_id, client_id="n", body="Hm")
    await watcher.expect("note_ack")
    await shopper.send(type="message", client_id="third", body="Anyone?")
    await shopper.expect("ack")
    await alice.expect_message("visitor")
    for frames in (await shopper.drain(0), await alice.drain(0)):
        assert not [f for f in frames if f["type"] == "read" and f["reader"] == "agent"]
    conversation = await db(Conversation.objects.get)(pk=conv_id)
    assert conversation.agent_read_seq < seq

    # Alice reads it: now it is read, for her console and the shopper.
    await alice.send(type="read", conversation=conv_id, seq=seq + 1)
    assert (await shopper.expect("read", reader="agent"))["seq"] == seq + 1
    assert (await alice.expect("read", reader="agent"))["seq"] == seq + 1


async def test_a_claim_past_the_limit_needs_an_override(
    visitor_client, agent_client, agent
):
    await db(AgentProfile.objects.update_or_create)(
        user=agent, defaults={"max_concurrent_chats": 1}
    )
    _first, first_id = await _waiting_chat(visitor_client, "First")
    second, second_id = await _waiting_chat(visitor_client, "Second")
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="claim", conversation=first_id)
    await console.expect_state("active")
    await console.send(type="claim", conversation=second_id)
    refused = await console.expect("error")
    assert refused["code"] == "agent_full"
    assert refused["message"] == "You already have 1 of 1 chats."
    await console.send(type="claim", conversation=second_id, override="yes")
    assert (await console.expect("error"))["code"] == "bad_frame"
    assert (await db(Conversation.objects.get)(pk=second_id)).assigned_agent is None
    await console.send(type="claim", conversation=second_id, override=True)
    taken = await second.expect_state("active")
    assert taken["agent"]["name"] == "Alice"


@pytest.mark.parametrize(
    "revoke, code, close_code",
    [
        ("permission", "forbidden", 4403),
        ("delete the account", "login_required", 4401),
    ],
)
async def test_a_console_whose_user_lost_the_right_is_refused_at_the_heartbeat(
    agent_client, agent, monkeypatch, revoke, code, close_code
):
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="ping")
    await console.expect("pong")

    def take_it_away():
        if revoke == "permission":
            agent.user_permissions.clear()
        else:
            type(agent).objects.filter(pk=agent.pk).delete()

    await db(take_it_away)()
    later = agent_consumer._clock() + agent_consumer.ROLE_RECHECK_SECONDS + 1
    monkeypatch.setattr(agent_consumer, "_clock", lambda: later)
    await console.send(type="ping")
    assert (await console.expect("error"))["code"] == code
    assert await console.closed_with() == close_code


@override_settings(LIVECHAT_ADAPTER="tests.adapters.StructuredContextAdapter")
async def test_opened_carries_the_context_as_html_in_the_consoles_language(
    visitor_client, agent_client, agent
):
    from ..conftest import Client

    _shopper, conv_id = await _waiting_chat(visitor_client)
    console = Client("/ws/livechat/agent/", user=agent)
    console.comm.scope["headers"].append((b"accept-language", b"es-ES,es;q=0.9"))
    await console.connect()
    await console.send(type="hello", v=1)
    await console.expect("welcome")
    await console.send(type="open", conversation=conv_id)
    opened = await console.expect("opened")
    assert opened["context"]["cart"]["total"] == "9.00"  # the data, for API users
    html = opened["context_html"]
    assert "9,00 EUR" in html  # Spanish number format
    assert "&lt;b&gt;Tea&lt;/b&gt;" in html and "javascript:" not in html
    assert '<a href="/admin/shop/order/7/change/"' in html
