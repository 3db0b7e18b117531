"""A reply reaches a shopper whose connection dropped for a moment in the chat,
not in her inbox; one who left for good gets it by email, once.

Housekeeping is run by hand here, with LIVECHAT_FOLLOWUP_ABSENCE_SECONDS at 0:
even then a shopper whose widget is back gets no email.
"""

import asyncio
import contextlib
import time

import pytest
from playwright.async_api import expect

from tests.e2e.live import PostgresDatabase, _to_libpq, run_manage

from .shopper import (
    WAIT_SECONDS,
    Agent,
    email_text,
    emails,
    open_panel,
    send,
    start_chat,
    token,
    wait_for_email,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(90),
]

_HOUSEKEEPING = """
from django.test import override_settings
from livechat.services import housekeeping
with override_settings(LIVECHAT_FOLLOWUP_ABSENCE_SECONDS=0):
    print(housekeeping.run()["followups"])
"""


def _live_sockets(database, address):
    """The visitor's open widget sockets, as the shop's database counts them."""
    sql = "SELECT live_sockets FROM livechat_visitor WHERE email = %s"
    if isinstance(database, PostgresDatabase):
        import psycopg

        with psycopg.connect(_to_libpq(database.url), connect_timeout=5) as db:
            row = db.execute(sql, [address]).fetchone()
    else:
        import sqlite3

        with contextlib.closing(sqlite3.connect(database.path)) as db:
            row = db.execute(sql.replace("%s", "?"), [address]).fetchone()
    return row and row[0]


async def _wait_for_sockets(shop, address, count):
    """Wait until the server has counted the shopper's sockets to ``count``."""
    deadline = time.monotonic() + WAIT_SECONDS
    while (seen := await asyncio.to_thread(_live_sockets, shop.database, address)) != (
        count
    ):
        if time.monotonic() > deadline:
            raise AssertionError(f"{address} kept {seen} sockets, not {count}")
        await asyncio.sleep(0.1)


async def _housekeeping(shop):
    """Run housekeeping as cron would; returns the follow-up emails it sent."""
    output = await asyncio.to_thread(run_manage, shop.env, "shell", "-c", _HOUSEKEEPING)
    return int(output.split()[-1])


def _emails_with(shop, text):
    return [m for m in emails(shop) if text in email_text(m)]


async def test_a_short_connection_drop_sends_no_email(widget_context, widget_shop):
    marker = token()
    address = f"olga-{marker}@example.com"
    during_drop = f"Yes, we ship to Peru ({marker})"
    after_leaving = f"I reserved one for you ({marker})"
    async with Agent(widget_shop) as agent:
        context = await widget_context()
        page = await context.new_page()
        await page.goto("/")
        widget = await open_panel(page)
        await start_chat(widget, address)
        await send(widget, f"Do you ship to Peru? ({marker})")
        conversation = (await agent.conversation_with(marker))["id"]
        await agent.reply(conversation, f"Let me check ({marker})")
        log = widget.get_by_role("log")
        await expect(log).to_contain_text(f"Let me check ({marker})")

        # Her train enters a tunnel: the socket drops, the agent answers.
        await context.set_offline(True)
        await _wait_for_sockets(widget_shop, address, 0)
        await agent.reply(conversation, during_drop)
        await page.wait_for_timeout(3000)
        await context.set_offline(False)
        await expect(log).to_contain_text(during_drop)
        await _wait_for_sockets(widget_shop, address, 1)
        assert _emails_with(widget_shop, marker) == []
        assert await _housekeeping(widget_shop) == 0
        assert _emails_with(widget_shop, marker) == []

        # She closes the tab for good: the next reply follows her by email.
        await page.close()
        await _wait_for_sockets(widget_shop, address, 0)
        await agent.reply(conversation, after_leaving)
        assert _emails_with(widget_shop, marker) == []
        assert await _housekeeping(widget_shop) >= 1
        followup = await wait_for_email(widget_shop, after_leaving)
        assert followup["To"] == address
        # What reached her widget is not repeated, and nothing goes twice.
        assert during_drop not in email_text(followup)
        await _housekeeping(widget_shop)
        assert len(_emails_with(widget_shop, marker)) == 1
