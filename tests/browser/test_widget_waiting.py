"""No waiting in silence: the queue position, then an honest "sorry" that
names the email the store will answer at, or asks for one.

LIVECHAT_NO_REPLY_TIMEOUT is 3 s in the widget shop.
"""

import re

import pytest
from playwright.async_api import expect

from .shopper import (
    Agent,
    doc_screenshot,
    open_panel,
    send,
    start_chat,
    token,
    widget_corner,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(60),
]

BUSY = "Sorry for the wait — everyone is busy."


async def test_unanswered_shopper_is_told_where_we_will_answer(
    widget_context, widget_shop
):
    marker = token()
    first_address = f"wanda-{marker}@example.com"
    later_address = f"wanda.work-{marker}@example.com"
    async with Agent(widget_shop) as agent:
        page = await (await widget_context()).new_page()
        await page.goto("/")
        widget = await open_panel(page)
        await start_chat(widget, first_address)
        await send(widget, f"Is the honey raw? ({marker})")
        busy = widget.get_by_text(BUSY)
        await expect(busy).to_be_hidden()

        queue = widget.get_by_text(
            re.compile(r"^You are (next\.|number \d+ in the queue)")
        )
        await expect(queue).to_be_visible()
        await doc_screenshot(page, "widget-queue.png", clip=widget_corner(page))

        # Nobody answers: after NO_REPLY_TIMEOUT the widget says so, and names
        # the email she gave in the pre-chat form instead of asking again.
        await expect(busy).to_be_visible()
        await expect(busy).to_contain_text(
            f"If you have to go, we'll answer at {first_address}."
        )
        email = widget.get_by_role("textbox", name="Email", exact=True)
        await expect(email).to_be_hidden()

        # She would rather be answered at work.
        await widget.get_by_role("button", name="Use another email").click()
        await expect(email).to_be_focused()
        await expect(email).to_have_value(first_address)
        await email.fill(later_address)
        await widget.get_by_role("button", name="Save").click()
        await expect(
            widget.get_by_text(f"Thanks — we'll answer at {later_address} if you have")
        ).to_be_visible()
        await expect(email).to_be_hidden()

        summary = await agent.conversation_where(
            lambda c: c["visitor"]["email"] == later_address,
            f"the conversation of {later_address}",
        )
        assert summary["status"] == "waiting"
