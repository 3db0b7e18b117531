"""The baseline for bench/load.py: the thinnest Channels relay there is.

Run with ``daphne bench.relay_app:application`` (bench/load.py does it). It
speaks just enough of livechat's protocol for the same load tool to drive it:

- ``hello`` -> ``welcome``; a visitor's ``hello`` may name its ``conversation``,
  which joins that conversation's group;
- ``open`` {``conversation``} -> joins the group, answers ``opened``;
- ``message`` -> ``group_send`` of a ``message`` frame to the conversation's
  group (the sender's own socket included, as in livechat), then ``ack``;
- ``ping`` -> ``pong``.

No database, no authentication, no sequence numbers, no inbox updates: only
what any Channels chat must do (parse JSON, one ``group_send`` through the same
``RedisPubSubChannelLayer``, serialise per receiving socket). Environment:
``REDIS_URL`` and ``LIVECHAT_REDIS_PREFIX``, as for the example shop.
"""

import gc
import os
import time

import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-relay-not-secret",  # noqa: S106
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=["channels"],
        CHANNEL_LAYERS={
            "default": {
                # The same layer and options as example_shop/settings.py.
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {
                    "hosts": [
                        {
                            "address": os.environ.get(
                                "REDIS_URL", "redis://127.0.0.1:6379/5"
                            ),
                            "max_connections": int(
                                os.environ.get("LIVECHAT_REDIS_MAX_CONNECTIONS", 1000)
                            ),
                        }
                    ],
                    "prefix": os.environ.get("LIVECHAT_REDIS_PREFIX", "relay"),
                },
            }
        },
    )
    django.setup()

from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402


class RelayConsumer(AsyncJsonWebsocketConsumer):
    """One socket: visitor or agent alike; joins conversation groups."""

    async def connect(self):
        """Runs on the handshake: accept anyone."""
        self.joined = set()
        self.conversation = None
        self.counter = 0
        await self.accept()

    async def disconnect(self, code):
        """Runs when the socket closes: leave every group."""
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """Runs for every frame: the few types the load tool sends."""
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "hello":
            if isinstance(content.get("conversation"), int):
                await self._join(content["conversation"])
            await self.send_json({"type": "welcome", "protocol": 1})
        elif kind == "open":
            await self._join(content["conversation"])
            await self.send_json(
                {"type": "opened", "conversation": {"id": content["conversation"]}}
            )
        elif kind == "message":
            conversation = content.get("conversation", self.conversation)
            self.counter += 1
            frame = {
                "type": "message",
                "message": {
                    "conversation": conversation,
                    "sender": "agent" if "conversation" in content else "visitor",
                    "body": content.get("body", ""),
                    "client_id": content.get("client_id"),
                    "created": time.time(),
                },
            }
            await self.channel_layer.group_send(
                f"relay.{conversation}", {"type": "relay.event", "frame": frame}
            )
            await self.send_json(
                {
                    "type": "ack",
                    "client_id": content.get("client_id"),
                    "conversation": conversation,
                    "seq": self.counter,
                    "duplicate": False,
                }
            )
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json({"type": "error", "code": "unknown_type"})

    async def relay_event(self, event):
        """Runs for every group message: forward the frame to the socket."""
        await self.send_json(event["frame"])

    async def _join(self, conversation):
        self.conversation = conversation
        group = f"relay.{conversation}"
        if group not in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.add(group)


async def http_app(scope, receive, send):
    """Any HTTP request: 200 "relay" (the load tool's is-it-up probe)."""
    if scope["type"] != "http":
        return
    await receive()  # the request (the probe sends no body)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": b"relay\n"})


application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": URLRouter([re_path(r"^ws/relay/$", RelayConsumer.as_asgi())]),
    }
)

# The same garbage collector settings as the example shop's ASGI module: the
# comparison stays like for like.
gc.collect()
gc.freeze()
gc.set_threshold(50_000, 20, 20)
