"""example_shop with bench-only patches: diagnostics, and experiments not shipped.

Run by ``bench/load.py --patches ...``: daphne serves
``bench.patched_asgi:application`` instead of ``example_shop.asgi:application``.
Nothing under livechat/ changes; the patches below are applied in this daphne
process only. Environment: ``BENCH_PATCHES``, comma-separated names.

Diagnostics: they change nothing, they tell where a late message's time went.

``stages``
    Times each step of a visitor's fast-path message (the rate limit, the
    statement, the publish), the agents' presence writes and how late the
    event loop runs a callback, and every 5 s logs their p50 / p99 / max.

``profile``
    cProfile of the event loop and of the database threads between SIGUSR1
    and SIGUSR2 (bench/profiler.py); bench/load.py sends both around the
    headline step and prints the report.

``gcwatch``
    Logs every garbage collection that takes over 5 ms (its generation and
    duration) to the daphne log, to tell GC pauses from other latency
    spikes, and every 10 s the collections per generation, their total and
    their longest.

``gcgarbage``
    Keeps what the collector frees (``gc.DEBUG_SAVEALL``) and prints the
    commonest types every 5 s: where cyclic garbage comes from.

``slowcallbacks``
    asyncio debug mode, logging every callback that holds the event loop for
    over 50 ms (what blocks every socket at once).

``slowstatements``
    Logs every fast-path statement that takes over 50 ms from asking for a
    connection to its row (the pool's wait included), and the event loop's
    lag at that moment: a slow database from a busy loop.

Experiments: measured and not shipped (bench/NOTES.md has the measurements
made with them); kept to measure again on another machine.

``asynccommit``
    Not a fix to ship (a crash could lose the last acknowledged messages):
    the fast path's connections ``SET synchronous_commit = off``, to tell
    waits on the WAL flush from other stalls, or to see what the trade
    would buy.

``gatherpublish``
    ``realtime.layer.send_to_groups`` publishes to its groups concurrently instead of
    one after the other (an agent's reply goes to the visitor's group and
    the conversation's: one Redis round trip to wait for, not two).

``nocheck``
    No rate limit (not a fix): the fast path's rate limit before the
    statement is skipped, to see what taking its Redis round trip off the
    path to the database would buy.

``switch``
    ``sys.setswitchinterval(0.0005)``: a thread waiting for the GIL (the event
    loop after each socket call, a database thread after each query) gets it
    within half a millisecond of a busy thread instead of five.

``gcsmall``
    After the shop's ``gc.freeze()``: a first-generation threshold of 5,000
    allocations (and 10, 10) instead of 50,000 (and 20, 20): more young
    collections, each shorter.
"""

import os

from bench.patch_names import PATCH_NAMES
from example_shop.asgi import application  # noqa: F401  (sets up Django)

PATCHES = {p.strip() for p in os.environ.get("BENCH_PATCHES", "").split(",") if p}
KNOWN = set(PATCH_NAMES)
if PATCHES - KNOWN:
    raise SystemExit(f"unknown BENCH_PATCHES {sorted(PATCHES - KNOWN)}; know {KNOWN}")

if "switch" in PATCHES:
    import sys

    sys.setswitchinterval(0.0005)

if "gcsmall" in PATCHES:
    import gc

    # After example_shop.asgi's freeze: young collections 10x as often, each
    # over a tenth of the objects.
    gc.set_threshold(5_000, 10, 10)

if "gcwatch" in PATCHES:
    import gc
    import sys
    import threading
    import time

    _gc_started = {}
    _gc_totals = {}  # generation -> [count, total ms, max ms]

    def _gc_watch(phase, info):
        if phase == "start":
            _gc_started["t"] = time.perf_counter()
        elif "t" in _gc_started:
            took = (time.perf_counter() - _gc_started.pop("t")) * 1000
            totals = _gc_totals.setdefault(info["generation"], [0, 0.0, 0.0])
            totals[0] += 1
            totals[1] += took
            totals[2] = max(totals[2], took)
            if took > 5:
                print(
                    f"{time.time():.3f} GC generation {info['generation']} took "
                    f"{took:.1f} ms (collected {info['collected']})",
                    file=sys.stderr,
                    flush=True,
                )

    def _gc_summaries():
        while True:
            time.sleep(10)
            line = "; ".join(
                f"gen{gen} {n} collections, {total:.0f} ms in all, max {most:.1f} ms"
                for gen, (n, total, most) in sorted(_gc_totals.items())
            )
            _gc_totals.clear()
            stamp = f"{time.time():.3f}"
            print(f"{stamp} GC last 10 s: {line}", file=sys.stderr, flush=True)

    gc.callbacks.append(_gc_watch)
    threading.Thread(target=_gc_summaries, daemon=True, name="gcwatch").start()

if "gcgarbage" in PATCHES:
    import asyncio
    import gc
    import sys
    from collections import Counter

    gc.set_debug(gc.DEBUG_SAVEALL)

    def _garbage_report():
        kinds = Counter(type(o).__qualname__ for o in gc.garbage)
        print(f"GARBAGE {len(gc.garbage)}: {kinds.most_common(25)}", file=sys.stderr)
        del gc.garbage[:]
        asyncio.get_event_loop().call_later(5, _garbage_report)

    from twisted.internet import reactor

    reactor.callLater(5, _garbage_report)

if "asynccommit" in PATCHES:
    from livechat.services import statement_connections

    _real_connect = statement_connections._connect

    async def _connect_async_commit():
        conn = await _real_connect()
        await conn.execute("SET synchronous_commit = off")
        return conn

    statement_connections._connect = _connect_async_commit

if "slowcallbacks" in PATCHES:
    import asyncio
    import logging

    from twisted.internet import reactor

    def _debug_loop():
        loop = asyncio.get_event_loop()
        loop.set_debug(True)
        loop.slow_callback_duration = 0.05
        logging.getLogger("asyncio").setLevel(logging.WARNING)

    reactor.callLater(0, _debug_loop)

if "slowstatements" in PATCHES:
    import asyncio
    import sys
    import time

    from livechat.services import statement_connections

    _real_run = statement_connections.fetch_one

    async def _timed_run(sql, params):
        kind = "agent" if "agent" in sql.split("SET", 2)[1][:200] else "visitor"
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        try:
            return await _real_run(sql, params)
        finally:
            took = time.perf_counter() - started
            if took > 0.05:
                # How late a callback scheduled now runs: the loop's own lag.
                t0 = time.perf_counter()
                lag = asyncio.Event()
                loop.call_soon(lag.set)
                await lag.wait()
                print(
                    f"SLOW {kind} statement {took * 1000:.0f} ms at "
                    f"{time.strftime('%H:%M:%S')}, loop lag now "
                    f"{(time.perf_counter() - t0) * 1000:.1f} ms",
                    file=sys.stderr,
                    flush=True,
                )

    statement_connections.fetch_one = _timed_run

if "gatherpublish" in PATCHES:
    import asyncio as _asyncio

    from channels.layers import get_channel_layer

    from livechat.realtime import layer as _layer

    async def send_to_groups(groups, frame, encoded=False):
        layer = get_channel_layer()
        if layer is None:
            return
        event = _layer.group_event(frame, encoded)

        async def one(group):
            try:
                await layer.group_send(group, event)
            except Exception:
                _layer.logger.exception("livechat: group_send to %s failed", group)

        await _asyncio.gather(*(one(group) for group in groups))

    _layer.send_to_groups = send_to_groups

if "nocheck" in PATCHES:
    from livechat import ratelimit as _ratelimit

    async def _no_check(action, *keys):
        return _ratelimit.Taken([])

    _ratelimit.atake = _no_check

if "stages" in PATCHES:
    import asyncio as _stages_asyncio
    import sys as _stages_sys
    import time as _stages_time

    from livechat import ratelimit as _rl
    from livechat.realtime import layer as _layer_module
    from livechat.services import statement_connections as _fp

    _samples = {}

    def _timed(name, func):
        async def timed(*args, **kwargs):
            started = _stages_time.perf_counter()
            try:
                return await func(*args, **kwargs)
            finally:
                elapsed = _stages_time.perf_counter() - started
                _samples.setdefault(name, []).append(elapsed)

        return timed

    _rl.atake = _timed("rate limit", _rl.atake)
    _fp._run = _timed("statement", _fp._run)
    _layer_module.send_to_groups = _timed("publish", _layer_module.send_to_groups)
    _fp.post_visitor_message = _timed("visitor message", _fp.post_visitor_message)
    _fp.post_agent_message = _timed("agent message", _fp.post_agent_message)
    # The agents' presence writes (activity every minute per console, on
    # the database threads): how many, and when.
    from livechat.realtime.consumers import agent as _agent_consumer

    _agent_consumer.AgentConsumer._best_effort = _timed(
        "presence", _agent_consumer.AgentConsumer._best_effort
    )

    def _stage_line():
        parts = []
        for name, values in sorted(_samples.items()):
            values.sort()

            def at(fraction, values=values):
                return values[min(len(values) - 1, int(fraction * len(values)))]

            parts.append(
                f"{name} n={len(values)} p50 {at(0.5) * 1000:.1f} "
                f"p99 {at(0.99) * 1000:.1f} max {values[-1] * 1000:.1f} ms"
            )
        _samples.clear()
        return "; ".join(parts)

    async def _stage_report():
        printed = _stages_time.perf_counter()
        while True:
            before = _stages_time.perf_counter()
            await _stages_asyncio.sleep(0.01)
            now = _stages_time.perf_counter()
            # A 10 ms sleep that took longer waited its turn on the loop.
            _samples.setdefault("loop lag", []).append(now - before - 0.01)
            if now - printed >= 5 and len(_samples) > 1:
                printed = now
                print(
                    f"{_stages_time.time():.3f} STAGES {_stage_line()}",
                    file=_stages_sys.stderr,
                    flush=True,
                )

    from twisted.internet import reactor as _stages_reactor

    def _start_report():
        _stages_asyncio.ensure_future(_stage_report())

    _stages_reactor.callLater(0, _start_report)

if "profile" in PATCHES:
    from bench import profiler

    profiler.install(os.environ.get("BENCH_PROFILE_OUT", "bench-profile-{pid}.txt"))
