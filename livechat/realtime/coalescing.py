"""Frames this process sends at most once per LIVECHAT_INBOX_BATCH_SECONDS.

Inbox activity of other agents' chats (a new message's preview and counters)
reaches the consoles that watch them (``ACTIVITY_GROUP``: supervisors, and
agents who expanded "Other agents' chats") in one ``conversations`` frame per
interval instead of one per message to every console. Frames that describe a
whole state (who is online, each agent's load, the queue) are built once per
interval however many changes came.
"""

import asyncio
import contextlib
import logging
import weakref

from ..conf import app_settings
from . import layer
from .database_threads import on_database_thread
from .groups import ACTIVITY_GROUP

logger = logging.getLogger("livechat.realtime")

_batches = weakref.WeakKeyDictionary()  # event loop -> _Batch


def batch():
    """This event loop's batch."""
    loop = asyncio.get_running_loop()
    current = _batches.get(loop)
    if current is None:
        current = _batches[loop] = _Batch()
    return current


class _Batch:
    """The newest activity of each conversation and the state frames to build."""

    def __init__(self):
        self.pending = {}
        self.builds = {}
        self.task = None

    def later(self, key, build):
        """Build ``(groups, frame)`` pairs with ``build`` at the next flush."""
        self.builds[key] = build
        self._schedule()

    def add(self, summary):
        """Send a conversation's activity at the next flush (the newest wins)."""
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
            await layer.send_to_groups(
                [ACTIVITY_GROUP],
                {"type": "conversations", "conversations": summaries},
                encoded=True,
            )
        for build in builds:
            try:
                pairs = await on_database_thread(build)()
            except Exception:
                logger.exception("livechat: building a coalesced frame failed")
                continue
            for groups, frame in pairs:
                await layer.send_to_groups(groups, frame, encoded=True)


async def flush_pending():
    """Send what this process holds back now, and wait until it is sent.

    For a clean shutdown, and for tests that end before the next interval.
    """
    current = _batches.get(asyncio.get_running_loop())
    # What comes in while a flush is sending waits for a flush of its own.
    while current is not None and current.task is not None:
        current.now.set()
        await current.task
