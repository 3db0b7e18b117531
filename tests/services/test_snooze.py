"""Snoozed chats: set aside until the shopper answers."""

import pytest

from livechat import events, services
from livechat.services import ServiceError

from .workspace import answered, chat, fresh, supervisor

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def snoozes():
    seen = []
    events.listen(events.ConversationSnoozed)(seen.append)
    yield seen
    events._listeners[events.ConversationSnoozed].pop()


def test_the_shoppers_next_message_wakes_it(agent, snoozes):
    conversation = answered(agent)
    _conversation, changed = services.snooze_conversation(conversation, agent)
    assert changed and fresh(conversation).snoozed_at is not None
    # Snoozing it again changes nothing.
    assert services.snooze_conversation(conversation, agent)[1] is False
    services.post_visitor_message(conversation.visitor, "Here is the photo", "v2")
    assert fresh(conversation).snoozed_at is None
    assert [(e.snoozed, e.by) for e in snoozes] == [(True, agent), (False, None)]


def test_the_agent_wakes_it_and_closing_forgets_it(agent):
    conversation = answered(agent)
    services.snooze_conversation(conversation, agent)
    assert services.snooze_conversation(conversation, agent, on=False)[1]
    assert fresh(conversation).snoozed_at is None
    services.snooze_conversation(conversation, agent)
    services.close_conversation(conversation, closed_by=agent)
    assert fresh(conversation).snoozed_at is None


def test_snoozed_chats_are_counted_apart(agent):
    conversation = answered(agent)
    answered(agent, "other")
    services.snooze_conversation(conversation, agent)
    counts = services.inbox_counts(agent)
    assert counts["mine"] == 2 and counts["snoozed"] == 1
    summaries, _cursor = services.inbox_page(agent, "mine")
    assert {s["id"]: s["snoozed"] for s in summaries}[conversation.pk] is True


def test_refusals(agent, make_agent):
    waiting = chat()
    with pytest.raises(ServiceError) as refused:
        services.snooze_conversation(waiting, agent)
    assert refused.value.code == "not_assigned"
    conversation = answered(agent)
    with pytest.raises(ServiceError) as refused:
        services.snooze_conversation(conversation, make_agent("bob"))
    assert refused.value.code == "forbidden"
    assert services.snooze_conversation(conversation, supervisor())[1]
    services.close_conversation(conversation)
    with pytest.raises(ServiceError) as refused:
        services.snooze_conversation(conversation, agent)
    assert refused.value.code == "conversation_closed"
