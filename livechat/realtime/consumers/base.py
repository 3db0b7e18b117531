"""What both endpoints share: frame parsing, error answers, groups, hello."""

import asyncio
import json
import logging
import time
from collections import Counter

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import DatabaseError, InterfaceError, OperationalError
from django.utils.translation import gettext as _

from ... import presentation, protocol, services
from ...conf import app_settings
from ...errors import ServiceError
from ...protocol import FrameError
from ...ratelimit import RateLimited, client_ip
from ...services.visitors import InvalidProfile
from ..publishing import db_call
from . import admission

logger = logging.getLogger("livechat.consumers")
security_logger = logging.getLogger("livechat.security")

try:  # daphne (through autobahn) raises this on a send after the client left
    from autobahn.exception import Disconnected as _AutobahnDisconnected
except ImportError:  # pragma: no cover - another ASGI server
    _AutobahnDisconnected = OSError
# ASGI servers raise an OSError subclass on a send to a closed socket (uvicorn's
# ClientDisconnected); daphne raises autobahn's RuntimeError subclass.
_CLIENT_GONE = (OSError, _AutobahnDisconnected)


def _peek_type(text):
    """The frame's type without raising (the frame was already answered)."""
    try:
        data = json.loads(text) if text else None
    except ValueError:
        return None
    return data.get("type") if isinstance(data, dict) else None


def _over_limit(text_data, bytes_data, limit):
    """Is the frame larger than ``limit`` bytes (0: no limit)?

    Text is encoded only when its length alone cannot tell.
    """
    if not limit:
        return False
    if bytes_data is not None:
        return len(bytes_data) > limit
    if text_data is None or len(text_data) * 4 <= limit:
        return False  # UTF-8 needs at most 4 bytes a character
    return len(text_data) > limit or len(text_data.encode("utf-8")) > limit


def _close_reason(message):
    """A close frame's reason: at most 123 bytes of UTF-8 (RFC 6455)."""
    return str(message).encode("utf-8")[:123].decode("utf-8", "ignore")


def _fitting(messages, limit):
    """The first of ``messages`` (at least one) whose ``messages`` frame
    stays within ``limit`` bytes (0: all), encoded as ``send_json`` does."""
    if not limit:
        return messages
    size = 200  # the frame around them
    for count, message in enumerate(messages):
        size += len(json.dumps(message)) + 2
        if size > limit and count:
            return messages[:count]
    return messages


def _profile(visitor):
    return {"name": visitor.name, "email": visitor.email, "phone": visitor.phone}


class _ThrottledLog:
    """Log a repeated event at most once a minute per key, not per occurrence.

    A flood of refused sockets, or every frame meeting a database outage,
    would otherwise write a record each. The occurrences in between are
    counted and the count goes with the next record.
    """

    every = 60.0
    most_keys = 10_000  # a flood from many addresses forgets the oldest

    def __init__(self):
        self.logged_at = {}
        self.unlogged = Counter()

    def due(self, key):
        """None: only count this one; else how many went unlogged before it."""
        now = time.monotonic()
        last = self.logged_at.get(key)
        if last is not None and now - last < self.every:
            self.unlogged[key] += 1
            return None
        if len(self.logged_at) >= self.most_keys:
            self.logged_at.clear()
            self.unlogged.clear()
        self.logged_at[key] = now
        return self.unlogged.pop(key, 0)


_throttled = _ThrottledLog()


class _Refused(Exception):
    """Authentication failed: send the error frame, then close the socket."""

    def __init__(self, code, message, close_code):
        super().__init__(message)
        self.code = code
        self.message = message
        self.close_code = close_code


class _LivechatConsumer(AsyncJsonWebsocketConsumer):
    """What both endpoints share: frame parsing, error handling, groups."""

    frame_types = frozenset()
    greeted = False
    # Set before anything is sent back: a refused socket dispatches nothing,
    # not even the frames a client pipelined behind its handshake.
    refused = False
    _ip_counted = False
    _parts_sent = 0  # frames sent in parts on this socket: each one's id
    _sending = None  # asyncio.Lock: a frame's parts go out with nothing between

    async def send_json(self, content, close=False):
        """Send a frame; one over LIVECHAT_MAX_SENT_FRAME_BYTES goes in parts."""
        await self._send_text(await self.encode_json(content), close)

    async def _send_text(self, text, close=False):
        """Send an encoded frame, in parts when it is over the limit.

        WebSocket servers refuse to send a message over their limit (daphne:
        1 MiB) and the client would never learn of it. The text is ASCII
        (``encode_json`` escapes the rest), so its length is its size. Every
        frame of the socket goes through here, under one lock, so no frame
        slips between the parts of another.
        """
        if self._sending is None:
            self._sending = asyncio.Lock()
        limit = app_settings.MAX_SENT_FRAME_BYTES
        async with self._sending:
            if not limit or len(text) <= limit:
                await self.send(text_data=text, close=close)
                return
            self._parts_sent += 1
            parts = protocol.frame_parts(text, limit, self._parts_sent)
            logger.info(
                "livechat: a frame of %d bytes sent in %d parts", len(text), len(parts)
            )
            for part in parts:
                await self.send(text_data=await self.encode_json(part))
            if close:
                await self.close()

    async def connect(self):
        """Runs when the WebSocket handshake arrives: check it, accept, await hello.

        A page of another site is refused at the handshake (HTTP 403); a
        client over its number of sockets is accepted only to be told why.
        """
        self.groups_joined = set()
        self.greeted = False
        self.ip = client_ip(self.scope)
        if not admission.origin_allowed(self.scope):
            self.refused = True
            unlogged = _throttled.due(("origin", self.endpoint, self.ip))
            if unlogged is not None:
                security_logger.warning(
                    "livechat: refused %s socket from %s, origin %r (%d more "
                    "since the last report)",
                    self.endpoint,
                    self.ip,
                    dict(self.scope.get("headers") or []).get(b"origin", b"")[:200],
                    unlogged,
                )
            await self.close()
            return
        await self.accept()
        if not admission.sockets_per_ip.take(self.ip):
            await self._refuse(
                _Refused(
                    "too_many_connections",
                    _("Too many chat connections from your network. Try again later."),
                    protocol.CLOSE_TOO_MANY_CONNECTIONS,
                )
            )
            return
        self._ip_counted = True
        self._hello_timer = asyncio.get_running_loop().call_later(
            app_settings.HELLO_TIMEOUT, self._hello_timed_out
        )

    async def disconnect(self, code):
        """Runs when the socket closes, however it closed: leave every group."""
        timer = getattr(self, "_hello_timer", None)
        if timer is not None:
            timer.cancel()
        self._release_counts()
        for group in list(getattr(self, "groups_joined", ())):
            await self._leave(group)

    def _release_counts(self):
        """Give back this socket's place under the caps (once; idempotent)."""
        if self._ip_counted:
            self._ip_counted = False
            admission.sockets_per_ip.release(self.ip)

    def _hello_timed_out(self):
        if not self.greeted:
            asyncio.ensure_future(
                self._refuse(
                    _Refused(
                        "hello_required",
                        _("No hello received."),
                        protocol.CLOSE_HELLO_TIMEOUT,
                    )
                )
            )

    async def receive(self, text_data=None, bytes_data=None):
        """Runs for every frame from the client: parse, dispatch, answer errors."""
        if self.refused:
            return
        limit = app_settings.MAX_FRAME_BYTES
        if _over_limit(text_data, bytes_data, limit):
            await self._refuse(
                _Refused(
                    "too_large",
                    _("Frames are limited to %(limit)d bytes.") % {"limit": limit},
                    protocol.CLOSE_FRAME_TOO_LARGE,
                )
            )
            return
        client_id = kind = None
        try:
            data = protocol.parse_frame(text_data, self.frame_types)
            kind = data["type"]
            if kind in ("message", "offline_message"):
                client_id = data.get("client_id")
                client_id = client_id if isinstance(client_id, str) else None
            if kind != "hello" and not self.greeted:
                raise FrameError("hello_required", _("Say hello first."))
            await getattr(self, "on_" + kind)(data)
        except _Refused as refused:
            await self._refuse(refused)
        except FrameError as exc:
            logger.info(
                "livechat: refused frame from %s: %s", self.channel_name, exc.code
            )
            await self._send_error(
                kind,
                protocol.error_frame(exc.code, exc.message, exc.client_id or client_id),
            )
        except ServiceError as exc:
            await self._send_error(
                kind, protocol.error_frame(exc.code, exc.message, client_id)
            )
        except RateLimited as exc:
            # Once a minute per limit and address: a client pipelining
            # frames past a limit would otherwise write a record each.
            unlogged = _throttled.due(("rate", exc.action, self.endpoint, self.ip))
            if unlogged is not None:
                security_logger.warning(
                    "livechat: %s rate limit hit on %s socket from %s (%d more "
                    "since the last report)",
                    exc.action,
                    self.endpoint,
                    self.ip,
                    unlogged,
                )
            frame = protocol.error_frame(
                "rate_limited", exc.message, client_id, retriable=True
            )
            frame["retry_after"] = exc.retry_after
            await self._send_error(kind, frame)
        except InvalidProfile as exc:
            await self._send_error(
                kind,
                protocol.error_frame(
                    "invalid",
                    _("Please check the highlighted fields."),
                    client_id,
                    fields=exc.fields,
                ),
            )
        except (OperationalError, InterfaceError, DatabaseError):
            unlogged = _throttled.due("database")
            if unlogged is not None:
                logger.exception(
                    "livechat: database unavailable (%d more failures since the "
                    "last report)",
                    unlogged,
                )
            await self._send_error(
                kind,
                protocol.error_frame(
                    "unavailable",
                    _("The chat is briefly unavailable; we will retry."),
                    client_id,
                    retriable=True,
                ),
            )
        except Exception:
            logger.exception("livechat: unexpected error handling a frame")
            await self._send_error(
                kind,
                protocol.error_frame(
                    "server_error",
                    _("Something went wrong; we will retry."),
                    client_id,
                    retriable=True,
                ),
            )

    async def _send_error(self, kind, frame):
        """Answer a refused frame; ``for`` names the frame type it answers, so
        a client can end what it was waiting for (a search, a page)."""
        if kind is not None:
            frame["for"] = kind
        await self.send_json(frame)

    async def __call__(self, scope, receive, send):
        """Runs once per socket: a send to a client that left is not an error.

        Frames published while the client was closing would otherwise raise
        (daphne: autobahn's ``Disconnected``) and end the consumer before
        ``disconnect`` runs, leaving the socket counted: an agent "online"
        after closing the console until the heartbeat expired.
        """

        async def send_unless_gone(message):
            try:
                await send(message)
            except _CLIENT_GONE:
                logger.debug("livechat: %s socket gone before a send", self.endpoint)

        try:
            return await super().__call__(scope, receive, send_unless_gone)
        finally:
            # A consumer that ended on an exception (in connect, say) never
            # ran disconnect: its sockets must not count for ever.
            self._release_counts()

    async def dispatch(self, message):
        """Runs for every frame and group event: call its handler.

        Channels' own dispatch first hops to the database thread to close
        stale connections, for every event to every socket (a broadcast to a
        hundred consoles queued a hundred hops). Every database call here goes
        through ``db_call``, which closes them around the call itself.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def livechat_event(self, event):
        """Runs when services publish to a group this socket joined: forward it."""
        if "text" in event:  # encoded once for every socket (outbox)
            await self._send_text(event["text"])
        else:
            await self.send_json(event["frame"])

    async def on_ping(self, data):
        await self.send_json({"type": "pong"})

    async def _refuse(self, refused):
        """Tell the client why, close the socket, and dispatch nothing more."""
        if self.refused:
            return
        self.refused = True
        timer = getattr(self, "_hello_timer", None)
        if timer is not None:
            timer.cancel()
        unlogged = _throttled.due((refused.code, self.endpoint, self.ip))
        if unlogged is not None:
            security_logger.warning(
                "livechat: refused %s socket from %s (%s): %s (%d more since the "
                "last report)",
                self.endpoint,
                self.ip,
                refused.code,
                refused.message,
                unlogged,
            )
        try:
            await self.send_json(protocol.error_frame(refused.code, refused.message))
            try:
                await self.close(
                    code=refused.close_code, reason=_close_reason(refused.message)
                )
            except _CLIENT_GONE:
                raise
            except Exception:
                # daphne lets an application close with 1000 or 3000-4999
                # only (1009 comes from the server itself): close plainly.
                await self.close()
        except Exception:  # the client may already be gone
            logger.debug("livechat: could not close refused socket", exc_info=True)

    def _check_version(self, data):
        version = data.get("v", protocol.PROTOCOL_VERSION)
        if version != protocol.PROTOCOL_VERSION:
            raise _Refused(
                "unsupported_version",
                _("Protocol version %(v)s is not supported.") % {"v": version},
                protocol.CLOSE_UNSUPPORTED_VERSION,
            )

    def _greeted(self):
        self.greeted = True
        if getattr(self, "_hello_timer", None) is not None:
            self._hello_timer.cancel()

    async def _join(self, group):
        if group not in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.add(group)

    async def _leave(self, group):
        self.groups_joined.discard(group)
        try:
            await self.channel_layer.group_discard(group, self.channel_name)
        except Exception:
            logger.warning("livechat: group_discard %s failed", group, exc_info=True)

    async def _send_replay(self, conversation, after_seq, before_seq=None):
        messages, more = await self._messages_after(conversation, after_seq, before_seq)
        # The widget reads no frame in parts: a page past the limit ends
        # early, and the client fetches the rest as for any page (``more``).
        fitting = _fitting(messages, app_settings.MAX_SENT_FRAME_BYTES)
        if len(fitting) < len(messages):
            messages, more = fitting, True
        await self.send_json(protocol.messages_frame(conversation.pk, messages, more))

    @db_call
    def _messages_after(self, conversation, after_seq, before_seq):
        messages, more = services.messages_after(conversation, after_seq, before_seq)
        return presentation.messages_data(messages), more
