"""Uploading and serving attachments over HTTP (see docs/protocol.md).

Uploads keep Django's CSRF protection (the widget sends ``X-CSRFToken``).
Downloads answer only the conversation's visitor, by their session, and
agents; anyone else gets the same 404 as for a key that does not exist. The
file is streamed by Django, or, behind nginx with
LIVECHAT_ATTACHMENT_ACCEL_REDIRECT, sent by nginx from an internal location
once the view said yes.
"""

import logging
import re
from urllib.parse import quote

from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import presentation, protocol, services
from .access import may_chat_as, staff_role
from .adapter import get_adapter
from .attachments import (
    AttachmentRefused,
    build_attachment,
    open_stored,
    stored_name,
)
from .conf import app_settings
from .errors import ServiceError
from .models import Attachment, Conversation, Visitor
from .protocol import FrameError
from .ratelimit import RateLimited, client_ip, hit
from .tokens import VISITOR_SESSION_KEY, InvalidToken, read_visitor_token

security_logger = logging.getLogger("livechat.security")
logger = logging.getLogger("livechat.attachments")

_ID = re.compile(r"[0-9]{1,18}")
_SERVICE_STATUS = {"forbidden": 403, "conversation_closed": 409, "not_found": 404}


class _Refused(Exception):
    def __init__(self, code, message, status):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _error(code, message, status):
    return JsonResponse({"code": code, "message": str(message)}, status=status)


def _auth_failed(reason):
    security_logger.warning("livechat: attachment upload refused: %s", reason)
    return _Refused(
        "auth_failed", _("Your chat session has expired. Reload the page."), 403
    )


def _forbidden(reason, message=None):
    security_logger.warning("livechat: attachment upload refused: %s", reason)
    return _Refused("forbidden", message or _("You may not send files here."), 403)


def _visitor_of(request, token):
    """The visitor ``token`` proves, mirroring VisitorConsumer.on_hello."""
    try:
        key = read_visitor_token(token)
    except InvalidToken as exc:
        raise _auth_failed(exc) from exc
    visitor = Visitor.objects.filter(key=key).first()
    if visitor is None:
        raise _auth_failed("no visitor with the token's key")
    if not may_chat_as(request.user, visitor):
        raise _forbidden(
            f"visitor {visitor.pk} belongs to another user",
            _("Please log in again to continue this chat."),
        )
    return visitor


def _agent_conversation(request, conversation_id):
    """The conversation an agent posts to, if the user is an agent."""
    if not get_adapter().is_agent(request.user):
        raise _forbidden(f"user {request.user.pk} is not an agent")
    if not _ID.fullmatch(conversation_id):
        raise _Refused("bad_frame", _("'conversation' must be a whole number."), 400)
    conversation = Conversation.objects.filter(pk=int(conversation_id)).first()
    if conversation is None:
        raise _Refused("not_found", _("No such conversation."), 404)
    return conversation


def _client_id(request):
    try:
        return protocol.client_id_of({"client_id": request.POST.get("client_id")})
    except FrameError as exc:
        raise _Refused(exc.code, exc.message, 400) from exc


def _post(request, uploaded_file, client_id):
    token = request.POST.get("token")
    conversation_id = request.POST.get("conversation")
    if token and conversation_id:
        raise _Refused(
            "bad_frame", _("Send either 'token' or 'conversation', not both."), 400
        )
    ip = client_ip(request.META)
    if conversation_id:
        conversation = _agent_conversation(request, conversation_id)
        hit("upload", f"agent-{request.user.pk}", ip)
        attachment = build_attachment(uploaded_file)
        return services.post_agent_message(
            conversation,
            request.user,
            attachment.original_name,
            client_id,
            attachment=attachment,
        )
    if not token:
        raise _auth_failed("no token")
    visitor = _visitor_of(request, token)
    hit("upload", visitor.pk, ip)
    attachment = build_attachment(uploaded_file)
    return services.post_visitor_message(
        visitor, attachment.original_name, client_id, attachment=attachment
    )


@require_POST
def upload(request):
    """Store a file as a message: the answer is the ``ack`` frame."""
    try:
        uploaded_file = request.FILES.get("file")
        if uploaded_file is None:
            raise _Refused("bad_frame", _("The upload needs a 'file'."), 400)
        client_id = _client_id(request)
        message, created = _post(request, uploaded_file, client_id)
    except _Refused as exc:
        return _error(exc.code, exc.message, exc.status)
    except AttachmentRefused as exc:
        # build_attachment logs what was wrong with the file itself.
        return _error(exc.code, exc.message, exc.status)
    except ServiceError as exc:
        return _error(exc.code, exc.message, _SERVICE_STATUS.get(exc.code, 400))
    except RateLimited as exc:
        security_logger.warning("livechat: upload rate limit hit")
        response = JsonResponse(
            {
                "code": "rate_limited",
                "message": exc.message,
                "retriable": True,
                "retry_after": exc.retry_after,
            },
            status=429,
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
    except DatabaseError:
        logger.exception("livechat: storing an attachment failed")
        return JsonResponse(
            {
                "code": "unavailable",
                "message": _("Please try again in a moment."),
                "retriable": True,
            },
            status=503,
        )
    return JsonResponse(
        protocol.ack_frame(presentation.message_data(message), duplicate=not created),
        status=201 if created else 200,
    )


def _may_see(request, attachment):
    """Agents, supervisors and the conversation's own visitor; nobody else."""
    user = request.user
    if staff_role(user) is not None:
        return True
    visitor = attachment.conversation.visitor
    if visitor.user_id:
        return may_chat_as(user, visitor)
    session = getattr(request, "session", None)
    return session is not None and session.get(VISITOR_SESSION_KEY) == str(visitor.key)


# Sent with every file, whether daphne streams it or nginx does. nginx keeps
# only some of an X-Accel-Redirect answer's headers (Content-Type,
# Content-Disposition, Cache-Control among them): its internal location adds
# the others itself (docs/deployment.md).
_SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "private, max-age=3600",
}


def _accel_redirect(prefix, name, content_type, as_attachment, filename):
    """An empty answer telling nginx to send the stored file ``name`` itself,
    from the internal location ``prefix`` (LIVECHAT_ATTACHMENT_ACCEL_REDIRECT)."""
    response = HttpResponse(content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment, filename
    )
    response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(name)
    return response


@require_GET
def download(request, key):
    """Serve a file to whoever may see it, never as active content: streamed
    by Django, or by nginx when LIVECHAT_ATTACHMENT_ACCEL_REDIRECT is set."""
    try:
        attachment = Attachment.objects.select_related("conversation__visitor").get(
            key=key
        )
    except ObjectDoesNotExist:
        raise Http404 from None
    if not _may_see(request, attachment):
        # The same answer as for a missing key: no existence oracle.
        raise Http404
    thumbnail = request.GET.get("thumb") == "1"
    if thumbnail:
        stem = attachment.original_name.rsplit(".", 1)[0]
        content_type, filename = "image/png", f"{stem}-thumbnail.png"
        as_attachment = False
    else:
        content_type, filename = attachment.content_type, attachment.original_name
        # Only images show in the page; anything else is saved to disk.
        as_attachment = not content_type.startswith("image/")
    prefix = app_settings.ATTACHMENT_ACCEL_REDIRECT
    if prefix:
        name = stored_name(attachment, thumbnail=thumbnail)
        if name is None:
            raise Http404
        # nginx answers 404 itself if the file is gone from the disk.
        response = _accel_redirect(prefix, name, content_type, as_attachment, filename)
    else:
        stored = open_stored(attachment, thumbnail=thumbnail)
        if stored is None:
            raise Http404
        response = FileResponse(
            stored,
            content_type=content_type,
            as_attachment=as_attachment,
            filename=filename,
        )
    for header, value in _SAFE_HEADERS.items():
        response[header] = value
    return response
