"""Closed chats opened again: by staff, or by the shopper within the window."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from livechat import events, services
from livechat.models import Conversation, Message
from livechat.services import ServiceError, housekeeping

from .workspace import answered, at_console, chat, fresh, supervisor

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reopens():
    seen = []
    events.listen(events.ConversationReopened)(seen.append)
    yield seen
    events._listeners[events.ConversationReopened].pop()


def _closed(agent):
    conversation = answered(agent)
    services.close_conversation(conversation, closed_by=agent, tag="order")
    return fresh(conversation)


def test_a_new_chat_within_the_window_continues_the_same_one(agent, reopens):
    at_console(agent)
    conversation = _closed(agent)
    last_seq = conversation.last_seq
    message, created = services.post_visitor_message(
        conversation.visitor, "One more thing", "again"
    )
    assert created and message.conversation_id == conversation.pk
    reopened = fresh(conversation)
    # Back to its agent, who is at the console with room.
    assert reopened.status == Conversation.Status.ACTIVE
    assert reopened.assigned_agent == agent
    assert reopened.closed_at is None and reopened.reopened_at is not None
    lines = list(
        Message.objects.filter(conversation=conversation, seq__gt=last_seq)
        .order_by("seq")
        .values_list("seq", "sender_kind", "body")
    )
    assert lines == [
        (last_seq + 1, "system", "The chat was reopened."),
        (last_seq + 2, "visitor", "One more thing"),
    ]
    assert [e.by for e in reopens] == [None]
    assert Conversation.objects.filter(visitor=conversation.visitor).count() == 1


def test_without_its_agent_it_waits(agent):
    conversation = _closed(agent)  # the agent never opened a console
    services.post_visitor_message(conversation.visitor, "Hello again", "again")
    reopened = fresh(conversation)
    assert reopened.status == Conversation.Status.WAITING
    assert reopened.assigned_agent is None


def test_past_the_window_or_disabled_a_new_chat_is_new(agent):
    conversation = _closed(agent)
    Conversation.objects.filter(pk=conversation.pk).update(
        closed_at=timezone.now() - timedelta(seconds=1801)
    )
    message, _ = services.post_visitor_message(conversation.visitor, "Hi", "a")
    assert message.conversation_id != conversation.pk
    other = _closed(agent)
    with override_settings(LIVECHAT_REOPEN_WINDOW=0):
        message, _ = services.post_visitor_message(other.visitor, "Hi", "b")
    assert message.conversation_id != other.pk


def test_a_new_chat_about_another_topic_is_a_new_one(agent):
    """The shopper picks a topic for the new chat: another subject than the
    closed chat's, so it is routed afresh; the same topic continues it."""
    conversation = _closed(agent)
    message, _ = services.post_visitor_message(
        conversation.visitor, "Where is my parcel?", "a", topic="order"
    )
    new = Conversation.objects.get(pk=message.conversation_id)
    assert new.pk != conversation.pk and new.topic == "order"
    services.close_conversation(new, closed_by=None)
    message, _ = services.post_visitor_message(
        conversation.visitor, "And another thing", "b", topic="order"
    )
    assert message.conversation_id == new.pk


def test_an_agent_reopens_and_takes_it(agent, make_agent, reopens):
    conversation = chat()
    services.close_conversation(conversation)  # closed while waiting
    bob = make_agent("bob", first_name="Bob")
    services.reopen_conversation(conversation, bob)
    reopened = fresh(conversation)
    assert reopened.status == Conversation.Status.ACTIVE
    assert reopened.assigned_agent == bob
    last = Message.objects.filter(conversation=conversation).order_by("-seq").first()
    assert last.sender_kind == "system" and last.body == "Bob reopened the chat."
    assert reopens[0].by == bob


def test_reopen_refusals(agent, make_agent):
    conversation = answered(agent)
    with pytest.raises(ServiceError) as refused:
        services.reopen_conversation(conversation, agent)
    assert refused.value.code == "conversation_open"
    services.close_conversation(conversation, closed_by=agent)
    # Another agent's closed chat is theirs to reopen, or a supervisor's.
    with pytest.raises(ServiceError) as refused:
        services.reopen_conversation(conversation, make_agent("bob"))
    assert refused.value.code == "forbidden"
    services.reopen_conversation(conversation, supervisor())
    # Its agent has no console: it waits.
    assert fresh(conversation).status == Conversation.Status.WAITING


def test_a_reopened_chat_is_missed_from_its_reopening():
    conversation = chat()
    services.close_conversation(conversation)
    long_ago = timezone.now() - timedelta(days=3)
    Conversation.objects.filter(pk=conversation.pk).update(created_at=long_ago)
    services.post_visitor_message(fresh(conversation).visitor, "back", "back")
    assert fresh(conversation).status == Conversation.Status.WAITING
    housekeeping.mark_missed()
    assert fresh(conversation).status == Conversation.Status.WAITING
    housekeeping.mark_missed(timezone.now() + timedelta(hours=1))
    assert fresh(conversation).status == Conversation.Status.MISSED
