"""The WebSocket protocol's rules, one consumer at a time (docs/protocol.md)."""

import json
import logging

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.db import OperationalError
from django.test import override_settings

from livechat import services
from livechat.models import Conversation, Message, Visitor
from livechat.realtime import coalescing
from livechat.services.messages import orm_route
from livechat.tokens import make_visitor_token

from ..conftest import new_token

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


async def _send_message(client, body, client_id, **extra):
    await client.send(type="message", client_id=client_id, body=body, **extra)
    return await client.expect("ack", client_id=client_id)


async def _message_count():
    return await db(Message.objects.count)()


# Visitor identity ------------------------------------------------------------


async def test_hello_with_a_valid_token_gets_welcome(visitor_client):
    client = await visitor_client(page="https://shop.test/checkout/", locale="es")
    welcome = await client.expect("welcome")
    assert welcome["protocol"] == 1
    assert welcome["conversation"] is None
    visitor = await db(Visitor.objects.get)()
    assert visitor.current_page == "https://shop.test/checkout/"
    assert visitor.locale == "es"


@pytest.mark.parametrize("token", ["", "garbage", None, 42])
async def test_bad_token_is_refused_and_closed(visitor_client, token):
    client = await visitor_client(token=False)
    await client.send(type="hello", v=1, token=token)
    error = await client.receive()
    assert error["type"] == "error" and error["code"] == "auth_failed"
    assert await client.closed_with() == 4401
    assert await db(Visitor.objects.count)() == 0


async def test_tampered_token_is_refused(visitor_client):
    _, token = new_token()
    value, _, signature = token.rpartition(":")
    tampered = value + ":" + signature[::-1]
    client = await visitor_client(token=False)
    await client.send(type="hello", v=1, token=tampered)
    assert (await client.receive())["code"] == "auth_failed"
    assert await client.closed_with() == 4401


async def test_expired_token_is_refused(visitor_client):
    _, token = new_token()
    with override_settings(LIVECHAT_VISITOR_TOKEN_MAX_AGE=-1):
        client = await visitor_client(token=False)
        await client.send(type="hello", v=1, token=token)
        assert (await client.receive())["code"] == "auth_failed"
        assert await client.closed_with() == 4401


async def test_unsupported_version_is_refused(visitor_client):
    client = await visitor_client(token=False)
    await client.send(type="hello", v=2, token=new_token()[1])
    assert (await client.receive())["code"] == "unsupported_version"
    assert await client.closed_with() == 4400


async def test_frames_before_hello_are_refused_but_socket_stays(visitor_client):
    client = await visitor_client(token=False)
    await client.send(type="message", client_id="c1", body="hi")
    error = await client.receive()
    assert error["code"] == "hello_required"
    assert error["client_id"] == "c1"
    assert error["for"] == "message"
    await client.send_raw("not json")
    assert "for" not in await client.expect("error", code="bad_json")
    await client.send(type="hello", v=1, token=new_token()[1])
    await client.expect("welcome")
    assert await _message_count() == 0


@pytest.mark.parametrize("body", ["a\x00b", "\ud800", "\udc00 tail"])
async def test_a_message_holding_nul_or_a_lone_surrogate_is_refused_by_client_id(
    visitor_client, agent_client, agent, caplog, body
):
    """The widget learns which message failed (its client id) and drops it,
    where ``unavailable`` would have it resend for ever; nothing is logged
    at ERROR."""
    client = await visitor_client()
    await client.expect("welcome")
    await client.send(type="message", client_id="c1", body=body)
    error = await client.expect("error")
    assert (error["code"], error.get("client_id")) == ("bad_frame", "c1")
    assert not error.get("retriable")
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="note", conversation=1, client_id="n1", body=body)
    error = await console.expect("error")
    assert (error["code"], error.get("client_id")) == ("bad_frame", "n1")
    assert await _message_count() == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@override_settings(LIVECHAT_HELLO_TIMEOUT=0.2)
async def test_silent_socket_is_closed_after_hello_timeout(visitor_client):
    client = await visitor_client(token=False)
    assert (await client.receive())["code"] == "hello_required"
    assert await client.closed_with() == 4408


async def test_visitor_of_a_logged_in_user_needs_that_user(
    visitor_client, django_user_model
):
    user = await db(django_user_model.objects.create_user)("carla", password="pw")
    visitor = await db(services.visitor_for_user)(user)
    client = await visitor_client(token=make_visitor_token(visitor.key))
    assert (await client.receive())["code"] == "forbidden"
    assert await client.closed_with() == 4403


async def test_logged_in_shopper_is_linked_to_visitor(django_user_model):
    from ..conftest import Client

    user = await db(django_user_model.objects.create_user)(
        "carla", password="pw", email="carla@example.com", first_name="Carla"
    )
    key, token = new_token()
    client = await Client("/ws/livechat/visitor/", user=user).connect()
    await client.send(type="hello", v=1, token=token)
    welcome = await client.expect("welcome")
    assert welcome["visitor"] == {
        "name": "Carla",
        "email": "carla@example.com",
        "phone": "",
    }
    visitor = await db(Visitor.objects.get)(key=key)
    assert visitor.user_id == user.pk


# Messages, acks and idempotency ----------------------------------------------


async def test_message_is_stored_acked_and_broadcast(visitor_client):
    client = await visitor_client()
    await client.expect("welcome")
    ack = await _send_message(client, "Where is my order?", "c-1")
    assert ack["seq"] == 1 and ack["duplicate"] is False
    # Their only socket has the ack: the message is not echoed to it.
    assert not [f for f in await client.drain(timeout=0.3) if f["type"] == "message"]
    message = await db(Message.objects.get)()
    assert (message.pk, message.body) == (ack["id"], "Where is my order?")
    conversation = await db(Conversation.objects.get)()
    assert conversation.status == "waiting" and conversation.last_seq == 1


async def test_resent_client_id_never_stores_twice(visitor_client):
    client = await visitor_client()
    await client.expect("welcome")
    first = await _send_message(client, "hello", "same-id")
    again = await _send_message(client, "hello", "same-id")
    assert again["duplicate"] is True
    assert (again["id"], again["seq"]) == (first["id"], first["seq"])
    assert await _message_count() == 1


async def test_resend_after_reconnect_is_idempotent(visitor_client):
    key, token = new_token()
    client = await visitor_client(token=token)
    await client.expect("welcome")
    first = await _send_message(client, "hello", "x-1")
    await client.disconnect()
    client = await visitor_client(token=token)
    await client.expect("welcome")
    again = await _send_message(client, "hello", "x-1")
    assert again["id"] == first["id"] and again["duplicate"]
    assert await _message_count() == 1


async def test_two_tabs_of_one_visitor_both_see_messages(visitor_client):
    _, token = new_token()
    tab1 = await visitor_client(token=token)
    await tab1.expect("welcome")
    tab2 = await visitor_client(token=token)
    await tab2.expect("welcome")
    await _send_message(tab1, "from tab 1", "t1")
    live = await tab2.expect("message")
    assert live["message"]["body"] == "from tab 1"


# Bad input --------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, code",
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_frame"),
        ('"text"', "bad_frame"),
        ('{"no": "type"}', "bad_frame"),
        ('{"type": 5}', "bad_frame"),
        ('{"type": "launch_missiles"}', "unknown_type"),
        ('{"type": "message", "body": "hi"}', "bad_frame"),
        ('{"type": "message", "client_id": "", "body": "hi"}', "bad_frame"),
        (
            '{"type": "message", "client_id": "' + "x" * 65 + '", "body": "hi"}',
            "bad_frame",
        ),
        ('{"type": "message", "client_id": "a", "body": 7}', "bad_frame"),
        ('{"type": "message", "client_id": "a", "body": "   "}', "empty"),
        ('{"type": "fetch", "conversation": "1", "after_seq": 0}', "bad_frame"),
        ('{"type": "fetch", "conversation": true, "after_seq": 0}', "bad_frame"),
        ('{"type": "read", "conversation": 1, "seq": -1}', "bad_frame"),
        ('{"type": "page", "url": ["x"]}', "bad_frame"),
        # Too deep for the JSON decoder (RecursionError, not ValueError).
        ("[" * 20000, "bad_json"),
        ('{"type": "ping", "x": ' + "[" * 5000 + "]" * 5000 + "}", "bad_json"),
        # No database text holds NUL or a lone surrogate.
        ('{"type": "message", "client_id": "a", "body": "a\\u0000b"}', "bad_frame"),
        ('{"type": "message", "client_id": "a", "body": "\\ud800"}', "bad_frame"),
        ('{"type": "message", "client_id": "a", "body": "x\\udfffy"}', "bad_frame"),
        ('{"type": "profile", "name": ["\\u0000"]}', "bad_frame"),
        ('{"type": "page", "url": "/", "\\u0000": 1}', "bad_frame"),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays(visitor_client, raw, code):
    client = await visitor_client()
    await client.expect("welcome")
    await client.send_raw(raw)
    error = await client.expect("error")
    assert error["code"] == code, error
    await client.send(type="ping")
    await client.expect("pong")
    assert await _message_count() == 0


async def test_binary_frame_is_refused(visitor_client):
    client = await visitor_client()
    await client.expect("welcome")
    await client.send_raw(bytes_=b"\x00\x01")
    assert (await client.expect("error"))["code"] == "bad_frame"


@override_settings(LIVECHAT_MAX_MESSAGE_LENGTH=10)
async def test_oversize_body_is_refused(visitor_client):
    client = await visitor_client()
    await client.expect("welcome")
    await client.send(type="message", client_id="big", body="x" * 11)
    error = await client.expect("error")
    assert error["code"] == "too_large" and error["client_id"] == "big"
    assert not error.get("retriable")
    assert await _message_count() == 0


@override_settings(LIVECHAT_MAX_FRAME_BYTES=1000)
async def test_oversize_frame_closes_the_socket_with_1009(visitor_client):
    client = await visitor_client()
    await client.expect("welcome")
    await client.send_raw(json.dumps({"type": "ping", "pad": "x" * 2000}))
    assert (await client.expect("error"))["code"] == "too_large"
    assert await client.closed_with() == 1009


@override_settings(LIVECHAT_MAX_FRAME_BYTES=1000)
async def test_frame_size_counts_bytes_not_characters(visitor_client):
    client = await visitor_client()
    await client.expect("welcome")
    # 400 characters, 1,200 bytes of UTF-8.
    await client.send_raw(
        json.dumps({"type": "ping", "pad": "€" * 400}, ensure_ascii=False)
    )
    assert (await client.expect("error"))["code"] == "too_large"
    assert await client.closed_with() == 1009


async def test_database_failure_is_retriable_and_stores_once(
    visitor_client, monkeypatch
):
    client = await visitor_client()
    await client.expect("welcome")
    real = orm_route._store_visitor_message

    def broken(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(orm_route, "_store_visitor_message", broken)
    await client.send(type="message", client_id="retry-me", body="hello")
    error = await client.expect("error")
    assert error["code"] == "unavailable" and error["retriable"] is True
    assert error["client_id"] == "retry-me"
    monkeypatch.setattr(orm_route, "_store_visitor_message", real)
    ack = await _send_message(client, "hello", "retry-me")
    assert ack["duplicate"] is False
    await _send_message(client, "hello", "retry-me")
    assert await _message_count() == 1


async def test_unexpected_error_is_answered_and_logged(
    visitor_client, monkeypatch, caplog
):
    client = await visitor_client()
    await client.expect("welcome")

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(orm_route, "_store_visitor_message", boom)
    await client.send(type="message", client_id="c", body="hello")
    error = await client.expect("error")
    assert error["code"] == "server_error" and error["retriable"]
    assert "unexpected error" in caplog.text
    await client.send(type="ping")
    await client.expect("pong")


# Resume and gap fill -------------------------------------------------------------


# Coalesced broadcasts go out within the test, as they do when a loaded
# machine makes the test take longer than the default interval.
_SHORT_BATCH = override_settings(LIVECHAT_INBOX_BATCH_SECONDS=0.1)


async def _conversation_with(visitor_client, agent_client, agent, replies):
    """A visitor message, then ``replies`` agent messages; returns the token."""
    key, token = new_token()
    client = await visitor_client(token=token)
    await client.expect("welcome")
    ack = await _send_message(client, "question", "q")
    console = await agent_client(agent)
    await console.expect("welcome")
    for n in range(replies):
        await console.send(
            type="message",
            conversation=ack["conversation"],
            client_id=f"a{n}",
            body=f"answer {n}",
        )
        await console.expect("ack", client_id=f"a{n}")
    # The console's hello changed who is online: every open widget hears it in
    # one coalesced ``availability`` frame, LIVECHAT_INBOX_BATCH_SECONDS later.
    # Sent now, it reaches the sockets of the set-up; left to its timer, it
    # reaches whichever widget the test opens next, whenever the test is slow.
    await coalescing.flush_pending()
    return client, console, token, ack["conversation"]


@_SHORT_BATCH
async def test_reconnect_replays_exactly_what_was_missed(
    visitor_client, agent_client, agent
):
    client, console, token, conv_id = await _conversation_with(
        visitor_client, agent_client, agent, replies=1
    )
    await client.disconnect()
    for n in range(3):
        await console.send(
            type="message", conversation=conv_id, client_id=f"b{n}", body=f"more {n}"
        )
        await console.expect("ack", client_id=f"b{n}")
    client = await visitor_client(token=token, conversation=conv_id, last_seq=2)
    welcome = await client.expect("welcome")
    assert welcome["conversation"]["id"] == conv_id
    assert welcome["conversation"]["last_seq"] == 5
    replay = await client.expect("messages")
    assert [m["seq"] for m in replay["messages"]] == [3, 4, 5]
    assert [m["body"] for m in replay["messages"]] == ["more 0", "more 1", "more 2"]
    assert replay["more"] is False
    await client.nothing()


async def test_fresh_page_gets_whole_history(visitor_client, agent_client, agent):
    client, console, token, conv_id = await _conversation_with(
        visitor_client, agent_client, agent, replies=2
    )
    page2 = await visitor_client(token=token)
    welcome = await page2.expect("welcome")
    assert welcome["conversation"]["status"] == "active"
    assert welcome["conversation"]["agent"]["name"] == "Alice"
    replay = await page2.expect("messages")
    assert [m["seq"] for m in replay["messages"]] == [1, 2, 3]
    assert replay["messages"][1]["author"] == {"name": "Alice", "avatar": ""}


@override_settings(LIVECHAT_REPLAY_BATCH_SIZE=2)
async def test_long_replay_comes_in_batches(visitor_client, agent_client, agent):
    client, console, token, conv_id = await _conversation_with(
        visitor_client, agent_client, agent, replies=4
    )
    page = await visitor_client(token=token)
    await page.expect("welcome")
    batch = await page.expect("messages")
    assert [m["seq"] for m in batch["messages"]] == [1, 2] and batch["more"]
    await page.send(type="fetch", conversation=conv_id, after_seq=2)
    batch = await page.expect("messages")
    assert [m["seq"] for m in batch["messages"]] == [3, 4] and batch["more"]


async def test_gap_is_filled_by_fetch(visitor_client, agent_client, agent):
    client, console, token, conv_id = await _conversation_with(
        visitor_client, agent_client, agent, replies=4
    )
    await client.send(type="fetch", conversation=conv_id, after_seq=1, before_seq=4)
    batch = await client.expect("messages")
    assert [m["seq"] for m in batch["messages"]] == [2, 3]


@_SHORT_BATCH
async def test_visitor_cannot_touch_another_visitors_conversation(
    visitor_client, agent_client, agent
):
    victim, console, _, conv_id = await _conversation_with(
        visitor_client, agent_client, agent, replies=1
    )
    intruder = await visitor_client(conversation=conv_id, last_seq=0)
    welcome = await intruder.expect("welcome")
    assert welcome["conversation"] is None
    for frame in (
        {"type": "fetch", "conversation": conv_id, "after_seq": 0},
        {"type": "read", "conversation": conv_id, "seq": 2},
        {"type": "fetch", "conversation": 999999, "after_seq": 0},
    ):
        await intruder.send(**frame)
        error = await intruder.expect("error")
        assert error["code"] == "forbidden"
    await intruder.nothing()
    conversation = await db(Conversation.objects.get)(pk=conv_id)
    assert conversation.visitor_read_seq == 1
    # Writing goes to the intruder's own new conversation, never the victim's.
    ack = await _send_message(intruder, "hi", "i1")
    assert ack["conversation"] != conv_id
    assert await db(Message.objects.filter(conversation_id=conv_id).count)() == 2


# Agents ---------------------------------------------------------------------------


async def test_anonymous_user_cannot_open_agent_socket(agent_client):
    """No session (never logged in, or it ended): told to log in, not forbidden."""
    client = await agent_client(AnonymousUser(), hello=False)
    error = await client.receive()
    assert error["code"] == "login_required"
    assert await client.closed_with() == 4401


@pytest.mark.parametrize("staff, permitted", [(True, False), (False, True)])
async def test_agent_socket_needs_staff_and_permission(
    agent_client, django_user_model, staff, permitted
):
    from django.contrib.auth.models import Permission

    def make():
        user = django_user_model.objects.create_user("u", password="pw", is_staff=staff)
        if permitted:
            user.user_permissions.add(
                Permission.objects.get(codename="reply_conversation")
            )
        return django_user_model.objects.get(pk=user.pk)

    user = await db(make)()
    client = await agent_client(user, hello=False)
    assert (await client.receive())["code"] == "forbidden"
    assert await client.closed_with() == 4403


async def test_agent_inbox_is_live(visitor_client, agent_client, agent):
    console = await agent_client(agent)
    welcome = await console.expect("welcome")
    assert welcome["inbox"] == [] and welcome["agent"]["name"] == "Alice"
    client = await visitor_client()
    await client.expect("welcome")
    await _send_message(client, "Need help", "c1")
    update = await console.expect("conversation")
    assert update["conversation"]["status"] == "waiting"
    assert update["conversation"]["preview"] == "Need help"
    console2 = await agent_client(agent)
    welcome = await console2.expect("welcome")
    assert [c["status"] for c in welcome["inbox"]] == ["waiting"]
    assert welcome["inbox"][0]["preview"] == "Need help"


async def test_agent_reply_assigns_and_reaches_visitor(
    visitor_client, agent_client, agent
):
    client = await visitor_client()
    await client.expect("welcome")
    ack = await _send_message(client, "Hello?", "c1")
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="open", conversation=ack["conversation"], last_seq=0)
    opened = await console.expect("opened")
    assert opened["context"] == {}
    history = await console.expect("messages")
    assert [m["body"] for m in history["messages"]] == ["Hello?"]
    await console.send(
        type="message", conversation=ack["conversation"], client_id="r1", body="Hi!"
    )
    await console.expect("ack", client_id="r1")
    live = await client.expect_message("agent")
    assert live["body"] == "Hi!" and live["author"]["name"] == "Alice"
    state = await client.expect_state("active")
    assert state["agent"]["name"] == "Alice"
    conversation = await db(Conversation.objects.get)()
    assert conversation.assigned_agent_id == agent.pk
    assert conversation.first_agent_reply_at is not None


async def test_other_agent_cannot_reply_or_claim(
    visitor_client, agent_client, agent, make_agent
):
    client, console, _, conv_id = await _conversation_with(
        visitor_client, agent_client, agent, replies=1
    )
    bob = await db(make_agent)("bob")
    other = await agent_client(bob)
    await other.expect("welcome")
    await other.send(type="message", conversation=conv_id, client_id="b1", body="x")
    assert (await other.expect("error"))["code"] == "forbidden"
    await other.send(type="claim", conversation=conv_id)
    assert (await other.expect("error"))["code"] == "already_assigned"
    assert await db(Message.objects.filter(conversation_id=conv_id).count)() == 2


async def test_claim_then_close(visitor_client, agent_client, agent):
    client = await visitor_client()
    await client.expect("welcome")
    ack = await _send_message(client, "Hi", "c1")
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="claim", conversation=ack["conversation"])
    joined = await client.expect_message("system")
    assert joined["body"] == "Alice joined the chat."
    state = await client.expect_state("active")
    assert state["agent"]["name"] == "Alice"
    await console.send(type="close", conversation=ack["conversation"])
    await client.expect_state("closed")
    assert (await client.expect_message("system"))["body"] == "The chat has ended."
    await console.send(
        type="message", conversation=ack["conversation"], client_id="late", body="x"
    )
    assert (await console.expect("error"))["code"] == "conversation_closed"
    # The shopper's next message opens a new conversation (past the reopen
    # window: test_workspace_frames has the reopen).
    with override_settings(LIVECHAT_REOPEN_WINDOW=0):
        ack2 = await _send_message(client, "One more thing", "c2")
    assert ack2["conversation"] != ack["conversation"] and ack2["seq"] == 1


async def test_agent_open_unknown_conversation(agent_client, agent):
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="open", conversation=424242)
    assert (await console.expect("error"))["code"] == "not_found"


async def test_typing_travels_both_ways(visitor_client, agent_client, agent):
    client, console, _, conv_id = await _conversation_with(
        visitor_client, agent_client, agent, replies=1
    )
    await console.send(type="open", conversation=conv_id, last_seq=2)
    await console.expect("messages")
    await client.send(type="typing", active=True)
    typing = await console.expect("typing")
    assert typing["sender"] == "visitor" and typing["active"] is True
    # Paused with words not sent yet: the agent sees a draft in progress.
    await client.send(type="typing", active=False, draft=True)
    typing = await console.expect("typing")
    assert typing["active"] is False and typing["draft"] is True
    await console.send(type="typing", conversation=conv_id, active=True)
    typing = await client.expect("typing")
    assert typing["sender"] == "agent" and typing["name"] == "Alice"
    assert await _message_count() == 2


async def test_read_receipts_travel_both_ways(visitor_client, agent_client, agent):
    client, console, _, conv_id = await _conversation_with(
        visitor_client, agent_client, agent, replies=2
    )
    await console.send(type="open", conversation=conv_id, last_seq=3)
    await console.expect("messages")
    await client.send(type="read", conversation=conv_id, seq=3)
    receipt = await console.expect("read", reader="visitor")
    assert receipt["seq"] == 3
    unread = await db(
        Message.objects.filter(sender_kind="agent", read_at__isnull=True).count
    )()
    assert unread == 0
    await client.send(type="message", client_id="n", body="thanks")
    await client.expect("ack")
    await console.send(type="read", conversation=conv_id, seq=4)
    receipt = await client.expect("read", reader="agent")
    assert receipt["seq"] == 4


@override_settings(LIVECHAT_ADAPTER="tests.adapters.SessionCartAdapter")
async def test_agent_sees_context_from_the_shoppers_session(agent_client, agent):
    from importlib import import_module

    from django.conf import settings

    from ..conftest import Client

    def make_session():
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session["cart"] = {"tea": 2}
        session.save()
        return session

    session = await db(make_session)()
    shopper = Client("/ws/livechat/visitor/")
    shopper.comm.scope["session"] = session
    await shopper.connect()
    await shopper.send(type="hello", v=1, token=new_token()[1])
    await shopper.expect("welcome")
    ack = await _send_message(shopper, "Is the tea fresh?", "c1")
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="open", conversation=ack["conversation"])
    opened = await console.expect("opened")
    assert opened["context"] == {"cart": {"tea": 2}}


@override_settings(LIVECHAT_ADAPTER="tests.adapters.BrokenContextAdapter")
async def test_broken_context_hook_never_blocks_the_agent(
    visitor_client, agent_client, agent, caplog
):
    client = await visitor_client()
    await client.expect("welcome")
    ack = await _send_message(client, "Hi", "c1")
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="open", conversation=ack["conversation"])
    assert (await console.expect("opened"))["context"] == {}
    assert "get_visitor_context failed" in caplog.text
    await console.expect("messages")
