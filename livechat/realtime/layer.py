"""Sending a frame to channel-layer groups: the one place that calls the layer."""

import json
import logging

from channels.layers import get_channel_layer

logger = logging.getLogger("livechat.realtime")


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
