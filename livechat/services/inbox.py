"""The console's inbox, in sections and pages, whatever the number of chats.

The console lists conversations in five sections (``SECTIONS``): chats
waiting for anyone, missed chats, the agent's own, other agents' chats and
the recently closed. A store may have thousands of open chats: the welcome
carries each section's count and first page, and the console asks for the
next page (``inbox_page``) as the agent scrolls. A page ends at a cursor,
the sort key of its last conversation, so a page is the same whatever
happened to the conversations before it meanwhile.

Nothing here changes anything.
"""

import re

from django.db.models import Count, Q
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from .. import presentation
from ..conf import app_settings
from ..errors import ServiceError
from ..models import Conversation
from .lookups import conversations_with_preview
from .search import matching_conversations

SECTIONS = ("waiting", "missed", "mine", "others", "closed")
MAX_PAGE = 200  # the most conversations one page may ask for
MAX_SEARCH_LENGTH = 200  # characters of a search

_W = Conversation.Status.WAITING
_A = Conversation.Status.ACTIVE
_M = Conversation.Status.MISSED


def _section_filter(agent, section):
    """Which conversations a section lists (the console's ``groupOf``)."""
    mine = Q(assigned_agent=agent)
    if section == "waiting":
        return Q(status=_W) & ~mine
    if section == "missed":
        return Q(status=_M)
    if section == "mine":
        return Q(status__in=(_W, _A)) & mine
    if section == "others":
        return Q(status=_A) & ~mine
    return ~Q(status__in=Conversation.OPEN_STATUSES)


def _ordering(section):
    """A section's sort: oldest first, but the most recently closed first."""
    if section == "closed":
        return ("-closed_at", "-created_at")
    return ("created_at", "id")


def _cursor_of(conversation):
    """The cursor after ``conversation``: its sort key, as the client returns it."""
    return f"{conversation.created_at.isoformat()}|{conversation.pk}"


_CURSOR = re.compile(r"(?P<when>[0-9T:.+\-Z]{10,40})\|(?P<id>[0-9]{1,18})", re.ASCII)


def _after(cursor, newest_first=False):
    """The filter for the conversations that follow ``cursor``."""
    match = _CURSOR.fullmatch(cursor) if isinstance(cursor, str) else None
    try:
        when = parse_datetime(match["when"]) if match else None
    except ValueError:  # well formed, but no date (a 13th month)
        when = None
    # Only what _cursor_of writes: a time with its offset.
    if when is None or when.tzinfo is None:
        raise ServiceError("bad_frame", _("This page of the inbox does not exist."))
    pk = int(match["id"])
    if newest_first:
        return Q(created_at__lt=when) | Q(created_at=when, id__lt=pk)
    return Q(created_at__gt=when) | Q(created_at=when, id__gt=pk)


def _limit(limit):
    if limit is None:
        limit = app_settings.CONSOLE_PAGE_SIZE
    return max(1, min(int(limit), MAX_PAGE))


def inbox_page(agent, section, after=None, limit=None):
    """One page of ``section`` for ``agent``: ``(summaries, next_cursor)``.

    ``after``: the ``next`` cursor of the page before (None: the first page).
    ``next_cursor`` is None when nothing follows. The recently closed are
    only the newest ``LIVECHAT_CONSOLE_RECENT_CLOSED``.
    """
    if section not in SECTIONS:
        raise ServiceError("bad_frame", _("No such inbox section."))
    limit = _limit(limit)
    query = (
        conversations_with_preview()
        .filter(_section_filter(agent, section))
        .prefetch_related("tags")
    )
    ceiling = None
    if section == "closed":
        ceiling = app_settings.CONSOLE_RECENT_CLOSED
        if after is not None:
            return [], None  # the recent ones fit on the first page
        limit = max(ceiling, 0)
    if after is not None:
        query = query.filter(_after(after))
    rows = list(query.order_by(*_ordering(section))[: limit + 1])
    more = len(rows) > limit and ceiling is None
    rows = rows[:limit]
    faces = presentation.AgentFaces()
    summaries = [
        presentation.conversation_summary(c, c.preview or "", faces) for c in rows
    ]
    return summaries, (_cursor_of(rows[-1]) if more and rows else None)


def inbox_counts(agent):
    """How many conversations each section lists, in two small queries.

    ``snoozed`` (not a section): how many of ``mine`` are snoozed, waiting
    for the shopper; the console leaves them out of what needs attention.
    """
    counts = Conversation.objects.filter(
        status__in=Conversation.OPEN_STATUSES
    ).aggregate(
        **{
            section: Count("pk", filter=_section_filter(agent, section))
            for section in SECTIONS
            if section != "closed"
        },
        snoozed=Count(
            "pk",
            filter=_section_filter(agent, "mine") & Q(snoozed_at__isnull=False),
        ),
    )
    recent = app_settings.CONSOLE_RECENT_CLOSED
    counts["closed"] = (
        Conversation.objects.filter(_section_filter(agent, "closed"))
        .order_by()
        .values("pk")[: max(recent, 0)]
        .count()
    )
    return counts


def inbox_welcome(agent):
    """What the console's welcome lists: ``(summaries, sections)``.

    ``summaries``: the first page of every section; ``sections``: for each,
    ``{"count", "next"}`` (``next``: the cursor of the page that follows,
    or None when the first page holds them all).
    """
    counts = inbox_counts(agent)
    summaries = []
    sections = {}
    for section in SECTIONS:
        if counts[section]:
            page, cursor = inbox_page(agent, section)
        else:
            page, cursor = [], None
        summaries.extend(page)
        sections[section] = {"count": counts[section], "next": cursor}
    return summaries, sections


def followed_ids(agent):
    """The open chats assigned to ``agent``: the console follows each one."""
    return list(
        Conversation.objects.filter(
            assigned_agent=agent, status__in=Conversation.OPEN_STATUSES
        ).values_list("pk", flat=True)
    )


def search_inbox(agent, text, after=None, limit=None):
    """A page of the conversations matching ``text``, newest first.

    What the console's search box lists: open and closed chats alike, by
    number, shopper (name, email) or message text (``matching_conversations``,
    through the indexes). Returns ``(summaries, next_cursor)`` as
    ``inbox_page`` does.
    """
    text = (text or "").replace("\x00", "").strip()
    if len(text) > MAX_SEARCH_LENGTH or not (len(text) >= 2 or text.isdigit()):
        raise ServiceError(
            "bad_frame",
            _("Search for 2 to %(most)d characters.") % {"most": MAX_SEARCH_LENGTH},
        )
    limit = _limit(limit)
    query = matching_conversations(
        text, conversations_with_preview().prefetch_related("tags")
    )
    if after is not None:
        query = query.filter(_after(after, newest_first=True))
    rows = list(query.order_by("-created_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    faces = presentation.AgentFaces()
    summaries = [
        presentation.conversation_summary(c, c.preview or "", faces) for c in rows
    ]
    return summaries, (_cursor_of(rows[-1]) if more and rows else None)
