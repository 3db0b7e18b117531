"""Fault injection against the deployed stack: Redis, daphne and PostgreSQL fail.

One daphne (example_shop) per module, on its own database and on a private
``redis-server`` this module starts and kill -9s at will; the shared Redis and
PostgreSQL servers are never stopped. The visitor side is driven by ``Widget``,
which does what docs/protocol.md asks of clients (outbox, highest contiguous
seq, fetch on a gap, resume on reconnect): the tests check that a client doing
its duties loses nothing and sees nothing twice, whatever fails underneath.

The daphne crash tests come last: a kill leaves state behind on purpose (it is
what a crash does), and the earlier tests must not depend on how it is cleaned.
"""

import asyncio
import contextlib
import os
import shutil
import signal
import socket as socketlib
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from .clients import (
    AGENT,
    RECEIVE_TIMEOUT,
    VISITOR,
    Socket,
    client_id,
    cookie_header,
    http_session,
    log_in_agent,
    unavailable,
    visitor_token,
)
from .live import (
    SHARED_SHOP_ENV,
    LiveShopUnavailable,
    PostgresDatabase,
    _to_libpq,
    free_port,
    start_live_shop,
    stop_live_shop,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(45)]

GRACE_SECONDS = 1
# A console whose process died never says goodbye: its heartbeat expires.
HEARTBEAT_TIMEOUT = 6
# The status endpoint caches its answer this long (livechat.services.availability).
STATUS_CACHE_SECONDS = 2
REDIS_BOOT_TIMEOUT = 5


def _unavailable(message):
    unavailable("fault tests", message)


# A private Redis ----------------------------------------------------------------


class PrivateRedis:
    """A redis-server of our own on a free port: ours to kill -9 and restart."""

    def __init__(self, binary, directory):
        self.binary = binary
        self.directory = Path(directory)
        self.port = free_port()
        self.process = None
        self.starts = 0

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        """Start on the same port every time; wait until it answers PING."""
        self.starts += 1
        log = self.directory / "redis.log"
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--logfile",
                str(log),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + REDIS_BOOT_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"redis-server exited with {self.process.returncode}:\n"
                    + log.read_text(errors="replace")[-2000:]
                )
            if self.answers():
                return
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def answers(self):
        try:
            with socketlib.create_connection(("127.0.0.1", self.port), 0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self):
        """kill -9: no shutdown, every client connection just drops."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=5)


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        _unavailable("redis-server is not installed (apt-get install redis-server)")
    redis = PrivateRedis(binary, tmp_path_factory.mktemp("private_redis"))
    redis.start()
    yield redis
    redis.kill()


# The shop on that Redis -------------------------------------------------------------


@pytest.fixture(scope="module")
def fault_shop(request, tmp_path_factory, private_redis):
    """example_shop under daphne, its channel layer on the private Redis."""
    directory = tmp_path_factory.mktemp("fault_shop")
    env = {
        **SHARED_SHOP_ENV,  # its tests give the demo agent many chats
        "LIVECHAT_AGENT_GRACE_SECONDS": str(GRACE_SECONDS),
        "LIVECHAT_AGENT_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT),
    }
    try:
        shop = start_live_shop(directory, redis=private_redis.url, extra_env=env)
    except LiveShopUnavailable as exc:
        _unavailable(str(exc))
    failed_before = request.session.testsfailed
    yield shop
    if request.session.testsfailed > failed_before:
        print(
            f"\n----- fault shop daphne log ({shop.log_path}) -----\n"
            f"{shop.log_tail(120)}\n",
            file=sys.stderr,
        )
    stop_live_shop(shop)


@pytest.fixture(autouse=True)
def _back_up_after_each_test(fault_shop, private_redis):
    """A test that failed halfway through an outage leaves none behind."""
    yield
    if not private_redis.answers():
        private_redis.kill()
        private_redis.start()
    if not fault_shop.running:
        fault_shop.start()


@pytest.fixture(scope="module")
def alice(fault_shop):
    """The demo agent Alice's logged-in browser session."""
    return log_in_agent(fault_shop)


@pytest.fixture(scope="module")
def bob(fault_shop):
    return log_in_agent(fault_shop, "agent2", "agent2-demo-pass")


async def _open(shop, path, cookies=None, **options):
    """A Socket like ``Socket.open``, with websockets options (``max_queue``)."""
    connection = await connect(
        shop.ws_url + path,
        origin=shop.origin,
        additional_headers={"Cookie": cookies} if cookies else None,
        proxy=None,
        open_timeout=RECEIVE_TIMEOUT,
        close_timeout=2,
        ping_interval=None,
        **options,
    )
    return Socket(connection)


async def _open_agent(shop, sockets, http):
    agent = await _open(shop, AGENT, cookies=cookie_header(http))
    sockets.append(agent)
    await agent.send(type="hello", v=1)
    agent.welcome = await agent.expect("welcome")
    return agent


async def _watch(agent, conversation, last_seq=0):
    """The agent opens the conversation; returns the replayed messages."""
    await agent.send(type="open", conversation=conversation, last_seq=last_seq)
    await agent.expect("opened", timeout=10)
    return await agent.replay(conversation)


def _status(shop):
    with http_session() as session:
        response = session.get(shop.url("/livechat/status/"), timeout=5)
        response.raise_for_status()
        return response.json()


async def _wait_for_status(shop, available, timeout):
    """Poll /livechat/status/ until ``available``; return the seconds it took."""
    started = time.monotonic()
    answers = []
    while time.monotonic() - started < timeout:
        answer = await asyncio.to_thread(_status, shop)
        answers.append(answer["available"])
        if answer["available"] is available:
            return time.monotonic() - started
        await asyncio.sleep(0.2)
    raise AssertionError(
        f"/livechat/status/ did not say available={available} within {timeout}s "
        f"(answers: {answers[-5:]})"
    )


async def _history(shop, sockets, widget):
    """Everything stored, as a fresh page of the same visitor replays it."""
    fresh = await _open(shop, VISITOR)
    sockets.append(fresh)
    await fresh.send(
        type="hello",
        v=1,
        token=widget.token,
        conversation=widget.conversation,
        last_seq=0,
    )
    await fresh.expect("welcome")
    history = await fresh.replay(widget.conversation)
    await fresh.close()
    return history


def _assert_exactly_once_in_order(shown, history):
    seqs = [m["seq"] for m in shown]
    assert seqs == list(range(1, len(history) + 1)), seqs
    assert [m["id"] for m in shown] == [m["id"] for m in history]
    assert [m["body"] for m in shown] == [m["body"] for m in history]
    client_ids = [m["client_id"] for m in history if m["client_id"]]
    assert len(client_ids) == len(set(client_ids)), client_ids


# The widget's duties -------------------------------------------------------------


class Widget:
    """A visitor client that keeps the protocol's client duties.

    Outbox resent on every welcome with the same client ids; the highest
    contiguous seq remembered and resumed from; a gap answered with ``fetch``;
    a seq already shown ignored; a closed socket reopened (with backoff).
    ``shown`` is what the shopper sees, in order; ``how[seq]`` says whether a
    message came live or from a replay.
    """

    def __init__(self, shop, sockets, session=None, **socket_options):
        """``session``: the shopper's browser; another tab shares it."""
        self.shop = shop
        self.sockets = sockets
        self.socket_options = socket_options
        self.session = session or http_session()
        self.token = visitor_token(shop, self.session)
        self.socket = None
        self.conversation = None
        self.last_seq = 0
        self.shown = []
        self.ahead = {}
        self.how = {}
        self.asked = set()
        self.outbox = {}
        self.sent = set()  # client ids sent on the current socket
        self.acks = {}
        self.errors = []
        self.fetches = 0
        self.connects = 0
        self.duplicates_ignored = 0

    async def connect(self, timeout=10):
        """Open a socket and say hello (resuming), retrying until ``timeout``."""
        deadline = time.monotonic() + timeout
        delay = 0.1
        while True:
            try:
                await self._hello()
                return
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError) as exc:
                if time.monotonic() + delay > deadline:
                    raise AssertionError(
                        f"widget could not reconnect within {timeout}s: {exc!r}"
                    ) from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1)

    async def _hello(self):
        socket = await _open(self.shop, VISITOR, **self.socket_options)
        self.sockets.append(socket)
        hello = {"v": 1, "token": self.token}
        if self.conversation is not None:
            hello.update(conversation=self.conversation, last_seq=self.last_seq)
        await socket.send(type="hello", **hello)
        welcome = await socket.expect("welcome")
        self.socket = socket
        self.connects += 1
        self.asked.clear()
        if welcome["conversation"] is not None:
            self.conversation = welcome["conversation"]["id"]
        self.sent.clear()
        await self.flush()

    def say(self, body, cid=None):
        """Put a message in the outbox; it goes out now or after a reconnect."""
        cid = cid or client_id()
        self.outbox[cid] = body
        return cid

    async def flush(self):
        """Send what this socket has not carried yet (a dead one may eat it)."""
        if self.socket is None:
            return
        for cid, body in list(self.outbox.items()):
            if cid not in self.sent:
                self.sent.add(cid)
                with contextlib.suppress(ConnectionClosed):
                    await self.socket.send(type="message", client_id=cid, body=body)

    def drop(self):
        """The network goes: the socket and every frame in flight are lost."""
        self.socket.abort()
        self.socket = None

    async def post(self, body, timeout=10):
        """Say something and wait for its ack; returns the ack."""
        cid = self.say(body)
        await self.flush()
        await self.pump(lambda: cid in self.acks, timeout, f"ack of {body!r}")
        return self.acks[cid]

    async def pump(self, done, timeout, what):
        """Handle frames (reconnecting as needed) until ``done()``."""
        deadline = time.monotonic() + timeout
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"widget: {what} not reached within {timeout}s; last_seq="
                    f"{self.last_seq} ahead={sorted(self.ahead)} outbox="
                    f"{list(self.outbox.values())} errors={self.errors[-3:]}"
                )
            if self.socket is None:
                await self.connect(timeout=max(remaining, 0.1))
                continue
            frames, self.socket.pending = self.socket.pending, []
            if not frames:
                try:
                    frames = [await self.socket.receive(timeout=min(remaining, 0.5))]
                except TimeoutError:
                    continue
                except ConnectionClosed:
                    await self.connect(timeout=max(remaining, 0.1))
                    continue
            for frame in frames:
                await self._handle(frame)

    async def _handle(self, frame):
        kind = frame["type"]
        if kind == "message":
            self._take(frame["message"], "live")
        elif kind == "messages":
            for message in frame["messages"]:
                self._take(message, "replay")
            if frame["more"] and frame["messages"]:
                await self._fetch(frame["messages"][-1]["seq"], None)
        elif kind == "ack":
            body = self.outbox.pop(frame["client_id"], None)
            self.acks[frame["client_id"]] = frame
            self.conversation = self.conversation or frame["conversation"]
            if body is not None:
                # As widget.js: the ack stands for the sender's own message
                # (their only tab gets no echo of it).
                own = {"id": frame["id"], "seq": frame["seq"], "body": body}
                self._take({**own, "conversation": frame["conversation"]}, "ack")
        elif kind == "error":
            self.errors.append(frame)
        await self._fill_gap()

    def _take(self, message, how):
        if self.conversation is None:
            self.conversation = message["conversation"]
        if message["conversation"] != self.conversation:
            return
        seq = message["seq"]
        if seq <= self.last_seq or seq in self.ahead:
            self.duplicates_ignored += 1
            return
        self.ahead[seq] = message
        self.how[seq] = how
        while self.last_seq + 1 in self.ahead:
            self.last_seq += 1
            self.shown.append(self.ahead.pop(self.last_seq))

    async def _fill_gap(self):
        if self.ahead:
            await self._fetch(self.last_seq, min(self.ahead))

    async def _fetch(self, after, before):
        if (after, before) in self.asked:
            return
        self.asked.add((after, before))
        self.fetches += 1
        frame = {"conversation": self.conversation, "after_seq": after}
        if before is not None:
            frame["before_seq"] = before
        with contextlib.suppress(ConnectionClosed):
            await self.socket.send(type="fetch", **frame)

    async def catch_up(self, seq, timeout=10):
        await self.pump(lambda: self.last_seq >= seq, timeout, f"seq {seq}")


async def _chat(shop, sockets, agent_http, greeting):
    """A widget's first message, opened by the agent; returns both."""
    agent = await _open_agent(shop, sockets, agent_http)
    widget = Widget(shop, sockets)
    await widget.connect()
    ack = await widget.post(greeting)
    await widget.catch_up(ack["seq"])
    assert [m["seq"] for m in await _watch(agent, widget.conversation)] == [1]
    return widget, agent


# 1. Slow and dead clients ----------------------------------------------------------


async def test_a_client_that_never_reads_delays_nobody(fault_shop, sockets, alice, bob):
    flood = 300
    body = "Your order update: " + "x" * 3000
    slow = Widget(fault_shop, sockets, max_queue=1)
    await slow.connect()
    ack = await slow.post("I will read this later")
    await slow.catch_up(ack["seq"])
    flooder = await _open_agent(fault_shop, sockets, alice)
    await _watch(flooder, slow.conversation)
    # From here on nothing reads the slow socket: websockets stops reading at
    # max_queue, the kernel buffers fill and daphne has to hold the rest.
    slow_conversation = slow.conversation

    widget, agent = await _chat(fault_shop, sockets, bob, "Quick question")

    async def send_flood():
        started = time.monotonic()
        cids = [client_id() for _ in range(flood)]
        for cid in cids:
            await flooder.send(
                type="message", conversation=slow_conversation, client_id=cid, body=body
            )
        acked = set()
        async with asyncio.timeout(30):
            while len(acked) < flood:
                frame = await flooder.receive()
                if frame["type"] == "ack":
                    acked.add(frame["client_id"])
                assert frame["type"] != "error", frame
        print(f"{flood} messages acked in {time.monotonic() - started:.1f}s")
        return acked == set(cids)

    async def round_trip(n):
        started = time.monotonic()
        ack = await widget.post(f"Question {n}", timeout=5)
        await agent.expect_where(
            lambda f: f["type"] == "message" and f["message"]["seq"] == ack["seq"],
            timeout=3,
            what=f"question {n} at the agent",
        )
        reply = await agent.post(f"Answer {n}", conversation=widget.conversation)
        await widget.catch_up(reply["seq"], timeout=3)
        assert widget.how[reply["seq"]] == "live"
        return time.monotonic() - started

    flood_task = asyncio.ensure_future(send_flood())
    during = []
    async with asyncio.timeout(30):
        # A dozen at most: the shopper's own rate limit is 30 messages a minute.
        while not flood_task.done() and len(during) < 12:
            during.append(await round_trip(len(during)))
            await asyncio.sleep(0.2)
    assert await flood_task, "the flood was not acked in full"
    print(
        f"{len(during)} round trips during the flood: {[round(t, 3) for t in during]}"
    )
    assert len(during) >= 2, "the flood was over too soon to prove anything"
    assert max(during) < 3

    assert not slow.socket.connection.transport.is_reading(), (
        "the slow socket never stopped reading: the flood proved nothing"
    )
    # The slow reader gets everything once it reads again.
    started = time.monotonic()
    await slow.catch_up(1 + flood, timeout=15)
    print(f"the slow reader caught up in {time.monotonic() - started:.1f}s")
    history = await _history(fault_shop, sockets, slow)
    _assert_exactly_once_in_order(slow.shown, history)
    # Both consoles hold hundreds of unread frames: a close handshake would
    # wait behind them, so just drop them.
    flooder.abort()
    agent.abort()


async def test_vanished_agent_is_counted_out_after_grace(fault_shop, sockets, bob):
    agent = await _open_agent(fault_shop, sockets, bob)
    await _wait_for_status(fault_shop, available=True, timeout=STATUS_CACHE_SECONDS + 3)
    agent.abort()  # no close frame: the connection just drops
    took = await _wait_for_status(
        fault_shop, available=False, timeout=GRACE_SECONDS + STATUS_CACHE_SECONDS + 4
    )
    print(f"agent counted out {took:.1f}s after the abort (grace {GRACE_SECONDS}s)")


# 2. Redis restarted mid-conversation --------------------------------------------------


async def test_redis_restart_mid_conversation(
    fault_shop, private_redis, sockets, alice
):
    widget, agent = await _chat(fault_shop, sockets, alice, "Where is my parcel?")
    conversation = widget.conversation
    ack = await agent.post("Let me look it up.", conversation=conversation)
    await widget.catch_up(ack["seq"])
    assert widget.how[ack["seq"]] == "live"
    # The same shopper in a second tab, whose socket will drop during the outage.
    tab = Widget(fault_shop, sockets, session=widget.session)
    await tab.connect()
    await tab.catch_up(ack["seq"])

    private_redis.kill()
    outage = []
    for n in range(3):
        started = time.monotonic()
        ack = await agent.post(f"During the outage {n}", conversation=conversation)
        outage.append((ack["seq"], round(time.monotonic() - started, 3)))
    mine = await widget.post("Are you still there?")
    print(f"acks while Redis was down (seq, seconds): {outage}")
    assert [seq for seq, _ in outage] == [3, 4, 5] and mine["seq"] == 6
    assert max(seconds for _, seconds in outage) < 3, "acks stalled on a dead Redis"
    # Nothing can come live now. The ack of its own message (seq 6) shows the
    # widget a gap, which it fills from the database, not the channel layer.
    with contextlib.suppress(AssertionError):
        await widget.pump(lambda: False, 0.5, "nothing")
    assert widget.last_seq == 6 and not widget.ahead
    assert [widget.how[seq] for seq in (3, 4, 5, 6)] == ["replay"] * 3 + ["ack"]
    tab.socket.abort()
    with contextlib.suppress(AssertionError):
        # Refused (daphne answers 500: the consumer has no channel) or not:
        # either way the attempt ends, and the tab keeps trying below.
        await tab.connect(timeout=1)

    private_redis.start()
    restarted = time.monotonic()
    # The layer may need a moment to reconnect: probe until one arrives live.
    probes = 0
    resumed = None
    while time.monotonic() - restarted < 10:
        probes += 1
        ack = await agent.post(f"Probe {probes}", conversation=conversation)
        with contextlib.suppress(AssertionError):
            await widget.pump(
                lambda s=ack["seq"]: widget.how.get(s) == "live", 1, "a live probe"
            )
        if widget.how.get(ack["seq"]) == "live":
            resumed = time.monotonic() - restarted
            break
    assert resumed is not None, (
        "live delivery never resumed on a socket opened before the Redis restart: "
        f"{probes} messages over 10s, none arrived live (how: {widget.how}); "
        f"daphne log:\n{fault_shop.log_tail(40)}"
    )
    print(f"live delivery resumed {resumed:.1f}s after the restart ({probes} probes)")

    # The tab's backoff has had time to bring it back; it resumes from its seq.
    await tab.connect()
    await tab.catch_up(ack["seq"])
    final = await agent.post(
        "Found it: it arrives tomorrow.", conversation=conversation
    )
    await widget.catch_up(final["seq"], timeout=5)
    assert widget.how[final["seq"]] == "live"
    await tab.catch_up(final["seq"], timeout=10)
    assert tab.how[final["seq"]] == "live"
    history = await _history(fault_shop, sockets, widget)
    _assert_exactly_once_in_order(widget.shown, history)
    _assert_exactly_once_in_order(tab.shown, history)
    assert widget.fetches >= 1
    assert [m["body"] for m in history[2:6]] == [
        "During the outage 0",
        "During the outage 1",
        "During the outage 2",
        "Are you still there?",
    ]


# 3. The database briefly unavailable ----------------------------------------------


def _needs_postgres(shop):
    if not isinstance(shop.database, PostgresDatabase):
        message = f"the fault shop runs on {shop.database}, not PostgreSQL"
        warnings.warn(message, stacklevel=2)
        pytest.skip(f"*** SKIPPED: {message} ***")


@contextlib.contextmanager
def _database_refusing(database):
    """No new connections to the shop's database, and the open ones killed."""
    import psycopg

    with psycopg.connect(
        _to_libpq(database.server_url), autocommit=True, connect_timeout=5
    ) as admin:
        admin.execute(f'ALTER DATABASE "{database.name}" ALLOW_CONNECTIONS false')
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [database.name],
            )
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{database.name}" ALLOW_CONNECTIONS true')


async def _answer(socket, cid, what):
    """The ack or error answering message ``cid``; fails if the socket dies."""
    try:
        return await socket.expect_where(
            lambda f: f["type"] in {"ack", "error"} and f.get("client_id") == cid,
            timeout=10,
            what=what,
        )
    except ConnectionClosed as closed:
        raise AssertionError(
            f"the server closed the socket instead of answering {what}: "
            f"{closed!r}; frames before: {socket.pending}"
        ) from None


async def _quiet(socket):
    """Wait until the consumer has handled every frame sent so far."""
    await socket.send(type="ping")
    await socket.expect("pong", timeout=5)


async def test_database_unavailable_visitor_retries(fault_shop, sockets, alice):
    _needs_postgres(fault_shop)
    widget, agent = await _chat(fault_shop, sockets, alice, "Do you ship abroad?")
    # The console records the agent's activity after answering ``open``: let
    # that finish first (an outage in the middle of it is the next test's).
    await _quiet(agent)
    visitor = widget.socket
    cid = client_id()
    with _database_refusing(fault_shop.database):
        await visitor.send(type="message", client_id=cid, body="To Norway?")
        answer = await _answer(visitor, cid, "a message while the database is down")
        assert answer["type"] == "error", answer
        assert (answer["code"], answer["retriable"]) == ("unavailable", True), answer
        await visitor.send(type="ping")
        await visitor.expect("pong", timeout=5)

    # The outbox sends it again with the same client id once the database is back.
    await visitor.send(type="message", client_id=cid, body="To Norway?")
    ack = await _answer(visitor, cid, "the resent message")
    assert ack["type"] == "ack", ack
    assert ack["duplicate"] is False and ack["seq"] == 2
    await visitor.send(type="message", client_id=cid, body="To Norway?")
    duplicate = await visitor.expect("ack", client_id=cid)
    assert duplicate["duplicate"] is True and duplicate["id"] == ack["id"]
    reply = await agent.post("Yes, we do.", conversation=widget.conversation)
    await widget.catch_up(reply["seq"])

    history = await _history(fault_shop, sockets, widget)
    assert [m["client_id"] for m in history].count(cid) == 1
    assert [m["body"] for m in history] == [
        "Do you ship abroad?",
        "To Norway?",
        "Yes, we do.",
    ]
    _assert_exactly_once_in_order(widget.shown, history)


async def test_database_unavailable_agent_socket_survives(fault_shop, sockets, alice):
    _needs_postgres(fault_shop)
    widget, agent = await _chat(fault_shop, sockets, alice, "Is the shop open?")
    await _quiet(agent)
    # A console that has only said hello: its first reply is its first activity.
    console = await _open_agent(fault_shop, sockets, alice)
    cid = client_id()
    with _database_refusing(fault_shop.database):
        await console.send(
            type="message",
            conversation=widget.conversation,
            client_id=cid,
            body="Yes, until six.",
        )
        answer = await _answer(
            console, cid, "an agent reply while the database is down"
        )
        assert answer["type"] == "error", answer
        assert (answer["code"], answer["retriable"]) == ("unavailable", True), answer
        try:
            await console.expect("this frame never comes", timeout=1)
        except AssertionError:
            pass  # nothing more: good
        except ConnectionClosed as closed:
            raise AssertionError(
                f"the agent socket was closed after a retriable error: {closed!r}"
            ) from None

    ack = await console.post(
        "Yes, until six.", conversation=widget.conversation, client_id=cid
    )
    assert ack["duplicate"] is False
    await widget.catch_up(ack["seq"])
    history = await _history(fault_shop, sockets, widget)
    assert [m["body"] for m in history] == ["Is the shop open?", "Yes, until six."]


async def test_agent_heartbeat_is_answered_while_database_down(
    fault_shop, sockets, alice
):
    """The console's ping is how it knows its socket lives: it must get pong."""
    _needs_postgres(fault_shop)
    agent = await _open_agent(fault_shop, sockets, alice)
    with _database_refusing(fault_shop.database):
        await agent.send(type="ping", active=True)
        answer = await agent.expect_where(
            lambda f: f["type"] in {"pong", "error"},
            timeout=10,
            what="the answer to a ping while the database is down",
        )
    assert answer == {"type": "pong"}, answer
    await _quiet(agent)


# 4. daphne killed and restarted (last: a crash leaves state behind) -----------------


async def test_daphne_killed_and_restarted(fault_shop, sockets, alice):
    widget, agent = await _chat(fault_shop, sockets, alice, "Can I change my order?")
    conversation = widget.conversation
    ack = await agent.post("Sure, what should change?", conversation=conversation)
    await widget.catch_up(ack["seq"])
    agent_seen = ack["seq"]

    # Stored (the agent sees it), but its ack will be lost with the connection.
    stored = widget.say("Add a jar of honey.")
    await widget.flush()
    live = await agent.expect_where(
        lambda f: f["type"] == "message" and f["message"]["client_id"] == stored,
        what="the visitor's message at the agent",
    )
    # Sent right before the crash: stored or not, nobody can tell.
    racing = widget.say("Make it two jars.")
    await widget.flush()
    fault_shop.kill()
    widget.drop()
    # Typed while the server is down: it waits in the outbox.
    offline = widget.say("And remove the tea.")
    await widget.flush()
    assert list(widget.outbox) == [stored, racing, offline]
    fault_shop.start()

    await widget.pump(lambda: not widget.outbox, 15, "the outbox sent after restart")
    assert widget.connects == 2
    acks = [widget.acks[cid] for cid in (stored, racing, offline)]
    print(f"after the restart: {[(a['seq'], a['duplicate']) for a in acks]}")
    assert acks[0]["duplicate"] is True
    assert (acks[0]["id"], acks[0]["seq"]) == (live["message"]["id"], 3)
    assert [a["seq"] for a in acks] == [3, 4, 5]
    assert acks[2]["duplicate"] is False

    agent = await _open_agent(fault_shop, sockets, alice)
    missed = await _watch(agent, conversation, last_seq=agent_seen)
    assert [m["client_id"] for m in missed] == [stored, racing, offline]
    reply = await agent.post("Done: two jars, no tea.", conversation=conversation)
    await widget.catch_up(reply["seq"])
    assert widget.how[reply["seq"]] == "live"

    history = await _history(fault_shop, sockets, widget)
    _assert_exactly_once_in_order(widget.shown, history)
    assert [m["body"] for m in history] == [
        "Can I change my order?",
        "Sure, what should change?",
        "Add a jar of honey.",
        "Make it two jars.",
        "And remove the tea.",
        "Done: two jars, no tea.",
    ]
    assert await _watch(agent, conversation) == history


def _console_counts(database):
    """username -> (open console rows, last_seen_at), read from the database."""
    sql = (
        "SELECT u.username, (SELECT COUNT(*) FROM livechat_agentconnection c "
        "WHERE c.user_id = p.user_id), p.last_seen_at "
        "FROM livechat_agentprofile p JOIN auth_user u ON u.id = p.user_id"
    )
    if isinstance(database, PostgresDatabase):
        import psycopg

        with psycopg.connect(_to_libpq(database.url), connect_timeout=5) as db:
            rows = db.execute(sql).fetchall()
    else:
        import sqlite3

        with contextlib.closing(sqlite3.connect(database.path)) as db:
            rows = db.execute(sql).fetchall()
    return {name: (count, str(seen)) for name, count, seen in rows}


async def test_agent_counted_out_after_grace_following_a_crash(
    fault_shop, sockets, bob
):
    agent = await _open_agent(fault_shop, sockets, bob)
    fault_shop.kill()  # the console's disconnect never runs
    fault_shop.start()
    with contextlib.suppress(Exception):
        await agent.close()
    agent = await _open_agent(fault_shop, sockets, bob)
    await _wait_for_status(fault_shop, available=True, timeout=STATUS_CACHE_SECONDS + 3)
    await agent.close()  # a clean close this time: nobody is at a console now
    try:
        # The crashed socket's row is counted out when its heartbeat expires
        # (the clean one after the grace period).
        took = await _wait_for_status(
            fault_shop,
            available=False,
            timeout=HEARTBEAT_TIMEOUT + STATUS_CACHE_SECONDS + 4,
        )
    except AssertionError as exc:
        counts = _console_counts(fault_shop.database)
        raise AssertionError(
            f"{exc}; no console is open, yet the agent profiles say "
            f"(open console rows, last_seen_at): {counts}"
        ) from None
    print(f"agent counted out {took:.1f}s after closing (grace {GRACE_SECONDS}s)")
