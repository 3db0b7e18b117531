"""What the shopper widget's browser tests share: locators, agents, emails.

The tests drive the widget by roles and accessible names; the agent side is a
real agent WebSocket (tests/e2e/clients.py), which counts as a connected
console for the widget's "online".
"""

import asyncio
import email
import email.policy
import os
import re
import secrets
import time
from pathlib import Path

from playwright.async_api import expect

from tests.e2e.clients import Socket, cookie_header, http_session, log_in_agent

ROOT = Path(__file__).resolve().parents[2]
DOC_IMAGES = ROOT / "docs" / "img"
TITLE = "Corner Shop support"
ONLINE = "We're online"
OFFLINE = "Leave a message"
INVITATION = "Questions about delivery or payment? We're here."
WAIT_SECONDS = 10


def token():
    """A short random marker that tells this test's chats from earlier ones."""
    return secrets.token_hex(3)


def launcher(page, opener="Open chat"):
    """The launcher button, named "Open chat, <availability>"."""
    # The invitation bubble has a plain "Open chat" button: the comma tells apart.
    return page.get_by_role("button", name=re.compile("^" + re.escape(opener) + ", "))


def panel(page, title=TITLE):
    return page.get_by_role("dialog", name=title)


async def open_panel(page, tap=False):
    """Open the panel from the launcher; return it once its animation is over."""
    button = launcher(page)
    await (button.tap() if tap else button.click())
    widget = panel(page)
    await expect(widget).to_be_visible()
    await settled(widget)
    return widget


async def settled(locator):
    """Wait for the element's CSS animations (the panel fades in) to finish."""
    await locator.evaluate("e => Promise.all(e.getAnimations().map(a => a.finished))")


async def go_to_checkout(page):
    """Put a tea in the cart and walk to the checkout, as a shopper does."""
    await page.goto("/")
    product = page.get_by_role("article", name="Sencha green tea")
    await product.get_by_role("button", name=re.compile(r"^Add to cart")).click()
    main_nav = page.get_by_role("navigation", name="Main")
    await main_nav.get_by_role("link", name="Cart").click()
    await page.get_by_role("link", name="Go to checkout").click()
    await expect(page.get_by_role("heading", name="Checkout", level=1)).to_be_visible()


async def start_chat(widget, email_address, name=None):
    """Fill in the pre-chat form and start the chat."""
    if name is not None:
        await widget.get_by_role("textbox", name="Name (optional)").fill(name)
    await widget.get_by_role("textbox", name="Email", exact=True).fill(email_address)
    await widget.get_by_role("button", name="Start chat").click()
    composer = widget.get_by_role("textbox", name="Type your message")
    await expect(composer).to_be_visible()
    return composer


async def send(widget, text):
    await widget.get_by_role("textbox", name="Type your message").fill(text)
    await widget.get_by_role("button", name="Send", exact=True).click()
    await expect(widget.get_by_role("log")).to_contain_text(text)


async def log_in(page, username, password, path="/accounts/login/"):
    """Log in through a login form (the shop's or the admin's)."""
    await page.goto(path)
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).not_to_have_url(re.compile(re.escape(path) + "$"))


# Agents -------------------------------------------------------------------------

_agent_sessions = {}


class Agent:
    """An agent's console socket, open while the ``async with`` lasts."""

    def __init__(self, shop, username="agent", password="agent-demo-pass"):
        self.shop, self.username, self.password = shop, username, password
        self.socket = None

    async def __aenter__(self):
        key = (self.shop.port, self.username)
        if key not in _agent_sessions:
            _agent_sessions[key] = await asyncio.to_thread(
                log_in_agent, self.shop, self.username, self.password
            )
        self.socket = await Socket.open(
            self.shop,
            "/ws/livechat/agent/",
            cookies=cookie_header(_agent_sessions[key]),
        )
        await self.socket.send(type="hello", v=1)
        self.welcome = await self.socket.expect("welcome")
        return self

    async def __aexit__(self, *exc_info):
        await self.socket.close()

    async def conversation_where(self, test, what):
        """The next ``conversation`` summary for which ``test(summary)`` holds."""
        frame = await self.socket.expect_where(
            lambda f: f["type"] == "conversation" and test(f["conversation"]),
            timeout=WAIT_SECONDS,
            what=what,
        )
        return frame["conversation"]

    async def conversation_with(self, text):
        """The summary of the conversation whose last message contains ``text``."""
        return await self.conversation_where(
            lambda c: text in (c.get("preview") or ""), f"a conversation with {text!r}"
        )

    async def reply(self, conversation_id, body):
        return await self.socket.post(body, conversation=conversation_id)


def status(shop):
    with http_session() as session:
        response = session.get(shop.url("/livechat/status/"), timeout=5)
        response.raise_for_status()
        return response.json()


async def wait_for_availability(shop, available, timeout=WAIT_SECONDS, **fields):
    """Wait until /livechat/status/ says ``available`` (agents come and go).

    ``fields`` must match too, e.g. ``open_now=False``.
    """
    deadline = time.monotonic() + timeout
    while True:
        answer = await asyncio.to_thread(status, shop)
        wanted = {"available": available, **fields}
        if all(answer[key] == value for key, value in wanted.items()):
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"status stayed {answer} for {timeout}s")
        await asyncio.sleep(0.25)


# Emails -------------------------------------------------------------------------


def emails(shop):
    """Every email the shop sent so far (file-based backend), parsed."""
    found = []
    for path in sorted(shop.mail_dir.glob("*.log")):
        # One file per connection; messages are separated by a line of dashes.
        for chunk in re.split(rb"\n-{79}\n", path.read_bytes()):
            if chunk.strip():
                found.append(
                    email.message_from_bytes(chunk.strip(), policy=email.policy.default)
                )
    return found


def email_text(message):
    return message.get_body(preferencelist=("plain",)).get_content()


async def wait_for_email(shop, text, timeout=WAIT_SECONDS):
    """The email whose text body contains ``text``."""
    deadline = time.monotonic() + timeout
    while True:
        for message in emails(shop):
            if text in email_text(message):
                return message
        if time.monotonic() > deadline:
            subjects = [m["Subject"] for m in emails(shop)]
            raise AssertionError(f"no email with {text!r}; sent: {subjects}")
        await asyncio.sleep(0.2)


# Pictures for docs/widget.md ------------------------------------------------------


async def doc_screenshot(page, name, **options):
    """Save docs/img/<name> when LIVECHAT_SCREENSHOTS=1 (kept out of normal runs)."""
    if os.environ.get("LIVECHAT_SCREENSHOTS") != "1":
        return
    DOC_IMAGES.mkdir(parents=True, exist_ok=True)
    # The caret blinks and transitions run: let the picture settle.
    await page.wait_for_timeout(300)
    await page.screenshot(path=DOC_IMAGES / name, animations="disabled", **options)


def widget_corner(page, width=440, height=700):
    """The bottom-right corner of a desktop page, where the widget lives."""
    viewport = page.viewport_size
    return {
        "x": viewport["width"] - width,
        "y": viewport["height"] - height,
        "width": width,
        "height": height,
    }
