"""Frames of models, with what the host's adapter and the URLconf say.

``protocol``'s builders are pure: they take an agent's public name and avatar
and an attachment's URL already resolved. This module resolves them (the
adapter's ``agent_public_name`` and ``agent_avatar_url``, the download view's
URL) and builds the frames. ``AgentFaces`` asks the adapter once per agent,
so a list that names the same agent many times asks it once.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse

from . import protocol
from .adapter import get_adapter


class AgentFaces:
    """Agents as shoppers see them (``protocol.author_frame``), asked of the
    adapter once per agent for as long as this object lives: one call."""

    def __init__(self):
        self._adapter = None  # taken when first asked: most messages are shoppers'
        self._known = {}

    def author(self, user):
        face = self._known.get(user.pk)
        if face is None:
            adapter = self._adapter = self._adapter or get_adapter()
            face = self._known[user.pk] = protocol.author_frame(
                adapter.agent_public_name(user), adapter.agent_avatar_url(user)
            )
        # A copy: a caller may change its frame without changing the next.
        return dict(face)

    def ref(self, user):
        """``protocol.agent_ref`` of ``user``, None for no agent."""
        if user is None:
            return None
        return protocol.agent_ref(user.pk, self.author(user))


def agent_author(user):
    """How shoppers see ``user``'s messages (``protocol.author_frame``)."""
    return AgentFaces().author(user)


def _author_of(message, faces):
    if message.sender_kind == "agent" and message.author_id:
        return faces.author(message.author)
    return None


def _attachment_of(message):
    cache = message._state.fields_cache
    if "attachment" in cache:
        return cache["attachment"]
    try:
        return message.attachment
    except ObjectDoesNotExist:
        return None


def attachment_data(attachment):
    """``protocol.attachment_frame`` with the download view's URL; None for
    no file."""
    if attachment is None:
        return None
    url = reverse("livechat:attachment-download", kwargs={"key": attachment.key})
    return protocol.attachment_frame(attachment, url)


def message_data(message, author=None, faces=None):
    """``protocol.message_data`` of ``message``. ``author``: its author frame
    when the caller has it (a console sending), so the adapter is not asked."""
    if not author:
        author = _author_of(message, faces or AgentFaces())
    return protocol.message_data(
        message, author, attachment_data(_attachment_of(message))
    )


def messages_data(messages):
    """``message_data`` of each message, asking the adapter once per agent."""
    faces = AgentFaces()
    return [message_data(m, faces=faces) for m in messages]


def transcript_lines(messages, tz=None):
    """``protocol.transcript_line`` of each message of an emailed transcript,
    with times in ``tz``."""
    faces = AgentFaces()
    lines = []
    for message in messages:
        author = _author_of(message, faces)
        lines.append(
            protocol.transcript_line(
                message, author and author["name"], _attachment_of(message), tz
            )
        )
    return lines


def conversation_state(conversation):
    """``protocol.conversation_state``: a conversation as its visitor sees it."""
    agent = AgentFaces().ref(conversation.assigned_agent)
    return protocol.conversation_state(conversation, agent)


def _prefetched_tags(conversation):
    rows = getattr(conversation, "_prefetched_objects_cache", {}).get("tags")
    return None if rows is None else sorted(row.tag for row in rows)


def conversation_summary(conversation, preview="", faces=None, tags=None):
    """``protocol.conversation_summary``: a conversation as the inbox sees it.
    ``faces``: an ``AgentFaces`` shared by a list's summaries. ``tags``: its
    tags if the caller has them; else those prefetched (``tags``), if any."""
    agent = (faces or AgentFaces()).ref(conversation.assigned_agent)
    if tags is None:
        tags = _prefetched_tags(conversation)
    return protocol.conversation_summary(conversation, preview, agent, tags)
