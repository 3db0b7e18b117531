"""The real-time side: channel-layer groups, publishing after commit, the
database threads of the consumers, and the frames coalesced per process.

The WebSocket consumers live in ``livechat.realtime.consumers``; the routes a host
mounts in its ``asgi.py`` in ``livechat.routing``.
"""
