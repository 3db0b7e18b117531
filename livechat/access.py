"""Who may act on a conversation: the one rule every face applies.

- An open conversation nobody has taken: any agent may take it (claim it or
  reply, which takes it), type, add a note, transfer or close it; a
  supervisor who answers no chats may add a note, transfer or close it, but
  not take it or type in it (the shopper would wait for an answer that never
  comes).
- A conversation an agent has: that agent does everything. A supervisor
  manages it (transfers, closes) but does not speak in it: the shopper hears
  one voice, and a supervisor who wants to answer transfers the chat to
  themselves. Other agents read it.
- Reading (opening a conversation, fetching its messages) and internal notes,
  which the shopper never sees, are open to every agent and supervisor on
  every open conversation: a colleague's hint is how agents help each other.
  Only the assigned agent's reading marks it read.
- Tagging, snoozing and reopening a conversation (open or closed, as each
  allows) go with managing it: its agent, any supervisor, and any agent or
  supervisor while nobody has it.

The services call :func:`check_may_act` inside their transaction, with the
conversation's row as they locked it, so the console's socket, the REST API,
the admin and uploads all answer the same request the same way.
"""

from enum import StrEnum

from django.utils.translation import gettext as _

from .adapter import get_adapter
from .errors import ServiceError
from .models import AgentProfile, Conversation


def staff_role(user) -> str | None:
    """What ``user`` is to livechat: ``"agent"`` (answers chats),
    ``"supervisor"`` (watches and manages them, answers none) or None.

    The console, the REST API and attachment downloads are open to both.
    """
    adapter = get_adapter()
    if adapter.is_agent(user):
        return "agent"
    if adapter.is_supervisor(user):
        return "supervisor"
    return None


class Action(StrEnum):
    """What a member of staff does to a conversation."""

    CLAIM = "claim"
    REPLY = "reply"
    TYPE = "type"
    NOTE = "note"
    TRANSFER = "transfer"
    CLOSE = "close"
    TAG = "tag"
    SNOOZE = "snooze"
    REOPEN = "reopen"


# Actions that make (or, typing, announce) the actor the conversation's
# agent: agents only, since only agents are given chats.
_TAKING = frozenset({Action.CLAIM, Action.REPLY, Action.TYPE})
# What a supervisor does in another agent's chat.
_MANAGING = frozenset(
    {Action.TRANSFER, Action.CLOSE, Action.TAG, Action.SNOOZE, Action.REOPEN}
)


def may_act(user, conversation, action: Action) -> bool:
    """May ``user`` do ``action`` on ``conversation`` as it stands?"""
    adapter = get_adapter()
    assigned = conversation.assigned_agent_id
    if action is Action.NOTE or (assigned is not None and assigned == user.pk):
        return adapter.is_agent(user) or adapter.is_supervisor(user)
    if assigned is None:
        if action in _TAKING:
            return adapter.is_agent(user)
        return adapter.is_agent(user) or adapter.is_supervisor(user)
    # Another agent's chat.
    return action in _MANAGING and adapter.is_supervisor(user)


def check_may_act(user, conversation, action: Action) -> None:
    """Raise ``ServiceError("forbidden")`` unless :func:`may_act` allows it."""
    if may_act(user, conversation, action):
        return
    if conversation.assigned_agent_id not in (None, user.pk):
        message = _("Another agent is handling this conversation.")
    else:
        message = _("Only agents can answer chats.")
    raise ServiceError("forbidden", message)


def may_chat_as(user, visitor) -> bool:
    """May the holder of ``visitor``'s token, logged in as ``user``, chat as it?

    A visitor that belongs to a customer account is that customer's only,
    even to someone holding its token (a shared computer, a copied link);
    an anonymous visitor is whoever holds its token.
    """
    if visitor.user_id is None:
        return True
    return bool(
        user is not None and user.is_authenticated and user.pk == visitor.user_id
    )


def check_room(agent, full_message=None) -> None:
    """Refuse with ``agent_full`` when ``agent`` holds their maximum of open
    chats (the adapter's ``max_concurrent_chats``).

    Call inside the transaction that gives them the chat: their profile's
    row lock serialises claims, replies that take a chat and transfers to
    them, so two at once cannot both take the last slot.
    """
    limit = get_adapter().max_concurrent_chats(agent)
    AgentProfile.objects.select_for_update().filter(user=agent).first()
    held = Conversation.objects.filter(
        status__in=Conversation.OPEN_STATUSES, assigned_agent=agent
    ).count()
    if held >= limit:
        raise ServiceError(
            "agent_full",
            full_message
            or _("You already have %(open)s of %(max)s chats.")
            % {"open": held, "max": limit},
        )
