"""The phases of a run: the knee search, the headline step, idle sockets."""

import asyncio
import contextlib
import json
import math
import os
import signal
import time
from collections import Counter

from websockets.asyncio.client import connect

from bench.loadbench.clients import Bench, limited
from bench.loadbench.machine import proc_status_kb
from bench.loadbench.measure import run_step
from bench.loadbench.report import print_detail, print_profile, print_step
from bench.loadbench.shops import LivechatStack


async def _ready_bench(stack, args, token_offset=0):
    """Open the conversations and wait until the set-up traffic is delivered."""
    bench = Bench(stack, args, token_offset=token_offset)
    await bench.open_conversations()
    waited, quiet = await bench.settle()
    print(
        f"  {stack.name}: set-up traffic delivered in {waited:.1f}s more"
        + ("" if quiet else " (NOT quiet: measuring anyway)")
        + f"; frames received so far by {bench.frames_by_side()}",
        flush=True,
    )
    return bench


async def _restart(stack, args, bench, why):
    print(
        f"  {stack.name}: {why}; restarting daphne with "
        f"{args.conversations} new conversations",
        flush=True,
    )
    bench.close()
    stack.stop_servers(stack.servers)
    stack.servers = await asyncio.to_thread(
        stack.start_servers, args.processes, "restart"
    )
    return await _ready_bench(stack, args, token_offset=args.conversations)


async def knee_step(stack, bench, args, index, rate):
    """One knee step (run again while past the limit): its figures."""
    step = await run_step(
        bench, f"K{index}", rate, args.knee_seconds, detail=index == 0
    )
    f = print_step(stack, step, f"step {index + 1}")
    if index == 0:
        # Costs per message where the stack keeps up: the lowest rate.
        print_detail(stack, step)
    for attempt in range(args.knee_retries):
        # Past the limit: once more at the same rate, to tell a stack that
        # cannot keep up (it fails again) from a passing stall of the machine
        # (a burst of CPU steal on a shared VM). The better run counts; the
        # same rule for every stack.
        if not past_limit(f, args):
            break
        await bench.settle(limit=30)
        again = await run_step(
            bench, f"K{index}r{attempt + 1}", rate, args.knee_seconds
        )
        g = print_step(stack, again, f"step {index + 1}+")
        if g["p"][None][2] < f["p"][None][2]:
            f = g
    return f


def past_limit(f, args):
    return f["p"][None][2] > args.p99_limit / 1000


async def headline_phase(stack, args, bench, results):
    """The headline step (after the knee): fills ``results``; the bench used."""
    if results["knee"]:
        waited, quiet = await bench.settle()
        if not quiet:
            bench = await _restart(stack, args, bench, "still busy after the knee")
    if args.lull:
        print(f"  {stack.name}: {args.lull:g}s without messages", flush=True)
        await asyncio.sleep(args.lull)
    sampling = "profile" in getattr(args, "patches", ())
    if sampling and isinstance(stack, LivechatStack):
        for server in stack.servers:
            os.kill(server.pid, signal.SIGUSR1)
    step = await run_step(bench, "H", args.rate, args.seconds, detail=True)
    results["headline"] = print_step(stack, step, "headline")
    print_detail(stack, step)
    if sampling and isinstance(stack, LivechatStack):
        for server in stack.servers:
            os.kill(server.pid, signal.SIGUSR2)
        await asyncio.sleep(1)
        for server in stack.servers:
            print_profile(stack.log_dir / f"profile-{server.pid}.txt")
    results["headline_step"] = step
    results["daphne_errors"] = sum(s.error_count() for s in stack.servers)
    return bench


async def load_phases(stacks, args):
    """Knee search (rising rates), then the headline rate, of each stack.

    With several stacks (``--interleave``) all are up at once, each with its
    conversations; each rate runs on one stack, then on the next (first one,
    then the other), so that a stretch of CPU steal on a shared VM falls on
    both sides of the ratio rather than on one stack's whole knee search. A
    stack's search ends at its first step past the limit. Then each
    headline. Returns each stack's results.
    """
    results = [{"stack": stack.name, "knee": []} for stack in stacks]
    benches = []
    try:
        for stack in stacks:
            benches.append(await _ready_bench(stack, args))
        going = set(range(len(stacks)))
        for index, rate in enumerate(args.knee_rates):
            order = sorted(going, reverse=index % 2 == 1)
            for which in order:
                stack, bench = stacks[which], benches[which]
                f = await knee_step(stack, bench, args, index, rate)
                results[which]["knee"].append((rate, f))
                if past_limit(f, args):
                    going.discard(which)
                await bench.settle(limit=30)
            if not going:
                break
        for which, stack in enumerate(stacks):
            benches[which] = await headline_phase(
                stack, args, benches[which], results[which]
            )
    finally:
        for bench in benches:
            bench.close()
    return results


async def idle_phase(stack, args):
    """RSS of one fresh daphne before and after ``--idle`` idle visitor sockets."""
    count = args.idle
    warm = min(50, count)
    env = dict(stack.env)
    if isinstance(stack, LivechatStack) and args.conn_max_age is None:
        # Opening thousands of sockets with a new database connection per
        # query takes minutes; one persistent connection changes the time,
        # not the memory per socket (it is in the baseline either way).
        env["DJANGO_CONN_MAX_AGE"] = "60"
    servers = await asyncio.to_thread(stack.start_servers, 1, "idle", env)
    server = servers[0]
    peers = []
    failures = Counter()
    token_offset = 2 * args.conversations  # the load phase used the first ones

    async def open_idle(index):
        try:
            ws = await connect(
                server.ws_url + stack.visitor_path(),
                origin=server.origin,
                proxy=None,
                open_timeout=60,
                close_timeout=1,
                ping_interval=None,
                compression=None,
            )
        except Exception as exc:
            failures[type(exc).__name__] += 1
            return
        peers.append(ws)
        try:
            await ws.send(json.dumps(stack.visitor_hello(token_offset + index)))
            async with asyncio.timeout(60):
                while True:
                    text = await ws.recv()
                    if text.startswith('{"type": "welcome"'):
                        return
                    if text.startswith('{"type": "error"'):
                        failures["refused"] += 1
                        return
        except Exception as exc:
            failures[type(exc).__name__] += 1

    try:
        await limited([open_idle(i) for i in range(warm)], 32)
        await asyncio.sleep(1 if args.quick else 2)
        before = server.rss_kb()
        started = time.perf_counter()
        async with asyncio.timeout(args.idle_timeout):
            await limited([open_idle(warm + i) for i in range(count)], 64)
        opened_in = time.perf_counter() - started
        await asyncio.sleep(1 if args.quick else 3)
        after = server.rss_kb()
        alive = sum(1 for ws in peers if ws.state.name == "OPEN")
        held = alive - warm
        result = {
            "stack": stack.name,
            "sockets": held,
            "asked": count,
            "before_kb": before,
            "after_kb": after,
            "per_socket_kb": (after - before) / held if held > 0 else math.nan,
            "seconds": opened_in,
            "failures": dict(failures),
            "client_rss_kb": proc_status_kb(os.getpid()),
        }
        print(
            f"  {stack.name:8s} idle sockets: {held}/{count} held (plus {warm} "
            f"warm-up) in {opened_in:.1f}s; daphne RSS {before / 1024:.1f} MB -> "
            f"{after / 1024:.1f} MB; failures {dict(failures) or 0}",
            flush=True,
        )
        return result
    except TimeoutError:
        print(
            f"  {stack.name:8s} idle sockets: gave up after {args.idle_timeout}s "
            f"with {len(peers)} opened",
            flush=True,
        )
        return None
    finally:
        # Clients first: daphne then has no open sockets to wind down.
        for ws in peers:
            with contextlib.suppress(Exception):
                ws.transport.abort()
        await asyncio.sleep(0.5)
        stack.stop_servers(servers)
