"""Changes of a conversation's state: claimed, closed, reopened, read, typed in.

Each persists first, inside a transaction, and publishes only once it has
committed (``realtime.publishing``); each change emits its event
(``livechat.events``). Messages are stored by ``messages`` alone.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import events
from ..access import Action, check_may_act, check_room
from ..adapter import get_adapter
from ..errors import ServiceError
from ..models import Conversation, Message
from ..realtime.groups import (
    ACTIVITY_GROUP,
    AGENTS_GROUP,
    conversation_group,
    visitor_group,
)
from ..realtime.layer import send_to_groups
from ..realtime.publishing import publish_conversation, publish_on_commit
from .lookups import last_preview, locked, visitor_language
from .messages import post_system_message
from .reopening import reopen_locked
from .tags import add_tag_in_transaction


def claim_conversation(conversation, agent, override=False):
    """Assign a waiting conversation to ``agent``; refuse if someone has it.

    An agent who already holds their maximum of open chats (the adapter's
    ``max_concurrent_chats``) is refused with ``agent_full`` unless
    ``override`` says they chose to take one more.
    """
    adapter = get_adapter()
    with transaction.atomic():
        conversation = locked(conversation.pk)
        if not conversation.is_open:
            raise ServiceError("conversation_closed", _("This conversation is closed."))
        if conversation.assigned_agent_id not in (None, agent.pk):
            raise ServiceError(
                "already_assigned", _("Another agent already has this conversation.")
            )
        if conversation.assigned_agent_id == agent.pk:
            return conversation
        check_may_act(agent, conversation, Action.CLAIM)
        if not override:
            check_room(agent)
        conversation.assigned_agent = agent
        conversation.status = Conversation.Status.ACTIVE
        conversation.save(update_fields=["assigned_agent", "status"])
        name = adapter.agent_public_name(agent)
        with visitor_language(conversation):
            line = _("%(name)s joined the chat.") % {"name": name}
        post_system_message(conversation, line)
        publish_conversation(conversation)
        events.emit(events.ConversationAssigned(conversation, agent))
    return conversation


def close_conversation(conversation, closed_by=None, tag="", reason=None):
    """Close an open conversation; closing a closed one changes nothing.

    ``tag`` says what it turned out to be about (for the store's reports);
    ``reason`` replaces the default line shown to the shopper. ``closed_by``:
    the member of staff closing it (checked by ``access``), or None when the
    store itself does (housekeeping, erasure).
    """
    with transaction.atomic():
        conversation = locked(conversation.pk)
        if not conversation.is_open:
            return conversation
        if closed_by is not None:
            check_may_act(closed_by, conversation, Action.CLOSE)
        conversation.status = Conversation.Status.CLOSED
        conversation.closed_at = timezone.now()
        conversation.close_tag = (tag or "").strip()[:50]
        conversation.snoozed_at = None
        conversation.save(
            update_fields=["status", "closed_at", "close_tag", "snoozed_at"]
        )
        # The closing tag is one of its tags too (lists and reports use those).
        add_tag_in_transaction(conversation, conversation.close_tag, closed_by)
        with visitor_language(conversation):
            line = str(reason or _("The chat has ended."))
        post_system_message(conversation, line)
        # With its last words: consoles that did not follow the chat (another
        # agent's, folded away) list it under "Recently closed" from this.
        publish_conversation(conversation, last_preview(conversation))
        events.emit(events.ConversationClosed(conversation, closed_by))
    return conversation


def reopen_conversation(conversation, by, override=False):
    """Open a closed conversation again as the same one (``reopening``).

    ``by``: the member of staff (checked by ``access``). An agent takes it
    (past their maximum of open chats only with ``override``); a
    supervisor's reopen gives it back to its last agent if they are there
    with room, else it waits. Refused with ``conversation_open`` when it is
    open (a missed chat is open: claim it).
    """
    with transaction.atomic():
        conversation = locked(conversation.pk)
        if conversation.is_open:
            raise ServiceError(
                "conversation_open", _("This conversation is still open.")
            )
        check_may_act(by, conversation, Action.REOPEN)
        line, pending = reopen_locked(conversation, by, override=override)
        post_system_message(conversation, line)
        for event in pending:
            events.emit(event)
    return conversation


def mark_read(conversation, reader, seq, user=None):
    """Record that ``reader`` ("visitor" or "agent") has read up to ``seq``.

    For "agent", ``user`` is who read it, and only the agent the chat is
    assigned to reads for the store: a supervisor or another agent watching
    it, or anyone looking at a chat nobody has taken yet, changes nothing
    (the assigned agent keeps their unread count, the shopper is not told
    "Read"). Returns whether the read was recorded.
    """
    seq = min(seq, conversation.last_seq)
    field = f"{reader}_read_seq"
    other = Message.Sender.AGENT if reader == "visitor" else Message.Sender.VISITOR
    only = {f"{field}__lt": seq}
    if reader == "agent":
        if user is None:
            raise ValueError("An agent's read needs the user who read.")
        # In the UPDATE itself: a transfer committed meanwhile is respected.
        only["assigned_agent"] = user
    with transaction.atomic():
        updated = Conversation.objects.filter(pk=conversation.pk, **only).update(
            **{field: seq}
        )
        if not updated:
            return False
        Message.objects.filter(
            conversation=conversation,
            seq__lte=seq,
            read_at__isnull=True,
        ).exclude(sender_kind=reader).filter(
            sender_kind__in=[other, Message.Sender.SYSTEM]
        ).update(read_at=timezone.now())
        setattr(conversation, field, seq)
        publish_on_commit(
            [
                visitor_group(conversation.visitor_id),
                conversation_group(conversation.pk),
            ],
            {
                "type": "read",
                "conversation": conversation.pk,
                "reader": reader,
                "seq": seq,
            },
        )
        if reader == "agent":
            # For the unread counts of consoles that list the chat but do
            # not follow it (its assigned agent's consoles do).
            publish_on_commit(
                [
                    ACTIVITY_GROUP
                    if conversation.status == Conversation.Status.ACTIVE
                    else AGENTS_GROUP
                ],
                {
                    "type": "read",
                    "conversation": conversation.pk,
                    "reader": reader,
                    "seq": seq,
                },
            )
    return True


async def publish_typing(
    conversation_id, visitor_id, sender, active, name=None, draft=False
):
    """Relay a typing indicator; it is never stored.

    ``draft``: typing paused with unsent words in the box (shown to agents as
    the shopper's draft in progress).
    """
    frame = {
        "type": "typing",
        "conversation": conversation_id,
        "sender": sender,
        "active": bool(active),
        "draft": bool(draft) and not active,
    }
    if name:
        frame["name"] = name
    groups = [conversation_group(conversation_id)]
    if sender == "agent":
        groups.append(visitor_group(visitor_id))
    await send_to_groups(groups, frame)
