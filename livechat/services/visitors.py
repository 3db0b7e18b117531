"""Shoppers: who they are, their sockets, what they tell us, their verdicts.

Like every write module here, these persist first and publish only once the
transaction has committed; changes emit their events (``livechat.events``).
"""

import logging
import re

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Greatest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import events, presentation
from ..access import may_chat_as
from ..adapter import get_adapter
from ..conf import app_settings
from ..errors import ServiceError
from ..ip_addresses import stored_ip
from ..models import Conversation, Visitor
from ..realtime.groups import conversation_group
from ..realtime.publishing import publish_conversation, send_latest
from ..shopper import ShopperRequest
from .availability import store_timezone
from .lookups import open_conversation_of, open_conversations, visitor_language
from .visit_history import visit_context

logger = logging.getLogger(__name__)

_PHONE = re.compile(r"^[0-9+()./\- ]{5,40}$")
PROFILE_FIELDS = ("name", "email", "phone")


def get_or_create_visitor(key, user=None):
    """Return the visitor with ``key``, creating it; link it to ``user``.

    Raises ``ServiceError("forbidden")``, changing nothing, when the visitor
    belongs to another customer (``access.may_chat_as``). An anonymous
    visitor becomes the logged-in ``user``'s: their chat follows them.
    """
    with transaction.atomic():
        visitor, _created = Visitor.objects.select_for_update().get_or_create(key=key)
        if not may_chat_as(user, visitor):
            raise ServiceError(
                "forbidden", _("Please log in again to continue this chat.")
            )
        if visitor.user_id is None and user is not None and user.is_authenticated:
            _link_to_user(visitor, user)
            visitor.save(update_fields=["user", "name", "email"])
            _publish_linked(visitor)
    return visitor


def _link_to_user(visitor, user):
    """Make ``visitor`` the customer's, filling its name and email from them."""
    visitor.user = user
    get_adapter().populate_visitor(visitor, user)


def _publish_linked(visitor):
    """A chat begun anonymously is now a customer's: the consoles show their
    account's email from now on, the one typed before as the other."""
    conversation = open_conversation_of(visitor)
    if conversation is not None:
        conversation.visitor = visitor
        publish_conversation(conversation)


def visitor_for_user(user, anonymous_key=None):
    """The visitor a logged-in user chats as, the same on every device.

    A shopper who chatted anonymously and then logged in keeps that
    conversation: with no visitor of their own yet, the anonymous visitor of
    ``anonymous_key`` (from their session) becomes theirs, or a new one with
    that key. Saves only when the visitor is not theirs yet.
    """
    visitor, stored = find_visitor_for_user(user, anonymous_key)
    if stored:
        return visitor
    try:
        with transaction.atomic():
            visitor.save()
            _publish_linked(visitor)
    except IntegrityError:
        # Another request of this session saved the same key first.
        visitor, _stored = find_visitor_for_user(user, anonymous_key)
    return visitor


def find_visitor_for_user(user, anonymous_key=None):
    """``(visitor, stored)``: what ``visitor_for_user`` returns, reading only.

    ``stored`` is False when the visitor is not the user's in the database
    yet: it is linked in memory only, ``visitor_for_user`` saves it.
    """
    visitor = Visitor.objects.filter(user=user).order_by("-last_seen_at").first()
    if visitor is not None:
        return visitor, True
    if anonymous_key is not None:
        visitor = Visitor.objects.filter(key=anonymous_key).first()
        if visitor is None:
            visitor = Visitor(key=anonymous_key)
        elif visitor.user_id is not None:
            visitor = None  # another customer's: never theirs
    if visitor is None:
        visitor = Visitor()
    _link_to_user(visitor, user)
    return visitor, False


def visitor_socket_opened(visitor):
    Visitor.objects.filter(pk=visitor.pk).update(
        live_sockets=F("live_sockets") + 1, absent_since=None
    )


def visitor_socket_closed(visitor):
    # F() reads the row as it was before this update: its last socket closes.
    Visitor.objects.filter(pk=visitor.pk).update(
        live_sockets=Greatest(F("live_sockets") - 1, Value(0)),
        absent_since=Case(
            When(live_sockets__lte=1, then=Value(timezone.now())),
            default=F("absent_since"),
        ),
    )


def touch_visitor(
    visitor, page=None, locale=None, user_agent=None, session_key=None, ip=None
):
    """Record that the visitor is here now, and where."""
    visitor.last_seen_at = timezone.now()
    fields = ["last_seen_at"]
    ip = stored_ip(ip)
    if ip and ip != visitor.ip_address:
        visitor.ip_address = ip
        fields.append("ip_address")
    for name, value, limit in (
        ("current_page", page, 2000),
        ("locale", locale, 35),
        ("user_agent", user_agent, 500),
        ("session_key", session_key, 40),
    ):
        if isinstance(value, str) and value[:limit] != getattr(visitor, name):
            setattr(visitor, name, value[:limit])
            fields.append(name)
    visitor.save(update_fields=fields)


# The longest page title relayed to agents, in characters.
PAGE_TITLE_LENGTH = 300


def record_page(visitor, url: str, title: str = "") -> None:
    """The shopper moved to the page ``url`` (titled ``title``).

    Stored as their current page; the agents following their open chat get a
    ``visitor_page`` frame, the latest only (a shopper clicking through ten
    pages in a second is one frame per ``LIVECHAT_INBOX_BATCH_SECONDS``).
    """
    touch_visitor(visitor, page=url)
    conversation_id = open_conversations(visitor).values_list("pk", flat=True).first()
    if conversation_id is None:
        return
    frame = {
        "type": "visitor_page",
        "conversation": conversation_id,
        "visitor": visitor.pk,
        "url": visitor.current_page,
        "title": " ".join(title.split())[:PAGE_TITLE_LENGTH],
    }
    pairs = [([conversation_group(conversation_id)], frame)]
    send_latest(("page", visitor.pk), lambda: pairs)


def store_context(visitor, shopper=None):
    """What the adapter's ``get_visitor_context`` says about ``visitor``
    (``{}`` when it fails: the failure is logged, agents still answer)."""
    shopper = shopper or ShopperRequest.for_visitor(visitor)
    try:
        return get_adapter().get_visitor_context(visitor, request=shopper) or {}
    except Exception:
        # A broken store hook must not stop agents from answering.
        logger.exception("livechat: get_visitor_context failed")
        return {}


def visitor_context(visitor, conversation_id=None):
    """What agents see beside a conversation: ``(store_context, visit)``.

    ``store_context`` comes from the adapter (cart, orders...); ``visit`` is
    livechat's own (pages seen, browser, language, past conversations).
    """
    shopper = ShopperRequest.for_visitor(visitor)
    return store_context(visitor, shopper), visit_context(
        visitor, shopper.session, exclude_conversation=conversation_id
    )


# The pre-chat form and "leave your email" ----------------------------------------


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
            conversation = open_conversation_of(visitor)
            if conversation is not None:
                conversation.visitor = visitor
                publish_conversation(conversation)
            events.emit(events.VisitorProfileChanged(visitor, tuple(changed)))
    return visitor


def clean_topic(topic):
    keys = {key for key, _label in app_settings.TOPICS}
    return topic if isinstance(topic, str) and topic in keys else ""


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
        publish_conversation(conversation)
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
    tz = store_timezone()
    with visitor_language(conversation):
        lines = presentation.transcript_lines(messages, tz)
        body = render_to_string(
            "livechat/email/transcript.txt",
            {"conversation": conversation, "lines": lines, "timezone": str(tz)},
        )
        subject = _("Your chat transcript")
    EmailMessage(
        subject,
        body,
        app_settings.FROM_EMAIL or None,
        [clean["email"]],
    ).send()
    return clean["email"]
