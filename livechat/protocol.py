"""The JSON frames of the WebSocket protocol (docs/protocol.md).

Builders turn models into frames; ``parse_frame`` validates what a client
sent. Nothing here touches the database, a socket, the URLconf or the host's
adapter: what those say (an agent's public name and avatar, an attachment's
URL) comes in already resolved, from ``livechat.presentation``; related rows
a builder reads (a conversation's visitor) are the caller's to have loaded.
"""

import json
import re

from django.utils.translation import gettext as _

from .conf import app_settings

PROTOCOL_VERSION = 1

# Close codes (4000-4999 are free for applications in RFC 6455).
CLOSE_UNSUPPORTED_VERSION = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_HELLO_TIMEOUT = 4408
CLOSE_TOO_MANY_CONNECTIONS = 4429
CLOSE_UNAVAILABLE = 4503  # the database could not be reached: try again
# RFC 6455's "message too big": a frame over LIVECHAT_MAX_FRAME_BYTES.
CLOSE_FRAME_TOO_LARGE = 1009

# NUL and lone surrogates, and the JSON escapes that may bring them in.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_ESCAPED_UNSTORABLE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


class FrameError(Exception):
    """A frame the server refuses; ``code`` is sent back in the error frame."""

    def __init__(self, code, message, client_id=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.client_id = client_id


def parse_frame(text, allowed_types):
    """Decode one text frame into a dict with a known ``type`` or raise."""
    if text is None:
        raise FrameError("bad_frame", _("Only text frames are accepted."))
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # "[[[[...": too deep to decode
        raise FrameError("bad_json", _("The frame is not valid JSON.")) from exc
    if not isinstance(data, dict):
        raise FrameError("bad_frame", _("A frame must be a JSON object."))
    if _ESCAPED_UNSTORABLE.search(text) and _holds_unstorable(data):
        client_id = data.get("client_id")  # which message the widget must drop
        raise FrameError(
            "bad_frame",
            _("The frame holds a character that no text may contain."),
            client_id
            if isinstance(client_id, str) and client_id.isprintable()
            else None,
        )
    kind = data.get("type")
    if not isinstance(kind, str):
        raise FrameError("bad_frame", _("A frame needs a string 'type'."))
    if kind not in allowed_types:
        raise FrameError("unknown_type", _("Unknown frame type."))
    return data


def _holds_unstorable(data):
    """Does a string anywhere in ``data`` hold NUL or a lone surrogate?

    JSON escapes bring them in (``"\\u0000"``, ``"\\ud800"``); no database
    text or UTF-8 holds them, so every use of such a string would fail.
    """
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                return True
        elif isinstance(value, dict):
            stack.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def client_id_of(data):
    """Return the frame's client id, which must be 1-64 printable characters."""
    client_id = data.get("client_id")
    if (
        not isinstance(client_id, str)
        or not 0 < len(client_id) <= 64
        or not client_id.isprintable()
    ):
        raise FrameError(
            "bad_frame", _("A message needs a 'client_id' of 1 to 64 characters.")
        )
    return client_id


def body_of(data, client_id=None):
    """Return the frame's stripped message body, checking its length."""
    body = data.get("body")
    if not isinstance(body, str):
        raise FrameError("bad_frame", _("A message needs a text 'body'."), client_id)
    body = body.strip()
    if not body:
        raise FrameError("empty", _("The message is empty."), client_id)
    if len(body) > app_settings.MAX_MESSAGE_LENGTH:
        raise FrameError(
            "too_large",
            _("The message is longer than %(limit)d characters.")
            % {"limit": app_settings.MAX_MESSAGE_LENGTH},
            client_id,
        )
    return body


def offer_code_of(data, client_id=None):
    """The frame's ``offer`` (a coupon code of 1-40 characters), or None."""
    code = data.get("offer")
    if code is None:
        return None
    if (
        not isinstance(code, str)
        or not 0 < len(code.strip()) <= 40
        or not code.isprintable()
    ):
        raise FrameError(
            "bad_frame", _("'offer' must be a code of 1 to 40 characters."), client_id
        )
    return code.strip()


def int_of(data, key, default=None, minimum=0):
    """Return a non-negative integer field (not a bool) or raise."""
    value = data.get(key, default)
    if value is None and default is None:
        raise FrameError("bad_frame", _("'%(key)s' is required.") % {"key": key})
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise FrameError(
            "bad_frame", _("'%(key)s' must be a whole number.") % {"key": key}
        )
    if value > 2**31:
        raise FrameError("bad_frame", _("'%(key)s' is out of range.") % {"key": key})
    return value


def error_frame(code, message, client_id=None, retriable=False, fields=None):
    frame = {"type": "error", "code": code, "message": str(message)}
    if fields:
        frame["fields"] = {k: str(v) for k, v in fields.items()}
    if client_id is not None:
        frame["client_id"] = client_id
    if retriable:
        frame["retriable"] = True
    return frame


def _iso(value):
    return value.isoformat() if value else None


def author_frame(name, avatar):
    """Who wrote a message, as shoppers may see it: the adapter's public name
    and avatar URL of an agent."""
    return {"name": name, "avatar": avatar}


def attachment_frame(attachment, url):
    """A file as clients see it: ``url`` is the download view's, which checks
    who asks, never a public one."""
    return {
        "url": url,
        "thumbnail": f"{url}?thumb=1" if attachment.thumbnail else None,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "width": attachment.width,
        "height": attachment.height,
    }


def message_data(message, author=None, attachment=None):
    """A message as clients see it. ``author``: its ``author_frame`` (None for
    a shopper's or the system's); ``attachment``: its ``attachment_frame``."""
    return {
        "id": message.pk,
        "conversation": message.conversation_id,
        "seq": message.seq,
        "sender": message.sender_kind,
        "author": author,
        "body": message.body,
        "client_id": message.client_id or None,
        "created": _iso(message.created_at),
        "attachment": attachment,
    }


def transcript_line(message, author_name=None, attachment=None, tz=None):
    """One line of an emailed transcript: time, who, what. ``author_name``:
    an agent author's public name; ``attachment``: the message's file; ``tz``:
    the store's time zone, named after each time ("14:05 CET"). A system line
    ("The chat has ended.") has no sender."""
    text = message.body
    if attachment is not None:
        text = _("[file] %(name)s") % {"name": attachment.original_name}
    moment = message.created_at.astimezone(tz) if tz is not None else message.created_at
    stamp = f"{moment:%Y-%m-%d %H:%M} {moment.tzname() or ''}".rstrip()
    if message.sender_kind == "agent":
        who = author_name or _("Support")
    elif message.sender_kind == "visitor":
        who = _("You")
    else:
        return f"{stamp} {text}"
    return f"{stamp} {who}: {text}"


def messages_frame(conversation_id, messages, more=False):
    """A page of messages, each already ``message_data``."""
    return {
        "type": "messages",
        "conversation": conversation_id,
        "messages": messages,
        "more": more,
    }


def inbox_page_frame(section, summaries, cursor, counts):
    """A page of an inbox section; ``next``: the cursor of the page after."""
    frame = {
        "type": "inbox_page",
        "section": section,
        "conversations": summaries,
        "next": cursor,
    }
    if counts is not None:
        frame["counts"] = counts
    return frame


def frame_parts(text, limit, part_id):
    """``text`` (an encoded frame) as ``part`` frames of at most ``limit`` bytes.

    Each part carries a slice of the text; the client joins the ``data`` of
    parts ``0`` to ``count - 1`` of one ``id`` and reads the frame they make.
    The text is ASCII (JSON with every other character escaped), and quoted
    again in a part each of its characters takes at most 2 bytes, so a slice
    of ``(limit - 100) // 2`` characters keeps every part under the limit.
    """
    size = max(1, (limit - 100) // 2)
    chunks = [text[i : i + size] for i in range(0, len(text), size)]
    return [
        {
            "type": "part",
            "id": part_id,
            "index": index,
            "count": len(chunks),
            "data": chunk,
        }
        for index, chunk in enumerate(chunks)
    ]


def ack_frame(data, duplicate=False):
    """The sender's receipt of a message (``message_data``)."""
    return {
        "type": "ack",
        "client_id": data["client_id"],
        "id": data["id"],
        "conversation": data["conversation"],
        "seq": data["seq"],
        "created": data["created"],
        "duplicate": duplicate,
    }


def agent_ref(agent_id, author):
    """An assigned agent: their id and their ``author_frame``."""
    return {"id": agent_id, **author}


def conversation_state(conversation, agent=None):
    """A conversation as the visitor sees it (no internal fields). ``agent``:
    the assigned agent's ``agent_ref``, None when unassigned."""
    status = conversation.status
    if status == "missed":
        # "Missed" is the store's bookkeeping; the shopper is still waiting.
        status = "waiting"
    return {
        "id": conversation.pk,
        "status": status,
        "agent": agent,
        "last_seq": conversation.last_seq,
        "agent_read_seq": conversation.agent_read_seq,
        "created": _iso(conversation.created_at),
    }


ACTIVITY_FIELDS = (
    "id",
    "last_seq",
    "agent_read_seq",
    "visitor_read_seq",
    "preview",
    "last_message_at",
)


def activity_summary(summary):
    """A summary's message-activity fields only: never a status or an agent.

    Sent coalesced and so possibly late: without state fields it can never
    undo a newer state change, and the counters only grow.
    """
    return {key: summary[key] for key in ACTIVITY_FIELDS}


def conversation_activity(conversation, preview=""):
    """``activity_summary`` of a conversation, without building the summary."""
    return {
        "id": conversation.pk,
        "last_seq": conversation.last_seq,
        "agent_read_seq": conversation.agent_read_seq,
        "visitor_read_seq": conversation.visitor_read_seq,
        "preview": preview[:140],
        "last_message_at": _iso(conversation.last_message_at),
    }


def visitor_emails(visitor):
    """``(email, other_email)``: one address for one person, and the other.

    Once the shopper is logged in their account's email is theirs; an email
    they typed in the pre-chat form before logging in is kept (they may want
    the answer there) as ``other_email``, only when it differs. The visitor's
    user must be loaded.
    """
    typed = visitor.email or ""
    account = (visitor.user.email or "") if visitor.user_id else ""
    if not account:
        return typed, ""
    other = typed if typed and typed.casefold() != account.casefold() else ""
    return account, other


def conversation_summary(conversation, preview="", agent=None, tags=None):
    """A conversation as the agents' inbox sees it. ``agent``: the assigned
    agent's ``agent_ref``; the visitor and their user must be loaded.
    ``tags``: its tags, when the caller has them (else no ``tags`` key: the
    client keeps what it knows)."""
    visitor = conversation.visitor
    email, other_email = visitor_emails(visitor)
    summary = {
        "id": conversation.pk,
        "status": conversation.status,
        "topic": conversation.topic,
        "department": conversation.department_id,
        "close_tag": conversation.close_tag,
        "source": conversation.source,
        "rating": conversation.rating or None,
        "rating_comment": conversation.rating_comment,
        "visitor": {
            "id": visitor.pk,
            "name": str(visitor.display_name),
            "given_name": visitor.name
            or (visitor.user.first_name if visitor.user_id else ""),
            "email": email,
            "other_email": other_email,
            "phone": visitor.phone,
            "current_page": visitor.current_page,
            "locale": visitor.locale,
        },
        "agent": agent,
        "last_seq": conversation.last_seq,
        "agent_read_seq": conversation.agent_read_seq,
        "visitor_read_seq": conversation.visitor_read_seq,
        "preview": preview[:140],
        "created": _iso(conversation.created_at),
        "last_message_at": _iso(conversation.last_message_at),
        "first_agent_reply_at": _iso(conversation.first_agent_reply_at),
        "closed_at": _iso(conversation.closed_at),
        "snoozed": getattr(conversation, "snoozed_at", None) is not None,
        "reopened_at": _iso(getattr(conversation, "reopened_at", None)),
    }
    if tags is not None:
        summary["tags"] = list(tags)
    return summary
