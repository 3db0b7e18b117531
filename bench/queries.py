"""What one chat message costs livechat: SQL, transactions, connections, publishes.

Usage (from the repository root):

    .venv/bin/python bench/queries.py [--messages 50] [--conn-max-age 60] [--sql]

Creates a fresh PostgreSQL database as bench/load.py does, then, in a child
process with example_shop's settings and the Redis pub/sub layer, drives one
visitor and one agent socket through the real consumers
(``channels.testing.WebsocketCommunicator``: no daphne, no network) and counts,
per ``message`` frame each way: ``database_sync_to_async`` calls and the time
they hold the process's one database thread, SQL statements by kind,
transactions, new database connections and their set-up time, ``on_commit``
callbacks, ``group_send`` calls and the time spent publishing from inside the
database thread. One message at a time, no concurrency: these are costs, not
latencies under load (bench/load.py measures those).
"""

import argparse
import asyncio
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def parent(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=50, help="each way")
    parser.add_argument("--conn-max-age", type=int, default=None)
    parser.add_argument("--sql", action="store_true", help="list the statements")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the database thread"
    )
    args = parser.parse_args(argv)

    from bench.loadbench.shops import run_child_on_fresh_shop

    def payload(stack):
        return {
            "session": stack.sessions[0],
            "token": stack.tokens[0],
            "messages": args.messages,
            "sql": args.sql,
            "profile": args.profile,
        }

    stack_args = argparse.Namespace(agents=1, conn_max_age=args.conn_max_age)
    return run_child_on_fresh_shop(
        __file__, stack_args, "BENCH_QUERIES", payload, timeout=300
    )


# The child: Django set up, consumers driven in-process -------------------------------


class Meter:
    """Counters the patched functions below add to."""

    def __init__(self):
        self.reset()

    profiler = None

    def reset(self):
        self.counts = Counter()
        self.seconds = defaultdict(float)
        self.statements = Counter()


METER = Meter()
_NUMBERS = re.compile(r"\b\d+\b")


def _install_meters():
    from channels.db import DatabaseSyncToAsync
    from channels.layers import get_channel_layer
    from django.db import transaction
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.signals import connection_created

    from livechat import services

    def execute_wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            kind = sql.lstrip().split(None, 1)[0].upper()
            METER.counts["sql"] += 1
            METER.counts["sql " + kind] += 1
            if not context["connection"].in_atomic_block:
                METER.counts["autocommit statements"] += 1
            METER.seconds["sql"] += time.perf_counter() - started
            METER.statements[_NUMBERS.sub("N", " ".join(sql.split()))[:160]] += 1

    def on_connection(sender, connection, **kwargs):
        # The wrapper list belongs to the DatabaseWrapper, which outlives its
        # connections (CONN_MAX_AGE=0 reconnects on every call): install once.
        if execute_wrapper not in connection.execute_wrappers:
            connection.execute_wrappers.append(execute_wrapper)

    connection_created.connect(on_connection, weak=False)

    original_connect = BaseDatabaseWrapper.connect

    def connect(self):
        METER.counts["new connections"] += 1
        started = time.perf_counter()
        try:
            return original_connect(self)
        finally:
            METER.seconds["connection set-up"] += time.perf_counter() - started

    BaseDatabaseWrapper.connect = connect

    original_commit = BaseDatabaseWrapper.commit

    def commit(self):
        METER.counts["transactions (atomic)"] += 1
        return original_commit(self)

    BaseDatabaseWrapper.commit = commit

    original_on_commit = transaction.on_commit

    def on_commit(func, using=None, robust=False):
        METER.counts["on_commit callbacks"] += 1

        def timed():
            started = time.perf_counter()
            try:
                return func()
            finally:
                METER.seconds["on_commit callbacks"] += time.perf_counter() - started

        return original_on_commit(timed, using=using, robust=robust)

    transaction.on_commit = on_commit

    original_handler = DatabaseSyncToAsync.thread_handler

    def thread_handler(self, loop, *args, **kwargs):
        METER.counts["database_sync_to_async calls"] += 1
        started = time.perf_counter()
        if METER.profiler is not None:
            METER.profiler.enable()
        try:
            return original_handler(self, loop, *args, **kwargs)
        finally:
            if METER.profiler is not None:
                METER.profiler.disable()
            METER.seconds["database thread"] += time.perf_counter() - started

    DatabaseSyncToAsync.thread_handler = thread_handler

    import channels.consumer

    original_close = channels.consumer.aclose_old_connections

    async def aclose_old_connections():
        # AsyncConsumer.dispatch awaits this before every handler: a hop to
        # the thread-sensitive executor (the database thread) per event.
        METER.counts["dispatch hops to the database thread"] += 1
        started = time.perf_counter()
        try:
            return await original_close()
        finally:
            METER.seconds["dispatch hops (await)"] += time.perf_counter() - started

    channels.consumer.aclose_old_connections = aclose_old_connections

    layer = get_channel_layer()
    original_group_send = layer.group_send

    async def group_send(group, message):
        METER.counts["group_send"] += 1
        kind = message.get("frame", {}).get("type", "?")
        METER.counts[f"group_send {kind} -> {group.rsplit('.', 1)[0]}"] += 1
        started = time.perf_counter()
        try:
            return await original_group_send(group, message)
        finally:
            METER.seconds["group_send"] += time.perf_counter() - started

    layer.group_send = group_send
    services.get_channel_layer = lambda: layer


class Socket:
    """A WebSocket to the ASGI application, in-process.

    asgiref's ApplicationCommunicator, not channels.testing's: that one
    replaces Channels' close_old_connections with a no-op while it waits, so
    connections would persist there as they never do under daphne.
    """

    def __init__(self, application, path, cookie=None):
        from asgiref.testing import ApplicationCommunicator

        headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        scope = {
            "type": "websocket",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": headers,
            "subprotocols": [],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        self.app = ApplicationCommunicator(application, scope)

    async def connect(self):
        await self.app.send_input({"type": "websocket.connect"})
        answer = await self.app.receive_output(10)
        if answer["type"] != "websocket.accept":
            raise RuntimeError(f"refused: {answer}")

    async def send_json_to(self, frame):
        await self.app.send_input(
            {"type": "websocket.receive", "text": json.dumps(frame)}
        )

    async def receive_json_from(self, timeout=10):
        while True:
            answer = await self.app.receive_output(timeout)
            if answer["type"] == "websocket.send":
                return json.loads(answer["text"])
            if answer["type"] == "websocket.close":
                raise RuntimeError(f"closed: {answer}")

    async def disconnect(self):
        await self.app.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.app.wait(2)


async def _drive(config):
    from example_shop.asgi import application

    def communicator(path, cookie=None):
        return Socket(application, path, cookie)

    async def expect(comm, test, timeout=10):
        async with asyncio.timeout(timeout):
            while True:
                frame = await comm.receive_json_from(timeout=timeout)
                if test(frame):
                    return frame

    visitor = communicator("/ws/livechat/visitor/")
    agent = communicator("/ws/livechat/agent/", f"sessionid={config['session']}")
    await visitor.connect()
    await visitor.send_json_to({"type": "hello", "v": 1, "token": config["token"]})
    await expect(visitor, lambda f: f["type"] == "welcome")
    await visitor.send_json_to({"type": "message", "client_id": "o", "body": "Hi"})
    ack = await expect(visitor, lambda f: f["type"] == "ack")
    conversation = ack["conversation"]
    await agent.connect()
    await agent.send_json_to({"type": "hello", "v": 1})
    await expect(agent, lambda f: f["type"] == "welcome")
    await agent.send_json_to({"type": "open", "conversation": conversation})
    await expect(agent, lambda f: f["type"] == "opened")
    await agent.send_json_to(
        {
            "type": "message",
            "conversation": conversation,
            "client_id": "a",
            "body": "Hi",
        }
    )
    await expect(agent, lambda f: f["type"] == "ack")
    await asyncio.sleep(0.5)

    async def measure(label, sender, receiver, frame_of):
        METER.reset()
        if config["profile"]:
            import cProfile

            METER.profiler = cProfile.Profile()
        wall = 0.0
        n = config["messages"]
        for index in range(n):
            cid = f"{label}-{index}"
            started = time.perf_counter()
            await sender.send_json_to(frame_of(cid))
            await expect(sender, lambda f, c=cid: f.get("client_id") == c)
            await expect(
                receiver,
                lambda f, c=cid: (
                    f["type"] == "message" and f["message"]["client_id"] == c
                ),
            )
            wall += time.perf_counter() - started
        # Frames other sockets would get: drain what arrived meanwhile.
        await asyncio.sleep(0.3)
        print(f"\n{label}: per message, mean of {n} (one at a time, no load)")
        print(f"  round trip send -> ack -> peer receives: {wall / n * 1000:.2f} ms")
        for key in sorted(METER.counts):
            print(f"  {key:58s} {METER.counts[key] / n:6.2f}")
        for key in sorted(METER.seconds):
            print(f"  time in {key:50s} {METER.seconds[key] / n * 1000:6.2f} ms")
        thread = METER.seconds["database thread"] / n
        if thread:
            print(
                f"  => the one database thread can take at most "
                f"{1 / thread:.0f} such messages per second per process"
            )
        if METER.profiler is not None:
            import io
            import pstats

            out = io.StringIO()
            stats = pstats.Stats(METER.profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(40)
            print("  cProfile of the database thread (cumulative):")
            print("\n".join("    " + line for line in out.getvalue().splitlines()[6:]))
            METER.profiler = None
        if config["sql"]:
            print("  statements (numbers replaced by N), per message:")
            for sql, count in METER.statements.most_common():
                print(f"    {count / n:5.2f}  {sql}")

    await measure(
        "visitor message",
        visitor,
        agent,
        lambda cid: {"type": "message", "client_id": cid, "body": "Where is my order?"},
    )
    await measure(
        "agent message",
        agent,
        visitor,
        lambda cid: {
            "type": "message",
            "conversation": conversation,
            "client_id": cid,
            "body": "It left this morning.",
        },
    )
    await visitor.disconnect()
    await agent.disconnect()


def child():
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_shop.settings")
    django.setup()
    from django.conf import settings

    config = json.loads(os.environ["BENCH_QUERIES"])
    db = settings.DATABASES["default"]
    print(
        f"{db['ENGINE'].rsplit('.', 1)[-1]} CONN_MAX_AGE={db.get('CONN_MAX_AGE', 0)}, "
        f"layer {settings.CHANNEL_LAYERS['default']['BACKEND'].rsplit('.', 1)[-1]}"
    )
    _install_meters()
    asyncio.run(_drive(config))


if __name__ == "__main__":
    if sys.argv[1:] == ["--inner"]:
        child()
    else:
        sys.exit(parent())
