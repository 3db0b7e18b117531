"""Tags on conversations: during the chat, at its close, after it."""

import pytest

from livechat import events, services
from livechat.models import Conversation, ConversationTag
from livechat.services import ServiceError

from .workspace import answered, chat, supervisor

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def changes():
    seen = []
    events.listen(events.ConversationTagsChanged)(seen.append)
    yield seen
    events._listeners[events.ConversationTagsChanged].pop()


def test_tags_go_on_and_off_an_open_chat_once_each(agent, changes):
    conversation = answered(agent)
    assert services.set_tag(conversation, "order", True, by=agent) == (["order"], True)
    assert services.set_tag(conversation, "return", True, by=agent) == (
        ["order", "return"],
        True,
    )
    # Again: nothing changes, nothing is announced.
    assert services.set_tag(conversation, "order", True, by=agent)[1] is False
    assert services.set_tag(conversation, "order", False, by=agent) == (
        ["return"],
        True,
    )
    assert services.set_tag(conversation, "order", False, by=agent)[1] is False
    assert [e.tags for e in changes] == [
        ("order",),
        ("order", "return"),
        ("return",),
    ]
    assert changes[0].by == agent


def test_only_known_tags(agent):
    conversation = answered(agent)
    with pytest.raises(ServiceError) as refused:
        services.set_tag(conversation, "vip<script>", True, by=agent)
    assert refused.value.code == "bad_frame"
    assert not ConversationTag.objects.exists()


def test_closing_with_a_tag_adds_it_and_closed_chats_take_tags(agent):
    conversation = answered(agent)
    services.set_tag(conversation, "question", True, by=agent)
    services.close_conversation(conversation, closed_by=agent, tag="order")
    closed = Conversation.objects.get(pk=conversation.pk)
    assert closed.close_tag == "order"
    assert services.tags_of(closed) == ["order", "question"]
    # After the close, as the agent files it.
    assert services.set_tag(closed, "complaint", True, by=agent)[0] == [
        "complaint",
        "order",
        "question",
    ]
    # Reports filter by tag on any database.
    assert list(
        Conversation.objects.filter(tags__tag="complaint").values_list("pk", flat=True)
    ) == [conversation.pk]


def test_who_may_tag(agent, make_agent):
    conversation = answered(agent)
    bob = make_agent("bob")
    with pytest.raises(ServiceError) as refused:
        services.set_tag(conversation, "order", True, by=bob)
    assert refused.value.code == "forbidden"
    # A supervisor manages any chat; anyone may tag a chat nobody has.
    assert services.set_tag(conversation, "order", True, by=supervisor())[1]
    assert services.set_tag(chat(), "order", True, by=bob)[1]
