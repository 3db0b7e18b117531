"""The fast path when PostgreSQL refuses new connections: a retriable error.

In process (WebsocketCommunicator): the fast path's connections fail as
they do while PostgreSQL restarts, while the ORM's connection stays up.
"""

import asyncio
import logging
import time

import psycopg
import pytest
from channels.db import database_sync_to_async

from livechat.models import Message
from livechat.services import statement_connections

from ..conftest import answered_chat

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgresql_only"),
]

db = database_sync_to_async
FRAMES = 10
RECOVERY_SECONDS = 10  # how long a client may retry before the fast path is back


async def _answered_chat(visitor_client, agent_client, agent):
    """A chat an agent answered whose fast path has connected once."""
    shopper, _console, conversation = await answered_chat(
        visitor_client, agent_client, agent
    )
    await shopper.send(type="message", client_id="v2", body="Warm")
    await shopper.expect("ack", client_id="v2")  # the fast path, connected
    return shopper, conversation


@pytest.fixture
def outage(monkeypatch):
    """PostgreSQL refuses the fast path's new connections until ``end()``."""
    real = statement_connections._connect

    async def refused():
        raise psycopg.OperationalError(
            "connection failed: FATAL:  the database system is starting up"
        )

    class Outage:
        async def start(self):
            monkeypatch.setattr(statement_connections, "_connect", refused)
            # The pooled connections went with the server.
            await statement_connections.close_connections()

        def end(self):
            monkeypatch.setattr(statement_connections, "_connect", real)

    return Outage()


def _outage_records(caplog):
    return [
        record
        for record in caplog.records
        if record.name.startswith("livechat") and record.levelno >= logging.WARNING
    ]


async def test_an_outage_answers_unavailable_logs_once_and_the_retry_is_stored_once(
    visitor_client, agent_client, agent, outage, caplog
):
    """PostgreSQL refuses the fast path's connections (``_connect`` raises
    psycopg.OperationalError) while a shopper writes in an answered chat.
    Expected: each message gets the error frame ``unavailable``, ``retriable:
    true`` with its client id (not ``server_error``); eleven such frames log
    one warning or error at most on the ``livechat`` loggers; once PostgreSQL
    is back, the client's retry of the same client id is acked and stored once.
    """
    shopper, conversation = await _answered_chat(visitor_client, agent_client, agent)
    caplog.set_level(logging.INFO, logger="livechat")
    caplog.clear()
    await outage.start()

    await shopper.send(type="message", client_id="v3", body="Are you there?")
    error = await shopper.expect("error", client_id="v3")
    assert error["code"] == "unavailable", error
    assert error["retriable"] is True
    for n in range(FRAMES):
        await shopper.send(type="message", client_id=f"flood{n}", body=f"Hello {n}")
    for n in range(FRAMES):
        error = await shopper.expect("error", client_id=f"flood{n}")
        assert (error["code"], error["retriable"]) == ("unavailable", True), error
    logged = _outage_records(caplog)
    lines = [f"{r.name} {r.levelname}: {r.getMessage()}" for r in logged]
    assert len(logged) <= 1, f"{len(logged)} records: {lines[:3]}"

    outage.end()
    ack = await _retried_until_acked(shopper, "v3", "Are you there?")
    assert ack["duplicate"] is False
    assert ack["conversation"] == conversation
    stored = await db(Message.objects.filter(client_id="v3").count)()
    assert stored == 1


async def _retried_until_acked(shopper, client_id, body):
    """What the widget's outbox does: resend while the answer is retriable."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        await shopper.send(type="message", client_id=client_id, body=body)
        answer = await shopper.comm.receive_json_from(timeout=3)
        while answer.get("client_id") != client_id:
            answer = await shopper.comm.receive_json_from(timeout=3)
        if answer["type"] == "ack":
            return answer
        assert answer["type"] == "error" and answer["retriable"] is True, answer
        assert time.monotonic() < deadline, f"still refused after the outage: {answer}"
        await asyncio.sleep(0.2)
