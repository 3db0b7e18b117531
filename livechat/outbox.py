"""Publishing after commit, from the event loop; database calls off the loop.

services publish with ``publish_on_commit`` (and ``send_now``). Outside a
consumer (admin, API, commands) the frames go straight to the channel layer
through ``async_to_sync``. Inside a consumer's database call (``db_call``)
they are kept in that call's outbox and sent from the event loop once the
call returns, so the database thread never waits on Redis.

Inbox activity of conversations that already have an agent (a new message's
preview and counters) reaches the assigned agent's consoles through the
conversation's own group (they follow their chats), and the consoles that
watch other agents' chats (``ACTIVITY_GROUP``: supervisors, and agents who
expanded "Other agents' chats") in one coalesced ``conversations`` frame per
process every ``LIVECHAT_INBOX_BATCH_SECONDS``: one frame per watching console
per interval instead of one per message to every console.
"""

import asyncio
import contextlib
import functools
import json
import logging
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import close_old_connections, connection, connections

from .conf import app_settings

logger = logging.getLogger(__name__)

AGENTS_GROUP = "livechat.agents"
# Consoles that show other agents' chats live (supervisors; agents who chose to).
ACTIVITY_GROUP = "livechat.agents.activity"
_INBOX = "inbox"  # an outbox entry for the coalesced inbox frame
_LATEST = "latest"  # an outbox entry for a frame of which only the latest counts
_local = threading.local()


async def send_to_groups(groups, frame, encoded=False):
    """Send ``frame`` to every group; a failing group never stops the others.

    ``encoded``: send the frame as JSON text, encoded once here rather than
    by every socket (for large frames to many consoles).
    """
    layer = get_channel_layer()
    if layer is None:
        return
    event = group_event(frame, encoded)
    for group in groups:
        try:
            await layer.group_send(group, event)
        except Exception:
            # The database already holds the change; clients catch up by seq.
            logger.exception("livechat: group_send to %s failed", group)


def group_event(frame, encoded=False):
    """The channel-layer event that carries ``frame`` to consumers."""
    if encoded:
        return {"type": "livechat.event", "text": json.dumps(frame)}
    return {"type": "livechat.event", "frame": frame}


def send_now(groups, frame):
    """Send now (an on_commit callback, a command), or after the consumer's call."""
    send_many([(groups, frame)])


def send_many(pairs):
    """``send_now`` for several ``(groups, frame)`` pairs, in order."""
    pairs = [(tuple(groups), frame) for groups, frame in pairs]
    outbox = getattr(_local, "outbox", None)
    if outbox is not None:
        outbox.extend(pairs)
    elif pairs:
        async_to_sync(send_outbox)(pairs)


def send_inbox_activity(summary):
    """Tell the consoles watching other agents' chats of new activity, coalesced."""
    outbox = getattr(_local, "outbox", None)
    if outbox is not None:
        outbox.append((_INBOX, summary))
    else:
        async_to_sync(send_to_groups)(
            [ACTIVITY_GROUP], {"type": "conversations", "conversations": [summary]}
        )


def send_inbox_activity_now(summary):
    """``send_inbox_activity`` from the event loop (into this process's batch)."""
    _batch().add(summary)


def send_latest(key, build):
    """Send the ``(groups, frame)`` pairs ``build()`` returns; a burst, once.

    For frames that describe the whole state (who is online, each agent's
    load, each waiting shopper's place in the queue): inside a consumer's
    call, the process sends the latest once per ``LIVECHAT_INBOX_BATCH_SECONDS``,
    built then, however many changes came (fifty agents connecting at nine is
    one frame, not fifty).
    """
    outbox = getattr(_local, "outbox", None)
    if outbox is not None:
        outbox.append((_LATEST, (key, build)))
    else:
        send_many(build())


# Database calls -----------------------------------------------------------------

_executor = None
_executor_lock = threading.Lock()


def _database_executor():
    """The threads that run consumers' database calls (None: Channels' one)."""
    global _executor
    threads = app_settings.DATABASE_THREADS
    if threads <= 1 or connection.vendor == "sqlite":
        # SQLite takes one writer at a time: one thread avoids lock errors.
        return None
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(threads, thread_name_prefix="livechat-db")
        return _executor


def shutdown_database_threads():
    """Wait for the database threads' calls, close their connections, end them.

    A call whose awaiting consumer was cancelled still runs to its end on its
    thread. For a clean shutdown, and for tests before they drop the tables.
    """
    global _executor
    with _executor_lock:
        executor, _executor = _executor, None
    if executor is None:
        return
    workers = executor._max_workers
    barrier = threading.Barrier(workers)

    def close_connections():
        # Each thread holds here until all are in: every thread closes its own.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)
        connections.close_all()

    for _ in range(workers):
        executor.submit(close_connections)
    executor.shutdown(wait=True)


def _collecting(outbox, func, *args, **kwargs):
    # Channels closes stale connections around the call too, but outside the
    # context the call runs in, where a pool thread's connection may live.
    close_old_connections()
    _local.outbox = outbox
    try:
        return func(*args, **kwargs)
    finally:
        _local.outbox = None
        close_old_connections()


def db_call(func):
    """``database_sync_to_async`` for consumers, publishing from the loop.

    The call runs on ``LIVECHAT_DATABASE_THREADS`` threads (each with its own
    connection; every call is its own transaction), then what it published is
    sent from the event loop, in order, even if the call raised after a commit.
    """

    @functools.wraps(func)
    async def call(*args, **kwargs):
        outbox = []
        executor = _database_executor()
        if executor is None:
            runner = database_sync_to_async(_collecting)
        else:
            runner = database_sync_to_async(
                _collecting, thread_sensitive=False, executor=executor
            )
        try:
            return await runner(outbox, func, *args, **kwargs)
        finally:
            if outbox:
                await send_outbox(outbox)

    return call


async def send_outbox(outbox):
    """Send what a database call published, in the order it was published."""
    for groups, frame in outbox:
        if groups == _INBOX:
            _batch().add(frame)
        elif groups == _LATEST:
            _batch().later(*frame)
        else:
            await send_to_groups(groups, frame)


# The coalesced inbox ------------------------------------------------------------

_batches = weakref.WeakKeyDictionary()


def _batch():
    loop = asyncio.get_running_loop()
    batch = _batches.get(loop)
    if batch is None:
        batch = _batches[loop] = _InboxBatch()
    return batch


class _InboxBatch:
    """The newest activity of each conversation, sent to every console at once."""

    def __init__(self):
        self.pending = {}
        self.builds = {}
        self.task = None

    def later(self, key, build):
        self.builds[key] = build
        self._schedule()

    def add(self, summary):
        old = self.pending.get(summary["id"])
        if old is None or summary["last_seq"] >= old["last_seq"]:
            self.pending[summary["id"]] = summary
        self._schedule()

    def _schedule(self):
        if self.task is None:
            self.now = asyncio.Event()
            self.task = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.now.wait(), app_settings.INBOX_BATCH_SECONDS)
        summaries, self.pending = list(self.pending.values()), {}
        builds, self.builds = list(self.builds.values()), {}
        self.task = None  # what comes from now on waits for the next flush
        if summaries:
            await send_to_groups(
                [ACTIVITY_GROUP],
                {"type": "conversations", "conversations": summaries},
                encoded=True,
            )
        for build in builds:
            try:
                pairs = await db_call(build)()
            except Exception:
                logger.exception("livechat: building a coalesced frame failed")
                continue
            for groups, frame in pairs:
                await send_to_groups(groups, frame, encoded=True)


async def flush_pending():
    """Send what this process holds back now, and wait until it is sent.

    For a clean shutdown, and for tests that end before the next interval.
    """
    batch = _batches.get(asyncio.get_running_loop())
    # What comes in while a flush is sending waits for a flush of its own.
    while batch is not None and batch.task is not None:
        batch.now.set()
        await batch.task
