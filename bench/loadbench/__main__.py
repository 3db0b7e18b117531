"""The run: both stacks up, their load phases, idle sockets, the summary."""

import asyncio
import tempfile
import time
from pathlib import Path

from bench.loadbench.args import parse_args
from bench.loadbench.disk import DISK, DiskProbe
from bench.loadbench.machine import (
    raise_open_file_limit,
    start_pinning,
    stop_pinning,
)
from bench.loadbench.phases import idle_phase, load_phases
from bench.loadbench.report import print_header, print_summary
from bench.loadbench.shops import REDIS_URL, LivechatStack, RelayStack
from tests.e2e.live import choose_redis
from tests.services_env import database_url


async def main_async(args, log_dir):
    loads, idles = [], []
    stacks = []
    DISK["probe"] = probe = DiskProbe(log_dir, database_url())
    print(
        f"disk probe: fdatasync every 10 ms in {probe.directory} ("
        + {True: "PostgreSQL's file system", False: "NOT PostgreSQL's file system"}.get(
            probe.same_disk, "PostgreSQL's file system: cannot tell"
        )
        + ")",
        flush=True,
    )
    try:
        tokens = 2 * args.conversations + min(50, args.idle) + args.idle
        redis_url = None
        for name in args.stacks:
            if name == "livechat":
                stack = LivechatStack(args, log_dir)
                redis_url = stack.redis_url
            else:
                stack = RelayStack(
                    args, log_dir, redis_url or choose_redis() or REDIS_URL
                )
            stacks.append(stack)
        together = args.interleave and len(stacks) > 1
        for stack in stacks:
            await _start(stack, args, tokens)
            if not together:
                loads += await load_phases([stack], args)
                await _idle_and_close(stack, args, idles)
        if together:
            loads = await load_phases(stacks, args)
            for stack in stacks:
                await _idle_and_close(stack, args, idles)
        for stack, result in zip(stacks, loads, strict=True):
            result["stack_obj"] = stack
        print_summary(args, loads, idles)
    finally:
        probe.stop()
        DISK["probe"] = None
        for stack in stacks:
            stack.close()


async def _start(stack, args, tokens):
    started = time.perf_counter()
    print(f"\n[{stack.name}] starting {args.processes} daphne process(es)", flush=True)
    await asyncio.to_thread(stack.prepare, tokens)
    stack.servers = await asyncio.to_thread(stack.start_servers, args.processes)
    print(
        f"  {stack.name}: ready in {time.perf_counter() - started:.1f}s on "
        f"ports {[s.port for s in stack.servers]}",
        flush=True,
    )


async def _idle_and_close(stack, args, idles):
    stack.stop_servers(stack.servers)
    if args.idle:
        print(f"[{stack.name}] idle sockets on a fresh daphne", flush=True)
        idles.append(await idle_phase(stack, args))
    stack.close()


def main(argv=None):
    args = parse_args(argv)
    limit = raise_open_file_limit()
    needed = args.idle + 2 * args.conversations + 200
    print_header(args)
    if limit < needed:
        print(f"warning: open-file limit {limit} < {needed} sockets needed")
    if args.pin:
        daphne, rest = start_pinning(args.processes)
        print(
            f"pinned: daphne on CPU {sorted(daphne)}; the load generator, "
            f"PostgreSQL and Redis on CPU {sorted(rest)}",
            flush=True,
        )
    try:
        _run_main(args)
    finally:
        stop_pinning()


def _run_main(args):
    if args.log_dir:
        log_dir = Path(args.log_dir)
        log_dir.mkdir(parents=True, exist_ok=True)
        asyncio.run(main_async(args, log_dir))
        print(f"daphne logs: {log_dir}")
    else:
        with tempfile.TemporaryDirectory(prefix="livechat-bench-") as log_dir:
            asyncio.run(main_async(args, log_dir))


if __name__ == "__main__":
    main()
