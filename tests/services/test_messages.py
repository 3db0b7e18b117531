"""The write path: sequence numbers, idempotency, publish after commit."""

import threading
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, connections, transaction
from django.test import override_settings

from livechat import services, signals
from livechat.models import Conversation, Message, Visitor
from livechat.realtime import groups
from livechat.services import ServiceError

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def visitor():
    return Visitor.objects.create(key=uuid.uuid4(), name="Ann")


def test_first_message_opens_a_waiting_conversation(visitor):
    message, created = services.post_visitor_message(visitor, "Hi", "c1", topic="sales")
    assert created and message.seq == 1
    conversation = message.conversation
    assert conversation.status == "waiting" and conversation.topic == "sales"
    second, _ = services.post_visitor_message(visitor, "Anyone?", "c2")
    assert second.conversation_id == conversation.pk and second.seq == 2


def test_same_client_id_returns_the_stored_message(visitor):
    first, created = services.post_visitor_message(visitor, "Hi", "same")
    again, created_again = services.post_visitor_message(visitor, "Hi", "same")
    assert created and not created_again and again.pk == first.pk
    assert Message.objects.count() == 1


def test_retry_after_its_conversation_closed_is_not_stored_again(visitor, agent):
    first, _ = services.post_visitor_message(visitor, "Hi", "sent-once")
    services.close_conversation(first.conversation, closed_by=agent)
    again, created = services.post_visitor_message(visitor, "Hi", "sent-once")
    assert not created and again.pk == first.pk
    assert Conversation.objects.count() == 1


def test_an_agents_retry_is_acked_after_the_chat_closed(visitor, agent, make_agent):
    services.post_visitor_message(visitor, "Hi", "v1")
    conversation = Conversation.objects.get()
    first, created = services.post_agent_message(conversation, agent, "Hello!", "a1")
    services.close_conversation(conversation, closed_by=agent)
    again, created_again = services.post_agent_message(
        conversation, agent, "Hello!", "a1"
    )
    assert created and not created_again and again.pk == first.pk
    # Someone else's client id is no retry of theirs: refused as before.
    bob = make_agent("bob")
    with pytest.raises(ServiceError) as refused:
        services.post_agent_message(conversation, bob, "Hello!", "a1")
    assert refused.value.code == "conversation_closed"


def test_agent_first_reply_assigns_and_activates(visitor, agent):
    message, _ = services.post_visitor_message(visitor, "Hi", "c1")
    reply, _ = services.post_agent_message(message.conversation, agent, "Hello", "a1")
    conversation = Conversation.objects.get()
    assert conversation.status == "active" and conversation.assigned_agent == agent
    assert conversation.first_agent_reply_at == reply.created_at
    assert conversation.agent_read_seq == 2


# Without the reopen window (test_reopening has it): a new chat is new.
@override_settings(LIVECHAT_REOPEN_WINDOW=0)
def test_closed_conversation_refuses_replies_and_next_message_opens_new(visitor, agent):
    message, _ = services.post_visitor_message(visitor, "Hi", "c1")
    services.close_conversation(message.conversation, closed_by=agent)
    closed = Conversation.objects.get()
    assert closed.status == "closed" and closed.closed_at
    assert closed.messages.last().sender_kind == "system"
    with pytest.raises(ServiceError) as refused:
        services.post_agent_message(closed, agent, "late", "a1")
    assert refused.value.code == "conversation_closed"
    again, _ = services.post_visitor_message(visitor, "Back again", "c2")
    assert again.conversation_id != closed.pk and again.seq == 1


def test_close_twice_changes_nothing(visitor, agent):
    message, _ = services.post_visitor_message(visitor, "Hi", "c1")
    services.close_conversation(message.conversation)
    services.close_conversation(message.conversation)
    assert Message.objects.filter(sender_kind="system").count() == 1


def test_mark_read_sets_read_at_and_never_goes_back(visitor, agent):
    message, _ = services.post_visitor_message(visitor, "Hi", "c1")
    conversation = message.conversation
    services.post_agent_message(conversation, agent, "Hello", "a1")
    conversation.refresh_from_db()
    assert services.mark_read(conversation, "visitor", 2)
    assert not Message.objects.filter(sender_kind="agent", read_at=None).exists()
    assert not services.mark_read(conversation, "visitor", 1)
    conversation.refresh_from_db()
    assert conversation.visitor_read_seq == 2


def test_messages_after_pages_in_order(visitor):
    for n in range(5):
        services.post_visitor_message(visitor, f"m{n}", f"c{n}")
    conversation = Conversation.objects.get()
    batch, more = services.messages_after(conversation, 1, limit=2)
    assert [m.seq for m in batch] == [2, 3] and more
    batch, more = services.messages_after(conversation, 3, before_seq=5, limit=10)
    assert [m.seq for m in batch] == [4] and not more


def test_publish_waits_for_commit(visitor):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(groups.visitor_group(visitor.pk), channel)
    with transaction.atomic():
        services.post_visitor_message(visitor, "Hi", "c1")
        assert layer.channels.get(channel) is None or layer.channels[channel].empty()
    event = async_to_sync(layer.receive)(channel)
    assert event["frame"]["type"] in {"conversation", "message"}


def test_rolled_back_message_is_never_published(visitor):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(groups.visitor_group(visitor.pk), channel)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.post_visitor_message(visitor, "Hi", "c1")
        raise RuntimeError("rollback")
    assert Message.objects.count() == 0
    assert layer.channels.get(channel) is None or layer.channels[channel].empty()


def test_signals_fire_after_commit(visitor, agent):
    seen = []

    def record(signal_name):
        def receiver(sender, **kwargs):
            seen.append(signal_name)

        return receiver

    receivers = {
        name: record(name)
        for name in ("message_posted", "conversation_opened", "conversation_assigned")
    }
    for name, receiver in receivers.items():
        getattr(signals, name).connect(receiver)
    try:
        message, _ = services.post_visitor_message(visitor, "Hi", "c1")
        services.post_agent_message(message.conversation, agent, "Yo", "a1")
    finally:
        for name, receiver in receivers.items():
            getattr(signals, name).disconnect(receiver)
    assert seen.count("message_posted") == 2
    assert seen.count("conversation_opened") == 1
    assert seen.count("conversation_assigned") == 1


def test_failing_group_send_never_loses_the_message(visitor, monkeypatch, caplog):
    layer = get_channel_layer()

    async def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(layer, "group_send", broken)
    message, created = services.post_visitor_message(visitor, "Hi", "c1")
    assert created and Message.objects.filter(pk=message.pk).exists()
    assert "group_send" in caplog.text


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs real concurrent transactions"
)
def test_concurrent_senders_get_unique_gapless_sequence_numbers(visitor, agent):
    first, _ = services.post_visitor_message(visitor, "start", "start")
    conversation = first.conversation
    services.post_agent_message(conversation, agent, "hello", "hello")
    errors = []

    def send(worker):
        try:
            for n in range(15):
                if worker % 2:
                    services.post_visitor_message(
                        visitor, f"v{worker}-{n}", f"v{worker}-{n}"
                    )
                else:
                    services.post_agent_message(
                        conversation, agent, f"a{worker}-{n}", f"a{worker}-{n}"
                    )
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    seqs = list(Message.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 8 * 15 + 3))
    conversation.refresh_from_db()
    assert conversation.last_seq == len(seqs)


def test_logging_in_keeps_the_anonymous_conversation(django_user_model):
    anonymous = Visitor.objects.create(key=uuid.uuid4())
    services.post_visitor_message(anonymous, "Hi", "c1")
    user = django_user_model.objects.create_user("carla", email="c@example.com")
    visitor = services.visitor_for_user(user, anonymous_key=anonymous.key)
    assert visitor.pk == anonymous.pk and visitor.user == user
    assert visitor.email == "c@example.com"
    # Later logins on other devices find the same visitor.
    assert services.visitor_for_user(user, anonymous_key=uuid.uuid4()).pk == visitor.pk


def test_another_users_visitor_is_never_adopted(django_user_model):
    owner = django_user_model.objects.create_user("owner")
    owned = services.visitor_for_user(owner)
    thief = django_user_model.objects.create_user("thief")
    assert services.visitor_for_user(thief, anonymous_key=owned.key).pk != owned.pk
