"""Showing shoppers the way to the store: an inline "Chat with us" button of the
page, the store's other channels when nobody can chat, and a header that
stops talking about opening hours once someone is chatting."""

import asyncio
import json
import re

import pytest
from playwright.async_api import expect

from tests.e2e.live import run_manage

from .shopper import (
    Agent,
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
    pytest.mark.timeout(90),
]

CONTACT = {
    "phone": "+1 555 0100",
    "email": "help@corner.example",
    "note": "Or visit us: 12 Market Street, Mon–Sat 9–18.",
}
# Parsing done, scripts not yet run: the moment to add to the page's config.
WITH_CONTACT = """contact => document.addEventListener("readystatechange", () => {
  const script = document.getElementById("livechat-config");
  if (document.readyState !== "interactive" || !script) return;
  const config = JSON.parse(script.textContent);
  config.contact = contact;
  script.textContent = JSON.stringify(config);
})"""


async def _with_contact(page, contact):
    """The shop's pages with ``contact`` in the widget's config, as the widget
    profile's phone, email and note put it there."""
    await page.add_init_script(f"({WITH_CONTACT})({json.dumps(contact)})")


async def _assert_contact(widget):
    area = widget.get_by_role("group", name="Other ways to reach us")
    await expect(area).to_be_visible()
    await expect(
        area.get_by_role("heading", name="Other ways to reach us")
    ).to_be_visible()
    phone = area.get_by_role("link", name=CONTACT["phone"])
    await expect(phone).to_have_attribute("href", "tel:+15550100")
    email = area.get_by_role("link", name=CONTACT["email"])
    await expect(email).to_have_attribute("href", "mailto:" + CONTACT["email"])
    await expect(area.get_by_text(CONTACT["note"])).to_be_visible()


# What {% livechat_chat_button %} renders (its template chat_button.html),
# added to the page after it loaded: delegation serves later buttons too.
INLINE_BUTTON = """() => {
  const box = document.createElement("div");
  box.className = "livechat-inline";
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Chat with us";
  button.dataset.livechatOpen = "";
  const hint = document.createElement("p");
  hint.textContent = "Type a question and an agent answers here.";
  box.append(button, hint);
  document.querySelector("main").append(box);
}"""


async def test_an_inline_button_of_the_page_opens_the_chat(widget_context, widget_shop):
    page = await (await widget_context()).new_page()
    await page.goto("/")
    await page.get_by_role("link", name=re.compile("Sencha green tea")).click()
    await expect(launcher(page)).to_be_visible()
    await page.evaluate(INLINE_BUTTON)
    main = page.get_by_role("main")
    button = main.get_by_role("button", name="Chat with us")
    # In the store's colours, like the launcher.
    colours = await button.evaluate(
        "b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]"
    )
    assert colours == ["rgb(31, 95, 191)", "rgb(255, 255, 255)"]
    await button.click()
    widget = panel(page)
    await expect(widget).to_be_visible()
    # As from the launcher: the focus is in the panel.
    await expect(widget.locator(":focus")).to_have_count(1)
    await widget.get_by_role("button", name="Close chat").click()
    await expect(widget).to_be_hidden()
    await button.click()
    await expect(widget).to_be_visible()


async def test_offline_the_store_shows_its_other_channels(widget_context, widget_shop):
    marker = token()
    await wait_for_availability(widget_shop, False)
    page = await (await widget_context()).new_page()
    await _with_contact(page, CONTACT)
    await page.goto("/")
    widget = await open_panel(page)
    await expect(
        widget.get_by_role("heading", name="Leave us a message")
    ).to_be_visible()
    await _assert_contact(widget)

    await widget.get_by_role("textbox", name="Email", exact=True).fill(
        f"reach-{marker}@example.com"
    )
    await widget.get_by_role("textbox", name="Message").fill(f"Hi ({marker})")
    await widget.get_by_role("button", name="Send message").click()
    await expect(widget.get_by_text("We'll reply by email")).to_be_visible()
    await _assert_contact(widget)


async def test_no_channels_no_list(widget_context, widget_shop):
    await wait_for_availability(widget_shop, False)
    page = await (await widget_context()).new_page()
    await _with_contact(page, {"phone": "", "email": "not an email"})
    await page.goto("/")
    widget = await open_panel(page)
    await expect(
        widget.get_by_role("heading", name="Leave us a message")
    ).to_be_visible()
    await expect(widget.get_by_text("Other ways to reach us")).to_have_count(0)


async def test_a_long_wait_offers_the_other_channels_too(widget_context, widget_shop):
    marker = token()
    async with Agent(widget_shop) as agent:
        page = await (await widget_context()).new_page()
        await _with_contact(page, CONTACT)
        await page.goto("/")
        widget = await open_panel(page)
        await start_chat(widget, f"wait-{marker}@example.com")
        await send(widget, f"Anyone there? ({marker})")
        await agent.conversation_with(marker)
        # Nobody answers within LIVECHAT_NO_REPLY_TIMEOUT (3 s here).
        await expect(widget.get_by_text("Sorry for the wait")).to_be_visible()
        await _assert_contact(widget)


# Open all day, every day (UTC, the shop's zone), so an agent is available.
_ALL_DAY = """
from datetime import time
from livechat.models import BusinessHours
BusinessHours.objects.all().delete()
BusinessHours.objects.bulk_create(
    BusinessHours(weekday=day, opens=time(0, 0), closes=time(23, 59))
    for day in range(7)
)
"""
_NO_HOURS = (
    "from livechat.models import BusinessHours; BusinessHours.objects.all().delete()"
)


async def test_hours_are_named_by_zone_and_go_once_an_agent_answers(
    widget_context, widget_shop
):
    marker = token()
    await asyncio.to_thread(run_manage, widget_shop.env, "shell", "-c", _ALL_DAY)
    try:
        async with Agent(widget_shop) as agent:
            await wait_for_availability(widget_shop, True, open_now=True)
            context = await widget_context(locale="en-GB", timezone_id="Asia/Shanghai")
            page = await context.new_page()
            await page.goto("/")
            widget = await open_panel(page)
            hours = widget.get_by_text(
                re.compile(r"^We answer Mon–Sun .* \(GMT\+8\)\.$")
            )
            await expect(hours).to_be_visible()
            await start_chat(widget, f"hours-{marker}@example.com")
            await send(widget, f"Quick question ({marker})")
            summary = await agent.conversation_with(marker)
            # Waiting, the hours still tell when someone answers...
            await expect(hours).to_be_visible()
            await agent.reply(summary["id"], f"Hello! ({marker})")
            await expect(widget.get_by_role("log")).to_contain_text("Hello!")
            # ...talking to someone, they are beside the point.
            await expect(hours).to_be_hidden()
            # An agent holds only so many open chats: end this one.
            await agent.socket.send(type="close", conversation=summary["id"])
            await agent.conversation_where(
                lambda c: c["id"] == summary["id"] and c["status"] == "closed",
                "the close",
            )
    finally:
        await asyncio.to_thread(run_manage, widget_shop.env, "shell", "-c", _NO_HOURS)
    await wait_for_availability(widget_shop, False, open_now=True)
