"""Two daphne processes behind one "proxy": the chat must not care which one.

Process A and process B serve example_shop on different ports, share one
PostgreSQL database and one Redis (the pub/sub channel layer, with one prefix)
and nothing else: each keeps its own local-memory cache, as two servers would
by default. A shopper on A and an agent on B chat both ways, a second tab of the
shopper on B sees the same messages, and the widget on A learns whether the
agent on B is there. This is what docs/deployment.md promises without sticky
sessions.
"""

import asyncio
import json
import sys
import time

import pytest

from .clients import (
    AGENT,
    RECEIVE_TIMEOUT,
    VISITOR,
    Socket,
    cookie_header,
    http_session,
    log_in_agent,
    message_frames,
    unavailable,
    visitor_token,
)
from .live import (
    LiveShopUnavailable,
    start_live_shops,
    stop_live_shops,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

GRACE_SECONDS = 1
# /livechat/status/ keeps its answer this long in each process's own cache
# (livechat.services.availability): B forgetting it on a presence change does not
# reach A's copy.
STATUS_CACHE_SECONDS = 2
# The short timers of the widget shop (tests/browser/conftest.py).
SCALEOUT_ENV = {
    "LIVECHAT_AGENT_GRACE_SECONDS": str(GRACE_SECONDS),
    "LIVECHAT_NO_REPLY_TIMEOUT": "3",
    "LIVECHAT_STATUS_POLL_SECONDS": "1",
}


def _unavailable(message):
    unavailable("scale-out tests", message)


@pytest.fixture(scope="module")
def shops(request, tmp_path_factory):
    """``(a, b)``: two daphne processes on one database and one Redis."""
    directory = tmp_path_factory.mktemp("scaleout")
    try:
        pair = start_live_shops(directory, count=2, extra_env=SCALEOUT_ENV)
    except LiveShopUnavailable as exc:
        _unavailable(f"scale-out: {exc}")
    try:
        failed_before = request.session.testsfailed
        yield tuple(pair)
        if request.session.testsfailed > failed_before:
            for name, shop in zip("AB", pair, strict=True):
                print(
                    f"\n----- daphne {name} log ({shop.log_path}) -----\n"
                    f"{shop.log_tail(80)}\n",
                    file=sys.stderr,
                )
    finally:
        stop_live_shops(pair)


@pytest.fixture(scope="module")
def agent_http(shops):
    """Alice logged in on A: the session lives in the shared database."""
    return log_in_agent(shops[0])


async def _open_visitor(sockets, shop, session, **hello):
    socket = await Socket.open(shop, VISITOR)
    sockets.append(socket)
    await socket.send(type="hello", v=1, token=visitor_token(shop, session), **hello)
    socket.welcome = await socket.expect("welcome")
    return socket


async def _open_agent(sockets, shop, http):
    socket = await Socket.open(shop, AGENT, cookies=cookie_header(http))
    sockets.append(socket)
    await socket.send(type="hello", v=1)
    socket.welcome = await socket.expect("welcome")
    return socket


def _status(shop):
    with http_session() as session:
        response = session.get(shop.url("/livechat/status/"), timeout=5)
        response.raise_for_status()
        return response.json()


async def _wait_for_status(shop, available, timeout):
    """Poll /livechat/status/ until it says ``available`` (bounded)."""
    deadline = time.monotonic() + timeout
    answers = []
    while True:
        answer = await asyncio.to_thread(_status, shop)
        answers.append(answer["available"])
        if answer["available"] is available:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{shop.base_url}/livechat/status/ did not say "
                f"available={available} within {timeout}s (answers: {answers[-5:]})"
            )
        await asyncio.sleep(0.2)


async def _collect(socket, conversation, seqs, timeout=RECEIVE_TIMEOUT):
    """Every live message of ``conversation`` the socket got, once ``seqs`` came.

    Reads on for a moment after the last expected one, so that a doubled
    frame arriving just behind the first copy is counted too.
    """
    frames, socket.pending = socket.pending, []
    try:
        async with asyncio.timeout(timeout):
            while not set(seqs) <= {
                m["seq"] for m in message_frames(frames, conversation)
            }:
                frames.append(json.loads(await socket.connection.recv()))
    except TimeoutError:
        raise AssertionError(
            f"no live messages {seqs} of conversation {conversation} within "
            f"{timeout}s; got: {frames}"
        ) from None
    frames += await socket.drain(0.5)
    return message_frames(frames, conversation)


# Availability first: on a fresh database no agent has been there yet, so
# nothing another test left behind (a console's grace period) blurs it.
async def test_widget_on_a_sees_the_agent_on_b(shops, sockets, agent_http):
    a, b = shops
    await _wait_for_status(a, available=False, timeout=GRACE_SECONDS + 4)
    shopper = await _open_visitor(sockets, a, http_session())
    assert shopper.welcome["availability"]["available"] is False

    agent = await _open_agent(sockets, b, agent_http)
    # Pushed by B through Redis to the widget connected to A.
    await shopper.expect("availability", available=True)
    # A's status cache may still hold "nobody" for a moment.
    await _wait_for_status(a, available=True, timeout=STATUS_CACHE_SECONDS + 3)

    shopper.pending.clear()
    await agent.close()
    await _wait_for_status(
        a, available=False, timeout=GRACE_SECONDS + STATUS_CACHE_SECONDS + 4
    )
    # B tells the widgets once the grace period is over, A's included.
    await shopper.expect("availability", available=False, timeout=GRACE_SECONDS + 4)


async def test_visitor_on_a_chats_with_agent_on_b(shops, sockets, agent_http):
    a, b = shops
    browser = http_session()  # one shopper, two tabs
    agent = await _open_agent(sockets, b, agent_http)
    tab_a = await _open_visitor(sockets, a, browser, page=a.url("/checkout/"))
    tab_b = await _open_visitor(sockets, b, browser, page=b.url("/"))
    assert tab_a.welcome["conversation"] is None

    question = await tab_a.post("Do you ship to Norway?")
    assert (question["seq"], question["duplicate"]) == (1, False)
    conversation = question["conversation"]

    inbox = await agent.expect_where(
        lambda f: (
            f["type"] == "conversation" and f["conversation"]["id"] == conversation
        ),
        what=f"inbox frame of conversation {conversation} on B",
    )
    assert inbox["conversation"]["preview"] == "Do you ship to Norway?"
    assert inbox["conversation"]["last_seq"] == 1
    await agent.send(type="open", conversation=conversation, last_seq=0)
    await agent.expect("opened")
    [first] = await agent.replay(conversation)
    assert (first["id"], first["seq"]) == (question["id"], 1)
    assert first["body"] == "Do you ship to Norway?"

    answer = await agent.post("Yes, in 3-5 days.", conversation=conversation)
    assert answer["seq"] == 2
    thanks = await tab_a.post("Great, thanks!")
    assert thanks["seq"] == 3
    expected = [question["id"], answer["id"], thanks["id"]]

    # Each message exactly once, in order, on every socket: the agent's reply
    # reached A, the shopper's thanks reached B, and the tab on B, whose
    # process stored none of the shopper's messages, got them all (the
    # visitor group spans processes). A doubled fan-out would show here.
    live = {}
    for name, socket, seqs in (
        ("tab on A", tab_a, [1, 2, 3]),
        ("tab on B", tab_b, [1, 2, 3]),
        # The agent opened the chat after message 1: that came by replay.
        ("agent on B", agent, [2, 3]),
    ):
        live[name] = await _collect(socket, conversation, seqs)
        assert [m["seq"] for m in live[name]] == seqs, f"{name} got {live[name]}"
        assert [m["id"] for m in live[name]] == expected[seqs[0] - 1 :], name
    reply = live["tab on A"][1]
    assert reply["sender"] == "agent" and reply["body"] == "Yes, in 3-5 days."
    assert reply["author"]["name"] == "Alice from Support"

    # The truth, as a fresh tab on A replays it from the shared database.
    fresh = await _open_visitor(
        sockets, a, browser, conversation=conversation, last_seq=0
    )
    history = await fresh.replay(conversation)
    assert [m["seq"] for m in history] == [1, 2, 3]
    assert [m["id"] for m in history] == expected
    assert [m["sender"] for m in history] == ["visitor", "agent", "visitor"]
