"""HTTP and WebSocket clients that talk to the live shop like the browser does."""

import asyncio
import html
import json
import re
import uuid

import requests
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

RECEIVE_TIMEOUT = 5
HTTP_TIMEOUT = 10
VISITOR = "/ws/livechat/visitor/"
AGENT = "/ws/livechat/agent/"
_TOKEN = re.compile(r'\bdata-token="([^"]+)"')


def http_session():
    """A requests.Session that never goes through an HTTP proxy."""
    session = requests.Session()
    session.trust_env = False
    return session


def visitor_token(shop, session, path="/"):
    """The signed visitor token the widget on ``path`` would use.

    The session cookie keeps the visitor: the same ``session`` gets a token for
    the same visitor on every page.
    """
    response = session.get(shop.url(path), timeout=HTTP_TIMEOUT)
    response.raise_for_status()
    match = _TOKEN.search(response.text)
    assert match, f"no livechat widget (data-token) on {path}"
    return html.unescape(match.group(1))


def log_in_agent(shop, username="agent", password="agent-demo-pass"):  # noqa: S107
    """A requests.Session logged in through the admin login form (with CSRF)."""
    return _logged_in(shop, "/admin/login/", username, password, next="/admin/")


def log_in_customer(shop, username="customer", password="customer-demo-pass"):  # noqa: S107
    """A requests.Session of a shop customer, logged in on the shop's own form."""
    return _logged_in(shop, "/accounts/login/", username, password)


def _logged_in(shop, path, username, password, **fields):
    """A requests.Session that posted the login form at ``path`` (with CSRF)."""
    session = http_session()
    login_url = shop.url(path)
    session.get(login_url, timeout=HTTP_TIMEOUT).raise_for_status()
    response = session.post(
        login_url,
        data={
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "username": username,
            "password": password,
            **fields,
        },
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 302 and "sessionid" in session.cookies, (
        f"login of {username} at {path} failed: HTTP {response.status_code}"
    )
    return session


def cookie_header(session):
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def client_id():
    return str(uuid.uuid4())


class Socket:
    """One WebSocket to the live shop, with frame helpers.

    ``expect()`` keeps the frames it skips and searches them first next time,
    so tests need not know the order of independent broadcasts.
    """

    def __init__(self, connection):
        self.connection = connection
        self.pending = []
        self.parts = 0  # frames that came in parts (docs/protocol.md), joined

    async def _read(self):
        """The next frame, joined from its ``part`` frames when it came in parts."""
        frame = json.loads(await self.connection.recv())
        if frame.get("type") != "part":
            return frame
        data = [frame["data"]]
        assert frame["index"] == 0, frame
        while len(data) < frame["count"]:
            part = json.loads(await self.connection.recv())
            assert part["type"] == "part" and part["id"] == frame["id"], part
            assert part["index"] == len(data), part
            data.append(part["data"])
        self.parts += 1
        return json.loads("".join(data))

    @classmethod
    async def open(cls, shop, path, *, cookies=None, origin=None):
        headers = {"Cookie": cookies} if cookies else None
        connection = await connect(
            shop.ws_url + path,
            origin=origin if origin is not None else shop.origin,
            additional_headers=headers,
            proxy=None,
            open_timeout=RECEIVE_TIMEOUT,
            close_timeout=2,
            ping_interval=None,
        )
        return cls(connection)

    async def send(self, **frame):
        await self.connection.send(json.dumps(frame))

    async def receive(self, timeout=RECEIVE_TIMEOUT):
        async with asyncio.timeout(timeout):
            return await self._read()

    async def expect(self, kind, timeout=RECEIVE_TIMEOUT, **match):
        """The first frame of type ``kind`` whose fields equal ``match``."""
        return await self.expect_where(
            lambda frame: (
                frame["type"] == kind
                and all(frame.get(key) == value for key, value in match.items())
            ),
            timeout=timeout,
            what=f"{kind} {match}",
        )

    async def expect_where(self, test, timeout=RECEIVE_TIMEOUT, what="a frame"):
        for index, frame in enumerate(self.pending):
            if test(frame):
                return self.pending.pop(index)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    frame = await self._read()
                    if test(frame):
                        return frame
                    self.pending.append(frame)
        except TimeoutError:
            raise AssertionError(
                f"no {what} within {timeout}s; got instead: {self.pending}"
            ) from None

    async def drain(self, seconds=0.3):
        """Every frame that arrives within ``seconds``, plus those kept before."""
        frames, self.pending = self.pending, []
        try:
            async with asyncio.timeout(seconds):
                while True:
                    frames.append(await self._read())
        except TimeoutError:
            pass
        return frames

    async def post(self, body, **extra):
        """Send a message frame and return its ack (raise on an error frame)."""
        cid = extra.pop("client_id", None) or client_id()
        await self.send(type="message", client_id=cid, body=body, **extra)
        answer = await self.expect_where(
            lambda f: f["type"] in {"ack", "error"} and f.get("client_id") == cid,
            what=f"ack of {cid}",
        )
        assert answer["type"] == "ack", answer
        return answer

    async def replay(self, conversation):
        """Every message of the ``messages`` frames that answer a resume."""
        messages = []
        while True:
            frame = await self.expect("messages", conversation=conversation)
            messages.extend(frame["messages"])
            if not frame["more"] or not frame["messages"]:
                return messages
            await self.send(
                type="fetch",
                conversation=conversation,
                after_seq=frame["messages"][-1]["seq"],
            )

    def abort(self):
        """Drop the TCP connection with no close frame, like a lost network."""
        self.connection.transport.abort()

    async def close(self):
        await self.connection.close()

    async def closed(self, timeout=RECEIVE_TIMEOUT):
        """Read until the server closes the socket; its Close (None: no frame).

        Frames read on the way are kept in ``pending``. A connection that
        stays open past ``timeout`` fails the test.
        """
        try:
            async with asyncio.timeout(timeout):
                while True:
                    self.pending.append(await self._read())
        except ConnectionClosed as closed:
            return closed.rcvd
        except TimeoutError:
            raise AssertionError(
                f"the server kept the socket open for {timeout}s; "
                f"frames: {self.pending}"
            ) from None

    async def close_code(self, timeout=RECEIVE_TIMEOUT):
        """Read until the server closes the socket; return its close code."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    self.pending.append(await self._read())
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


class Pipelined:
    """What the server answered a pipelined connection (see ``pipelined``)."""

    def __init__(self):
        self.status = None  # the handshake's HTTP status
        self.frames = []  # the JSON frames received
        self.close = None  # the server's Close; None if it dropped without one


async def pipelined(shop, path, frames, *, cookies=None, timeout=RECEIVE_TIMEOUT):
    """Send ``frames`` in one write as soon as the handshake's answer arrives.

    What an attacker's own client does and the websockets library will not:
    the frames go out whatever else the server sends after its 101 (an error,
    a close), so they are queued behind whatever it decides when the socket
    connects. (daphne loses bytes sent with the upgrade request itself, so the
    101 is the earliest point.) Reads until the server closes; a connection
    still open after ``timeout`` fails the test.
    """
    protocol = ClientProtocol(parse_uri(shop.ws_url + path), origin=shop.origin)
    request = protocol.connect()
    if cookies:
        request.headers["Cookie"] = cookies
    protocol.send_request(request)
    payload = b"".join(
        Frame(
            Opcode.TEXT, (f if isinstance(f, str) else json.dumps(f)).encode()
        ).serialize(mask=True)
        for f in frames
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", shop.port)
    answer = Pipelined()
    try:
        writer.write(b"".join(protocol.data_to_send()))
        async with asyncio.timeout(timeout):
            while answer.close is None:
                data = await reader.read(65536)
                if not data:
                    break  # dropped with no close frame
                protocol.receive_data(data)
                for event in protocol.events_received():
                    if isinstance(event, Response):
                        answer.status = event.status_code
                        if answer.status == 101:
                            writer.write(payload)
                    elif event.opcode is Opcode.TEXT:
                        answer.frames.append(json.loads(event.data))
                    elif event.opcode is Opcode.CLOSE:
                        answer.close = protocol.close_rcvd
                if answer.status is not None and answer.status != 101:
                    break
    except TimeoutError:
        raise AssertionError(
            f"the server kept the connection open for {timeout}s; "
            f"status {answer.status}, frames: {answer.frames}"
        ) from None
    finally:
        writer.close()
    return answer


def unavailable(what, message):
    """Skip loudly on a laptop; fail in CI, where every service must be there."""
    import sys

    import pytest

    from tests.services_env import IN_CI

    if IN_CI:
        pytest.fail(f"{what}: {message}", pytrace=False)
    print(f"\n*** SKIPPED: {message} ***\n", file=sys.stderr)
    pytest.skip(f"*** SKIPPED: {message} ***")


def message_frames(frames, conversation):
    """The messages of ``conversation`` among received ``message`` frames."""
    return [
        frame["message"]
        for frame in frames
        if frame["type"] == "message"
        and frame["message"]["conversation"] == conversation
    ]
