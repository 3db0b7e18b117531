"""Publishing after commit: from a consumer's database call, or straight away.

The services publish in ``transaction.on_commit`` callbacks
(``publish_on_commit``). Outside a
consumer (admin, API, commands) the frames go straight to the channel layer
through ``async_to_sync``. Inside a consumer's database call (``db_call``)
they are kept in that call's list and sent from the event loop once the call
returns, so the database thread never waits on Redis.
"""

import functools
import threading

from asgiref.sync import async_to_sync
from django.db import transaction

from .. import presentation
from . import coalescing, layer
from .database_threads import on_database_thread
from .groups import ACTIVITY_GROUP, AGENTS_GROUP, visitor_group

_INBOX = "inbox"  # a pending entry for the coalesced inbox frame
_LATEST = "latest"  # a pending entry for a frame of which only the latest counts
_local = threading.local()  # .pending: what the running database call published


def send_now(groups, frame):
    """Send now (an on_commit callback, a command), or after the consumer's call."""
    send_many([(groups, frame)])


def send_many(pairs):
    """``send_now`` for several ``(groups, frame)`` pairs, in order."""
    pairs = [(tuple(groups), frame) for groups, frame in pairs]
    pending = getattr(_local, "pending", None)
    if pending is not None:
        pending.extend(pairs)
    elif pairs:
        async_to_sync(send_pending)(pairs)


def send_inbox_activity(summary):
    """Tell the consoles watching other agents' chats of new activity, coalesced."""
    pending = getattr(_local, "pending", None)
    if pending is not None:
        pending.append((_INBOX, summary))
    else:
        async_to_sync(layer.send_to_groups)(
            [ACTIVITY_GROUP], {"type": "conversations", "conversations": [summary]}
        )


def send_inbox_activity_now(summary):
    """``send_inbox_activity`` from the event loop (into this process's batch)."""
    coalescing.batch().add(summary)


def send_latest(key, build):
    """Send the ``(groups, frame)`` pairs ``build()`` returns; a burst, once.

    For frames that describe the whole state (who is online, each agent's
    load, each waiting shopper's place in the queue): inside a consumer's
    call, the process sends the latest once per ``LIVECHAT_INBOX_BATCH_SECONDS``,
    built then, however many changes came (fifty agents connecting at nine is
    one frame, not fifty).
    """
    pending = getattr(_local, "pending", None)
    if pending is not None:
        pending.append((_LATEST, (key, build)))
    else:
        send_many(build())


def _collecting(pending, func, *args, **kwargs):
    _local.pending = pending
    try:
        return func(*args, **kwargs)
    finally:
        _local.pending = None


def db_call(func):
    """``database_sync_to_async`` for consumers, publishing from the loop.

    The call runs on the database threads (``database_threads``: each with its
    own connection; every call is its own transaction), then what it published
    is sent from the event loop, in order, even if the call raised after a
    commit.
    """

    @functools.wraps(func)
    async def call(*args, **kwargs):
        pending = []
        try:
            return await on_database_thread(_collecting)(pending, func, *args, **kwargs)
        finally:
            if pending:
                await send_pending(pending)

    return call


async def send_pending(pending):
    """Send what a database call published, in the order it was published."""
    for groups, frame in pending:
        if groups == _INBOX:
            coalescing.batch().add(frame)
        elif groups == _LATEST:
            coalescing.batch().later(*frame)
        else:
            await layer.send_to_groups(groups, frame)


def publish_on_commit(groups, frame):
    """Send ``frame`` to ``groups`` once the current transaction commits."""
    groups = list(groups)
    transaction.on_commit(lambda: send_now(groups, frame))


def publish_conversation(conversation, preview=""):
    """Tell the visitor and every console about a conversation's state (on commit)."""
    publish_on_commit(
        [visitor_group(conversation.visitor_id)],
        {
            "type": "conversation",
            "conversation": presentation.conversation_state(conversation),
        },
    )
    publish_on_commit(
        [AGENTS_GROUP],
        {
            "type": "conversation",
            "conversation": presentation.conversation_summary(conversation, preview),
        },
    )
