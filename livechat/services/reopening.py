"""Reopening closed chats: by staff, or by the shopper coming back.

A closed chat (never an offline message) is opened again as the same
conversation: same id, its history, its sequence numbers going on. Who then
has it:

- reopened by an agent: that agent (past their maximum of open chats only
  with ``override``, as a claim);
- reopened by a supervisor, or by the shopper's new chat within
  ``LIVECHAT_REOPEN_WINDOW`` seconds of the close: the agent who had it, if
  they are at their console, online and have room; else nobody, and it
  waits in the queue (routing may give it to someone).

Below ``messages`` in the services' order: the message routes reopen a
shopper's chat in the transaction that stores their message. The caller
posts the returned line as a system message after the reopen.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from .. import events
from ..access import check_room
from ..adapter import get_adapter
from ..conf import app_settings
from ..errors import ServiceError
from ..models import AgentProfile, Conversation
from ..realtime.publishing import publish_conversation
from .availability import present_agents_filter
from .lookups import visitor_language


def reopenable_conversation(visitor, topic=""):
    """The visitor's chat closed within ``LIVECHAT_REOPEN_WINDOW``, or None.

    Only when the visitor has no open chat (the caller knows); 0 disables.
    A new chat about another ``topic`` than the last one (chosen in the
    pre-chat form) is another subject, routed as such: it reopens nothing.
    """
    window = app_settings.REOPEN_WINDOW
    if not window or window <= 0:
        return None
    since = timezone.now() - timedelta(seconds=window)
    last = (
        Conversation.objects.filter(
            visitor=visitor,
            status=Conversation.Status.CLOSED,
            source=Conversation.Source.CHAT,
            closed_at__gte=since,
        )
        .order_by("-closed_at", "-pk")
        .values_list("pk", "topic")
        .first()
    )
    if last is None or (topic and topic[:50] != last[1]):
        return None
    return last[0]


def _may_have_it_again(agent):
    """Is the chat's last agent there to take it back (no override)?"""
    if agent is None or not get_adapter().is_agent(agent):
        return False
    if not AgentProfile.objects.filter(present_agents_filter(), user=agent).exists():
        return False
    try:
        check_room(agent)
    except ServiceError:
        return False
    return True


def reopen_locked(conversation, by=None, override=False) -> tuple[str, list]:
    """Open the closed ``conversation`` again: ``(line, events)``.

    ``conversation``: locked by the caller's transaction, closed. ``by``:
    the member of staff reopening it (checked by the caller), or None for
    the shopper's new chat. The caller posts ``line`` as a system message,
    then emits ``events`` once the frames of its own change are published
    (so the router's assignment is the last word the consoles get).
    """
    adapter = get_adapter()
    previous = conversation.assigned_agent
    if by is not None and adapter.is_agent(by):
        if not override:  # the reopened chat is one more open chat of theirs
            check_room(by)
        agent = by
    elif _may_have_it_again(previous):
        agent = previous
    else:
        agent = None
    conversation.assigned_agent = agent
    conversation.status = (
        Conversation.Status.ACTIVE if agent is not None else Conversation.Status.WAITING
    )
    conversation.closed_at = None
    conversation.snoozed_at = None
    conversation.reopened_at = timezone.now()
    conversation.save(
        update_fields=[
            "assigned_agent",
            "status",
            "closed_at",
            "snoozed_at",
            "reopened_at",
        ]
    )
    publish_conversation(conversation)
    pending = [events.ConversationReopened(conversation, by)]
    if agent is not None and (previous is None or previous.pk != agent.pk):
        pending.append(events.ConversationAssigned(conversation, agent))
    with visitor_language(conversation):
        if agent is None:
            line = _("The chat was reopened. Someone will be with you shortly.")
        elif by is None:
            line = _("The chat was reopened.")
        else:
            line = _("%(name)s reopened the chat.") % {
                "name": adapter.agent_public_name(agent)
            }
    return line, pending
