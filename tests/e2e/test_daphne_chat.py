"""The chat over real sockets: example_shop under daphne, websockets as client.

tests/consumers/test_protocol.py checks each protocol rule in process; these check that
the deployed stack (daphne, origin validation, session auth, the real channel
layer and database) keeps the protocol's promises across dropped connections.
"""

import pytest
from websockets.exceptions import InvalidStatus

from .clients import (
    AGENT,
    VISITOR,
    Socket,
    client_id,
    http_session,
    message_frames,
    visitor_token,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]


def _seqs(messages):
    return [message["seq"] for message in messages]


def _assert_contiguous(messages, first):
    assert _seqs(messages) == list(range(first, first + len(messages)))


async def _start_conversation(open_visitor, open_agent, body="Hello, anyone there?"):
    """A visitor's first message, opened by the agent; returns both sockets."""
    agent = await open_agent()
    visitor = await open_visitor(page="http://127.0.0.1/checkout/")
    ack = await visitor.post(body)
    conversation = ack["conversation"]
    await agent.expect_where(
        lambda f: (
            f["type"] == "conversation" and f["conversation"]["id"] == conversation
        ),
        what=f"inbox frame of conversation {conversation}",
    )
    await agent.send(type="open", conversation=conversation, last_seq=0)
    await agent.expect("opened")
    assert _seqs(await agent.replay(conversation)) == [1]
    return visitor, agent, conversation


async def test_message_each_way(open_visitor, open_agent):
    agent = await open_agent()
    assert agent.welcome["protocol"] == 1
    assert agent.welcome["agent"]["name"] == "Alice from Support"
    visitor = await open_visitor(page="http://127.0.0.1/checkout/")
    assert visitor.welcome["protocol"] == 1
    assert visitor.welcome["conversation"] is None

    cid = client_id()
    ack = await visitor.post("Is the honey raw?", client_id=cid)
    assert ack["client_id"] == cid
    assert isinstance(ack["id"], int) and ack["seq"] == 1
    assert ack["duplicate"] is False
    conversation = ack["conversation"]

    inbox = await agent.expect_where(
        lambda f: (
            f["type"] == "conversation" and f["conversation"]["id"] == conversation
        ),
        what="the new conversation in the inbox",
    )
    assert inbox["conversation"]["status"] == "waiting"
    assert inbox["conversation"]["preview"] == "Is the honey raw?"
    assert inbox["conversation"]["last_seq"] == 1

    await agent.send(type="open", conversation=conversation, last_seq=0)
    opened = await agent.expect("opened")
    assert opened["conversation"]["id"] == conversation
    [received] = await agent.replay(conversation)
    assert received["id"] == ack["id"]
    assert received["body"] == "Is the honey raw?"
    assert received["sender"] == "visitor" and received["client_id"] == cid

    reply_ack = await agent.post("Yes, unheated.", conversation=conversation)
    assert isinstance(reply_ack["id"], int) and reply_ack["seq"] == 2
    assert reply_ack["conversation"] == conversation

    live = await visitor.expect_where(
        lambda f: f["type"] == "message" and f["message"]["sender"] == "agent",
        what="the agent's reply",
    )
    reply = live["message"]
    assert reply["id"] == reply_ack["id"] and reply["seq"] == 2
    assert reply["body"] == "Yes, unheated."
    assert reply["author"]["name"] == "Alice from Support"


async def test_visitor_resumes_after_dropped_connection(open_visitor, open_agent):
    visitor, agent, conversation = await _start_conversation(open_visitor, open_agent)
    session = visitor.session
    visitor.abort()

    bodies = [f"Update {n} on your order" for n in range(1, 6)]
    acks = [await agent.post(body, conversation=conversation) for body in bodies]
    assert _seqs(acks) == [2, 3, 4, 5, 6]

    visitor = await open_visitor(session=session, conversation=conversation, last_seq=1)
    assert visitor.welcome["conversation"]["id"] == conversation
    assert visitor.welcome["conversation"]["last_seq"] == 6
    missed = await visitor.replay(conversation)
    assert [m["body"] for m in missed] == bodies
    assert [m["id"] for m in missed] == [ack["id"] for ack in acks]
    _assert_contiguous(missed, first=2)
    # Exactly once: no live frame repeats what the replay brought.
    assert message_frames(await visitor.drain(), conversation) == []


async def test_agent_resumes_after_dropped_connection(open_visitor, open_agent):
    visitor, agent, conversation = await _start_conversation(open_visitor, open_agent)
    agent.abort()

    bodies = [f"Still there? ({n})" for n in range(1, 4)]
    acks = [await visitor.post(body) for body in bodies]
    assert _seqs(acks) == [2, 3, 4]

    agent = await open_agent()
    await agent.send(type="open", conversation=conversation, last_seq=1)
    opened = await agent.expect("opened")
    assert opened["conversation"]["last_seq"] == 4
    missed = await agent.replay(conversation)
    assert [m["body"] for m in missed] == bodies
    assert {m["sender"] for m in missed} == {"visitor"}
    _assert_contiguous(missed, first=2)
    assert message_frames(await agent.drain(), conversation) == []


async def test_resend_after_reconnect_is_stored_once(open_visitor, open_agent):
    visitor, agent, conversation = await _start_conversation(open_visitor, open_agent)
    session = visitor.session

    # Acked, then the connection drops: the widget's outbox resends anyway.
    acked_id = client_id()
    first = await visitor.post("Can I pay by invoice?", client_id=acked_id)
    visitor.abort()
    visitor = await open_visitor(session=session, conversation=conversation, last_seq=2)
    again = await visitor.post("Can I pay by invoice?", client_id=acked_id)
    assert again["duplicate"] is True
    assert (again["id"], again["seq"]) == (first["id"], first["seq"])

    # The ack itself lost: the socket drops right after sending.
    unacked_id = client_id()
    await visitor.send(type="message", client_id=unacked_id, body="And by card?")
    visitor.abort()
    visitor = await open_visitor(session=session, conversation=conversation, last_seq=2)
    await visitor.post("And by card?", client_id=unacked_id)
    # The resent frame raced the drop: either way it is stored, exactly once.

    fresh = await open_visitor(session=session, conversation=conversation, last_seq=0)
    history = await fresh.replay(conversation)
    _assert_contiguous(history, first=1)
    client_ids = [m["client_id"] for m in history]
    assert len(client_ids) == len(set(client_ids)), history
    assert client_ids.count(acked_id) == 1 and client_ids.count(unacked_id) == 1
    assert [m["body"] for m in history] == [
        "Hello, anyone there?",
        "Can I pay by invoice?",
        "And by card?",
    ]

    await agent.send(type="open", conversation=conversation, last_seq=0)
    assert await agent.replay(conversation) == history


async def test_foreign_origin_is_rejected(live_shop):
    with pytest.raises(InvalidStatus) as refused:
        await Socket.open(live_shop, VISITOR, origin="http://evil.example")
    assert refused.value.response.status_code == 403


async def test_tampered_visitor_token_is_closed_4401(live_shop, sockets):
    token = visitor_token(live_shop, http_session())
    value, _, signature = token.rpartition(":")
    socket = await Socket.open(live_shop, VISITOR)
    sockets.append(socket)
    await socket.send(type="hello", v=1, token=f"{value}:{signature[::-1]}")
    error = await socket.expect("error")
    assert error["code"] == "auth_failed"
    assert await socket.close_code() == 4401


async def test_agent_socket_without_login_is_closed_4401(live_shop, sockets):
    """No session: the console is told to log in again, not "forbidden"."""
    socket = await Socket.open(live_shop, AGENT)
    sockets.append(socket)
    error = await socket.expect("error")
    assert error["code"] == "login_required"
    assert await socket.close_code() == 4401
