"""One measured step: an offered rate, open loop, drained, with its figures."""

import asyncio
import gc
import json
import math
import time
from collections import Counter

from websockets.exceptions import ConnectionClosed

from bench.loadbench.disk import DISK
from bench.loadbench.machine import (
    machine_ticks,
    self_cpu_seconds,
    service_cpu_seconds,
    service_cpu_since,
)
from bench.loadbench.shops import LivechatStack, redis_publish_calls


class Step:
    """Everything recorded for one offered rate."""

    def __init__(self, tag, rate, seconds):
        self.tag = tag
        self.rate = rate
        self.seconds = seconds
        self.sent = {}  # client_id -> (send time, "v2a" or "a2v")
        self.delivered = {}  # client_id -> first receive time at the peer
        # (socket, client_id) received: the same message twice on one socket
        # is a duplicate; on two sockets of one agent user (their consoles
        # all follow their chats, --agents < --conversations) it is not.
        self.received = set()
        self.acked = {}  # client_id -> ack receive time
        self.duplicated = 0
        self.echoes = 0
        self.errors = Counter()
        self.lag = []  # actual send time - scheduled time, seconds
        # (tenth of a second since the first send, side, frame type) -> frames
        # received then: what the sockets got while messages were late.
        self.frames = Counter()
        self.first_send = self.last_send = self.last_delivery = None

    def latencies(self, direction=None):
        out = []
        for cid, (sent_at, way) in self.sent.items():
            if direction is not None and way != direction:
                continue
            received = self.delivered.get(cid)
            out.append(math.inf if received is None else received - sent_at)
        return sorted(out)


async def run_step(bench, tag, rate, seconds, detail=False):
    """Offer ``rate`` msg/s for ``seconds`` s, drain, return the Step."""
    step = Step(tag, rate, seconds)
    bench.steps[tag] = step
    conversations = bench.conversations
    n = len(conversations)
    total = int(rate * seconds)
    body = ("x" * bench.args.body)[: bench.args.body]
    snapshot = _snapshot(bench, database=detail)
    # The instrument must not pause: no garbage collection in this process
    # while a step runs (its heap grows with every step's records, and a
    # full collection would add its pause to the measured latencies).
    gc.collect()
    gc.disable()
    start = time.perf_counter()
    step.first_send = start
    bench.active = step
    k = 0
    while k < total:
        now = time.perf_counter()
        due = min(total, int((now - start) * rate) + 1)
        while k < due:
            conversation, visitor, agent = conversations[k % n]
            cid = f"{tag}.{k}"
            scheduled = start + k / rate
            # Alternate directions within a round and in each conversation.
            if (k + k // n) % 2 == 0:
                frame = {"type": "message", "client_id": cid, "body": body}
                peer, way = visitor, "v2a"
            else:
                frame = {
                    "type": "message",
                    "conversation": conversation,
                    "client_id": cid,
                    "body": body,
                }
                peer, way = agent, "a2v"
            sent_at = time.perf_counter()
            step.sent[cid] = (sent_at, way)
            step.lag.append(sent_at - scheduled)
            try:
                await peer.ws.send(json.dumps(frame))
            except ConnectionClosed:
                step.errors["socket_closed"] += 1
            k += 1
        wait = start + k / rate - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
    step.last_send = time.perf_counter()
    # Drain: until everything arrived, or nothing more for a while.
    drain_until = step.last_send + bench.args.drain_max
    last_count, last_change = -1, time.perf_counter()
    while True:
        settled = len(step.delivered) + sum(step.errors.values())
        now = time.perf_counter()
        if settled >= total or now > drain_until:
            break
        if settled != last_count:
            last_count, last_change = settled, now
        elif now - last_change > bench.args.drain_idle:
            break
        await asyncio.sleep(0.05)
    step.drained_at = time.perf_counter()
    gc.enable()
    step.drained = settled >= total
    # Let the last frames of other types (inbox updates) arrive too.
    await asyncio.sleep(0.2)
    bench.active = None
    step.resources = _resources_since(bench, snapshot, step)
    if isinstance(bench.stack, LivechatStack):
        step.stored, step.stored_distinct = bench.stack.stored(tag)
    else:
        step.stored = step.stored_distinct = None
    return step


def _snapshot(bench, database=False):
    snap = {
        "wall": time.perf_counter(),
        "servers": [s.cpu_seconds() for s in bench.stack.servers],
        "self": self_cpu_seconds(),
        "machine": machine_ticks(),
        "services": service_cpu_seconds(),
        "frames": bench.frame_totals(),
        "publish": redis_publish_calls(bench.stack),
    }
    if database and isinstance(bench.stack, LivechatStack):
        snap["db"] = bench.stack.db_stats()
    return snap


def _resources_since(bench, before, step):
    wall = time.perf_counter() - before["wall"]
    busy0, total0, steal0 = before["machine"]
    busy1, total1, steal1 = machine_ticks()
    services = service_cpu_seconds()
    servers = [
        (s.cpu_seconds() - cpu) / wall
        for s, cpu in zip(bench.stack.servers, before["servers"], strict=True)
    ]
    frames = bench.frame_totals()
    frames.subtract(before["frames"])
    out = {
        "servers_cpu": servers,
        "loadgen_cpu": (self_cpu_seconds() - before["self"]) / wall,
        "machine_busy": (busy1 - busy0) / max(1, total1 - total0),
        "steal": (steal1 - steal0) / max(1, total1 - total0),
        "services_cpu": service_cpu_since(before["services"], services, wall),
        "frames": +frames,
        "publish": redis_publish_calls(bench.stack) - before["publish"],
    }
    probe = DISK["probe"]
    if probe is not None:
        out["disk"] = probe.between(before["wall"], time.perf_counter())
    if "db" in before:
        # Statistics reach pg_stat_database when a backend ends or at most
        # once a second: approximate for persistent connections.
        time.sleep(1.1)
        after = bench.stack.db_stats()
        out["db"] = {key: after[key] - before["db"][key] for key in after}
    return out
