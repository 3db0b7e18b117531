"""People and chats the tests of tags, snoozing, reopening and saved replies use."""

import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from livechat import services
from livechat.models import Conversation, Visitor
from livechat.services import presence


def supervisor(username="boss"):
    """Staff who supervises and answers no chats."""
    user = get_user_model().objects.create_user(
        username=username, password="pw", is_staff=True, first_name="Boss"
    )
    user.user_permissions.add(Permission.objects.get(codename="supervise_conversation"))
    return get_user_model().objects.get(pk=user.pk)


def at_console(agent):
    """``agent`` with an open console, online."""
    presence.agent_connected(agent, f"console-{agent.pk}-{uuid.uuid4().hex[:6]}")
    return agent


def chat(body="Hi", visitor=None):
    """A shopper's waiting chat."""
    visitor = visitor or Visitor.objects.create(key=uuid.uuid4())
    message, _ = services.post_visitor_message(visitor, body, uuid.uuid4().hex)
    return Conversation.objects.get(pk=message.conversation_id)


def answered(agent, body="Hi"):
    """A chat ``agent`` claimed (active, theirs)."""
    conversation = chat(body)
    services.claim_conversation(conversation, agent)
    return Conversation.objects.get(pk=conversation.pk)


def fresh(conversation):
    return Conversation.objects.get(pk=conversation.pk)
