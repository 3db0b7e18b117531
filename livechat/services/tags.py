"""Tags on conversations: what a chat is about, put on while it runs or closes.

The vocabulary is ``LIVECHAT_CLOSE_TAGS``' keys. Each tag is a row
(``ConversationTag``), so the admin's filters and the reports count and
filter by tag on every database. Changes publish a ``tags`` frame to every
console and emit ``ConversationTagsChanged`` once committed.
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .. import events
from ..access import Action, check_may_act
from ..conf import app_settings
from ..errors import ServiceError
from ..models import ConversationTag
from ..realtime.groups import AGENTS_GROUP
from ..realtime.publishing import publish_on_commit
from .lookups import locked


def tag_keys() -> set[str]:
    """The tags agents may use: the keys of ``LIVECHAT_CLOSE_TAGS``."""
    return {key for key, _label in app_settings.CLOSE_TAGS}


def check_tag(tag) -> str:
    """``tag`` if it is one of ``tag_keys()``, else ``ServiceError("bad_frame")``."""
    if not isinstance(tag, str) or tag not in tag_keys():
        raise ServiceError("bad_frame", _("Unknown tag."))
    return tag


def tags_of(conversation) -> list[str]:
    """The conversation's tags, sorted (from its prefetched rows if loaded)."""
    cache = getattr(conversation, "_prefetched_objects_cache", {})
    if "tags" in cache:
        return sorted(row.tag for row in cache["tags"])
    return list(
        ConversationTag.objects.filter(conversation_id=conversation.pk)
        .order_by("tag")
        .values_list("tag", flat=True)
    )


def tags_frame(conversation_id, tags):
    return {"type": "tags", "conversation": conversation_id, "tags": list(tags)}


def set_tag(conversation, tag: str, on: bool, by=None) -> tuple[list[str], bool]:
    """Put ``tag`` on ``conversation`` (``on``) or take it off.

    Returns ``(tags, changed)``: its tags after, sorted, and whether they
    changed. Open or closed chats alike. ``by``: the member of staff
    (checked by ``access``), or None for the store itself. A tag already
    there (or already gone) changes nothing and publishes nothing.
    """
    check_tag(tag)
    with transaction.atomic():
        conversation = locked(conversation.pk)
        if by is not None:
            check_may_act(by, conversation, Action.TAG)
        if on:
            changed = _add(conversation, tag, by)
        else:
            changed = bool(
                ConversationTag.objects.filter(
                    conversation=conversation, tag=tag
                ).delete()[0]
            )
        tags = tags_of(conversation)
        if changed:
            _announce(conversation, tags, by)
    return tags, changed


def add_tag_in_transaction(conversation, tag: str, by=None) -> None:
    """Put ``tag`` on a conversation its caller has locked (closing it)."""
    if tag and _add(conversation, tag, by):
        _announce(conversation, tags_of(conversation), by)


def _add(conversation, tag, by):
    if ConversationTag.objects.filter(conversation=conversation, tag=tag).exists():
        return False
    try:
        with transaction.atomic():
            ConversationTag.objects.create(
                conversation=conversation, tag=tag, added_by=by
            )
    except IntegrityError:  # the same tag, put on at the same moment
        return False
    return True


def _announce(conversation, tags, by):
    # Every console: inbox rows show tags, and tag changes are rare.
    publish_on_commit([AGENTS_GROUP], tags_frame(conversation.pk, tags))
    events.emit(events.ConversationTagsChanged(conversation, tuple(tags), by))
