import asyncio
import contextlib
import json
import os
import uuid
from pathlib import Path

import django
import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.db import connection, connections

import livechat
from livechat import ratelimit
from livechat.models import Attachment
from livechat.realtime import coalescing, database_threads
from livechat.routing import websocket_urlpatterns
from livechat.services import statement_connections
from livechat.tokens import make_visitor_token

from .services_env import IN_CI, redis_url

TIMEOUT = 3
# tests/oscar/ runs a stock django-oscar shop under its own settings
# (``pytest --ds tests.oscar.settings tests/oscar``): the main suite never
# imports Oscar, and an Oscar run collects nothing else.
OSCAR_TESTS = Path(__file__).resolve().parent / "oscar"
OSCAR_SETTINGS = "tests.oscar.settings"


def pytest_ignore_collect(collection_path, config):
    path = Path(collection_path).resolve()
    in_oscar = path == OSCAR_TESTS or OSCAR_TESTS in path.parents
    if os.environ.get("DJANGO_SETTINGS_MODULE") == OSCAR_SETTINGS:
        return None if in_oscar or path in OSCAR_TESTS.parents else True
    return True if in_oscar else None


def pytest_configure(config):
    """scripts/check-package runs the suite against the installed wheel: it names
    the virtualenv's site-packages, and a livechat imported from anywhere else
    (a checkout on the path) stops the run before any test."""
    expected = os.environ.get("LIVECHAT_TEST_INSTALLED_IN")
    found = Path(livechat.__file__).resolve()
    if expected and not found.is_relative_to(Path(expected).resolve()):
        raise pytest.UsageError(
            f"LIVECHAT_TEST_INSTALLED_IN={expected} but livechat is {found}"
        )


def pytest_report_header(config):
    """Which livechat and which Django the run tests."""
    return f"livechat: {Path(livechat.__file__).parent}, Django {django.get_version()}"


def _application():
    from channels.routing import URLRouter

    return URLRouter(websocket_urlpatterns)


@pytest.fixture
def make_agent(django_user_model):
    """Create a staff user allowed to answer chats."""

    def make(username="agent", **extra):
        user = django_user_model.objects.create_user(
            username=username, password="pw", is_staff=True, **extra
        )
        user.user_permissions.add(Permission.objects.get(codename="reply_conversation"))
        return django_user_model.objects.get(pk=user.pk)  # fresh perm cache

    return make


@pytest.fixture
def agent(make_agent):
    return make_agent("agent", first_name="Alice")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and cached availability never leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_socket_counts():
    """Sockets a test left open count against nobody in the next test."""
    from livechat.realtime.consumers import admission, base

    yield
    admission.sockets_per_ip.counts.clear()
    admission.sockets_per_visitor.counts.clear()
    base._throttled.logged_at.clear()
    base._throttled.unlogged.clear()


@pytest.fixture(autouse=True)
async def _fresh_channel_layer():
    """Each test starts with an empty in-memory layer (no stale groups)."""
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        await layer.flush()
    yield
    # What the process holds back for the next interval (coalesced inbox,
    # loads, availability) goes now, not into the next test's database.
    await coalescing.flush_pending()
    # Calls of consumers the test left running end before the tables are
    # emptied (a query mid-flight there deadlocks with the flush).
    await asyncio.to_thread(database_threads.shutdown_database_threads)
    await statement_connections.close_connections()
    await ratelimit.close_connections()
    # Consumers ran ORM work in sync_to_async's thread; close its connection so
    # the test database can be dropped at the end.
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def postgresql_only():
    """Skips (fails in CI) a test of what exists on PostgreSQL only (the
    statement route, the search indexes and plans) on another database."""
    if connection.vendor != "postgresql":
        message = "this runs on PostgreSQL only"
        if IN_CI:
            pytest.fail(f"CI=true and {message}: tests run on SQLite")
        pytest.skip(f"*** SKIPPED: {message} ***")


@pytest.fixture
def database_calls(monkeypatch):
    """What ran on the database threads (every ``db_call``), by function name."""
    from livechat.realtime import publishing

    seen = []
    real = publishing._collecting

    def collecting(box, func, *args, **kwargs):
        seen.append(getattr(func, "__name__", repr(func)))
        return real(box, func, *args, **kwargs)

    monkeypatch.setattr(publishing, "_collecting", collecting)
    return seen


@pytest.fixture
async def sockets():
    """Sockets a live-server test opened; whatever it leaves open is closed after."""
    opened = []
    yield opened
    for socket in opened:
        # Aborted on purpose, or the server went away: nothing left to close.
        with contextlib.suppress(Exception):
            await socket.close()


def new_token():
    key = uuid.uuid4()
    return key, make_visitor_token(key)


class Client:
    """A WebsocketCommunicator with frame helpers."""

    def __init__(self, path, user=None):
        # A browser on a page of the site: same scheme, host and port.
        headers = [(b"host", b"testserver"), (b"origin", b"http://testserver")]
        self.comm = WebsocketCommunicator(_application(), path, headers=headers)
        self.comm.scope.setdefault("client", ["127.0.0.1", 50000])
        if user is not None:
            self.comm.scope["user"] = user
        self.frames = []
        self.seen = []
        self.log = []  # every frame received, in order

    async def connect(self):
        connected, _ = await self.comm.connect(timeout=TIMEOUT)
        assert connected
        return self

    async def send(self, **frame):
        await self.comm.send_json_to(frame)

    async def send_raw(self, text=None, bytes_=None):
        await self.comm.send_to(text_data=text, bytes_data=bytes_)

    async def receive_raw(self):
        """The next frame as sent: a ``part`` stays a part."""
        frame = await self.comm.receive_json_from(timeout=TIMEOUT)
        self.log.append(frame)
        return frame

    async def receive(self):
        """The next frame, joined from its parts when it came in parts."""
        frame = await self.receive_raw()
        if frame["type"] != "part":
            return frame
        data = [frame["data"]]
        while len(data) < frame["count"]:
            part = await self.receive_raw()
            assert (part["type"], part["id"], part["index"]) == (
                "part",
                frame["id"],
                len(data),
            ), part
            data.append(part["data"])
        return json.loads("".join(data))

    async def expect(self, kind, **match):
        """Return the first frame of ``kind`` matching ``match``.

        Frames skipped on the way are kept and searched first next time, so
        tests need not know the order of independent broadcasts.
        """

        def matches(frame):
            return frame["type"] == kind and all(
                frame.get(k) == v for k, v in match.items()
            )

        for index, frame in enumerate(self.frames):
            if matches(frame):
                return self.frames.pop(index)
        while True:
            frame = await self.receive()
            if matches(frame):
                return frame
            self.frames.append(frame)

    async def expect_message(self, sender):
        """Receive until a live ``message`` frame from ``sender``."""
        while True:
            frame = await self.expect("message")
            if frame["message"]["sender"] == sender:
                return frame["message"]
            self.seen.append(frame)

    async def expect_state(self, status):
        """Receive until a ``conversation`` frame with ``status``."""
        while True:
            frame = await self.expect("conversation")
            if frame["conversation"]["status"] == status:
                return frame["conversation"]

    async def drain(self, timeout=0.3):
        """Every frame that arrives within ``timeout`` (plus those kept)."""
        frames = list(self.frames) + list(self.seen)
        self.frames.clear()
        while not await self.comm.receive_nothing(timeout=timeout):
            frames.append(await self.receive())
        return frames

    async def nothing(self):
        assert await self.comm.receive_nothing(timeout=0.2)

    async def closed_with(self):
        output = await self.comm.receive_output(timeout=TIMEOUT)
        while output["type"] != "websocket.close":
            output = await self.comm.receive_output(timeout=TIMEOUT)
        return output.get("code")

    async def disconnect(self):
        await self.comm.disconnect()


@pytest.fixture
def visitor_client():
    clients = []

    async def connect(token=None, **hello):
        client = await Client("/ws/livechat/visitor/").connect()
        clients.append(client)
        if token is not False:
            await client.send(type="hello", v=1, token=token or new_token()[1], **hello)
        return client

    yield connect


@pytest.fixture
def agent_client():
    async def connect(user, hello=True):
        client = await Client("/ws/livechat/agent/", user=user).connect()
        if hello:
            await client.send(type="hello", v=1)
        return client

    return connect


@pytest.fixture
def redis_layer_url():
    url = redis_url()
    if url is None:
        message = "Redis is not reachable at 127.0.0.1:6379"
        if IN_CI:
            pytest.fail(f"CI=true and {message}")
        pytest.skip(f"*** SKIPPED: {message} ***")
    return url


async def answered_chat(visitor_client, agent_client, agent):
    """A chat an agent answered once: (shopper, console, conversation id).

    The shopper's next message and the agent's next reply take the fast path.
    """
    token = new_token()[1]
    shopper = await visitor_client(token=token)
    shopper.token = token
    await shopper.expect("welcome")
    await shopper.send(type="message", client_id="v1", body="Hello?")
    conversation = (await shopper.expect("ack"))["conversation"]
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="open", conversation=conversation)
    await console.expect("opened")
    await console.send(
        type="message", conversation=conversation, client_id="a1", body="Hi!"
    )
    await console.expect("ack", client_id="a1")  # the first reply: services
    return shopper, console, conversation


def pdf_attachment(conversation):
    """A small PDF attached to ``conversation``, stored in the attachments' storage."""
    attachment = Attachment(
        conversation=conversation,
        original_name="receipt.pdf",
        content_type="application/pdf",
        extension=".pdf",
        size=4,
    )
    attachment.file = ContentFile(b"%PDF", name="x.pdf")
    attachment.save()
    return attachment


def pytest_itemcollected(item):
    """Under pytest-xdist (``make test``: ``-n 2 --dist loadgroup``) the tests
    that drive the live daphne shop (e2e, browser) run on one worker, which
    starts that shop once; the other files, each whole, share the second
    worker and whatever the first has left. Marked as each test is
    collected: xdist reads the marks in its own collection_modifyitems, which
    may run before any conftest's."""
    if item.get_closest_marker("e2e") or item.get_closest_marker("browser"):
        item.add_marker(pytest.mark.xdist_group("live"))
    else:
        # A file's tests stay together: its module fixtures are made once,
        # and never twice at once.
        item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))
