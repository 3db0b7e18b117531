"""Who answers which chat: routing, transfers, internal notes, agents' load.

Builds on ``livechat.services`` and follows its rules: persist first, publish
on commit. With ``LIVECHAT_ROUTING = "auto"`` each waiting chat goes to the
least busy available agent of its department, never past their maximum
concurrent chats; with ``"claim"`` agents take chats from the queue.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import events, presentation
from ..access import Action, check_may_act, check_room
from ..adapter import DefaultLivechatAdapter, get_adapter, load_permissions
from ..conf import app_settings
from ..errors import ServiceError
from ..models import AgentProfile, Conversation, InternalNote
from ..realtime import groups
from ..realtime.publishing import (
    publish_conversation,
    publish_on_commit,
    send_latest,
)
from .availability import connected_agents_filter, present_agents_filter
from .lookups import locked, visitor_language
from .messages import post_system_message


def agent_loads(user_ids=None):
    """Open conversations assigned to each agent: {user_id: count}."""
    rows = Conversation.objects.filter(
        status__in=Conversation.OPEN_STATUSES, assigned_agent__isnull=False
    )
    if user_ids is not None:
        rows = rows.filter(assigned_agent_id__in=user_ids)
    counts = rows.values("assigned_agent_id").annotate(n=Count("pk"))
    return {row["assigned_agent_id"]: row["n"] for row in counts}


def _available_profiles(department=None):
    profiles = AgentProfile.objects.filter(present_agents_filter()).select_related(
        "user"
    )
    if department is not None:
        profiles = profiles.filter(user__livechat_departments=department)
    profiles = list(profiles)
    load_permissions([p.user for p in profiles])
    adapter = get_adapter()
    return [p for p in profiles if adapter.is_agent(p.user)]


def pick_agent(conversation):
    """The least busy available agent with room for one more chat, or None."""
    profiles = _available_profiles(conversation.department)
    if not profiles:
        return None
    loads = agent_loads([p.user_id for p in profiles])
    adapter = get_adapter()
    candidates = [
        (loads.get(p.user_id, 0), p.user_id, p.user)
        for p in profiles
        if loads.get(p.user_id, 0) < adapter.max_concurrent_chats(p.user)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c[0], c[1]))[2]


def _assign(conversation, agent, line):
    conversation.assigned_agent = agent
    if conversation.status in Conversation.UNANSWERED_STATUSES:
        conversation.status = Conversation.Status.ACTIVE
    conversation.save(update_fields=["assigned_agent", "status"])
    post_system_message(conversation, line)
    publish_conversation(conversation)
    # The agents' load follows from the event (``_report_loads``).
    events.emit(events.ConversationAssigned(conversation, agent))


def auto_assign_waiting():
    """Give waiting chats, oldest first, to available agents with room.

    Runs after anything that may free an agent or add a chat; does nothing
    unless LIVECHAT_ROUTING is "auto". Returns the assigned conversations.
    """
    if app_settings.ROUTING != "auto":
        return []
    assigned = []
    waiting = Conversation.objects.filter(
        status__in=Conversation.UNANSWERED_STATUSES,
        assigned_agent__isnull=True,
        source=Conversation.Source.CHAT,
    ).order_by("created_at", "pk")
    for candidate in waiting.values_list("pk", flat=True)[:50]:
        with transaction.atomic():
            conversation = locked(candidate)
            if conversation.assigned_agent_id or not conversation.is_open:
                continue
            agent = pick_agent(conversation)
            if agent is None:
                if conversation.department_id is None:
                    break  # nobody has room: later chats wait too
                continue  # this department is full; others may not be
            # Serialise assignments to one agent so two processes cannot
            # both give them their last free slot.
            AgentProfile.objects.select_for_update().filter(user=agent).first()
            if agent_loads([agent.pk]).get(
                agent.pk, 0
            ) >= get_adapter().max_concurrent_chats(agent):
                continue
            name = get_adapter().agent_public_name(agent)
            with visitor_language(conversation):
                line = _("%(name)s joined the chat.") % {"name": name}
            _assign(conversation, agent, line)
            assigned.append(conversation)
    return assigned


def transfer_conversation(conversation, by, to_agent=None, to_department=None, note=""):
    """Hand a conversation to another agent or department, with a note.

    The shopper is told who joined and that they have read everything, so
    nobody asks them to repeat themselves; the note stays internal.
    """
    if (to_agent is None) == (to_department is None):
        raise ServiceError("bad_frame", _("Transfer to one agent or one department."))
    adapter = get_adapter()
    with transaction.atomic():
        conversation = locked(conversation.pk)
        if not conversation.is_open:
            raise ServiceError("conversation_closed", _("This conversation is closed."))
        check_may_act(by, conversation, Action.TRANSFER)
        from_name = adapter.agent_public_name(by)
        # Written while ``by`` still may (the chat is about to change hands).
        note_text = note.strip() if isinstance(note, str) else ""
        if note_text:
            add_note(
                conversation,
                by,
                _("Transfer note from %(name)s: %(note)s")
                % {"name": from_name, "note": note_text},
            )
        if to_agent is not None:
            if to_agent.pk == conversation.assigned_agent_id:
                raise ServiceError("bad_frame", _("That agent already has this chat."))
            if (
                not adapter.is_agent(to_agent)
                or not AgentProfile.objects.filter(
                    present_agents_filter(), user=to_agent
                ).exists()
            ):
                raise ServiceError(
                    "agent_unavailable", _("That agent is not available now.")
                )
            check_room(
                to_agent, full_message=_("That agent has no room for more chats.")
            )
            name = adapter.agent_public_name(to_agent)
            with visitor_language(conversation):
                line = _(
                    "%(name)s joined the chat and has read your conversation, "
                    "so there is no need to repeat anything."
                ) % {"name": name}
            _assign(conversation, to_agent, line)
            target_groups = [groups.agent_group(to_agent.pk)]
        else:
            conversation.assigned_agent = None
            conversation.status = Conversation.Status.WAITING
            conversation.department = to_department
            # Waiting for the team now, not set aside by an agent.
            conversation.snoozed_at = None
            conversation.save(
                update_fields=["assigned_agent", "status", "department", "snoozed_at"]
            )
            with visitor_language(conversation):
                line = _(
                    "We are passing you to our %(team)s team. They will see "
                    "everything you have written."
                ) % {"team": to_department.name}
            post_system_message(conversation, line)
            publish_conversation(conversation)
            target_groups = [groups.AGENTS_GROUP]
            _publish_loads_on_commit()
        summary = presentation.conversation_summary(conversation)
        frame = {
            "type": "transferred",
            "conversation": summary,
            "from": {"id": by.pk, "name": from_name},
            "note": note_text,
        }
        publish_on_commit(target_groups, frame)
        events.emit(
            events.ConversationTransferred(
                conversation, by, to_agent, to_department, note_text
            )
        )
    if to_department is not None:
        transaction.on_commit(auto_assign_waiting)
    return conversation


# Internal notes -----------------------------------------------------------------------


def note_frame(note):
    return {
        "type": "note",
        "note": {
            "id": note.pk,
            "conversation": note.conversation_id,
            "author": {"id": note.author_id, "name": _author_name(note)},
            "body": note.body,
            "client_id": note.client_id or None,
            "created": note.created_at.isoformat(),
        },
    }


def _author_name(note):
    return get_adapter().agent_public_name(note.author) if note.author else ""


def add_note(conversation, agent, body, client_id=""):
    """A note for agents only; idempotent by ``client_id``. Returns (note, created)."""
    check_may_act(agent, conversation, Action.NOTE)
    if client_id:
        existing = InternalNote.objects.filter(
            conversation=conversation, client_id=client_id
        ).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            note = InternalNote.objects.create(
                conversation=conversation, author=agent, body=body, client_id=client_id
            )
            # Only the agents' conversation group: the shopper never gets it.
            publish_on_commit(
                [groups.conversation_group(conversation.pk)], note_frame(note)
            )
    except IntegrityError:
        return InternalNote.objects.get(
            conversation=conversation, client_id=client_id
        ), False
    return note, True


def notes_of(conversation):
    return list(conversation.notes.select_related("author__livechat_profile"))


# Load, for supervisors ------------------------------------------------------------


def agents_board():
    """Every agent with a profile: presence, connection and open chats."""
    now = timezone.now()
    present = set(
        AgentProfile.objects.filter(present_agents_filter(now)).values_list(
            "user_id", flat=True
        )
    )
    connected = set(
        AgentProfile.objects.filter(connected_agents_filter(now)).values_list(
            "user_id", flat=True
        )
    )
    idle_since = now - timedelta(seconds=app_settings.AGENT_IDLE_AWAY_SECONDS)
    loads = agent_loads()
    adapter = get_adapter()
    profiles = list(AgentProfile.objects.select_related("user").order_by("user_id"))
    load_permissions([profile.user for profile in profiles])
    # The default adapter reads the limit from the profile, loaded just now.
    default_limit = (
        type(adapter).max_concurrent_chats
        is DefaultLivechatAdapter.max_concurrent_chats
    )
    board = []
    for profile in profiles:
        if not adapter.is_agent(profile.user):
            continue
        if default_limit:
            max_chats = (
                profile.max_concurrent_chats or app_settings.MAX_CONCURRENT_CHATS
            )
        else:
            max_chats = adapter.max_concurrent_chats(profile.user)
        board.append(
            {
                "id": profile.user_id,
                "name": adapter.agent_public_name(profile.user),
                "presence": profile.presence,
                # Answering now: online, not idle, at the console.
                "present": profile.user_id in present,
                # At the console (whatever their presence): what the board
                # shows as "connected", apart from "away" or "idle".
                "connected": profile.user_id in connected,
                "idle": profile.last_active_at is not None
                and profile.last_active_at < idle_since,
                "open_chats": loads.get(profile.user_id, 0),
                "max_chats": max_chats,
            }
        )
    for profile in profiles:
        # select_related linked each user back to its profile: without the
        # cycle they go with the board, not at the next full collection.
        profile.user._state.fields_cache.pop("livechat_profile", None)
    return board


def publish_loads():
    """Tell every console who is present and how loaded (for transfers, and
    the supervisors' board)."""
    send_latest("loads", _loads_update)


def _loads_update():
    return [([groups.AGENTS_GROUP], {"type": "agents", "agents": agents_board()})]


def _publish_loads_on_commit():
    transaction.on_commit(publish_loads)


@events.listen(
    events.ConversationOpened, events.ConversationClosed, events.ConversationReopened
)
def _route_waiting_chats(event):
    """Runs after a chat arrives (or comes back) or an agent has room again:
    route, report loads.

    An offline message waits for an agent's email answer, not for routing.
    """
    offline = event.conversation.source != Conversation.Source.CHAT
    if offline and isinstance(event, events.ConversationOpened):
        return
    if not auto_assign_waiting():
        publish_loads()  # else each assignment's event reported them


@events.listen(events.ConversationAssigned)
def _report_loads(event):
    """Runs after an agent took a chat: the supervisors' board shows it."""
    publish_loads()


@events.listen(events.AgentPresenceChanged)
def _agent_came_or_went(event):
    """Runs after an agent's presence changed: waiting chats may go to them,
    and the supervisors' board shows who is there."""
    auto_assign_waiting()
    publish_loads()
