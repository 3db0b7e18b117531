"""Accessibility: axe-core on every state of the widget, and keyboard only.

axe-core fails the test on any violation of impact "serious" or "critical"
inside the widget (#livechat); the shop around it is not this app's.
"""

import pytest
from playwright.async_api import expect

from .axe import assert_accessible
from .shopper import (
    INVITATION,
    Agent,
    go_to_checkout,
    launcher,
    open_panel,
    panel,
    send,
    start_chat,
    token,
    wait_for_availability,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(60),
]

WIDGET = "#livechat"


async def test_offline_states_have_no_serious_axe_violations(
    widget_context, widget_shop
):
    await wait_for_availability(widget_shop, False)
    page = await (await widget_context()).new_page()
    await page.goto("/")
    await expect(launcher(page)).to_be_visible()
    await assert_accessible(page, WIDGET, "launcher, offline")

    widget = await open_panel(page)
    await assert_accessible(page, WIDGET, "leave-a-message form")
    await widget.get_by_role("button", name="Send message").click()
    await expect(widget.get_by_role("textbox", name="Message")).to_have_attribute(
        "aria-invalid", "true"
    )
    await assert_accessible(page, WIDGET, "leave-a-message form with errors")


async def test_online_states_have_no_serious_axe_violations(
    widget_context, widget_shop
):
    marker = token()
    async with Agent(widget_shop) as agent:
        page = await (await widget_context()).new_page()
        await go_to_checkout(page)
        await expect(
            page.get_by_role("status").filter(has_text=INVITATION)
        ).to_be_visible()
        await assert_accessible(page, WIDGET, "launcher online, with the invitation")

        widget = await open_panel(page)
        await assert_accessible(page, WIDGET, "pre-chat form")
        await widget.get_by_role("button", name="Start chat").click()
        await expect(
            widget.get_by_role("textbox", name="Email", exact=True)
        ).to_be_focused()
        await assert_accessible(page, WIDGET, "pre-chat form with an error")

        await start_chat(widget, f"ally-{marker}@example.com", name="Ally")
        await send(widget, f"Can I pay by invoice? ({marker})")
        conversation = (await agent.conversation_with(marker))["id"]
        await agent.reply(conversation, f"Yes, for orders over $50. ({marker})")
        await expect(widget.get_by_role("log")).to_contain_text("Alice from Support")
        await assert_accessible(page, WIDGET, "chat with an agent's answer")

        await agent.socket.send(type="close", conversation=conversation)
        await expect(widget.get_by_role("button", name="Good")).to_be_visible()
        await widget.get_by_role("button", name="Good").click()
        await assert_accessible(page, WIDGET, "the end of the chat: rating, transcript")


async def _tab_to(page, target, limit=80):
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {target}")


async def test_keyboard_only(widget_context, widget_shop):
    await wait_for_availability(widget_shop, False)
    page = await (await widget_context()).new_page()
    await page.goto("/")
    button = launcher(page)
    await _tab_to(page, button)

    await page.keyboard.press("Enter")
    widget = panel(page)
    await expect(widget).to_be_visible()
    await expect(button).to_be_hidden()
    # Focus lands in the first field of what the panel shows: the offline form.
    await expect(widget.get_by_role("textbox", name="Name (optional)")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(
        widget.get_by_role("textbox", name="Email", exact=True)
    ).to_be_focused()

    await page.keyboard.press("Escape")
    await expect(widget).to_be_hidden()
    await expect(button).to_be_focused()
    await expect(button).to_have_attribute("aria-expanded", "false")

    # Space opens it too, and the close button is reachable backwards.
    await page.keyboard.press(" ")
    await expect(widget).to_be_visible()
    close = widget.get_by_role("button", name="Close chat")
    for _ in range(10):
        if await close.evaluate("e => e === document.activeElement"):
            break
        await page.keyboard.press("Shift+Tab")
    await expect(close).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(widget).to_be_hidden()
    await expect(button).to_be_focused()
