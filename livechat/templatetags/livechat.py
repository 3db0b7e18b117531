"""``{% livechat_widget %}``: the shopper's chat launcher and panel.

Usage in a base template::

    {% load livechat %}
    ...
    {% livechat_widget %}
    </body>

The tag needs ``request`` in the context (the ``request`` context processor),
sessions and ``livechat.middleware.LivechatVisitorMiddleware``. It only
reads: the middleware keeps who the shopper is and the page they saw once
the page has rendered, so a page view writes nothing while it renders. It
renders a signed visitor token, one ``json_script`` config (the first
availability snapshot, the store's face, the forms' settings, the proactive
invitation) and, in ``<template>`` elements of ``livechat/widget.html``, the
widget's translated words and icons. ``livechat/widget.min.js`` (built from
the ES modules in ``static/livechat/widget/``) builds the UI from them and
loads ``widget.css`` itself, so nothing blocks the page's rendering.
"""

import logging

from django import template
from django.middleware.csrf import get_token
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from ..adapter import get_adapter
from ..branding import widget_contact, widget_face
from ..conf import app_settings
from ..invitations import invitation_for
from ..middleware import WidgetVisit
from ..models import Conversation, Department
from ..services.availability import availability
from ..tokens import make_visitor_token

register = template.Library()
logger = logging.getLogger(__name__)

PRECHAT_MODES = ("required", "optional", "hidden")
PRECHAT_NAMES = ("name", "email", "phone", "topic")
_warned = set()


def _warn_once(message):
    # A base template renders on every page: one warning is enough.
    if message not in _warned:
        _warned.add(message)
        logger.warning(message)


def _url(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        _warn_once(
            f"livechat_widget: no URL named {name!r}; include livechat.urls "
            "in your URLconf (status polling and attachments are off without it)"
        )
        return ""


def _prechat_fields():
    """LIVECHAT_PRECHAT_FIELDS with unknown names and modes left out."""
    fields = app_settings.PRECHAT_FIELDS or {}
    return {
        name: mode
        for name, mode in fields.items()
        if name in PRECHAT_NAMES and mode in PRECHAT_MODES
    }


def _prechat_for(visitor, prechat):
    """``(fields, skip)``: the pre-chat fields to ask, or skip the form.

    A logged-in customer whose required details we know is not asked them
    again. They are asked the topic alone when it is required, or when
    departments take chats by topic: without one, routing passes them by.
    """
    if visitor is None:
        return prechat, False
    for name, mode in prechat.items():
        if name != "topic" and mode == "required" and not getattr(visitor, name):
            return prechat, False
    topic = prechat.get("topic", "hidden")
    if app_settings.TOPICS and (
        topic == "required"
        or (topic == "optional" and Department.objects.exclude(topics="").exists())
    ):
        return {"topic": topic}, False
    return prechat, True


def _luminance(color):
    digits = color[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = []
    for i in (0, 2, 4):
        c = int(digits[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _text_on(color):
    """White text on the accent when it reads at 4.5:1 (WCAG AA), else black.

    Where white fails, black always passes (pure #000, not a softer grey).
    """
    return "#fff" if 1.05 / (_luminance(color) + 0.05) >= 4.5 else "#000"


def _page_marks(request):
    """``(checkout, avoid)`` for the widget's root: whether the adapter's
    ``describe_page`` calls this page the checkout (the widget then keeps
    clear of it as of a page marked ``data-livechat-checkout``), and the
    adapter's ``widget_avoid_selectors`` as one selector list."""
    adapter = get_adapter()
    try:
        page = adapter.describe_page(request.path)
    except Exception:
        logger.exception("livechat: the adapter's describe_page failed")
        page = None
    checkout = isinstance(page, dict) and page.get("kind") == "checkout"
    selectors = getattr(adapter, "widget_avoid_selectors", ()) or ()
    avoid = ",".join(s.strip() for s in selectors if isinstance(s, str) and s.strip())
    return checkout, avoid


def _config(request, face, visitor):
    """The widget's data, rendered with json_script (escaped for <script>)."""
    prechat, skip_prechat = _prechat_for(visitor, _prechat_fields())
    return {
        "availability": availability(),
        "status_url": _url("livechat:status"),
        "upload_url": _url("livechat:attachment-upload"),
        "csrf": get_token(request),
        "poll": app_settings.STATUS_POLL_SECONDS,
        "no_reply": app_settings.NO_REPLY_TIMEOUT,
        "prechat": prechat,
        "skip_prechat": skip_prechat,
        "topics": [[key, str(label)] for key, label in app_settings.TOPICS],
        "max_upload": app_settings.MAX_UPLOAD_BYTES,
        "invitation": invitation_for(request),
        "logo": face["logo"],
        "contact": widget_contact(),
        "visitor": {"name": visitor.name, "email": visitor.email}
        if visitor is not None
        else None,
    }


@register.inclusion_tag("livechat/widget.html", takes_context=True)
def livechat_widget(context):
    """Render the chat widget for the shopper of ``context["request"]``."""
    request = context.get("request")
    if request is None:
        _warn_once(
            "livechat_widget rendered nothing: no 'request' in the template "
            "context; add 'django.template.context_processors.request'"
        )
        return {"enabled": False}
    if not hasattr(request, "session"):
        _warn_once(
            "livechat_widget rendered nothing: request.session is missing; "
            "enable SessionMiddleware"
        )
        return {"enabled": False}

    visit = getattr(request, "livechat_visit", None)
    keep_now = visit is None
    if keep_now:
        # No middleware to keep the shopper after the page: the tag keeps
        # them itself, writing while the page renders (livechat.W006).
        _warn_once(
            "livechat_widget writes while the page renders: add "
            "livechat.middleware.LivechatVisitorMiddleware to MIDDLEWARE "
            "after AuthenticationMiddleware"
        )
        visit = WidgetVisit(request)
    key, visitor = visit.key, visit.visitor
    if keep_now:
        visit.keep()
    checkout, avoid = _page_marks(request)
    face = widget_face()
    # str() translates a title or greeting the host wrapped in gettext_lazy.
    face["title"], face["greeting"] = str(face["title"]), str(face["greeting"])
    accent = face["color"].strip().lower()
    max_length = app_settings.MAX_MESSAGE_LENGTH
    return {
        "enabled": True,
        "token": make_visitor_token(key),
        "ws_path": app_settings.WEBSOCKET_PATH,
        "position": face["position"],
        "accent": accent,
        "on_accent": _text_on(accent),
        "max_length": max_length,
        "title": face["title"],
        "greeting": face["greeting"],
        "has_open_conversation": Conversation.objects.filter(
            visitor__key=key, status__in=Conversation.OPEN_STATUSES
        ).exists(),
        "lang": context.get("LANGUAGE_CODE") or translation.get_language() or "",
        "dir": "rtl" if translation.get_language_bidi() else "ltr",
        "checkout": checkout,
        "avoid": avoid,
        "config": _config(request, face, visitor),
    }


@register.inclusion_tag("livechat/chat_button.html", takes_context=True)
def livechat_chat_button(context, label=None):
    """``{% livechat_chat_button ["label"] %}``: an inline "Chat with us"
    button with one line on how the chat works, for contact, help and product
    pages. The widget opens its panel when it is pressed (``data-livechat-open``).

    Renders nothing where ``{% livechat_widget %}`` renders nothing (no
    request or no session). When nobody can chat it still renders: the panel
    then offers the form for leaving a message, and the line says so.
    """
    request = context.get("request")
    if request is None or not hasattr(request, "session"):
        return {"enabled": False}
    if availability()["available"]:
        hint = _("Type a question and an agent answers here, usually within minutes.")
    else:
        hint = _(
            "Nobody can chat right now: leave a message here and we will answer "
            "by email."
        )
    return {
        "enabled": True,
        "label": label if label else _("Chat with us"),
        "hint": hint,
    }
