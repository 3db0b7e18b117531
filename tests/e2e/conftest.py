"""Fixtures of the end-to-end tests: the shop under daphne and socket clients."""

import pytest

from .clients import Socket, cookie_header, http_session, log_in_agent, visitor_token
from .live import shared_live_shop


@pytest.fixture(scope="session")
def live_shop(request, tmp_path_factory):
    """example_shop under daphne on a fresh database (see tests/e2e/live.py)."""
    yield from shared_live_shop(request, tmp_path_factory)


@pytest.fixture(scope="session")
def agent_http(live_shop):
    """The demo agent (Alice from Support), logged in once per session."""
    return log_in_agent(live_shop)


@pytest.fixture
def open_visitor(live_shop, sockets):
    """Connect a visitor socket and say hello; returns it after ``welcome``.

    ``session`` is the visitor's browser: a fresh one makes a new visitor.
    """

    async def open_visitor(session=None, token=None, **hello):
        session = session or http_session()
        token = token or visitor_token(live_shop, session)
        socket = await Socket.open(live_shop, "/ws/livechat/visitor/")
        sockets.append(socket)
        await socket.send(type="hello", v=1, token=token, **hello)
        socket.welcome = await socket.expect("welcome")
        socket.session, socket.token = session, token
        return socket

    return open_visitor


@pytest.fixture
def open_agent(live_shop, agent_http, sockets):
    """Connect the logged-in agent's socket; returns it after ``welcome``."""

    async def open_agent(http=None):
        socket = await Socket.open(
            live_shop, "/ws/livechat/agent/", cookies=cookie_header(http or agent_http)
        )
        sockets.append(socket)
        await socket.send(type="hello", v=1)
        socket.welcome = await socket.expect("welcome")
        return socket

    return open_agent
