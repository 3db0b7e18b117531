"""Frames past LIVECHAT_MAX_FRAME_BYTES refused by daphne itself, cleanly.

daphne passes a WebSocket message to the application only once it has read
all of it (up to its own limit, 1 MiB), and an application cannot send close
code 1009 or a close reason through daphne. When daphne runs livechat, its
WebSocket factory is told livechat's limit instead: the server stops reading
an oversized frame at its header, answers close code 1009 ("message too big")
with the limit as the reason, and never holds the frame in memory. It also
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
                for name in ("maxMessagePayloadSize", "maxFramePayloadSize"):
                    own = options.get(name) or 0
                    options[name] = min(own, limit) if own else limit
            options["failByDrop"] = False
            super().setProtocolOptions(**options)

    server.WebSocketFactory = FrameLimitedFactory
    logger.debug(
        "livechat: daphne refuses WebSocket frames over %s bytes",
        app_settings.MAX_FRAME_BYTES,
    )
