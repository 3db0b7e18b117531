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
from django.db.models import DurationField, ExpressionWrapper, F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from . import availability, protocol, services
from .adapter import get_adapter
from .conf import app_settings
from .models import Conversation, Message
from .outbox import send_latest

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
        visitor.save(update_fields=changed)
        conversation = services.open_conversation_of(visitor)
        if conversation is not None:
            conversation.visitor = visitor
            with transaction.atomic():
                services.publish_conversation(conversation)
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


def follow_up_absent_visitor(message, conversation=None):
    """Email an agent's reply to a shopper whose widget is gone.

    A phone that lost its connection mid-chat would otherwise never see the
    answer; the email from the pre-chat form (or left while waiting) lets the
    store follow up. At most once per LIVECHAT_FOLLOWUP_EMAIL_EVERY_SECONDS
    per conversation, and never while a widget of theirs is connected.
    """
    every = app_settings.FOLLOWUP_EMAIL_EVERY_SECONDS
    if conversation is None:
        conversation = message.conversation
    # The reply's transaction read the visitor with the conversation locked:
    # fresh enough, and no query on every reply.
    visitor = conversation.visitor
    if not every or visitor is None or not visitor.email or visitor.live_sockets:
        return
    since = timezone.now() - timedelta(seconds=every)
    claimed = (
        Conversation.objects.filter(pk=conversation.pk)
        .filter(Q(followup_sent_at__isnull=True) | Q(followup_sent_at__lt=since))
        .update(followup_sent_at=timezone.now())
    )
    if not claimed:
        return
    name = get_adapter().agent_public_name(message.author) if message.author else ""
    conversation.visitor = visitor
    with services.visitor_language(conversation):
        body = render_to_string(
            "livechat/email/followup.txt",
            {"message": message, "agent_name": name, "visitor": visitor},
        )
        subject = _("You have a reply to your chat")
    try:
        EmailMessage(
            subject, body, app_settings.FROM_EMAIL or None, [visitor.email]
        ).send()
    except Exception:
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
        raise services.ServiceError(
            "conversation_open", _("You can rate the chat once it has ended.")
        )
    with transaction.atomic():
        conversation.rating = rating
        conversation.rating_comment = comment
        conversation.rated_at = timezone.now()
        conversation.save(update_fields=["rating", "rating_comment", "rated_at"])
        services.publish_conversation(conversation)
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
        ([services.visitor_group(visitor_id)], frame)
        for visitor_id, frame in queue_frames().items()
    ]
