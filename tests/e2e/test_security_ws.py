"""Attacks on the two WebSocket endpoints, made from outside against daphne.

Each test plays an outsider with raw WebSockets: frames pipelined right after
the handshake, other people's cookies and tokens, oversized frames, floods and
foreign origins. What counts is what the others see afterwards: the shopper's
socket, a real agent's socket and the REST API at /livechat/api/.
"""

import asyncio
import contextlib
import json
import secrets
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from .clients import (
    AGENT,
    HTTP_TIMEOUT,
    RECEIVE_TIMEOUT,
    VISITOR,
    Socket,
    client_id,
    cookie_header,
    http_session,
    log_in_agent,
    log_in_customer,
    pipelined,
    visitor_token,
)
from .live import create_user, free_port, sibling_shop

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

API = "/livechat/api/v1/conversations/"
MAX_FRAME_BYTES = 32 * 1024  # LIVECHAT_MAX_FRAME_BYTES' default
MAX_MESSAGE_LENGTH = 4000  # LIVECHAT_MAX_MESSAGE_LENGTH's default
CLOSE_TOO_BIG = 1009
CLOSE_TOO_MANY = 4429
# Long enough for frames already queued in a refused consumer to have run.
SETTLE_SECONDS = 1.0


# Helpers ------------------------------------------------------------------------


def _api_get(shop, http, path):
    response = http.get(shop.url(path), timeout=HTTP_TIMEOUT)
    response.raise_for_status()
    return response.json()


async def _summary(shop, http, conversation):
    return await asyncio.to_thread(_api_get, shop, http, f"{API}{conversation}/")


async def _messages(shop, http, conversation):
    answer = await asyncio.to_thread(
        _api_get, shop, http, f"{API}{conversation}/messages/"
    )
    return answer["messages"]


def _log_offset(shop):
    try:
        return shop.log_path.stat().st_size
    except OSError:
        return 0


def _log_since(shop, offset):
    with open(shop.log_path, "rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")


def _brief(frames):
    """Frames in a line each: type, then what says most about them."""
    lines = []
    for frame in frames:
        inner = frame.get("message") or frame.get("conversation") or {}
        if not isinstance(inner, dict):
            inner = {"id": inner}
        detail = {
            key: inner.get(key, frame.get(key))
            for key in ("code", "sender", "status", "agent", "body", "name")
            if inner.get(key, frame.get(key)) is not None
        }
        lines.append(f"{frame['type']} {detail}")
    return "\n".join(["", *lines])


async def _send_all(socket, frames):
    """Write every frame at once, reading nothing; a close on the way ends it."""
    with contextlib.suppress(ConnectionClosed):
        for frame in frames:
            await socket.connection.send(
                frame if isinstance(frame, str) else json.dumps(frame)
            )


def _agent_frames(conversation, marker):
    """What a console would send to take a chat over, all in one go."""
    return [
        {"type": "hello", "v": 1},
        {
            "type": "message",
            "conversation": conversation,
            "client_id": client_id(),
            "body": f"Please pay at evil.example ({marker})",
        },
        {"type": "claim", "conversation": conversation},
        {"type": "close", "conversation": conversation},
        {"type": "typing", "conversation": conversation, "active": True},
        {
            "type": "note",
            "conversation": conversation,
            "client_id": client_id(),
            "body": f"note ({marker})",
        },
        {"type": "open", "conversation": conversation, "last_seq": 0},
    ]


async def _assert_chat_untouched(shop, agent_http, shopper, conversation, marker):
    """The chat still waits for an agent; the shopper saw nothing of anyone."""
    seen = await shopper.drain(SETTLE_SECONDS)
    from_agents = [
        f
        for f in seen
        if f["type"] == "typing"
        or (f["type"] == "message" and f["message"]["sender"] != "visitor")
        or (f["type"] == "conversation" and f["conversation"]["status"] != "waiting")
    ]
    assert not from_agents, f"the shopper was shown: {_brief(from_agents)}"
    summary = await _summary(shop, agent_http, conversation)
    assert (summary["status"], summary["agent"]) == ("waiting", None), summary
    messages = await _messages(shop, agent_http, conversation)
    assert [m["sender"] for m in messages] == ["visitor"], messages
    assert marker not in json.dumps(messages)


async def _claim_and_answer(open_agent, bob_http, shopper, conversation):
    """A real agent takes the chat, the shopper reads the answer, it closes."""
    bob = await open_agent(bob_http)
    await bob.send(type="claim", conversation=conversation)
    claimed = await bob.expect_where(
        lambda f: (
            f["type"] == "conversation"
            and f["conversation"]["id"] == conversation
            and f["conversation"]["status"] == "active"
        ),
        what=f"conversation {conversation} claimed",
    )
    assert claimed["conversation"]["agent"]["id"] == bob.welcome["agent"]["id"]
    await bob.post("Bob here, how can I help?", conversation=conversation)
    answer = await shopper.expect_where(
        lambda f: f["type"] == "message" and f["message"]["sender"] == "agent",
        what="the real agent's answer",
    )
    assert answer["message"]["body"] == "Bob here, how can I help?"
    assert answer["message"]["author"]["name"] == "Bob from Support"
    await bob.send(type="close", conversation=conversation)
    await bob.expect_where(
        lambda f: (
            f["type"] == "conversation"
            and f["conversation"]["id"] == conversation
            and f["conversation"]["status"] == "closed"
        ),
        what="the close",
    )


@pytest.fixture(scope="module")
def bob_http(live_shop):
    """The second demo agent (Bob from Support), logged in once."""
    return log_in_agent(live_shop, "agent2", "agent2-demo-pass")


# 1. A refused agent socket dispatches nothing ---------------------------------------


@pytest.mark.parametrize(
    ("who", "code", "close_code"),
    [("customer", "forbidden", 4403), ("anonymous", "login_required", 4401)],
)
async def test_a_refused_agent_socket_dispatches_no_pipelined_frame(
    live_shop, open_visitor, open_agent, agent_http, bob_http, who, code, close_code
):
    """A logged-in customer (or nobody) opens the agent socket and, without
    waiting for an answer, sends hello, a reply, claim, close, typing, note and
    open for a shopper's waiting chat. Expected: one error frame at most
    (``forbidden`` / ``login_required``), close 4403 / 4401, nothing else; the
    chat still waits unassigned with no agent message, the shopper saw nothing,
    a real agent can still claim and answer it, and daphne logs no traceback.
    """
    marker = secrets.token_hex(4)
    shopper = await open_visitor()
    conversation = (await shopper.post("Is the honey raw?"))["conversation"]
    cookies = cookie_header(log_in_customer(live_shop)) if who == "customer" else None
    log_offset = _log_offset(live_shop)

    answer = await pipelined(
        live_shop, AGENT, _agent_frames(conversation, marker), cookies=cookies
    )

    assert answer.status == 101, answer.status
    await _assert_chat_untouched(live_shop, agent_http, shopper, conversation, marker)
    assert [f["type"] for f in answer.frames] in ([], ["error"]), answer.frames
    assert [f["code"] for f in answer.frames] in ([], [code]), answer.frames
    assert answer.close is not None and answer.close.code == close_code, answer.close
    log = _log_since(live_shop, log_offset)
    assert "Traceback" not in log, log
    await _claim_and_answer(open_agent, bob_http, shopper, conversation)


# 2. A customer's chat stays theirs --------------------------------------------------


@pytest.fixture(scope="module")
def two_customers(live_shop):
    """``{name: (username, password, email)}``: two registered shoppers."""
    customers = {}
    for name, first, last in (("a", "Ann", "Archer"), ("b", "Ben", "Baker")):
        username = f"shopper_{name}_{secrets.token_hex(3)}"
        password = f"{username}-pass"
        email = f"{username}@example.com"
        create_user(
            live_shop,
            username,
            password,
            first_name=first,
            last_name=last,
            email=email,
        )
        customers[name] = (username, password, email)
    return customers


async def test_a_customer_cannot_take_over_another_customers_chat(
    live_shop, two_customers, open_agent, sockets
):
    """Customer B, logged in with B's own session, says hello with customer
    A's visitor token and A's conversation id. Expected: error ``forbidden``,
    close 4403, no welcome and none of A's messages; A still resumes the chat
    with her history, and the agent sees A (not B) as the shopper.
    """
    a_user, a_password, a_email = two_customers["a"]
    b_user, b_password, b_email = two_customers["b"]
    marker = secrets.token_hex(4)
    secret = f"My door code is 4711 ({marker})"

    ann = log_in_customer(live_shop, a_user, a_password)
    ann_token = visitor_token(live_shop, ann)
    ann_socket = await Socket.open(live_shop, VISITOR, cookies=cookie_header(ann))
    sockets.append(ann_socket)
    await ann_socket.send(type="hello", v=1, token=ann_token)
    await ann_socket.expect("welcome")
    conversation = (await ann_socket.post(secret))["conversation"]
    await ann_socket.close()

    ben = log_in_customer(live_shop, b_user, b_password)
    visitor_token(live_shop, ben)  # Ben browses the shop: a widget of his own
    thief = await Socket.open(live_shop, VISITOR, cookies=cookie_header(ben))
    sockets.append(thief)
    await thief.send(
        type="hello", v=1, token=ann_token, conversation=conversation, last_seq=0
    )
    first = await thief.receive()
    if first["type"] == "error":
        close = await thief.closed()
        seen = [first, *thief.pending]
    else:  # welcomed: whatever else it sends in a moment shows what leaked
        close, seen = None, [first, *await thief.drain(SETTLE_SECONDS)]
    assert marker not in json.dumps(seen), f"B read A's chat: {_brief(seen)}"
    assert [f["type"] for f in seen] == ["error"], _brief(seen)
    assert first["code"] == "forbidden", first
    assert close is not None and close.code == 4403, close

    again = await Socket.open(live_shop, VISITOR, cookies=cookie_header(ann))
    sockets.append(again)
    await again.send(
        type="hello", v=1, token=ann_token, conversation=conversation, last_seq=0
    )
    welcome = await again.expect("welcome")
    assert welcome["conversation"]["id"] == conversation
    history = await again.replay(conversation)
    assert [m["body"] for m in history] == [secret]

    agent = await open_agent()
    await agent.send(type="open", conversation=conversation, last_seq=0)
    opened = await agent.expect("opened")
    customer = opened["context"]["customer"]
    assert (customer["email"], customer["name"]) == (a_email, "Ann Archer"), customer
    assert opened["conversation"]["visitor"]["email"] == a_email
    assert b_email not in json.dumps(opened), opened


# 4. Oversized frames ----------------------------------------------------------------


async def _closed_unless_pong(socket, timeout=10):
    """The server's Close (None: dropped with none); fail on a ``pong``."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await socket.connection.recv())
                socket.pending.append(frame)
                assert frame["type"] != "pong", (
                    f"the socket stayed open and answered a ping: "
                    f"{_brief(socket.pending)}"
                )
    except ConnectionClosed as closed:
        return closed.rcvd


async def _socket_on(path, open_visitor, open_agent):
    if path == VISITOR:
        return await open_visitor()
    return await open_agent()


@pytest.mark.parametrize("size", [10 * 1024 * 1024, 40 * 1024], ids=["10MB", "40KB"])
@pytest.mark.parametrize("path", [VISITOR, AGENT], ids=["visitor", "agent"])
async def test_an_oversized_frame_closes_the_socket_with_1009(
    live_shop, open_visitor, open_agent, path, size
):
    """After hello, a client sends a text frame past LIVECHAT_MAX_FRAME_BYTES
    (10 MB, or 40 KB). Expected: close code 1009 with a reason, and the shop
    keeps serving: a socket opened before still answers, a new shopper chats.
    A frame under the limit whose body is past LIVECHAT_MAX_MESSAGE_LENGTH gets
    the ``too_large`` error frame and the socket stays open.
    """
    bystander = await open_visitor()
    socket = await _socket_on(path, open_visitor, open_agent)
    conversation = None
    if path == AGENT:
        conversation = (await bystander.post("Hello?"))["conversation"]

    long_body = "x" * (MAX_MESSAGE_LENGTH + 1)
    cid = client_id()
    await socket.send(
        type="message", client_id=cid, body=long_body, conversation=conversation
    )
    refused = await socket.expect("error", client_id=cid)
    assert refused["code"] == "too_large"
    await socket.send(type="ping")
    await socket.expect("pong")

    frame = json.dumps(
        {
            "type": "message",
            "client_id": client_id(),
            "conversation": conversation,
            "body": "x" * size,
        }
    )
    assert len(frame.encode()) > MAX_FRAME_BYTES
    # The ping right behind it: a pong means the socket was kept open.
    await _send_all(socket, [frame, json.dumps({"type": "ping"})])
    close = await _closed_unless_pong(socket)
    assert close is not None, "the socket dropped with no close frame (1006)"
    assert close.code == CLOSE_TOO_BIG, (close, _brief(socket.pending))
    assert close.reason, close

    await bystander.send(type="ping")
    await bystander.expect("pong")
    newcomer = await open_visitor()
    ack = await newcomer.post("Still open?")
    assert ack["seq"] == 1


# 5. Socket floods -------------------------------------------------------------------

MAX_PER_IP = 20
MAX_PER_VISITOR = 5


@pytest.fixture(scope="module")
def capped_shop(live_shop, tmp_path_factory):
    """A second daphne on the live shop's database with small socket caps.

    Its own channel-layer and cache prefixes: its counts are its own.
    """
    yield from sibling_shop(
        live_shop,
        tmp_path_factory,
        "capped_shop",
        LIVECHAT_MAX_SOCKETS_PER_IP=str(MAX_PER_IP),
        LIVECHAT_MAX_SOCKETS_PER_VISITOR=str(MAX_PER_VISITOR),
    )


async def _hello(shop, sockets, token):
    """A visitor socket that said hello; returns it with its first answer."""
    socket = await Socket.open(shop, VISITOR)
    sockets.append(socket)
    # A socket past the cap may be refused before its hello goes out.
    await _send_all(socket, [{"type": "hello", "v": 1, "token": token}])
    try:
        first = await socket.expect_where(
            lambda f: f["type"] in {"welcome", "error"}, what="welcome or error"
        )
    except ConnectionClosed as closed:
        raise AssertionError(
            f"closed with neither welcome nor error: {closed}; {socket.pending}"
        ) from None
    return socket, first


async def _refused_as_too_many(shop, sockets, token):
    socket, first = await _hello(shop, sockets, token)
    assert first["type"] == "error", f"welcomed past the cap: {first}"
    assert first["code"] == "too_many_connections", first
    close = await socket.closed()
    assert close is not None and close.code == CLOSE_TOO_MANY, close
    assert "welcome" not in [f["type"] for f in socket.pending], socket.pending


async def _welcomed(shop, sockets, token, settle=5):
    """Hello until welcomed; a socket closed just before may still count.

    The server counts a closed socket out when its disconnect has run, a
    moment after the client's close returned.
    """
    deadline = time.monotonic() + settle
    while True:
        socket, first = await _hello(shop, sockets, token)
        if first["type"] == "welcome":
            return socket
        assert first["code"] == "too_many_connections", first
        assert time.monotonic() < deadline, "the socket count never went down"
        await asyncio.sleep(0.2)


async def _all_answer(sockets):
    for socket in sockets:
        await socket.send(type="ping")
        await socket.expect("pong")


async def test_hellos_with_one_visitor_token_are_capped(capped_shop, sockets):
    """With LIVECHAT_MAX_SOCKETS_PER_VISITOR=5, six sockets say hello with the
    same visitor token. Expected: the sixth gets ``too_many_connections`` and
    close 4429, the five still work; once one closes, a new hello with that
    token is welcomed, and the next one past the cap is refused again.
    """
    token = visitor_token(capped_shop, http_session())
    tabs = [
        await _welcomed(capped_shop, sockets, token) for _ in range(MAX_PER_VISITOR)
    ]
    await _refused_as_too_many(capped_shop, sockets, token)
    await _all_answer(tabs)

    await tabs.pop().close()
    tabs.append(await _welcomed(capped_shop, sockets, token))
    await _refused_as_too_many(capped_shop, sockets, token)
    await _all_answer(tabs)


async def test_sockets_from_one_ip_are_capped(capped_shop, sockets):
    """With LIVECHAT_MAX_SOCKETS_PER_IP=20, one IP opens 21 visitor sockets
    (each its own visitor). Expected: the 21st gets ``too_many_connections``
    and close 4429, the first 20 still work; after three close, three new ones
    are accepted, and one more is refused again (the count does not leak).
    """
    tokens = [visitor_token(capped_shop, http_session()) for _ in range(MAX_PER_IP + 4)]
    opened = [
        await _welcomed(capped_shop, sockets, token) for token in tokens[:MAX_PER_IP]
    ]
    await _refused_as_too_many(capped_shop, sockets, tokens[MAX_PER_IP])
    await _all_answer(opened)

    for _ in range(3):
        await opened.pop(0).close()
    for token in tokens[MAX_PER_IP + 1 : MAX_PER_IP + 4]:
        opened.append(await _welcomed(capped_shop, sockets, token))
    await _refused_as_too_many(capped_shop, sockets, tokens[MAX_PER_IP])
    await _all_answer(opened)


# 6. Origins -------------------------------------------------------------------------

ABSENT = object()


def _foreign_origins(shop):
    return {
        "another port on localhost": "http://localhost:9999",
        "https on the same host": "https://127.0.0.1",
        "another port on the same host": f"http://127.0.0.1:{free_port()}",
        "another site": "http://evil.example",
        "null": "null",
        "no Origin header": ABSENT,
    }


async def _handshake(shop, path, origin, cookies):
    connection = await connect(
        shop.ws_url + path,
        origin=None if origin is ABSENT else origin,
        additional_headers={"Cookie": cookies},
        proxy=None,
        open_timeout=RECEIVE_TIMEOUT,
        close_timeout=2,
        ping_interval=None,
    )
    await connection.close()


@pytest.mark.parametrize(
    "which",
    [
        "another port on localhost",
        "https on the same host",
        "another port on the same host",
        "another site",
        "null",
        "no Origin header",
    ],
)
@pytest.mark.parametrize("path", [VISITOR, AGENT], ids=["visitor", "agent"])
async def test_a_websocket_from_another_origin_is_refused(
    live_shop, agent_http, path, which
):
    """With the agent's cookies (cross-site WebSocket hijacking), a handshake
    whose Origin differs from http://127.0.0.1:PORT in scheme, host or port,
    says ``null`` or is missing. Expected: HTTP 403 at the handshake; the
    shop's own origin is accepted.
    """
    cookies = cookie_header(agent_http)
    await _handshake(live_shop, path, live_shop.origin, cookies)
    origin = _foreign_origins(live_shop)[which]
    with pytest.raises(InvalidStatus) as refused:
        await _handshake(live_shop, path, origin, cookies)
    assert refused.value.response.status_code == 403
