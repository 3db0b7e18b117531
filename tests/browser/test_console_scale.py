"""The console with thousands of waiting chats, in Chromium.

A shop of its own (its own database and daphne), so the 5,000 chats seeded
here are in no other test's inbox.
"""

import re
import sys
import time

import pytest
from playwright.async_api import expect

from tests.e2e.live import LiveShopUnavailable, run_manage, start_live_shop
from tests.e2e.live import stop_live_shop as _stop
from tests.services_env import IN_CI

from .test_console_workspace import (
    ALICE,
    CONSOLE,
    _inbox_section,
    _log_in,
    _shopper_socket,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(240),
]

WAITING = 5000

SEED = """
from datetime import timedelta
from django.utils import timezone
from livechat.models import Conversation, Message, Visitor
start = timezone.now() - timedelta(hours=3)
visitors = Visitor.objects.bulk_create(
    [Visitor(name=f"Scale {i:04d}") for i in range(%(count)d)])
chats = Conversation.objects.bulk_create([
    Conversation(visitor=v, status="waiting", last_seq=1,
                 created_at=start + timedelta(seconds=i))
    for i, v in enumerate(visitors)])
Message.objects.bulk_create([
    Message(conversation=c, seq=1, sender_kind="visitor", body=f"Question {i:04d}")
    for i, c in enumerate(chats)])
"""


@pytest.fixture(scope="module")
def crowded_shop(tmp_path_factory):
    """example_shop with 5,000 chats waiting, under a daphne of its own."""
    tmp_dir = tmp_path_factory.mktemp("crowded_shop")
    try:
        # Waiting for hours without being missed or closed, the chats stay put.
        shop = start_live_shop(
            tmp_dir,
            extra_env={
                "LIVECHAT_MISSED_AFTER_SECONDS": "86400",
                "LIVECHAT_AUTO_CLOSE_AFTER_SECONDS": "86400",
                # The welcome and every page then come in parts.
                "LIVECHAT_MAX_SENT_FRAME_BYTES": "20000",
            },
        )
    except LiveShopUnavailable as exc:
        if IN_CI:
            pytest.fail(f"crowded shop: {exc}", pytrace=False)
        pytest.skip(f"*** SKIPPED: crowded shop unavailable: {exc} ***")
    try:
        run_manage(shop.env, "shell", "-c", SEED % {"count": WAITING})
        yield shop
    except BaseException:
        print(f"\ncrowded shop log:\n{shop.log_tail()}", file=sys.stderr)
        raise
    finally:
        _stop(shop)


async def test_the_console_lists_5000_waiting_chats_page_by_page(
    browser, crowded_shop, sockets
):
    context = await browser.new_context(
        base_url=crowded_shop.base_url, viewport={"width": 1280, "height": 800}
    )
    try:
        page = await context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(error))
        await _log_in(page, *ALICE)
        parts = []
        page.on(
            "websocket",
            lambda ws: ws.on(
                "framereceived",
                lambda text: parts.append(text) if '"type": "part"' in text else None,
            ),
        )
        started = time.monotonic()
        await page.goto(CONSOLE)
        waiting = _inbox_section(page, "Waiting")
        entries = waiting.get_by_role("button", name=re.compile(r"^Scale \d{4}"))
        # The first page, oldest first, and the count of them all.
        await expect(entries.first).to_contain_text("Scale 0000")
        print(f"\nfirst page of {WAITING} shown in {time.monotonic() - started:.2f} s")
        await expect(waiting.get_by_role("heading")).to_contain_text(f"({WAITING})")
        assert await waiting.get_by_role("listitem").count() < 200

        # A new chat while the list is on its first page: counted at once,
        # listed in its turn (the last), not in the middle of the first page.
        shopper = await _shopper_socket(crowded_shop, sockets, "Late question")
        await shopper.send(type="profile", name="Scale 5000", email="late@example.com")
        await shopper.expect("profile")
        await expect(waiting.get_by_role("heading")).to_contain_text(f"({WAITING + 1})")
        assert await waiting.get_by_role("listitem").count() < 200

        # Scrolling to the end of the list loads the next pages by itself:
        # the page scrolls its last entry into view until no page is left.
        started = time.monotonic()
        pages = await page.evaluate(
            """async (section) => {
              const more = [...document.querySelectorAll(".livechat-inbox__more")]
                .find((button) => button.closest("section").matches(section));
              let scrolls = 0;
              while (!more.hidden && scrolls < 1000) {
                const items = more.closest("section").querySelectorAll("li");
                items[items.length - 1].scrollIntoView();
                scrolls += 1;
                await new Promise((resolve) => setTimeout(resolve, 100));
              }
              return scrolls;
            }""",
            ".livechat-inbox__section--waiting",
        )
        print(
            f"scrolled through all in {time.monotonic() - started:.2f} s,",
            f"{pages} scrolls",
        )
        # (List items: a role without names to compute, for 5,000 of them.)
        items = waiting.get_by_role("listitem")
        await expect(items).to_have_count(WAITING + 1, timeout=30_000)
        await expect(
            waiting.get_by_role("button", name=re.compile("^Show more"))
        ).to_be_hidden()
        names = await items.evaluate_all(
            "items => items.map(i => i.querySelector('.livechat-entry__name')"
            ".textContent)"
        )
        assert names == [f"Scale {i:04d}" for i in range(WAITING + 1)]

        # The search box finds a chat among them by the words of its message,
        # in place of the sections; clearing it brings the sections back.
        inbox = page.get_by_role("navigation", name="Inbox")
        await inbox.get_by_role("searchbox", name="Search chats").fill("late question")
        results = inbox.get_by_role("region", name=re.compile("^Search results"))
        await expect(results.get_by_role("listitem")).to_have_count(1)
        await expect(results.get_by_role("button")).to_contain_text("Scale 5000")
        await expect(waiting).to_be_hidden()
        await inbox.get_by_role("searchbox", name="Search chats").fill(
            "late@example.com"
        )
        await expect(results.get_by_role("listitem")).to_have_count(1)
        await inbox.get_by_role("searchbox", name="Search chats").fill("no such words")
        await expect(results.get_by_text("No chats match this search.")).to_be_visible()
        await inbox.get_by_role("searchbox", name="Search chats").press("Escape")
        await expect(results).to_be_hidden()
        await expect(waiting).to_be_visible()
        assert parts  # the console read the frames that came in parts
        assert not errors
    finally:
        await context.close()


async def test_a_console_without_its_welcome_says_so_and_tries_again(
    browser, crowded_shop
):
    context = await browser.new_context(
        base_url=crowded_shop.base_url, viewport={"width": 1280, "height": 800}
    )
    try:
        page = await context.new_page()
        await _log_in(page, *ALICE)
        sockets = []

        def route(ws):
            # The first socket's welcome never arrives (as when a server
            # cannot send it); later sockets pass everything through.
            server = ws.connect_to_server()
            first = not sockets
            sockets.append(ws)

            def from_server(message):
                # (Here the welcome comes in parts: the one naming it is lost.)
                if first and "welcome" in message:
                    return
                ws.send(message)

            server.on_message(from_server)

        await page.route_web_socket(re.compile(r"/ws/livechat/agent/"), route)
        await page.goto(CONSOLE)
        banner = page.get_by_role("status").filter(has_text="could not load")
        await expect(banner).to_have_text(
            "The console could not load. Trying again…", timeout=25_000
        )
        # The next attempt gets its welcome: the console works.
        await expect(page.get_by_role("checkbox", name="Sound")).to_be_enabled(
            timeout=40_000
        )
        await expect(banner).to_be_hidden()
        assert len(sockets) >= 2
        waiting = _inbox_section(page, "Waiting")
        await expect(waiting.get_by_role("heading")).to_contain_text("(")
    finally:
        await context.close()
