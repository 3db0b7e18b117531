"""What a chat looks like to the shopper: links, times, who is typing, and
new replies that reach them while the panel is closed."""

import re

import pytest
from playwright.async_api import expect

from .shopper import (
    TITLE,
    Agent,
    launcher,
    open_panel,
    send,
    start_chat,
    token,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(90),
]

AGENT_NAME = "Alice from Support"

# Counts the notes the widget plays, without a sound card.
FAKE_AUDIO = """
window.__beeps = 0;
window.AudioContext = class {
  constructor() { this.currentTime = 0; this.destination = {}; this.state = "running"; }
  resume() { return Promise.resolve(); }
  createOscillator() {
    return {
      frequency: { value: 0 }, connect() {}, stop() {},
      start() { window.__beeps++; },
    };
  }
  createGain() {
    const ramp = () => {};
    return {
      gain: { value: 0, setValueAtTime: ramp, exponentialRampToValueAtTime: ramp },
      connect() {},
    };
  }
};
"""


async def _close(agent, conversation):
    """The agent ends the chat: an agent holds only so many open chats, and the
    widget tests share one."""
    await agent.socket.send(type="close", conversation=conversation)
    await agent.conversation_where(
        lambda c: c["id"] == conversation and c["status"] == "closed", "the close"
    )


async def _chat(widget_context, agent, marker, context=None):
    context = context or await widget_context()
    await context.add_init_script(FAKE_AUDIO)
    page = await context.new_page()
    await page.goto("/")
    widget = await open_panel(page)
    await start_chat(widget, f"conv-{marker}@example.com")
    await send(widget, f"Hello ({marker})")
    summary = await agent.conversation_with(marker)
    return page, widget, summary["id"]


async def test_links_in_messages_open_safely_and_messages_show_their_time(
    widget_context, widget_shop
):
    marker = token()
    async with Agent(widget_shop) as agent:
        page, widget, conversation = await _chat(widget_context, agent, marker)
        body = (
            "Returns: https://shop.example/returns. Write to help@shop.example "
            f"or see javascript:alert(1) ({marker})"
        )
        await agent.reply(conversation, body)
        log = widget.get_by_role("log")
        await expect(log).to_contain_text(marker)

        returns = log.get_by_role("link", name="https://shop.example/returns")
        await expect(returns).to_have_attribute("href", "https://shop.example/returns")
        await expect(returns).to_have_attribute("target", "_blank")
        await expect(returns).to_have_attribute("rel", "noopener nofollow")
        mail = log.get_by_role("link", name="help@shop.example")
        await expect(mail).to_have_attribute("href", "mailto:help@shop.example")
        await expect(
            log.get_by_role("link", name=re.compile("javascript"))
        ).to_have_count(0)
        await expect(log.locator("a[href^='javascript']")).to_have_count(0)
        await expect(log).to_contain_text("see javascript:alert(1)")

        # Every stored message says when it was written, in words a screen reader reads.
        times = log.locator("time")
        stored = await log.locator(".lc-msg:not(.lc-pending)").count()
        assert stored >= 2
        await expect(times).to_have_count(stored)
        for index in range(stored):
            time = times.nth(index)
            await expect(time).to_have_text(re.compile(r"^\d{1,2}:\d{2}"))
            assert await time.get_attribute("datetime")
            assert await time.get_attribute("aria-hidden") is None
        await _close(agent, conversation)


async def test_typing_says_the_agents_name(widget_context, widget_shop):
    marker = token()
    async with Agent(widget_shop) as agent:
        page, widget, conversation = await _chat(widget_context, agent, marker)
        await agent.reply(conversation, f"Let me check ({marker})")
        await expect(widget.get_by_role("log")).to_contain_text(AGENT_NAME)
        await agent.socket.send(type="typing", conversation=conversation, active=True)
        await expect(widget.get_by_text(f"{AGENT_NAME} is typing…")).to_be_visible()
        await agent.socket.send(type="typing", conversation=conversation, active=False)
        await expect(widget.get_by_text(f"{AGENT_NAME} is typing…")).to_be_hidden()
        await _close(agent, conversation)


async def test_a_reply_while_closed_counts_in_the_title_badge_and_sound(
    widget_context, widget_shop
):
    marker = token()
    async with Agent(widget_shop) as agent:
        page, widget, conversation = await _chat(widget_context, agent, marker)
        title = await page.title()
        await widget.get_by_role("button", name="Close chat").click()
        button = launcher(page)

        await agent.reply(conversation, f"First answer ({marker})")
        await expect(page).to_have_title(f"(1) {title}")
        await expect(button).to_have_accessible_name(
            re.compile(r", Unread messages: 1$")
        )
        await agent.reply(conversation, f"Second answer ({marker})")
        await expect(page).to_have_title(f"(2) {title}")
        await expect(button).to_have_accessible_name(
            re.compile(r"^Open chat, .*, Unread messages: 2$")
        )
        assert await page.evaluate("window.__beeps") == 2

        await button.click()
        await expect(page).to_have_title(title)
        await expect(page.get_by_role("dialog", name=TITLE)).to_be_visible()
        # A reply while the shopper reads makes no noise.
        await agent.reply(conversation, f"Third answer ({marker})")
        await expect(widget.get_by_role("log")).to_contain_text("Third answer")
        assert await page.evaluate("window.__beeps") == 2
        await expect(page).to_have_title(title)
        # Read: nothing left to count once the panel closes.
        await widget.get_by_role("button", name="Close chat").click()
        await expect(button).to_have_accessible_name(re.compile(r"^Open chat, [^,]+$"))
        await expect(page).to_have_title(title)
        await _close(agent, conversation)


# The tab's visibility, as the test sets it (headless tabs are always visible).
VISIBILITY = """
window.__visibility = "visible";
Object.defineProperty(document, "visibilityState", {
  configurable: true, get: () => window.__visibility,
});
window.__show = (state) => {
  window.__visibility = state;
  document.dispatchEvent(new Event("visibilitychange"));
};
"""


async def test_a_reply_while_the_tab_is_hidden_counts_until_it_is_back(
    widget_context, widget_shop
):
    marker = token()
    async with Agent(widget_shop) as agent:
        context = await widget_context()
        await context.add_init_script(VISIBILITY)
        page, widget, conversation = await _chat(
            widget_context, agent, marker, context=context
        )
        title = await page.title()
        # The panel stays open; the shopper switches to another tab.
        await page.evaluate("window.__show('hidden')")
        await agent.reply(conversation, f"Here is your answer ({marker})")
        await expect(page).to_have_title(f"(1) {title}")
        assert await page.evaluate("window.__beeps") == 1
        await page.evaluate("window.__show('visible')")
        await expect(page).to_have_title(title)
        await _close(agent, conversation)
