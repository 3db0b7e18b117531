"""Frames past LIVECHAT_MAX_FRAME_BYTES refused by daphne itself, cleanly.

daphne passes a WebSocket message to the application only once it has read
all of it (up to its own limit, 1 MiB), and an application cannot send close
code 1009 or a close reason through daphne. When daphne runs livechat, its
WebSocket factory is told livechat's limit as its frame limit: the server
stops reading an oversized frame at its header, answers close code 1009
("message too big") with the limit as the reason, and never holds the frame
in memory. (Browsers send each message as one frame.) It also
closes with a close frame rather than dropping the connection, so the client
learns why.

The limit then holds for every WebSocket endpoint the process serves; a host
with endpoints of its own that need bigger frames raises
LIVECHAT_MAX_FRAME_BYTES (livechat's consumers check it again themselves).
"""

import logging
import sys

from .conf import app_settings

logger = logging.getLogger(__name__)


def limit_daphne_frames():
    """Make a daphne server of this process enforce the frame limit.

    Runs from ``LivechatConfig.ready()``: daphne imports the ASGI application
    (which sets Django up) before it builds its WebSocket factory. Does
    nothing under another server, and never imports daphne itself.
    """
    server = sys.modules.get("daphne.server")
    factory = getattr(server, "WebSocketFactory", None)
    if factory is None or getattr(factory, "livechat_frame_limit", False):
        return

    class FrameLimitedFactory(factory):
        livechat_frame_limit = True

        def setProtocolOptions(self, **options):  # noqa: N802 - autobahn's name
            limit = app_settings.MAX_FRAME_BYTES
            if limit:
                # Frames only: autobahn holds the server's own messages to the
                # message limit too, and livechat's can be bigger. A message
                # a client sends in several frames is checked by the consumer.
                own = options.get("maxFramePayloadSize") or 0
                options["maxFramePayloadSize"] = min(own, limit) if own else limit
            options["failByDrop"] = False
            super().setProtocolOptions(**options)

    server.WebSocketFactory = FrameLimitedFactory
    logger.debug(
        "livechat: daphne refuses WebSocket frames over %s bytes",
        app_settings.MAX_FRAME_BYTES,
    )
