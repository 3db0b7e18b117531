"""The console by keyboard, and what agents found amiss with several chats.

Shortcuts and their help dialog, the composer's focus, tabs of shoppers with
the same name, the note toggle, closed chats' badges and previews, the
reconnecting banner, a refused search, and axe-core on the main states.
Consoles in Chromium on the shared ``live_shop``; shoppers over the visitor
socket.
"""

import asyncio
import json
import re
import secrets

import pytest
from playwright.async_api import expect

from tests.e2e.live import run_manage

from .axe import assert_accessible
from .conftest import DESKTOP
from .shopper import doc_screenshot
from .test_console_roles import _new_agent
from .test_console_workspace import (
    CANNED_SETUP,
    _claim,
    _console,
    _entry,
    _inbox_section,
    _panel,
    _shopper_socket,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(120),
]

CONSOLE_ROOT = "#livechat-console"
RATE_LIMITED = {
    "type": "error",
    "code": "rate_limited",
    "message": "Too many searches; try again in a minute.",
    "for": "inbox",
    "retriable": True,
    "retry_after": 60,
}
CLOSE_BY_THE_STORE = """
from livechat import services
from livechat.models import Conversation
services.close_conversation(Conversation.objects.get(pk=%d))
"""


@pytest.fixture(scope="module")
def saved_replies(live_shop):
    """The saved replies the workspace's tests set up (one is "returns")."""
    run_manage(live_shop.env, "shell", "-c", CANNED_SETUP)


async def _focused_inside(page, locator):
    return await locator.evaluate("node => node.contains(document.activeElement)")


async def test_shortcuts_help_dialog_and_focus(
    new_context,
    live_shop,
    saved_replies,
    sockets,
):
    token = secrets.token_hex(3)
    errors = []
    _name, kim = _new_agent(live_shop, "Kim", token)
    kim = await _console(await new_context(), kim, errors)
    await assert_accessible(kim, CONSOLE_ROOT, "no chat open")

    # The help: a visible button, a labelled modal that keeps the focus.
    help_button = kim.get_by_role("button", name="Keyboard shortcuts")
    await help_button.click()
    dialog = kim.get_by_role("dialog", name="Keyboard shortcuts")
    await expect(dialog).to_be_visible()
    await expect(
        dialog.get_by_role("row", name=re.compile(r"Alt \+ N"))
    ).to_contain_text("next chat with unread messages, or the next shopper waiting")
    for keys, text in (
        ("Alt \\+ R", "Saved replies in the reply box"),
        ("Alt \\+ T", "Transfer the open chat"),
        ("Alt \\+ C", "Close the open chat"),
    ):
        await expect(dialog.get_by_role("row", name=re.compile(keys))).to_contain_text(
            text
        )
    assert await _focused_inside(kim, dialog)
    await doc_screenshot(kim, "console-shortcuts.png")
    for _ in range(4):
        await kim.keyboard.press("Tab")
        assert await _focused_inside(kim, dialog)
    await assert_accessible(kim, CONSOLE_ROOT, "help dialog")
    await kim.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(help_button).to_be_focused()
    # "?" outside a text field opens it too; typed in one, it is a question mark.
    await kim.keyboard.press("?")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Close").click()
    await expect(dialog).to_be_hidden()
    await expect(help_button).to_be_focused()
    search = kim.get_by_label("Search chats")
    await search.press("?")
    await expect(dialog).to_be_hidden()
    await expect(search).to_have_value("?")
    await search.fill("")

    # Two shoppers give the same name: their tabs still differ.
    same = f"Sam{token}"
    first = await _shopper_socket(live_shop, sockets, f"Red or blue? ({token}-1)", same)
    second = await _shopper_socket(live_shop, sockets, f"Gift card? ({token}-2)", same)
    await _entry(kim, f"({token}-1)").click()
    panel = _panel(kim)
    await assert_accessible(kim, CONSOLE_ROOT, "a waiting chat open")
    # Opened from the inbox, the chat takes the focus to its reply box.
    await expect(panel.get_by_label("Reply")).to_be_focused()
    await panel.get_by_role("button", name="Claim").click()
    await expect(panel).to_contain_text("Active · Yours")
    # The buttons the shortcuts press say so to assistive technology.
    for control, keys in (
        (panel.get_by_role("button", name="Transfer", exact=True), "Alt+T"),
        (panel.get_by_role("button", name="Close conversation"), "Alt+C"),
        (panel.get_by_label("Reply"), "Alt+R"),
    ):
        await expect(control).to_have_attribute("aria-keyshortcuts", keys)
    await _claim(kim, f"({token}-2)")
    tabs = kim.get_by_role("tab")
    await expect(tabs).to_have_count(2)
    first_id, second_id = first.ack["conversation"], second.ack["conversation"]
    names = [await tab.inner_text() for tab in await tabs.all()]
    assert len(set(names)) == 2, names
    for number in (first_id, second_id):
        await expect(kim.get_by_role("tab", name=f"{same} #{number}")).to_have_count(1)

    # A note, then the composer is for replies again.
    panel = _panel(kim)
    toggle = panel.get_by_role("button", name="Internal note")
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-pressed", "true")
    note = f"Prefers email ({token})"
    await panel.get_by_label("Internal note — only agents see this").fill(note)
    await panel.get_by_role("button", name="Add note").click()
    await expect(panel.get_by_role("log")).to_contain_text(note)
    await expect(toggle).to_have_attribute("aria-pressed", "false")
    await expect(panel.get_by_label("Reply")).to_be_visible()
    await expect(panel.get_by_role("button", name="Send")).to_be_visible()
    await assert_accessible(kim, CONSOLE_ROOT, "an open chat with messages")

    # Alt+N: the first shopper writes again; the keys bring their chat up.
    await first.post(f"Hello again ({token}-3)")
    first_tab = kim.get_by_role("tab", name=f"{same} #{first_id}")
    await expect(first_tab).to_contain_text("1 unread message")
    await panel.get_by_label("Reply").press("Alt+n")
    await expect(first_tab).to_have_attribute("aria-selected", "true")
    panel = _panel(kim)
    await expect(panel.get_by_role("log")).to_contain_text(f"Hello again ({token}-3)")
    await expect(panel.get_by_label("Reply")).to_be_focused()

    # Alt+R: the saved replies, picked by keyboard.
    reply = panel.get_by_label("Reply")
    await reply.press("Alt+r")
    options = panel.get_by_role("listbox", name="Saved replies")
    await expect(options).to_be_visible()
    await reply.press_sequentially("ret")
    await expect(options.get_by_role("option")).to_have_count(1)
    await reply.press("Enter")
    await expect(reply).to_have_value("You can return anything within 30 days.")
    await reply.fill("")

    # Alt+T: the transfer dialog; Escape brings the focus back.
    await reply.press("Alt+t")
    transfer = kim.get_by_role("dialog", name=f"Transfer the chat with {same}")
    await expect(transfer).to_be_visible()
    await assert_accessible(kim, CONSOLE_ROOT, "transfer dialog")
    await kim.keyboard.press("Escape")
    await expect(transfer).to_be_hidden()
    await expect(reply).to_be_focused()

    # Alt+C: the close dialog, for the chat on screen.
    await reply.press("Alt+c")
    closing = kim.get_by_role("dialog", name=re.compile("^Close the chat with"))
    await expect(closing).to_be_visible()
    await closing.get_by_role("button", name="Close conversation").click()
    await expect(closing).to_be_hidden()
    await expect(panel.get_by_text("This conversation is closed.")).to_be_visible()
    # The reply box went with the chat: the transcript has the focus.
    await expect(panel.get_by_role("log")).to_be_focused()
    assert errors == []


async def test_an_empty_inbox_is_accessible(browser, empty_shop):
    """A console with nothing in any section (the shared shop always has
    other tests' chats, so it runs on a shop of its own)."""
    errors = []
    _name, lee = _new_agent(empty_shop, "Lee", secrets.token_hex(3))
    context = await browser.new_context(base_url=empty_shop.base_url, viewport=DESKTOP)
    try:
        page = await _console(context, lee, errors)
        inbox = page.get_by_role("navigation", name="Inbox")
        sections = (
            "Waiting",
            "Missed",
            "Mine",
            "Other active chats",
            "Recently closed",
        )
        for section in sections:
            await expect(_inbox_section(page, section)).to_contain_text("(0)")
        await expect(inbox).to_contain_text("No one is waiting.")
        await assert_accessible(page, CONSOLE_ROOT, "an empty inbox")
    finally:
        await context.close()
    assert errors == []


async def test_closed_chats_show_their_last_words_and_no_unread_badge(
    new_context, live_shop, sockets
):
    token = secrets.token_hex(3)
    errors = []
    _name, kim = _new_agent(live_shop, "Kim", token)
    _name, lee = _new_agent(live_shop, "Lee", token)
    lee = await _console(await new_context(), lee, errors)
    kim = await _console(await new_context(), kim, errors)
    shopper = await _shopper_socket(
        live_shop, sockets, f"First words ({token}-1)", f"Uma{token}"
    )
    panel = await _claim(kim, f"({token}-1)")
    await panel.get_by_role("button", name=re.compile("^Close tab")).click()
    await expect(kim.get_by_role("tab")).to_have_count(0)

    # Unread for Kim; Lee (other agents' chats folded away) hears nothing.
    latest = f"Last words ({token}-2)"
    await shopper.post(latest)
    entry = _inbox_section(kim, "Mine").get_by_role("button", name=re.compile(token))
    await expect(entry).to_contain_text("1 unread message")

    # The store closes it: no badge left, and both consoles show the last words.
    run_manage(
        live_shop.env, "shell", "-c", CLOSE_BY_THE_STORE % shopper.ack["conversation"]
    )
    for page in (kim, lee):
        closed = _inbox_section(page, "Recently closed").get_by_role(
            "button", name=re.compile(re.escape(token))
        )
        await expect(closed).to_contain_text(latest)
    closed = _inbox_section(kim, "Recently closed").get_by_role(
        "button", name=re.compile(re.escape(token))
    )
    await expect(closed).not_to_contain_text("unread")
    await expect(closed.locator(".livechat-badge")).to_be_hidden()
    assert errors == []


async def test_the_reconnecting_banner_stays_in_sight(new_context, live_shop, sockets):
    token = secrets.token_hex(3)
    errors = []
    _name, kim = _new_agent(live_shop, "Kim", token)
    context = await new_context(viewport={"width": 1280, "height": 480})
    kim = await _console(context, kim, errors)
    await _shopper_socket(live_shop, sockets, f"Still there? ({token})", f"Vi{token}")
    panel = await _claim(kim, f"there? ({token})")
    reply = panel.get_by_label("Reply")

    # The network goes and the server restarts meanwhile: the socket is gone.
    await context.set_offline(True)
    await asyncio.to_thread(live_shop.restart)
    banner = kim.get_by_role("status").filter(has_text="Reconnecting…")
    # Offline, the socket may only be found dead by its missing pong.
    await expect(banner).to_be_visible(timeout=60_000)
    # Scrolled down to the reply box, past the header above the banner.
    await reply.evaluate("node => node.scrollIntoView({block: 'end'})")
    header = kim.locator(".livechat-console__header")
    assert await header.evaluate("node => node.getBoundingClientRect().bottom < 0")
    await expect(reply).to_be_in_viewport()
    await expect(banner).to_be_in_viewport()
    await context.set_offline(False)
    await expect(kim.get_by_text("Connected", exact=True)).to_be_visible(timeout=30_000)
    assert errors == []


async def test_a_refused_search_ends_its_wait_and_says_why(
    new_context, live_shop, sockets
):
    token = secrets.token_hex(3)
    errors = []
    _name, kim = _new_agent(live_shop, "Kim", token)
    context = await new_context()
    refused = f"refused{token}"

    # Between the console and the server, a search for ``refused`` is answered
    # as the server answers one past its rate limit (an error "for" inbox).
    def refuse_one_search(socket):
        server = socket.connect_to_server()

        def from_page(message):
            frame = json.loads(message)
            if frame.get("type") == "inbox" and frame.get("q") == refused:
                socket.send(json.dumps(RATE_LIMITED))
            else:
                server.send(message)

        socket.on_message(from_page)

    await context.route_web_socket(
        re.compile(r"/ws/livechat/agent/$"), refuse_one_search
    )
    kim = await _console(context, kim, errors)
    shopper = await _shopper_socket(
        live_shop, sockets, f"Search me ({token})", f"Wes{token}"
    )
    search = kim.get_by_label("Search chats")
    await search.fill(f"Wes{token}")
    results = kim.get_by_role("region", name=re.compile("^Search results"))
    await expect(results.get_by_role("button", name=re.compile(token))).to_have_count(1)
    await assert_accessible(kim, CONSOLE_ROOT, "search results")

    await search.fill(refused)
    status = results.get_by_role("status")
    await expect(status).to_have_text(
        "Error: Too many searches; try again in a minute."
    )
    await expect(results.get_by_text("No chats match this search.")).to_be_hidden()
    await assert_accessible(kim, CONSOLE_ROOT, "a refused search")

    # Searching again works, and the error goes.
    await search.fill(f"Wes{token}")
    await expect(results.get_by_role("button", name=re.compile(token))).to_have_count(1)
    await expect(results.get_by_text("Error:")).to_have_count(0)
    # Nobody is left waiting for the tests that count the queue.
    run_manage(
        live_shop.env, "shell", "-c", CLOSE_BY_THE_STORE % shopper.ack["conversation"]
    )
    assert errors == []
