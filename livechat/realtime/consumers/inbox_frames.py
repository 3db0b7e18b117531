"""The console's inbox frames: pages of its sections, its search, their counts.

A mixin of ``AgentConsumer``: what it answers lives in ``services.inbox``.
"""

import asyncio

from django.db import DatabaseError
from django.utils.translation import gettext as _

from ... import protocol, ratelimit, services
from ...protocol import FrameError
from ...services import inbox
from ..publishing import db_call
from .base import logger
from .staff import staff_frame


class InboxFrames:
    """``inbox`` frames and the ``inbox_counts`` that follow changes."""

    _paged = False  # a section of the inbox has pages not sent yet
    _recount = None  # the pending send of the sections' counts
    _recount_due = False  # a change since the last count

    @staff_frame
    async def on_inbox(self, data):
        """Send a page of an inbox section: the one after the ``after`` cursor."""
        section = data.get("section")
        if section not in inbox.SECTIONS and section != "search":
            raise FrameError("bad_frame", _("No such inbox section."))
        after = data.get("after")
        if after is not None and not isinstance(after, str):
            raise FrameError("bad_frame", _("'after' must be a page's cursor."))
        limit = data.get("limit")
        if limit is not None:
            limit = protocol.int_of(data, "limit")
        if section == "search":
            text = data.get("q")
            if not isinstance(text, str):
                raise FrameError("bad_frame", _("'q' must be the text to search."))
            # Frames a socket pipelined wait in its queue, each a search's
            # worth of queries: past the limit they are answered at once.
            await ratelimit.atake("search", self.user.pk)
            summaries, cursor = await db_call(services.search_inbox)(
                self.user, text, after, limit
            )
            frame = protocol.inbox_page_frame(section, summaries, cursor, None)
            frame["q"] = text
            await self.send_json(frame)
            return
        await self._send_page(section, after, limit)

    async def _send_page(self, section, after, limit=None):
        summaries, cursor, counts = await self._page(section, after, limit)
        if cursor:
            self._paged = True
        await self.send_json(
            protocol.inbox_page_frame(section, summaries, cursor, counts)
        )

    @db_call
    def _page(self, section, after, limit):
        summaries, cursor = services.inbox_page(self.user, section, after, limit)
        return summaries, cursor, services.inbox_counts(self.user)

    def _recount_soon(self):
        """Send the sections' counts again, at most once a second.

        Only while a section is not wholly loaded: the console counts the
        conversations it holds itself, but not those on pages it has not
        asked for. A change during a count is counted again after it.
        """
        self._recount_due = True
        if self._recount is None or self._recount.done():
            self._recount = asyncio.ensure_future(self._send_counts_later())

    async def _send_counts_later(self):
        try:
            while self._recount_due and not self.refused:
                await asyncio.sleep(1.0)
                self._recount_due = False
                counts = await db_call(services.inbox_counts)(self.user)
                await self.send_json({"type": "inbox_counts", "counts": counts})
        except DatabaseError:
            logger.warning("livechat: could not count the inbox", exc_info=True)
        except Exception:
            logger.exception("livechat: could not send the inbox's counts")
