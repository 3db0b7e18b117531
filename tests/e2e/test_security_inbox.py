"""Attacks on the console's ``inbox`` frames, made against daphne.

Hostile search texts and forged cursors pipelined behind the hello, other
people's sockets asking for the inbox, and a flood of searches on one
socket while another agent works. What counts: every frame is answered
(a page or a ``bad_frame``), the server logs no error, and the other
console keeps getting its frames.
"""

import asyncio
import json
import secrets
import statistics
import time

import pytest

from tests.consumers.test_inbox_attacks import SEARCH_TEXTS

from .clients import (
    AGENT,
    VISITOR,
    Socket,
    cookie_header,
    http_session,
    log_in_agent,
    log_in_customer,
    pipelined,
    visitor_token,
)
from .live import sibling_shop
from .test_security_ws import _log_offset, _log_since, _send_all

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

FORGED_CURSORS = [
    "2026-02-30T00:00:00+00:00|1",
    "2026-01-01T00:00:00+99:99|1",
    "2026-01-01T00:00:00|1",
    "|",
    "9999-12-31T23:59:59+00:00|999999999999999999",
    "0001-01-01T00:00:00+00:00|1",
]


def _no_error_logged(shop, offset):
    log = _log_since(shop, offset)
    bad = [
        line for line in log.splitlines() if " ERROR " in line or "Traceback" in line
    ]
    assert not bad, log


async def _answers(socket, count, timeout=30):
    """The next ``count`` answers to ``inbox`` frames (pages or errors)."""
    answers = []
    while len(answers) < count:
        frame = await socket.expect_where(
            lambda f: f["type"] in ("inbox_page", "error"),
            timeout=timeout,
            what=f"answer {len(answers) + 1} of {count}",
        )
        answers.append(frame)
    return answers


async def test_hostile_searches_and_cursors_pipelined_are_each_answered(
    live_shop, agent_http, open_visitor, sockets
):
    """The agent's console sends hello and, without waiting, a search for each
    hostile text (raw JSON: "\\u0000", lone "\\ud800"...) and pages after
    forged cursors, then a search that finds a shopper's chat. Expected: one
    ``inbox_page`` or ``bad_frame`` per frame, in order, the last one finding
    the chat; no ``server_error`` or ``unavailable``; nothing logged at ERROR.
    """
    marker = secrets.token_hex(4)
    shopper = await open_visitor()
    conversation = (await shopper.post(f"parcel {marker}"))["conversation"]
    offset = _log_offset(live_shop)
    frames = [json.dumps({"type": "hello", "v": 1})]
    frames += [
        json.dumps({"type": "inbox", "section": "search", "q": text})
        for text in SEARCH_TEXTS.values()
    ]
    frames += [
        json.dumps({"type": "inbox", "section": section, "after": cursor, "q": "x"})
        for cursor in FORGED_CURSORS
        for section in ("waiting", "search")
    ]
    frames.append(json.dumps({"type": "inbox", "section": "search", "q": marker}))
    socket = await Socket.open(live_shop, AGENT, cookies=cookie_header(agent_http))
    sockets.append(socket)

    await _send_all(socket, frames)
    answers = await _answers(socket, len(frames) - 1)

    codes = {a.get("code") for a in answers if a["type"] == "error"}
    assert codes <= {"bad_frame"}, [a for a in answers if a["type"] == "error"]
    assert answers[-1]["type"] == "inbox_page", answers[-1]
    assert [c["id"] for c in answers[-1]["conversations"]] == [conversation]
    await socket.send(type="ping")
    await socket.expect("pong")
    _no_error_logged(live_shop, offset)


@pytest.mark.parametrize("who", ["customer", "anonymous"])
async def test_a_non_agent_pipelining_inbox_frames_gets_no_page(
    live_shop, open_visitor, who
):
    """A logged-in customer (or nobody) opens the console socket and sends
    hello and inbox requests (each section, a search for a shopper's words)
    at once. Expected: one error (``forbidden`` / ``login_required``), the
    close, and no page: the shopper's words appear nowhere."""
    marker = secrets.token_hex(4)
    shopper = await open_visitor()
    await shopper.post(f"My door code is {marker}")
    cookies = cookie_header(log_in_customer(live_shop)) if who == "customer" else None
    frames = [{"type": "hello", "v": 1}]
    frames += [
        {"type": "inbox", "section": section}
        for section in ("waiting", "missed", "mine", "others", "closed")
    ]
    frames.append({"type": "inbox", "section": "search", "q": marker})

    answer = await pipelined(live_shop, AGENT, frames, cookies=cookies)

    assert marker not in json.dumps(answer.frames)
    assert [f["type"] for f in answer.frames] in ([], ["error"]), answer.frames
    assert answer.close is not None and answer.close.code in (4401, 4403)


async def test_a_shopper_socket_asking_for_the_inbox_gets_unknown_type(
    open_visitor,
):
    marker = secrets.token_hex(4)
    victim = await open_visitor()
    await victim.post(f"My door code is {marker}")
    thief = await open_visitor()
    await _send_all(
        thief,
        [
            {"type": "inbox", "section": "waiting"},
            {"type": "inbox", "section": "search", "q": marker},
        ],
    )
    answers = await _answers(thief, 2)
    assert [a.get("code") for a in answers] == ["unknown_type"] * 2
    assert marker not in json.dumps(answers + await thief.drain(0.5))


FLOOD = 500
SEARCH_LIMIT = "60/60"  # LIVECHAT_RATE_LIMITS' default for "search"


async def _console(shop, http, sockets):
    socket = await Socket.open(shop, AGENT, cookies=cookie_header(http))
    sockets.append(socket)
    await socket.send(type="hello", v=1)
    socket.welcome = await socket.expect("welcome")
    return socket


async def _latencies(socket, stop, kind):
    """Time a ping (or an inbox page) takes, every 0.1 s until ``stop``."""
    times = []
    while not stop.is_set():
        started = time.monotonic()
        if kind == "ping":
            await socket.send(type="ping")
            await socket.expect("pong", timeout=60)
        else:
            await socket.send(type="inbox", section="waiting", limit=10)
            await socket.expect("inbox_page", section="waiting", timeout=60)
        times.append(time.monotonic() - started)
        await asyncio.sleep(0.1)
    return times


@pytest.fixture(scope="module")
def search_limited_shop(live_shop, tmp_path_factory):
    """A second daphne on the live shop's database with the default search
    limit (the live shop's LIVECHAT_RATE_LIMITS sets none)."""
    limits = json.loads(live_shop.env["LIVECHAT_RATE_LIMITS"])
    yield from sibling_shop(
        live_shop,
        tmp_path_factory,
        "search_limited_shop",
        LIVECHAT_RATE_LIMITS=json.dumps({**limits, "search": SEARCH_LIMIT}),
    )


@pytest.mark.slow
@pytest.mark.parametrize("limited", [False, True], ids=["no limit", "limit"])
async def test_a_flood_of_searches_leaves_other_consoles_served(
    live_shop, search_limited_shop, sockets, limited
):
    """One console pipelines 500 searches (ten words each) on one socket,
    while another agent pings and a shopper opens a chat. Expected: each
    search is answered (a page, or ``rate_limited`` past the agent's limit),
    the flooding socket still answers a ping, the other agent keeps getting
    pongs and the new chat. The times are printed."""
    shop = search_limited_shop if limited else live_shop
    offset = _log_offset(shop)
    agent_http = log_in_agent(shop)
    bob_http = log_in_agent(shop, "agent2", "agent2-demo-pass")
    bob = await _console(shop, bob_http, sockets)
    bobs_other_tab = await _console(shop, bob_http, sockets)
    flooder = await Socket.open(shop, AGENT, cookies=cookie_header(agent_http))
    sockets.append(flooder)
    await flooder.send(type="hello", v=1)
    await flooder.expect("welcome")
    words = " ".join(f"w{n}x" for n in range(10))
    frames = [
        {"type": "inbox", "section": "search", "q": f"{words} {n}"}
        for n in range(FLOOD)
    ]

    stop = asyncio.Event()
    pings = asyncio.ensure_future(_latencies(bob, stop, "ping"))
    started = time.monotonic()
    await _send_all(flooder, frames)
    await asyncio.sleep(0.5)
    shopper = await Socket.open(shop, VISITOR)
    sockets.append(shopper)
    await shopper.send(type="hello", v=1, token=visitor_token(shop, http_session()))
    await shopper.expect("welcome")
    sent = time.monotonic()
    conversation = (await shopper.post("Anyone there?"))["conversation"]
    await bobs_other_tab.expect_where(
        lambda f: (
            f["type"] == "conversation" and f["conversation"]["id"] == conversation
        ),
        timeout=60,
        what="the shopper's new chat",
    )
    new_chat_seconds = time.monotonic() - sent
    answers = await _answers(flooder, FLOOD, timeout=120)
    flood_seconds = time.monotonic() - started
    stop.set()
    ping_times = await pings

    pages = sum(a["type"] == "inbox_page" for a in answers)
    limited = [a for a in answers if a.get("code") == "rate_limited"]
    others = [a for a in answers if a["type"] == "error" and a not in limited]
    print(
        f"\n{FLOOD} pipelined searches answered in {flood_seconds:.2f}s: "
        f"{pages} pages, {len(limited)} rate_limited; the other console's "
        f"pings: {len(ping_times)}, median {statistics.median(ping_times):.3f}s, "
        f"max {max(ping_times):.3f}s; the new chat reached it in "
        f"{new_chat_seconds:.3f}s"
    )
    assert not others, others[:3]
    assert pages + len(limited) == FLOOD
    if limited:
        # Fixed windows: a flood across a minute's end gets two minutes' worth.
        assert pages <= 2 * int(SEARCH_LIMIT.split("/")[0])
    await flooder.send(type="ping")
    await flooder.expect("pong", timeout=30)
    await bob.send(type="inbox", section="waiting")
    await bob.expect("inbox_page", section="waiting")
    _no_error_logged(shop, offset)


@pytest.mark.slow
async def test_a_flood_of_section_pages_is_answered_and_others_served(
    live_shop, agent_http, sockets
):
    """500 ``inbox`` frames for sections' pages (not searches: no limit)
    pipelined on one socket, while another agent pings: all answered, the
    other console's pongs keep coming. The times are printed."""
    offset = _log_offset(live_shop)
    bob = await _console(
        live_shop, log_in_agent(live_shop, "agent2", "agent2-demo-pass"), sockets
    )
    flooder = await _console(live_shop, agent_http, sockets)
    sections = ("waiting", "missed", "mine", "others", "closed")
    frames = [
        {"type": "inbox", "section": sections[n % 5], "limit": 200}
        for n in range(FLOOD)
    ]
    stop = asyncio.Event()
    pings = asyncio.ensure_future(_latencies(bob, stop, "ping"))
    started = time.monotonic()
    await _send_all(flooder, frames)
    answers = await _answers(flooder, FLOOD, timeout=120)
    flood_seconds = time.monotonic() - started
    stop.set()
    ping_times = await pings
    print(
        f"\n{FLOOD} pipelined section pages answered in {flood_seconds:.2f}s; "
        f"the other console's pings: {len(ping_times)}, median "
        f"{statistics.median(ping_times):.3f}s, max {max(ping_times):.3f}s"
    )
    assert {a["type"] for a in answers} == {"inbox_page"}
    _no_error_logged(live_shop, offset)
