"""The load generator's sockets: one Peer each, and the conversations they hold."""

import asyncio
import contextlib
import json
import time
from collections import Counter

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench.loadbench.measure import Step
from bench.loadbench.shops import RelayStack

# json.dumps puts "type" first in every frame both servers send: the type can
# be read without parsing, and only message/ack/error frames are parsed.
TYPE_PREFIX = '{"type": "'
MESSAGE_PREFIX = '{"type": "message", '


class Peer:
    """One client socket and its reader task."""

    def __init__(self, ws, side, bench):
        self.ws = ws
        self.side = side  # "visitor" or "agent": who sends from this socket
        self.bench = bench
        self.types = Counter()
        self.waiters = []
        self.closed = False
        self.task = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, server, path, side, bench, headers=None):
        ws = await connect(
            server.ws_url + path,
            origin=server.origin,
            additional_headers=headers,
            proxy=None,
            open_timeout=30,
            close_timeout=1,
            ping_interval=None,
            compression=None,
            max_size=16 * 2**20,
            max_queue=4096,
        )
        return cls(ws, side, bench)

    async def send(self, frame):
        await self.ws.send(json.dumps(frame))

    async def wait_for(self, test, timeout, what):
        future = asyncio.get_running_loop().create_future()
        waiter = (test, future)
        self.waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise RuntimeError(f"{self.side} socket: no {what} in {timeout}s") from None
        finally:
            with contextlib.suppress(ValueError):
                self.waiters.remove(waiter)

    async def _read(self):
        bench = self.bench
        try:
            async for text in self.ws:
                now = time.perf_counter()
                frame = None
                if text.startswith(MESSAGE_PREFIX):
                    kind = "message"
                    frame = json.loads(text)
                    bench.on_message(self, frame.get("message") or {}, now)
                else:
                    if text.startswith(TYPE_PREFIX):
                        kind = text[10 : text.find('"', 10)]
                    else:  # rare frames whose "type" is not first (agent welcome)
                        frame = json.loads(text)
                        kind = str(frame.get("type"))
                    if kind in ("ack", "error"):
                        frame = json.loads(text)
                        bench.on_reply(self, kind, frame, now)
                self.types[kind] += 1
                step = bench.active
                if step is not None:
                    tenth = int((now - step.first_send) * 10)
                    step.frames[(tenth, self.side, kind)] += 1
                if self.waiters:
                    if frame is None:
                        frame = json.loads(text)
                    for waiter in list(self.waiters):
                        test, future = waiter
                        if not future.done() and test(frame):
                            future.set_result(frame)
        except ConnectionClosed:
            pass
        finally:
            self.closed = True

    def abort(self):
        self.task.cancel()
        with contextlib.suppress(Exception):
            self.ws.transport.abort()


async def limited(coroutines, limit):
    """Run coroutines at most ``limit`` at a time; results in order."""
    gate = asyncio.Semaphore(limit)

    async def run(coroutine):
        async with gate:
            return await coroutine

    return await asyncio.gather(*(run(c) for c in coroutines))


class Bench:
    """The load generator for one stack: sockets, steps, figures."""

    def __init__(self, stack, args, token_offset=0):
        self.stack = stack
        self.args = args
        self.token_offset = token_offset
        self.steps = {}
        self.conversations = []  # [(conversation id, visitor Peer, agent Peer)]
        self.peers = []
        self.errors_without_id = Counter()
        self.active = None  # the Step being measured

    # Frames from the reader tasks.

    def on_message(self, peer, message, now):
        cid = message.get("client_id")
        if not isinstance(cid, str):
            return
        step = self.steps.get(cid.partition(".")[0])
        if step is None:
            return
        if message.get("sender") == peer.side:
            step.echoes += 1  # the sender's own socket gets it too
        elif (id(peer), cid) in step.received:
            step.duplicated += 1
        else:
            step.received.add((id(peer), cid))
            if cid not in step.delivered:
                step.delivered[cid] = now
                step.last_delivery = now

    def on_reply(self, peer, kind, frame, now):
        cid = frame.get("client_id")
        if not isinstance(cid, str):
            if kind == "error":
                self.errors_without_id[frame.get("code")] += 1
            return
        step = self.steps.get(cid.partition(".")[0])
        if step is None:
            return
        if kind == "ack":
            step.acked.setdefault(cid, now)
        else:
            step.errors[frame.get("code")] += 1

    # Setting up conversations.

    def server_for(self, index, side):
        servers = self.stack.servers
        # With several processes a visitor and its agent are never on the
        # same one: every message crosses processes through Redis.
        shift = 0 if side == "visitor" else 1
        return servers[(index + shift) % len(servers)]

    async def open_conversations(self):
        n = self.args.conversations
        started = time.perf_counter()
        visitors = await limited(
            [self._open_visitor(index) for index in range(n)], limit=32
        )
        opened_visitors = time.perf_counter()
        agents = await self._open_agents(visitors)
        self.conversations = [
            (conversation, visitor, agents[index])
            for index, (conversation, visitor) in enumerate(visitors)
        ]
        # Warm-up: each agent answers once (the first reply assigns the chat),
        # and the visitor must see it; every path is then hot.
        warm = Step("W", 0, 0)
        self.steps["W"] = warm
        for index, (conversation, _visitor, agent) in enumerate(self.conversations):
            cid = f"W.{index}"
            warm.sent[cid] = (time.perf_counter(), "a2v")
            await agent.send(
                {
                    "type": "message",
                    "conversation": conversation,
                    "client_id": cid,
                    "body": "Hello, how can I help?",
                }
            )
        deadline = time.perf_counter() + 60
        while len(warm.delivered) + sum(warm.errors.values()) < n:
            if time.perf_counter() > deadline:
                break
            await asyncio.sleep(0.05)
        done = time.perf_counter()
        print(
            f"  {self.stack.name}: {n} conversations ready in {done - started:.1f}s "
            f"(visitors {opened_visitors - started:.1f}s, agents+warm-up "
            f"{done - opened_visitors:.1f}s); warm-up delivered "
            f"{len(warm.delivered)}/{n}, errors {dict(warm.errors) or 0}",
            flush=True,
        )

    async def _open_visitor(self, index):
        stack = self.stack
        peer = await Peer.open(
            self.server_for(index, "visitor"), stack.visitor_path(), "visitor", self
        )
        self.peers.append(peer)
        await peer.send(stack.visitor_hello(self.token_offset + index))
        await peer.wait_for(lambda f: f["type"] == "welcome", 60, "welcome")
        if isinstance(stack, RelayStack):
            return index, peer
        # The first message opens the conversation; its ack names it.
        cid = f"O.{index}"
        await peer.send({"type": "message", "client_id": cid, "body": "Hi there"})
        ack = await peer.wait_for(
            lambda f: f.get("client_id") == cid and f["type"] in ("ack", "error"),
            60,
            "ack of the first message",
        )
        if ack["type"] != "ack":
            raise RuntimeError(f"first visitor message refused: {ack}")
        return ack["conversation"], peer

    async def _open_agents(self, visitors):
        """One agent Peer per conversation (shared in console mode)."""
        stack = self.stack
        agents_count = max(1, self.args.agents)
        console = self.args.agent_sockets == "console"

        async def open_agent(socket_index):
            peer = await Peer.open(
                self.server_for(socket_index, "agent"),
                stack.agent_path(),
                "agent",
                self,
                headers=stack.agent_headers(socket_index % agents_count),
            )
            self.peers.append(peer)
            await peer.send({"type": "hello", "v": 1})
            await peer.wait_for(lambda f: f["type"] == "welcome", 120, "welcome")
            return peer

        async def watch(peer, conversation):
            await peer.send({"type": "open", "conversation": conversation})
            await peer.wait_for(
                lambda f: (
                    f["type"] == "opened" and f["conversation"]["id"] == conversation
                ),
                120,
                "opened",
            )

        if console:
            sockets = await limited(
                [open_agent(i) for i in range(min(agents_count, len(visitors)))], 8
            )
            chosen = [sockets[i % len(sockets)] for i in range(len(visitors))]
        else:
            chosen = await limited([open_agent(i) for i in range(len(visitors))], 8)
        await limited(
            [
                watch(peer, conv)
                for peer, (conv, _v) in zip(chosen, visitors, strict=True)
            ],
            16,
        )
        return chosen

    async def settle(self, limit=120, quiet=0.10):
        """Wait until every daphne is idle (backlogs delivered); bounded.

        Returns (seconds waited, whether it went quiet).
        """
        started = time.perf_counter()
        servers = self.stack.servers
        while time.perf_counter() - started < limit:
            before = [s.cpu_seconds() for s in servers]
            t0 = time.perf_counter()
            await asyncio.sleep(1)
            elapsed = time.perf_counter() - t0
            busiest = max(
                (s.cpu_seconds() - cpu) / elapsed
                for s, cpu in zip(servers, before, strict=True)
            )
            if busiest < quiet:
                return time.perf_counter() - started, True
        return time.perf_counter() - started, False

    def frames_by_side(self, totals=None):
        """'visitor: message 200, ...; agent: ...' from frame counters."""
        totals = totals if totals is not None else self.frame_totals()
        sides = {}
        for (side, kind), count in sorted(totals.items()):
            sides.setdefault(side, []).append(f"{kind} {count}")
        return "; ".join(f"{side}: {', '.join(kinds)}" for side, kinds in sides.items())

    def frame_totals(self):
        totals = Counter()
        for peer in self.peers:
            for kind, count in peer.types.items():
                totals[(peer.side, kind)] += count
        return totals

    def close(self):
        for peer in self.peers:
            peer.abort()
