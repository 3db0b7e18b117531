"""What shoppers do besides chatting: the pre-chat form, offline messages,
ratings, transcripts, and where they stand in the queue.

Like ``livechat.services`` (which it builds on), every function here persists
first and publishes or emails only after the transaction commits.
"""

import logging
import math
import re
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, mail_managers
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import DurationField, ExpressionWrapper, F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from . import availability, events, protocol, services
from .adapter import get_adapter
from .conf import app_settings
from .errors import ServiceError
from .models import Conversation, Message
from .realtime import groups
from .realtime.publishing import send_latest

logger = logging.getLogger(__name__)

_PHONE = re.compile(r"^[0-9+()./\- ]{5,40}$")
PROFILE_FIELDS = ("name", "email", "phone")


class InvalidProfile(Exception):
    """Some fields of a form are wrong; ``fields`` maps each to a message."""

    def __init__(self, fields):
        super().__init__(fields)
        self.fields = fields


# The pre-chat form and "leave your email" --------------------------------------


def clean_profile(data, enforce_required=False):
    """Validate name / email / phone from a client frame; return the clean ones."""
    clean, errors = {}, {}
    for field in PROFILE_FIELDS:
        value = data.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            errors[field] = _("Enter text.")
            continue
        value = " ".join(value.split())
        if field == "name" and len(value) > 150:
            errors[field] = _("Use at most 150 characters.")
        elif field == "email" and value:
            try:
                validate_email(value)
            except ValidationError:
                errors[field] = _("Enter a valid email address.")
        elif field == "phone" and value and not _PHONE.match(value):
            errors[field] = _("Enter a valid phone number.")
        clean[field] = value
    if enforce_required:
        for field, mode in app_settings.PRECHAT_FIELDS.items():
            if field in PROFILE_FIELDS and mode == "required" and not clean.get(field):
                errors.setdefault(field, _("This field is required."))
    if errors:
        raise InvalidProfile(errors)
    return clean


def update_profile(visitor, data, enforce_required=False):
    """Store what the shopper told us about themselves."""
    clean = clean_profile(data, enforce_required)
    changed = [f for f, v in clean.items() if v and v != getattr(visitor, f)]
    for field in changed:
        setattr(visitor, field, clean[field])
    if changed:
        with transaction.atomic():
            visitor.save(update_fields=changed)
            conversation = services.open_conversation_of(visitor)
            if conversation is not None:
                conversation.visitor = visitor
                services.publish_conversation(conversation)
            events.emit(events.VisitorProfileChanged(visitor, tuple(changed)))
    return visitor


def clean_topic(topic):
    keys = {key for key, _label in app_settings.TOPICS}
    return topic if isinstance(topic, str) and topic in keys else ""


# Offline messages -----------------------------------------------------------------


def post_offline_message(visitor, data, client_id):
    """Leave a message while nobody is there; agents see it first when back.

    Returns ``(conversation, created)``; a repeated ``client_id`` creates
    nothing and sends no second email.
    """
    existing = Message.objects.filter(
        conversation__visitor=visitor, client_id=client_id
    ).first()
    if existing is not None:
        return existing.conversation, False
    profile = {k: data.get(k) for k in PROFILE_FIELDS if k in data}
    clean = clean_profile(profile)
    errors = {}
    if not clean.get("email"):
        errors["email"] = _("We need your email to answer you.")
    body = data.get("body")
    body = body.strip() if isinstance(body, str) else ""
    if not body:
        errors["body"] = _("Write your message.")
    elif len(body) > app_settings.MAX_MESSAGE_LENGTH:
        errors["body"] = _("Your message is too long.")
    if errors:
        raise InvalidProfile(errors)
    try:
        with transaction.atomic():
            for field, value in clean.items():
                setattr(visitor, field, value)
            visitor.save(update_fields=list(clean))
            conversation = Conversation.objects.create(
                visitor=visitor,
                source=Conversation.Source.OFFLINE,
                topic=clean_topic(data.get("topic")),
            )
            message = services.store_message(
                conversation, Message.Sender.VISITOR, body, client_id
            )
            services.publish_conversation(conversation, body)
            transaction.on_commit(lambda: _notify_staff(conversation, message))
            events.emit(events.ConversationOpened(conversation))
            events.emit(events.OfflineMessageLeft(conversation, message))
    except IntegrityError:
        existing = Message.objects.filter(
            conversation__visitor=visitor, client_id=client_id
        ).first()
        if existing is None:
            raise
        return existing.conversation, False
    return conversation, True


def _notify_staff(conversation, message):
    visitor = conversation.visitor
    subject = _("Offline chat message from %(name)s") % {"name": visitor.display_name}
    body = render_to_string(
        "livechat/email/offline_message.txt",
        {"conversation": conversation, "visitor": visitor, "message": message},
    )
    recipients = app_settings.NOTIFY_EMAILS
    try:
        if recipients is None:
            mail_managers(subject, body)
        elif recipients:
            EmailMessage(
                subject,
                body,
                app_settings.FROM_EMAIL or None,
                list(recipients),
                reply_to=[visitor.email] if visitor.email else None,
            ).send()
    except Exception:
        # The message is stored and in the console; email is a courtesy.
        logger.exception("livechat: could not email the offline message")


def email_offline_reply(message):
    """Send an agent's answer to an offline message to the shopper's email."""
    visitor = message.conversation.visitor
    if not visitor.email:
        return
    name = get_adapter().agent_public_name(message.author) if message.author else ""
    with services.visitor_language(message.conversation):
        body = render_to_string(
            "livechat/email/offline_reply.txt",
            {"message": message, "agent_name": name, "visitor": visitor},
        )
        subject = _("Our answer to your message")
    try:
        EmailMessage(
            subject,
            body,
            app_settings.FROM_EMAIL or None,
            [visitor.email],
        ).send()
    except Exception:
        logger.exception("livechat: could not email the reply to an offline message")


# Following up by email -------------------------------------------------------------


def away_since(visitor, now=None):
    """Since when the shopper has been gone, once it counts as gone; else None.

    Gone: no widget of theirs connected for LIVECHAT_FOLLOWUP_ABSENCE_SECONDS.
    A phone that loses its signal for a few seconds reconnects and replays
    what it missed, so only a longer absence is worth an email. Every
    follow-up decides here.
    """
    if visitor is None or visitor.live_sockets:
        return None
    # No record of when their last socket closed (it closed before the
    # field existed): gone since they were last seen.
    since = visitor.absent_since or visitor.last_seen_at
    wait = timedelta(seconds=max(app_settings.FOLLOWUP_ABSENCE_SECONDS, 0))
    if since > (now or timezone.now()) - wait:
        return None
    return since


def follow_up_later(message, conversation=None):
    """An agent's reply reached no widget of the shopper: maybe email it later.

    ``send_due_followups`` (housekeeping) emails it if the shopper stays away,
    and drops it if they come back, since their widget replays what it
    missed. One conditional UPDATE, and only when no widget is connected.
    """
    if conversation is None:
        conversation = message.conversation
    # The reply's transaction read the visitor with the conversation locked:
    # fresh enough, and no query on every reply.
    visitor = conversation.visitor
    if not _can_follow_up(visitor) or visitor.live_sockets:
        return
    Conversation.objects.filter(pk=conversation.pk, followup_pending=False).update(
        followup_pending=True
    )


def _can_follow_up(visitor):
    every = app_settings.FOLLOWUP_EMAIL_EVERY_SECONDS
    return bool(every and visitor is not None and visitor.email)


def send_due_followups(now=None):
    """Email absent shoppers the replies they missed; returns the emails sent.

    Each reply goes at most once, and a conversation gets at most one email
    per LIVECHAT_FOLLOWUP_EMAIL_EVERY_SECONDS (later replies wait for the
    next one).
    """
    now = now or timezone.now()
    pending = Conversation.objects.filter(followup_pending=True)
    ids = list(pending.values_list("pk", flat=True)[:500])
    return sum(_send_followup_if_due(conversation_id, now) for conversation_id in ids)


def _send_followup_if_due(conversation_id, now):
    """The email due for one conversation, if any: 1 when one was sent."""
    with transaction.atomic():
        try:
            conversation = services.locked(conversation_id)
        except Conversation.DoesNotExist:
            return 0
        visitor = conversation.visitor
        replies = []
        if _can_follow_up(visitor) and not visitor.live_sockets:
            since = away_since(visitor, now)
            every = timedelta(seconds=app_settings.FOLLOWUP_EMAIL_EVERY_SECONDS)
            last = conversation.followup_sent_at
            if since is None or (last is not None and last > now - every):
                return 0  # not gone long enough, or emailed lately: not yet
            # Sent while they were gone: a reply before that reached them.
            replies = list(
                conversation.messages.filter(
                    sender_kind=Message.Sender.AGENT,
                    seq__gt=conversation.followup_seq,
                    created_at__gte=since,
                )
                .select_related("author__livechat_profile")
                .order_by("seq")
            )
        # Otherwise they came back (the widget replayed the replies) or
        # cannot be emailed: nothing is pending any more.
        conversation.followup_pending = False
        fields = ["followup_pending"]
        if replies:
            conversation.followup_seq = replies[-1].seq
            conversation.followup_sent_at = now
            fields += ["followup_seq", "followup_sent_at"]
        conversation.save(update_fields=fields)
    if replies:
        _email_replies(conversation, replies)
    return 1 if replies else 0


def _email_replies(conversation, replies):
    visitor = conversation.visitor
    adapter = get_adapter()
    with services.visitor_language(conversation):
        body = render_to_string(
            "livechat/email/followup.txt",
            {
                "replies": [
                    {
                        "body": reply.body,
                        "agent_name": adapter.agent_public_name(reply.author)
                        if reply.author
                        else "",
                    }
                    for reply in replies
                ],
                "visitor": visitor,
            },
        )
        subject = _("You have a reply to your chat")
    try:
        EmailMessage(
            subject, body, app_settings.FROM_EMAIL or None, [visitor.email]
        ).send()
    except Exception:
        # Sent at most once: a failure is logged, never retried into a duplicate.
        logger.exception("livechat: could not email a reply to an absent shopper")


# Rating and transcript ------------------------------------------------------------


def rate_conversation(conversation, rating, comment=""):
    """The shopper's verdict on a closed conversation (they may change it)."""
    if rating not in Conversation.Rating.values:
        raise InvalidProfile({"rating": _("Choose good or bad.")})
    comment = comment.strip() if isinstance(comment, str) else ""
    if len(comment) > 2000:
        raise InvalidProfile({"comment": _("Use at most 2000 characters.")})
    if conversation.is_open:
        raise ServiceError(
            "conversation_open", _("You can rate the chat once it has ended.")
        )
    if (conversation.rating, conversation.rating_comment) == (rating, comment):
        return conversation  # the same verdict again: nothing changes
    with transaction.atomic():
        conversation.rating = rating
        conversation.rating_comment = comment
        conversation.rated_at = timezone.now()
        conversation.save(update_fields=["rating", "rating_comment", "rated_at"])
        services.publish_conversation(conversation)
        events.emit(events.ConversationRated(conversation, rating, comment))
    return conversation


def email_transcript(conversation, email):
    """Send the conversation's transcript to ``email``."""
    clean = clean_profile({"email": email or ""})
    if not clean.get("email"):
        raise InvalidProfile({"email": _("Enter a valid email address.")})
    messages = list(
        conversation.messages.select_related("author__livechat_profile").order_by("seq")
    )
    with services.visitor_language(conversation):
        lines = [protocol.transcript_line(m) for m in messages]
        body = render_to_string(
            "livechat/email/transcript.txt",
            {"conversation": conversation, "lines": lines},
        )
        subject = _("Your chat transcript")
    EmailMessage(
        subject,
        body,
        app_settings.FROM_EMAIL or None,
        [clean["email"]],
    ).send()
    return clean["email"]


# The queue --------------------------------------------------------------------------


def _typical_first_response(now):
    """Median seconds to a first agent reply over recent answered chats."""
    waits = list(
        Conversation.objects.filter(
            source=Conversation.Source.CHAT,
            first_agent_reply_at__isnull=False,
            created_at__gte=now - timedelta(days=7),
        )
        .annotate(
            wait=ExpressionWrapper(
                F("first_agent_reply_at") - F("created_at"),
                output_field=DurationField(),
            )
        )
        .order_by("-created_at")
        .values_list("wait", flat=True)[:50]
    )
    if not waits:
        return None
    waits.sort()
    return max(waits[len(waits) // 2].total_seconds(), 5)


def queue_frames(now=None):
    """A ``queue`` frame for every waiting live chat, keyed by visitor id."""
    now = now or timezone.now()
    waiting = list(
        Conversation.objects.filter(
            status=Conversation.Status.WAITING, source=Conversation.Source.CHAT
        )
        .order_by("created_at", "pk")
        .values_list("pk", "visitor_id")
    )
    if not waiting:
        return {}
    typical = _typical_first_response(now)
    agents = availability.agents_online(now)
    frames = {}
    for position, (conversation_id, visitor_id) in enumerate(waiting, start=1):
        expected = None
        if typical is not None and agents:
            expected = int(math.ceil(position / agents) * typical)
        frames[visitor_id] = {
            "type": "queue",
            "conversation": conversation_id,
            "position": position,
            "expected_wait": expected,
        }
    return frames


def queue_frame_for(conversation):
    if conversation is None or conversation.status != Conversation.Status.WAITING:
        return None
    return queue_frames().get(conversation.visitor_id)


def publish_queue():
    """Tell every waiting shopper where they stand now (coalesced per process).

    Every change to the queue moves everyone behind it: a burst of changes
    (a hundred chats answered in a minute) is one frame per waiting shopper
    per interval, not one per change.
    """
    send_latest("queue", _queue_update)


def _queue_update():
    return [
        ([groups.visitor_group(visitor_id)], frame)
        for visitor_id, frame in queue_frames().items()
    ]


@events.listen(
    events.ConversationOpened,
    events.ConversationAssigned,
    events.ConversationTransferred,
    events.ConversationClosed,
    events.ConversationMissed,
)
def _queue_moved(event):
    """Runs after a change to the queue: the shoppers waiting learn their place."""
    if event.conversation.source != Conversation.Source.CHAT:
        return  # offline messages are not in the queue
    if isinstance(event, events.ConversationTransferred) and event.to_agent:
        return  # its ConversationAssigned moved the queue
    publish_queue()
