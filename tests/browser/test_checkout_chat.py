"""A shopper at checkout asks for help; an agent answers from the live console.

Drives the real widget.js and console.js in Chromium against example_shop
under daphne, by accessible roles and names as a screen reader user would.
The agent opens the console first: the widget offers a chat only while
someone is really there.
"""

import re

import pytest
from playwright.async_api import expect

from .shopper import (
    ONLINE,
    doc_screenshot,
    go_to_checkout,
    launcher,
    log_in,
    open_panel,
    panel,
    send,
    start_chat,
    token,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(90),
]


async def test_shopper_at_checkout_chats_with_an_agent(widget_context):
    marker = token()
    question = f"Can you deliver before Friday? (order {marker})"
    answer = f"Yes, it ships tomorrow. ({marker})"

    agent = await (await widget_context()).new_page()
    await log_in(agent, "agent", "agent-demo-pass", path="/admin/login/")
    await agent.goto("/admin/livechat/liveconsole/")
    await expect(agent.get_by_role("navigation", name="Inbox")).to_be_visible()

    shopper = await (await widget_context()).new_page()
    await go_to_checkout(shopper)
    await expect(launcher(shopper)).to_have_accessible_name(f"Open chat, {ONLINE}")
    widget = await open_panel(shopper)
    await start_chat(widget, f"ann-{marker}@example.com", name="Ann")
    await send(widget, question)
    widget_log = widget.get_by_role("log")

    inbox = agent.get_by_role("navigation", name="Inbox")
    # The preview makes the entry's name unique among earlier tests' chats.
    await inbox.get_by_role("button", name=re.compile(re.escape(marker))).click()
    console = agent.get_by_role("tabpanel")
    await expect(console.get_by_role("log")).to_contain_text(question)
    await console.get_by_label("Reply").fill(answer)
    await console.get_by_role("button", name="Send").click()
    await expect(console.get_by_role("log")).to_contain_text(answer)

    await expect(widget_log).to_contain_text(answer)
    await expect(widget_log).to_contain_text("Alice from Support")
    await doc_screenshot(shopper, "widget-checkout.png")

    # A reload keeps the conversation on screen...
    await shopper.reload()
    widget_log = panel(shopper).get_by_role("log")
    await expect(widget_log).to_contain_text(question)
    await expect(widget_log).to_contain_text(answer)

    # ...and not only from the tab's cache: the server replays the history.
    await shopper.evaluate("sessionStorage.clear()")
    await shopper.reload()
    widget = await open_panel(shopper)
    widget_log = widget.get_by_role("log")
    await expect(widget_log.get_by_text(question, exact=True)).to_have_count(1)
    await expect(widget_log.get_by_text(answer, exact=True)).to_have_count(1)
