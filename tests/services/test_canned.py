"""Saved replies managed from the console: an agent's own and shared ones."""

import pytest
from django.contrib.auth.models import Permission

from livechat import services
from livechat.models import CannedReply
from livechat.services import ServiceError, canned

from .workspace import answered, supervisor

pytestmark = pytest.mark.django_db(transaction=True)


def _refused(code, func, *args):
    with pytest.raises(ServiceError) as refused:
        func(*args)
    assert refused.value.code == code
    return refused.value


def test_an_agent_keeps_their_own_replies(agent, make_agent):
    mine = canned.save_reply(
        agent, {"shortcut": "/Size Guide", "body": " Our sizes run small. "}
    )
    assert (mine.owner, mine.shortcut, mine.title, mine.body) == (
        agent,
        "size-guide",
        "size-guide",
        "Our sizes run small.",
    )
    canned.save_reply(agent, {"title": "Sizes"}, mine.pk)
    assert CannedReply.objects.get(pk=mine.pk).title == "Sizes"
    bob = make_agent("bob")
    # Bob neither sees nor changes Alice's reply; he may have his own
    # /size-guide beside hers.
    assert canned.replies_for(bob) == []
    _refused("not_found", canned.save_reply, bob, {"title": "x"}, mine.pk)
    _refused("not_found", canned.delete_reply, bob, mine.pk)
    canned.save_reply(bob, {"shortcut": "size-guide", "body": "Bob's"})
    _refused(
        "duplicate", canned.save_reply, agent, {"shortcut": "size-guide", "body": "2"}
    )
    canned.delete_reply(agent, mine.pk)
    assert not CannedReply.objects.filter(pk=mine.pk).exists()


def test_shared_replies_are_for_supervisors_and_the_admins_permission(
    agent, make_agent
):
    _refused(
        "forbidden",
        canned.save_reply,
        agent,
        {"shortcut": "hours", "body": "9-5", "shared": True},
    )
    shared = canned.save_reply(
        supervisor(), {"shortcut": "hours", "body": "9-5", "shared": True}
    )
    assert shared.owner is None
    assert [r["shortcut"] for r in canned.replies_for(agent)] == ["hours"]
    _refused("forbidden", canned.save_reply, agent, {"body": "8-6"}, shared.pk)
    _refused("forbidden", canned.delete_reply, agent, shared.pk)
    editor = make_agent("editor")
    editor.user_permissions.add(Permission.objects.get(codename="change_cannedreply"))
    editor = type(editor).objects.get(pk=editor.pk)
    canned.save_reply(editor, {"body": "8-6"}, shared.pk)
    assert CannedReply.objects.get(pk=shared.pk).body == "8-6"
    _refused("forbidden", canned.delete_reply, editor, shared.pk)


def test_a_reply_from_a_sent_message_and_bad_fields(agent):
    conversation = answered(agent)
    message, _ = services.post_agent_message(
        conversation, agent, "Returns are free within 30 days.", "a1"
    )
    reply = canned.save_reply(agent, {"shortcut": "returns"}, from_message=message.pk)
    assert reply.body == "Returns are free within 30 days."
    error = _refused("invalid", canned.save_reply, agent, {"shortcut": "", "body": "x"})
    assert set(error.fields) == {"shortcut"}
    _refused("invalid", canned.save_reply, agent, {"shortcut": "a", "body": 3})
    _refused("not_found", canned.save_reply, agent, {"shortcut": "b"}, None, 99999)
    _refused(
        "not_found",
        canned.save_reply,
        agent,
        {"shortcut": "c", "body": "x", "department": 4242},
    )
