"""Saved replies managed from the console: an agent's own, and shared ones.

Who may change what (the admin's rules, kept):

- an agent's own replies (``owner`` set): that member of staff only;
- shared replies (no ``owner``): supervisors, and staff holding Django's
  ``livechat.add_cannedreply`` / ``change_cannedreply`` /
  ``delete_cannedreply`` permission (what the admin asks);
- agents see the shared replies and their own, never a colleague's.

Every change sends the changed scope's list again (``canned`` frame): an
agent's own list to that agent's consoles, the shared list to every console.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ..adapter import get_adapter
from ..errors import ServiceError
from ..models import CannedReply, Department, Message
from ..realtime.groups import AGENTS_GROUP, agent_group
from ..realtime.publishing import publish_on_commit

# What a console may set on a reply.
EDITABLE = ("title", "shortcut", "language", "body", "department")


def reply_data(reply) -> dict:
    """A saved reply as the console sees it."""
    return {
        "id": reply.pk,
        "title": reply.title,
        "shortcut": reply.shortcut,
        "language": reply.language,
        "body": reply.body,
        "department": reply.department_id,
        "owner": reply.owner_id,
    }


def replies_for(user) -> list[dict]:
    """The replies offered to ``user``: the shared ones and their own."""
    rows = CannedReply.objects.filter(Q(owner__isnull=True) | Q(owner=user))
    return [reply_data(reply) for reply in rows]


def may_manage(user, reply_owner_id, action: str) -> bool:
    """May ``user`` ``action`` ("add", "change", "delete") a reply of this
    owner (None: a shared one)?"""
    if reply_owner_id is not None:
        return reply_owner_id == user.pk
    return get_adapter().is_supervisor(user) or user.has_perm(
        f"livechat.{action}_cannedreply"
    )


def save_reply(user, data: dict, reply_id=None, from_message=None):
    """Create (``reply_id`` None) or edit a saved reply; returns it.

    ``data``: ``title``, ``shortcut``, ``body``, optional ``language``,
    ``department`` (an id or None) and, on creation, ``shared`` (bool). A new
    reply's ``body`` may come from a stored message (``from_message``, its
    id) instead. Refused with ``forbidden`` (not theirs to change),
    ``not_found``, ``invalid`` (a field; ``ServiceError.fields``) or
    ``duplicate`` (the shortcut and language are taken in that list).
    """
    if reply_id is None:
        shared = data.get("shared") is True
        reply = CannedReply(owner=None if shared else user)
        action = "add"
    else:
        reply = CannedReply.objects.filter(pk=reply_id).first()
        if reply is None or not _visible_to(reply, user):
            raise ServiceError("not_found", _("No such saved reply."))
        action = "change"
    if not may_manage(user, reply.owner_id, action):
        raise ServiceError("forbidden", _("You may not change the shared replies."))
    values = dict(data)
    if from_message is not None and not values.get("body"):
        values["body"] = _message_body(from_message)
    _apply(reply, values, creating=reply_id is None)
    try:
        with transaction.atomic():
            reply.save()
            _publish(reply.owner_id)
    except IntegrityError:
        raise ServiceError(
            "duplicate", _("A saved reply with this shortcut already exists.")
        ) from None
    return reply


def delete_reply(user, reply_id) -> None:
    """Delete a saved reply ``user`` may delete."""
    reply = CannedReply.objects.filter(pk=reply_id).first()
    if reply is None or not _visible_to(reply, user):
        raise ServiceError("not_found", _("No such saved reply."))
    if not may_manage(user, reply.owner_id, "delete"):
        raise ServiceError("forbidden", _("You may not change the shared replies."))
    with transaction.atomic():
        reply.delete()
        _publish(reply.owner_id)


def _visible_to(reply, user):
    # A colleague's own reply is "not found": nothing says it exists.
    return reply.owner_id is None or reply.owner_id == user.pk


def _message_body(message_id):
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        raise ServiceError("bad_frame", _("'from_message' must be a message id."))
    body = Message.objects.filter(pk=message_id).values_list("body", flat=True).first()
    if body is None:
        raise ServiceError("not_found", _("No such message."))
    return body


def _apply(reply, values, creating):
    """Set the given fields (all of them when creating), validated."""
    for name in EDITABLE:
        if name not in values:
            if creating and name in ("title", "shortcut", "body"):
                values[name] = ""
            else:
                continue
        value = values[name]
        if name == "department":
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not Department.objects.filter(pk=value).exists()
            ):
                raise ServiceError("not_found", _("No such department."))
            reply.department_id = value
            continue
        if not isinstance(value, str):
            raise _invalid(name, _("Enter text."))
        value = value.strip()
        if name == "shortcut":
            value = slugify(value.lstrip("/"))
        setattr(reply, name, value)
    if creating and not reply.title:
        reply.title = reply.shortcut
    try:
        reply.full_clean(exclude=["owner"], validate_constraints=False)
    except ValidationError as exc:
        errors = exc.message_dict
        # The shortcut first: an empty one also leaves the title empty.
        field = next(f for f in ("shortcut", *EDITABLE, *errors) if f in errors)
        raise _invalid(field, errors[field][0]) from None


def _invalid(field, message):
    error = ServiceError("invalid", _("Please check the highlighted fields."))
    error.fields = {field: str(message)}
    return error


def _publish(owner_id):
    """The changed list, on commit: an agent's own, or the shared one."""
    if owner_id is None:
        rows = CannedReply.objects.filter(owner__isnull=True)
        groups, scope = [AGENTS_GROUP], "shared"
    else:
        rows = CannedReply.objects.filter(owner_id=owner_id)
        groups, scope = [agent_group(owner_id)], "own"
    frame = {
        "type": "canned",
        "scope": scope,
        "replies": [reply_data(reply) for reply in rows],
    }
    publish_on_commit(groups, frame)
