"""What the fast path's statement costs PostgreSQL, alone or batched.

Usage (from the repository root):

    .venv/bin/python bench/statements.py [--messages 4000] [--tasks 4]
        [--batch 0 1 2 4 8]

Creates a fresh PostgreSQL database as bench/load.py does, 200 active,
answered conversations, then runs the statement route's statements (visitor
and agent messages alternately, round-robin over the conversations) from
``--tasks`` concurrent asyncio tasks, and prints per message: the CPU time of
the fast path's PostgreSQL backends (from /proc, same machine) and of this
process (psycopg and the event loop, as in daphne), and the rate reached.

``--batch 0``: one autocommitted statement per message, as livechat ships.
``--batch K``: K messages per transaction, pipelined (a group commit), to
measure what batching the fast path would buy. No network, no channel layer:
costs, not latencies under load (bench/load.py measures those).
"""

import argparse
import asyncio
import json
import os
import resource
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CONVERSATIONS = 200
TICKS = os.sysconf("SC_CLK_TCK")


def parent(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--batch", type=int, nargs="+", default=[0, 1, 2, 4, 8])
    args = parser.parse_args(argv)

    from bench.loadbench.shops import run_child_on_fresh_shop

    stack_args = argparse.Namespace(agents=1, conn_max_age=None, cache="local")
    return run_child_on_fresh_shop(
        __file__, stack_args, "BENCH_STATEMENTS", lambda _stack: vars(args), 600
    )


# The child: Django set up, statements run in-process ------------------------------


def _conversations():
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from livechat.models import Conversation, Message, Visitor

    agent, _created = get_user_model().objects.get_or_create(
        username="statements-bench", defaults={"is_staff": True}
    )
    Message.objects.all().delete()
    Conversation.objects.all().delete()
    pairs = []
    for _ in range(CONVERSATIONS):
        visitor = Visitor.objects.create(key=uuid.uuid4())
        conversation = Conversation.objects.create(
            visitor=visitor,
            status=Conversation.Status.ACTIVE,
            assigned_agent=agent,
            first_agent_reply_at=timezone.now(),
        )
        pairs.append((visitor.pk, conversation.pk))
    return agent.pk, pairs


def _backend_cpu_seconds():
    """CPU seconds of the fast path's PostgreSQL backends so far."""
    from django.db import connection

    from livechat.services import statement_connections

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
            [statement_connections.APPLICATION_NAME],
        )
        pids = [row[0] for row in cursor.fetchall()]
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def _params(index, agent_id, visitor_id, conversation_id):
    from django.utils import timezone

    common = {"body": "Is this in stock in blue? " * 2, "client_id": f"s{index}"}
    common["now"] = timezone.now()
    if index % 2:
        return "visitor", {**common, "visitor": visitor_id}
    return "agent", {**common, "conversation": conversation_id, "agent": agent_id}


async def _run(batch, messages, tasks, agent_id, pairs, offset):
    from asgiref.sync import sync_to_async

    from livechat.services import statement_connections
    from livechat.services.messages import statement_route

    connections = [await statement_connections._connect() for _ in range(tasks)]
    # Warm: prepared statements, caches.
    for conn in connections:
        for index in range(4):
            kind, params = _params(offset - index - 1, agent_id, *pairs[index])
            params["client_id"] = f"warm-{id(conn)}-{index}-{offset}"
            await conn.execute(*statement_route.statement(kind, params))
    items = [(offset + i, *pairs[i % len(pairs)]) for i in range(messages)]
    size = max(1, batch)
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    backend_before = await sync_to_async(_backend_cpu_seconds)()
    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()

    async def worker(conn):
        while chunks:
            chunk = chunks.pop()
            if batch == 0:
                for index, visitor_id, conversation_id in chunk:
                    kind, params = _params(index, agent_id, visitor_id, conversation_id)
                    cursor = await conn.execute(
                        *statement_route.statement(kind, params)
                    )
                    assert await cursor.fetchone() is not None
                continue
            async with conn.transaction(), conn.pipeline():
                cursors = []
                for index, visitor_id, conversation_id in chunk:
                    kind, params = _params(index, agent_id, visitor_id, conversation_id)
                    cursors.append(
                        await conn.execute(*statement_route.statement(kind, params))
                    )
            for cursor in cursors:
                assert await cursor.fetchone() is not None

    await asyncio.gather(*(worker(conn) for conn in connections))
    wall = time.perf_counter() - started
    usage_after = resource.getrusage(resource.RUSAGE_SELF)
    backend_after = await sync_to_async(_backend_cpu_seconds)()
    for conn in connections:
        await conn.close()
    own = (usage_after.ru_utime + usage_after.ru_stime) - (
        usage_before.ru_utime + usage_before.ru_stime
    )
    label = "autocommit, 1 per statement" if batch == 0 else f"{batch} per transaction"
    print(
        f"{label:28s}: {messages} messages in {wall:5.2f} s "
        f"({messages / wall:5.0f}/s); "
        f"PostgreSQL backends {(backend_after - backend_before) * 1000 / messages:.3f} "
        f"ms/message, this process {own * 1000 / messages:.3f} ms/message",
        flush=True,
    )


def inner():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_shop.settings")
    import django

    django.setup()
    from asgiref.sync import sync_to_async

    options = json.loads(os.environ["BENCH_STATEMENTS"])

    async def main():
        agent_id, pairs = await sync_to_async(_conversations)()
        print(
            f"{CONVERSATIONS} active conversations, {options['tasks']} tasks, "
            f"each its own connection; CPU per message stored",
            flush=True,
        )
        for number, batch in enumerate(options["batch"]):
            offset = (number + 1) * 10 * options["messages"]
            await _run(
                batch, options["messages"], options["tasks"], agent_id, pairs, offset
            )

    asyncio.run(main())


if __name__ == "__main__":
    if sys.argv[1:2] == ["--inner"]:
        inner()
    else:
        sys.exit(parent())
