"""Snoozed chats: set aside by their agent until the shopper answers.

A snoozed chat stays open and assigned, in its agent's inbox, but does not
ask for attention (the console leaves it out of its unread and attention
counts). The shopper's next message wakes it (``wake_for_shopper``, called
by the message routes in the message's transaction); the agent may wake it
too. Every change publishes a ``snooze`` frame to every console and emits
``ConversationSnoozed`` once committed.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import events, presentation
from ..access import Action, check_may_act
from ..errors import ServiceError
from ..models import Conversation
from ..realtime.groups import AGENTS_GROUP
from ..realtime.publishing import publish_on_commit
from .lookups import locked


def snooze_frame(conversation, woke=False, by=None):
    """The ``snooze`` frame: the chat's summary, whether it is snoozed now,
    whether the shopper's message woke it, and who changed it."""
    return {
        "type": "snooze",
        "conversation": presentation.conversation_summary(conversation),
        "snoozed": conversation.snoozed_at is not None,
        "woke": woke,
        "by": None if by is None else {"id": by.pk, "name": _name(by)},
    }


def _name(user):
    return presentation.agent_author(user)["name"]


def snooze_conversation(conversation, by, on: bool = True):
    """Snooze (``on``) or wake an open chat an agent has.

    Returns ``(conversation, changed)``. ``by``: the member of staff (its
    agent or a supervisor, by ``access``). Snoozing a snoozed chat (or
    waking an awake one) changes nothing and publishes nothing.
    """
    with transaction.atomic():
        conversation = locked(conversation.pk)
        if not conversation.is_open:
            raise ServiceError("conversation_closed", _("This conversation is closed."))
        check_may_act(by, conversation, Action.SNOOZE)
        if on and (
            conversation.assigned_agent_id is None
            or conversation.status != Conversation.Status.ACTIVE
        ):
            raise ServiceError(
                "not_assigned",
                _("Only a chat an agent is answering can wait for the shopper."),
            )
        if (conversation.snoozed_at is not None) == on:
            return conversation, False
        conversation.snoozed_at = timezone.now() if on else None
        conversation.save(update_fields=["snoozed_at"])
        _announce(conversation, on, by=by)
    return conversation, True


def wake_for_shopper(conversation) -> bool:
    """The shopper wrote in ``conversation``: wake it if it was snoozed.

    Inside the transaction that stores their message; one UPDATE, so a
    snooze committed meanwhile is woken all the same. Returns whether it woke.
    """
    woke = Conversation.objects.filter(
        pk=conversation.pk, snoozed_at__isnull=False
    ).update(snoozed_at=None)
    if woke:
        conversation.snoozed_at = None
        _announce(conversation, False, woke=True)
    return bool(woke)


def _announce(conversation, snoozed, woke=False, by=None):
    publish_on_commit([AGENTS_GROUP], snooze_frame(conversation, woke, by))
    events.emit(events.ConversationSnoozed(conversation, snoozed, by))
