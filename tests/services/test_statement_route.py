"""The statement route of livechat.services.messages: messages in quiet chats,
stored by one statement from the event loop.

On PostgreSQL only (the route's one database). tests/services/test_message_routes.py
runs every message scenario on both routes and compares the frames.
"""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from livechat import presentation, ratelimit, services, signals
from livechat.conf import app_settings
from livechat.models import Conversation, Message, Visitor
from livechat.services import offline, statement_connections
from livechat.services.messages import statement_route

from ..conftest import answered_chat, new_token

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgresql_only"),
]

db = database_sync_to_async


@pytest.fixture
def calls(database_calls):
    return database_calls


async def _message(client, seq):
    """The live ``message`` frame of ``seq`` (earlier ones are skipped)."""
    while True:
        message = (await client.expect("message"))["message"]
        if message["seq"] == seq:
            return message


def _stored_frame(message_id):
    message = Message.objects.select_related("author__livechat_profile").get(
        pk=message_id
    )
    return presentation.message_data(message)


async def test_visitor_message_in_an_answered_chat_takes_one_statement(
    visitor_client, agent_client, agent, calls
):
    shopper, console, conversation = await answered_chat(
        visitor_client, agent_client, agent
    )
    calls.clear()
    await shopper.send(type="message", client_id="v2", body="Where is my parcel?")
    ack = await shopper.expect("ack", client_id="v2")
    assert calls == [], "no database thread for the common message"
    echoed = [
        f["message"]["seq"]
        for f in await shopper.drain(timeout=0.3)
        if f["type"] == "message"
    ]
    assert ack["seq"] not in echoed, "the sender has the ack: no echo"
    assert (ack["seq"], ack["duplicate"], ack["conversation"]) == (
        3,
        False,
        conversation,
    )
    live = await _message(console, ack["seq"])
    # Exactly the frame the ORM path builds from the stored row.
    assert live == await db(_stored_frame)(ack["id"])
    assert live["created"] == ack["created"]
    # A second tab of theirs: it gets the message (the first has the ack).
    other_tab = await visitor_client(token=shopper.token)
    await other_tab.expect("welcome")
    await shopper.send(type="message", client_id="v3", body="Hello again")
    again = await shopper.expect("ack", client_id="v3")
    assert (await _message(other_tab, again["seq"]))["body"] == "Hello again"
    stored = await db(Conversation.objects.get)(pk=conversation)
    assert (stored.last_seq, stored.visitor_read_seq, stored.agent_read_seq) == (
        4,
        4,
        2,
    )
    assert stored.last_message_at.isoformat() == again["created"]


async def test_agent_reply_in_own_chat_takes_one_statement(
    visitor_client, agent_client, agent, calls
):
    shopper, console, conversation = await answered_chat(
        visitor_client, agent_client, agent
    )
    calls.clear()
    await console.send(
        type="message", conversation=conversation, client_id="a2", body="On its way"
    )
    ack = await console.expect("ack", client_id="a2")
    assert calls == []
    live = await _message(shopper, ack["seq"])
    assert live == await db(_stored_frame)(ack["id"])
    assert live["author"]["name"] == "Alice"
    stored = await db(Conversation.objects.get)(pk=conversation)
    assert (stored.last_seq, stored.agent_read_seq) == (3, 3)


async def test_the_statement_stores_the_chats_language_with_the_message(
    visitor_client, agent_client, agent, calls
):
    shopper, console, conversation = await answered_chat(
        visitor_client, agent_client, agent
    )
    await db(Conversation.objects.filter(pk=conversation).update)(language="es")
    calls.clear()
    await shopper.send(type="message", client_id="v2", body="Mis zapatos rojos")
    visitor_ack = await shopper.expect("ack", client_id="v2")
    await console.send(
        type="message", conversation=conversation, client_id="a2", body="Enviados"
    )
    agent_ack = await console.expect("ack", client_id="a2")
    assert calls == [], "both took the statement"
    stored = await db(
        lambda: dict(
            Message.objects.filter(
                pk__in=[visitor_ack["id"], agent_ack["id"]]
            ).values_list("body", "language")
        )
    )()
    assert stored == {"Mis zapatos rojos": "es", "Enviados": "es"}
    found = await db(lambda: list(services.matching_conversations("zapato")))()
    assert [c.pk for c in found] == [conversation]


async def test_a_retry_is_stored_once_and_acked_as_duplicate(
    visitor_client, agent_client, agent
):
    shopper, console, conversation = await answered_chat(
        visitor_client, agent_client, agent
    )
    for _attempt in range(2):
        await shopper.send(type="message", client_id="v2", body="Twice?")
    first = await shopper.expect("ack", client_id="v2")
    again = await shopper.expect("ack", client_id="v2")
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    assert first["seq"] == again["seq"] == 3
    await console.send(
        type="message", conversation=conversation, client_id="a1", body="Hi!"
    )
    assert (await console.expect("ack", client_id="a1"))["duplicate"] is True
    bodies = await db(
        lambda: list(
            Message.objects.filter(conversation_id=conversation).values_list(
                "seq", "body"
            )
        )
    )()
    assert bodies == [(1, "Hello?"), (2, "Hi!"), (3, "Twice?")]


async def test_what_is_not_stored_here_gives_its_count_back(
    visitor_client, agent_client, agent
):
    """A retry the statement refuses (or a database error) costs no message
    of the shopper's limit."""
    shopper, _console, _conversation = await answered_chat(
        visitor_client, agent_client, agent
    )
    # A window of three years: this test never sees it turn over.
    with override_settings(LIVECHAT_RATE_LIMITS={"message": "3/100000000"}):
        for _attempt in range(3):
            await shopper.send(type="message", client_id="v2", body="Thrice?")
        for client_id in ("v3", "v4"):
            await shopper.send(type="message", client_id=client_id, body="More")
        acks = [await shopper.expect("ack") for _ in range(5)]
        assert [a["duplicate"] for a in acks] == [False, True, True, False, False]
        await shopper.send(type="message", client_id="v5", body="One too many")
        refused = await shopper.expect("error", client_id="v5")
        assert refused["code"] == "rate_limited"


async def test_everything_else_is_left_to_services(
    visitor_client, agent_client, agent, make_agent
):
    # A waiting chat: services (every console's queue shows its messages).
    shopper = await visitor_client(token=new_token()[1])
    await shopper.expect("welcome")
    await shopper.send(type="message", client_id="w1", body="Anyone?")
    waiting = (await shopper.expect("ack"))["conversation"]
    visitor = await db(lambda: Conversation.objects.get(pk=waiting).visitor)()
    assert await statement_route.visitor_statement(visitor, "x", "w2") is None
    # Someone else's chat, a first reply, a closed chat: services says why.
    _shopper, _console, conversation = await answered_chat(
        visitor_client, agent_client, agent
    )
    bob = await db(make_agent)("bob")
    reply = statement_route.agent_statement
    assert await reply(bob, conversation, "x", "b1", None) is None
    assert await reply(agent, waiting, "x", "b2", None) is None
    await db(Conversation.objects.filter(pk=conversation).update)(status="closed")
    assert await reply(agent, conversation, "x", "b3", None) is None
    counts = await db(
        lambda: sorted(Conversation.objects.values_list("last_seq", flat=True))
    )()
    assert counts == [1, 2], "nothing stored by a refused fast path"


async def test_a_rate_limit_refuses_without_storing(
    visitor_client, agent_client, agent
):
    shopper, _console, conversation = await answered_chat(
        visitor_client, agent_client, agent
    )
    visitor = await db(lambda: Conversation.objects.get(pk=conversation).visitor)()

    # The shopper's first message counted; their IP is at its limit.
    with override_settings(
        LIVECHAT_RATE_LIMITS={"message": "5/60", "message_ip": "1/60"}
    ):
        ratelimit.hit("message", visitor.pk, "10.0.0.1")
        with pytest.raises(ratelimit.RateLimited):
            await services.send_visitor_message(visitor, "Spam", "s1", ip="10.0.0.1")
    stored = await db(Conversation.objects.get)(pk=conversation)
    assert stored.last_seq == 2
    assert not await db(Message.objects.filter(client_id="s1").exists)()
    # Over the socket (two messages counted so far): one more goes through,
    # the next is refused, and the socket still works.
    with override_settings(LIVECHAT_RATE_LIMITS={"message": "3/60"}):
        await shopper.send(type="message", client_id="s2", body="One")
        await shopper.send(type="message", client_id="s3", body="Two")
        assert (await shopper.expect("ack"))["client_id"] == "s2"
        refused = await shopper.expect("error", client_id="s3")
        assert refused["code"] == "rate_limited" and refused["retriable"] is True
    assert not await db(Message.objects.filter(client_id="s3").exists)()


async def test_dropped_connections_are_replaced_and_an_outage_is_an_error(
    visitor_client, agent_client, agent
):
    shopper, _console, conversation = await answered_chat(
        visitor_client, agent_client, agent
    )
    await shopper.send(type="message", client_id="v2", body="Warm")
    await shopper.expect("ack", client_id="v2")
    # The server drops the pooled connections (a restart): the next message
    # goes through on a new one, the shopper sees nothing of it.
    assert await db(_terminate_fast_connections)() >= 1
    await shopper.send(type="message", client_id="v3", body="Still there?")
    assert (await shopper.expect("ack", client_id="v3"))["seq"] == 4
    # The database refuses connections: an error the widget retries on.
    await db(_terminate_fast_connections)()
    await db(_allow_connections)(False)
    try:
        await shopper.send(type="message", client_id="v4", body="Hello?")
        error = await shopper.expect("error", client_id="v4")
        assert error["code"] == "unavailable" and error["retriable"] is True
    finally:
        await db(_allow_connections)(True)
    # The client's retry goes through once.
    await shopper.send(type="message", client_id="v4", body="Hello?")
    ack = await shopper.expect("ack", client_id="v4")
    assert (ack["seq"], ack["duplicate"]) == (5, False)
    assert await db(Message.objects.filter(client_id="v4").count)() == 1


def _allow_connections(allowed):
    # From another database: PostgreSQL will not do it from the one changed.
    with connection._nodb_cursor() as cursor:
        name = connection.ops.quote_name(connection.settings_dict["NAME"])
        cursor.execute(
            f"ALTER DATABASE {name} ALLOW_CONNECTIONS {'true' if allowed else 'false'}"
        )


def _terminate_fast_connections():
    with connection._nodb_cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND application_name = %s",
            [connection.settings_dict["NAME"], statement_connections.APPLICATION_NAME],
        )
        return cursor.rowcount


async def test_listeners_and_absent_shoppers_are_still_served(
    visitor_client, agent_client, agent
):
    shopper, console, conversation = await answered_chat(
        visitor_client, agent_client, agent
    )
    heard, deferred = [], []

    def listener(sender, message, conversation, **kwargs):
        heard.append((message.body, conversation.pk, message.seq))
        # Loaded in full, as the ORM route's: a receiver reads any field.
        loaded = (message, conversation, conversation.visitor)
        deferred.append([sorted(m.get_deferred_fields()) for m in loaded])

    signals.message_posted.connect(listener)
    try:
        await shopper.send(type="message", client_id="v2", body="Heard?")
        await shopper.expect("ack", client_id="v2")
    finally:
        signals.message_posted.disconnect(listener)
    assert heard == [("Heard?", conversation, 3)]
    assert deferred == [[[], [], []]]

    # The shopper left their email, then their widget: once she has been gone
    # a while, the reply follows by email.
    await db(Visitor.objects.filter(conversations=conversation).update)(
        email="ann@example.com", live_sockets=0
    )
    mail.outbox.clear()
    await console.send(
        type="message", conversation=conversation, client_id="a2", body="Shipped!"
    )
    await console.expect("ack", client_id="a2")
    assert mail.outbox == []
    gone = timezone.now() + timedelta(seconds=app_settings.FOLLOWUP_ABSENCE_SECONDS)
    assert await db(offline.send_due_followups)(gone + timedelta(seconds=1)) == 1
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]
    assert "Shipped!" in mail.outbox[0].body


async def test_the_setting_turns_it_off(visitor_client, agent_client, agent, calls):
    shopper, _console, _conversation = await answered_chat(
        visitor_client, agent_client, agent
    )
    with override_settings(LIVECHAT_FAST_MESSAGES=False):
        calls.clear()
        await shopper.send(type="message", client_id="v2", body="The ORM way")
        ack = await shopper.expect("ack", client_id="v2")
    assert calls == ["post_visitor_message_from_socket"] and ack["seq"] == 3


async def test_a_failing_listener_never_costs_the_sender_their_ack(
    visitor_client, agent_client, agent, caplog
):
    shopper, _console, _conversation = await answered_chat(
        visitor_client, agent_client, agent
    )

    def broken(sender, **kwargs):
        raise RuntimeError("the host's hook is broken")

    signals.message_posted.connect(broken)
    try:
        await shopper.send(type="message", client_id="v2", body="Hello")
        ack = await shopper.expect("ack", client_id="v2")
    finally:
        signals.message_posted.disconnect(broken)
    assert ack["seq"] == 3 and ack["duplicate"] is False
    failures = [r for r in caplog.records if r.name == "django.dispatch"]
    assert len(failures) == 1  # logged once, by send_robust
