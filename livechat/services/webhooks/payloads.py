"""What a webhook delivery says: ``{"id", "event", "created_at", "data"}``.

``data`` uses the representations of the REST API and the console's inbox
(``presentation.conversation_summary`` and ``message_data``), so a receiver
reads one shape wherever it meets a conversation or a message.
"""

import uuid

from django.urls import reverse
from django.utils import timezone

from ... import events, presentation
from ...models import Conversation, WebhookEndpoint

Event = WebhookEndpoint.Event


def _user(user):
    if user is None:
        return None
    return presentation.AgentFaces().ref(user)


def conversation_data(conversation) -> dict:
    """The conversation as the API shows it, read fresh, with its tags and a
    link to it in the admin."""
    fresh = (
        Conversation.objects.select_related(
            "visitor__user", "assigned_agent__livechat_profile"
        )
        .prefetch_related("tags")
        .filter(pk=conversation.pk)
        .first()
    )
    if fresh is None:  # deleted since: what the event carried
        return {"id": conversation.pk, "status": conversation.status}
    data = presentation.conversation_summary(fresh)
    data["admin_path"] = reverse("admin:livechat_conversation_change", args=[fresh.pk])
    return data


def _about(event, **extra):
    """One delivery about the event's conversation: (ordering key, data)."""
    return [
        (
            f"conversation:{event.conversation.pk}",
            {"conversation": conversation_data(event.conversation), **extra},
        )
    ]


def _message_created(event):
    return [
        (
            f"conversation:{event.conversation.pk}",
            {
                "conversation": {"id": event.conversation.pk},
                "message": presentation.message_data(event.message),
            },
        )
    ]


def _transferred(event):
    department = event.to_department
    return _about(
        event,
        by=_user(event.by),
        to_agent=_user(event.to_agent),
        to_department=(
            {"id": department.pk, "name": department.name} if department else None
        ),
        note=event.note,
    )


# Each domain event a webhook may hear of: its webhook event's name, and a
# function giving (ordering key, data) for each delivery it makes.
EVENTS = {
    events.ConversationOpened: (Event.CONVERSATION_OPENED, _about),
    events.ConversationAssigned: (
        Event.CONVERSATION_ASSIGNED,
        lambda e: _about(e, agent=_user(e.agent)),
    ),
    events.ConversationTransferred: (Event.CONVERSATION_TRANSFERRED, _transferred),
    events.ConversationClosed: (
        Event.CONVERSATION_CLOSED,
        lambda e: _about(e, closed_by=_user(e.closed_by)),
    ),
    events.ConversationReopened: (
        Event.CONVERSATION_REOPENED,
        lambda e: _about(e, by=_user(e.by)),
    ),
    events.ConversationRated: (
        Event.CONVERSATION_RATED,
        lambda e: _about(e, rating=e.rating, comment=e.comment),
    ),
    events.ConversationMissed: (Event.CONVERSATION_MISSED, _about),
    events.MessageStored: (Event.MESSAGE_CREATED, _message_created),
    events.OfflineMessageLeft: (
        Event.OFFLINE_MESSAGE_LEFT,
        lambda e: _about(e, message=presentation.message_data(e.message)),
    ),
    events.VisitorsErased: (
        Event.VISITOR_ERASED,
        lambda e: [(f"visitor:{pk}", {"visitor": {"id": pk}}) for pk in e.visitor_ids],
    ),
}


def envelope(name: str, data: dict, event_id: str | None = None) -> dict:
    """The body of a delivery."""
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "event": str(name),
        "created_at": timezone.now().isoformat(),
        "data": data,
    }
