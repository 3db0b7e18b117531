"""The widget never lies about being online, and follows agents without a reload.

The launcher learns from /livechat/status/ (polled every second here); an
open panel learns from ``availability`` frames on its socket.
"""

import asyncio
import re
from datetime import UTC, datetime

import pytest
from playwright.async_api import expect

from tests.e2e.live import run_manage

from .shopper import (
    OFFLINE,
    ONLINE,
    Agent,
    doc_screenshot,
    launcher,
    open_panel,
    wait_for_availability,
    widget_corner,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(60),
]


def _count_loads(page):
    loads = []
    page.on("load", lambda _page: loads.append(page.url))
    return loads


async def test_launcher_goes_online_and_back_without_a_reload(
    widget_context, widget_shop
):
    await wait_for_availability(widget_shop, False)
    page = await (await widget_context()).new_page()
    await page.goto("/")
    button = launcher(page)
    await expect(button).to_have_accessible_name(f"Open chat, {OFFLINE}")
    loads = _count_loads(page)

    async with Agent(widget_shop):
        await expect(button).to_have_accessible_name(f"Open chat, {ONLINE}")
        await doc_screenshot(
            page, "widget-online.png", clip=widget_corner(page, 360, 140)
        )

    # Back to "leave a message" once the grace period (1 s here) is over.
    await expect(button).to_have_accessible_name(f"Open chat, {OFFLINE}")
    assert loads == []


async def test_open_panel_turns_from_offline_form_into_chat_and_back(
    widget_context, widget_shop
):
    await wait_for_availability(widget_shop, False)
    page = await (await widget_context()).new_page()
    await page.goto("/")
    widget = await open_panel(page)
    offline_form = widget.get_by_role("heading", name="Leave us a message")
    start = widget.get_by_role("button", name="Start chat")
    await expect(offline_form).to_be_visible()
    await expect(start).to_be_hidden()
    loads = _count_loads(page)

    async with Agent(widget_shop):
        await expect(start).to_be_visible()
        await expect(offline_form).to_be_hidden()

    await expect(offline_form).to_be_visible()
    await expect(start).to_be_hidden()
    assert loads == []


# Every day, half an hour starting two hours from now (UTC, the shop's zone):
# the store is closed now, whatever the time the test runs.
_HOURS = """
from datetime import time
from livechat.models import BusinessHours
BusinessHours.objects.all().delete()
BusinessHours.objects.bulk_create(
    BusinessHours(weekday=day, opens=time({hour}, 0), closes=time({hour}, 30))
    for day in range(7)
)
"""
_NO_HOURS = (
    "from livechat.models import BusinessHours; BusinessHours.objects.all().delete()"
)


def _clock(hour, minute):
    """How en-US Intl writes a time: 11:00 PM (with a narrow space, or not)."""
    return rf"{hour % 12 or 12}:{minute:02d}\s?{'AM' if hour < 12 else 'PM'}"


async def test_closed_store_is_offline_even_with_an_agent_at_the_console(
    widget_context, widget_shop
):
    opens = (datetime.now(UTC).hour + 2) % 24
    await asyncio.to_thread(
        run_manage, widget_shop.env, "shell", "-c", _HOURS.format(hour=opens)
    )
    try:
        async with Agent(widget_shop):
            await wait_for_availability(
                widget_shop, False, agents_online=True, open_now=False
            )
            # A shopper in Tokyo (UTC+9) reads the hours in her own time.
            context = await widget_context(locale="en-US", timezone_id="Asia/Tokyo")
            page = await context.new_page()
            await page.goto("/")
            button = launcher(page)
            await expect(button).to_have_accessible_name(f"Open chat, {OFFLINE}")
            widget = await open_panel(page)
            await expect(
                widget.get_by_role("heading", name="Leave us a message")
            ).to_be_visible()
            local = (opens + 9) % 24
            hours = f"Mon–Sun {_clock(local, 0)}–{_clock(local, 30)}"
            next_open = rf"\w{{3}} {_clock(local, 0)}"
            await expect(widget).to_contain_text(
                re.compile(
                    rf"We answer {hours} \(GMT\+9\)\. We open again {next_open}\."
                )
            )
    finally:
        await asyncio.to_thread(run_manage, widget_shop.env, "shell", "-c", _NO_HOURS)
    await wait_for_availability(widget_shop, False, open_now=True)
