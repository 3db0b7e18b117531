"""When the shopper is not there: offline messages and answers by email.

A shopper who finds nobody online leaves a message (``post_offline_message``);
the agent's answer goes to their email too. An agent's reply that reaches no
widget of theirs is emailed later if they stay away (``send_due_followups``,
run by housekeeping). Both start from the ``MessageStored`` event, whichever
route stored the reply.
"""

import logging
from datetime import timedelta

from django.core.mail import EmailMessage, mail_managers
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import events, ratelimit
from ..adapter import get_adapter
from ..conf import app_settings
from ..models import Conversation, Message
from ..realtime.publishing import publish_conversation
from .lookups import locked, stored_message, visitor_language
from .messages import store_message
from .search import conversation_language
from .visitors import PROFILE_FIELDS, InvalidProfile, clean_profile, clean_topic

logger = logging.getLogger(__name__)


def post_offline_message(visitor, data, client_id, ip=None):
    """Leave a message while nobody is there; agents see it first when back.

    Returns ``(conversation, created)``; a repeated ``client_id`` creates
    nothing and sends no second email. The ``offline`` rate limit (per
    visitor and per ``ip``) counts every other attempt, before it is stored.
    """
    existing = stored_message(client_id, conversation__visitor=visitor)
    if existing is not None:
        return existing.conversation, False
    ratelimit.hit("offline", visitor.pk, ip)
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
                language=conversation_language(visitor),
                source=Conversation.Source.OFFLINE,
                start_page=visitor.current_page[:500],
                topic=clean_topic(data.get("topic")),
            )
            message = store_message(
                conversation, Message.Sender.VISITOR, body, client_id
            )
            publish_conversation(conversation, body)
            transaction.on_commit(lambda: _notify_staff(conversation, message))
            events.emit(events.ConversationOpened(conversation))
            events.emit(events.OfflineMessageLeft(conversation, message))
    except IntegrityError:
        existing = stored_message(client_id, conversation__visitor=visitor)
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
    with visitor_language(message.conversation):
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
            conversation = locked(conversation_id)
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
    with visitor_language(conversation):
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


def _reply_to_email(event):
    """An agent's reply that may have to go by email: to an offline message
    (the shopper left one because nobody was there), or in a chat with no
    widget of a shopper we can email connected. Read from the event's loaded
    fields, so a reply in a chat the shopper has open costs nothing."""
    message, conversation = event.message, event.conversation
    if message.sender_kind != Message.Sender.AGENT:
        return False
    if conversation.source == Conversation.Source.OFFLINE:
        return True
    visitor = conversation.visitor
    return _can_follow_up(visitor) and not visitor.live_sockets


@events.listen(events.MessageStored, wanted=_reply_to_email)
def _answer_by_email(event):
    """Runs after an agent's reply is stored: email it now or maybe later."""
    if event.conversation.source == Conversation.Source.OFFLINE:
        email_offline_reply(event.message)
    else:
        follow_up_later(event.message, event.conversation)
