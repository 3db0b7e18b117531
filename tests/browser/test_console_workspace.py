"""The agent workspace: several shoppers, two agents and a supervisor in Chromium.

Drives the real console.js (and widget.js for shoppers who must see the
result) against example_shop under daphne, by accessible roles and names.
Quick shoppers talk over the visitor WebSocket (tests/e2e/clients.py).
"""

import asyncio
import os
import re
import secrets
import tempfile
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import expect

from tests.e2e.clients import Socket, http_session, visitor_token
from tests.e2e.live import (
    LiveShop,
    LiveShopUnavailable,
    choose_database,
    choose_redis,
    free_port,
    run_manage,
    shop_environment,
    stop_live_shop,
)
from tests.services_env import IN_CI

from .axe import assert_accessible
from .conftest import ACTION_TIMEOUT_MS, DESKTOP

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(90),
]

# docs/img is refreshed only on request (LIVECHAT_SCREENSHOTS=1), so normal
# runs leave the tree clean; otherwise the pictures go to a scratch folder.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "img"
    if os.environ.get("LIVECHAT_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "livechat-screenshots"
)
CONSOLE = "/admin/livechat/liveconsole/"
ALICE = ("agent", "agent-demo-pass")
BOB = ("agent2", "agent2-demo-pass")
ADMIN = ("admin", "admin-demo-pass")

CANNED_SETUP = """
from livechat.models import CannedReply, Department
CannedReply.objects.get_or_create(
    shortcut="shipping", language="",
    defaults={"title": "Shipping times", "body": "Hi {visitor_name}, orders from "
              "{store_name} ship within 2 working days. {agent_name}"})
CannedReply.objects.get_or_create(
    shortcut="shipping", language="es",
    defaults={"title": "Plazos de envío", "body": "Hola {visitor_name}, enviamos "
              "en 2 días laborables."})
CannedReply.objects.get_or_create(
    shortcut="returns", language="",
    defaults={"title": "Returns", "body": "You can return anything within 30 days."})
Department.objects.get_or_create(name="Order help")
"""

# Records desktop notifications instead of showing them, and lets a test hide
# the page (headless Chromium keeps every page "visible" and focused).
NOTIFICATION_STUB = """
window.__notifications = [];
window.__hidden = false;
class RecordingNotification {
  constructor(title, options) {
    window.__notifications.push({ title: title, body: (options || {}).body || "" });
  }
  close() {}
  static requestPermission() { return Promise.resolve("granted"); }
}
RecordingNotification.permission = "granted";
window.Notification = RecordingNotification;
Object.defineProperty(Document.prototype, "hidden", { get: () => window.__hidden });
Object.defineProperty(Document.prototype, "visibilityState", {
  get: () => (window.__hidden ? "hidden" : "visible"),
});
window.__oscillators = 0;
if (window.AudioContext) {
  const createOscillator = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () {
    window.__oscillators += 1;
    return createOscillator.call(this);
  };
}
const realHasFocus = Document.prototype.hasFocus;
Document.prototype.hasFocus = function () {
  return window.__hidden ? false : realHasFocus.call(this);
};
"""

HIDE_PAGE = """() => {
  window.__hidden = true;
  document.dispatchEvent(new Event("visibilitychange"));
}"""
SHOW_PAGE = """() => {
  window.__hidden = false;
  document.dispatchEvent(new Event("visibilitychange"));
}"""


async def _log_in(page, username, password):
    await page.goto("/admin/login/")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(re.compile(r"/admin/$"))


async def _console(context, credentials, errors):
    """A logged-in agent's console, once its socket has said welcome."""
    page = await context.new_page()
    page.on("pageerror", lambda error: errors.append(error))
    await _log_in(page, *credentials)
    await page.goto(CONSOLE)
    # The welcome frame enables the alert switches (agents and supervisors).
    await expect(page.get_by_role("checkbox", name="Sound")).to_be_enabled()
    return page


def _inbox_section(page, name):
    inbox = page.get_by_role("navigation", name="Inbox")
    return inbox.get_by_role("region", name=re.compile(rf"^{name}\b"))


def _entry(page, token):
    """The inbox button of the chat whose preview carries ``token``."""
    inbox = page.get_by_role("navigation", name="Inbox")
    return inbox.get_by_role("button", name=re.compile(re.escape(token)))


def _panel(page):
    return page.get_by_role("tabpanel")


async def _claim(page, token):
    """Open the chat whose preview carries ``token`` and take it; its panel."""
    await _entry(page, token).click()
    panel = _panel(page)
    await panel.get_by_role("button", name="Claim").click()
    await expect(panel).to_contain_text("Active · Yours")
    return panel


async def _shopper_socket(shop, sockets, body, name=None, locale="en"):
    """A shopper on the visitor socket who sent ``body``; returns the socket."""
    session = http_session()
    token = visitor_token(shop, session)
    socket = await Socket.open(shop, "/ws/livechat/visitor/")
    sockets.append(socket)
    await socket.send(type="hello", v=1, token=token, locale=locale)
    await socket.expect("welcome")
    if name:
        await socket.send(
            type="profile", name=name, email=f"{name.lower()}@example.com"
        )
        await socket.expect("profile")
    socket.ack = await socket.post(body)
    socket.session, socket.token = session, token
    return socket


async def _shopper_page(context, name, question):
    """A shopper in the browser: a product in the cart, then a question."""
    page = await context.new_page()
    await page.goto("/")
    product = page.get_by_role("article", name="Sencha green tea")
    await product.get_by_role("button", name=re.compile(r"^Add to cart")).click()
    main_nav = page.get_by_role("navigation", name="Main")
    await main_nav.get_by_role("link", name="Cart").click()
    await expect(page).to_have_url(re.compile(r"/cart/$"))
    await page.get_by_role("button", name="Open chat").click()
    widget = page.get_by_role("dialog", name="Corner Shop support")
    start = widget.get_by_role("button", name="Start chat")
    if await start.is_visible():
        # The offline form (hidden now) has fields of the same names.
        await widget.get_by_label("Name").locator("visible=true").fill(name)
        await (
            widget.get_by_label("Email")
            .locator("visible=true")
            .fill(f"{name.lower()}@example.com")
        )
        await start.click()
    await widget.get_by_label("Type your message").fill(question)
    await widget.get_by_role("button", name="Send").click()
    await expect(widget.get_by_role("log")).to_contain_text(question)
    return page, widget


@pytest.fixture(scope="module")
def canned_replies(live_shop):
    """Saved replies (one in Spanish) and a department, as the store sets them up."""
    run_manage(live_shop.env, "shell", "-c", CANNED_SETUP)


async def test_agents_share_several_shoppers(
    new_context, live_shop, canned_replies, sockets
):
    token = secrets.token_hex(3)
    errors = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # Bob is at his console first, so Alice's welcome lists him as present.
    bob = await _console(await new_context(), BOB, errors)
    alice = await _console(await new_context(), ALICE, errors)
    # More room for the chats: the admin's navigation sidebar folds away.
    await alice.get_by_role("button", name="Toggle navigation").click()

    shopper, widget = await _shopper_page(
        await new_context(), "Ann", f"Where is my parcel? ({token})"
    )
    # Two more shoppers, quicker over the visitor socket (Carmen reads Spanish).
    await _shopper_socket(
        live_shop, sockets, f"Do you ship to Spain? ({token}-es)", "Carmen", "es"
    )
    await _shopper_socket(live_shop, sockets, f"Is the honey raw? ({token}-h)", "Dev")

    # (a) Claim from the queue: the chat moves from Waiting to Mine.
    waiting = _inbox_section(alice, "Waiting")
    await expect(waiting.get_by_role("button", name=re.compile(token))).to_have_count(3)
    await expect(waiting.get_by_text(re.compile(r"waiting \d+:\d\d"))).to_have_count(3)
    await _entry(alice, f"parcel? ({token})").click()
    panel = _panel(alice)
    await expect(panel.get_by_role("log")).to_contain_text(
        f"Where is my parcel? ({token})"
    )
    await panel.get_by_role("button", name="Claim").click()
    await expect(panel).to_contain_text("Active · Yours")
    mine = _inbox_section(alice, "Mine")
    await expect(
        mine.get_by_role("button", name=re.compile(f"parcel.*{token}"))
    ).to_be_visible()
    shopper_log = widget.get_by_role("log")
    await expect(shopper_log).to_contain_text("Alice from Support joined the chat")

    # (e) The context panel: the cart from the shop, and the pages of this visit.
    aside = panel.get_by_role("complementary")
    await expect(aside).to_contain_text("Sencha green tea")
    pages_seen = aside.get_by_role("list", name="Pages seen")
    await expect(pages_seen).to_contain_text("/cart/")
    await expect(aside).to_contain_text("Chrome")
    await expect(aside).to_contain_text("Desktop")
    # Read as soon as shown: nothing unread in the chat on screen.
    await expect(mine).not_to_contain_text("unread")

    # (c) A saved reply: "/ship", picked from the listbox, edited, sent.
    reply = panel.get_by_label("Reply")
    await reply.press_sequentially("/ship")
    options = panel.get_by_role("listbox", name="Saved replies")
    await expect(options.get_by_role("option")).to_have_count(1)
    await expect(options.get_by_role("option")).to_contain_text("Shipping times")
    await alice.screenshot(path=SCREENSHOTS / "console-canned.png")
    await assert_accessible(alice, "#livechat-console", "saved replies open")
    await reply.press("Enter")
    await expect(options).to_be_hidden()
    await expect(reply).to_have_value(
        "Hi Ann, orders from Corner Shop support ship within 2 working days. "
        "Alice from Support"
    )
    await reply.press("End")
    await reply.press_sequentially(f" Yours arrives Friday ({token}).")
    await reply.press("Enter")
    edited = (
        "Hi Ann, orders from Corner Shop support ship within 2 working days. "
        f"Alice from Support Yours arrives Friday ({token})."
    )
    await expect(panel.get_by_role("log")).to_contain_text(edited)
    await expect(shopper_log).to_contain_text(edited)

    # (d) An internal note: in the transcript for agents, never for the shopper.
    secret = f"Gift wrap requested, do not mention price ({token})"
    await panel.get_by_role("button", name="Internal note").click()
    await panel.get_by_label("Internal note — only agents see this").fill(secret)
    await panel.get_by_role("button", name="Add note").click()
    note = panel.get_by_role("listitem").filter(has_text=secret)
    await expect(note).to_contain_text("Internal note — only agents see this")

    # Several chats at once, as tabs.
    for suffix in ("-es", "-h"):
        await _claim(alice, f"{token}{suffix})")
    tabs = alice.get_by_role("tab")
    await expect(tabs).to_have_count(3)

    # The picker by keyboard, in the shopper's language (Carmen's is Spanish).
    await tabs.filter(has_text="Carmen").click()
    reply = _panel(alice).get_by_label("Reply")
    options = _panel(alice).get_by_role("listbox", name="Saved replies")
    await reply.press_sequentially("/")
    await expect(options.get_by_role("option")).to_have_count(2)
    await expect(options.get_by_role("option").first).to_contain_text("Plazos de envío")
    await reply.press("ArrowDown")
    await expect(options.get_by_role("option", selected=True)).to_contain_text(
        "Returns"
    )
    await reply.press("Escape")
    await expect(options).to_be_hidden()
    await reply.press_sequentially("ship")
    await expect(options.get_by_role("option")).to_have_count(1)
    await reply.press("Tab")
    await expect(reply).to_have_value("Hola Carmen, enviamos en 2 días laborables.")
    await reply.fill("")

    await tabs.filter(has_text="Ann").click()
    await alice.screenshot(path=SCREENSHOTS / "console-chats.png")

    # (b) Transfer Ann to Bob with a note.
    handover = f"VIP customer, wants a call back ({token})"
    panel = _panel(alice)
    await panel.get_by_role("button", name="Transfer").click()
    dialog = alice.get_by_role("dialog", name="Transfer the chat with Ann")
    await expect(dialog).to_be_visible()
    await expect(
        dialog.get_by_role("radio", name=re.compile("Bob from Support"))
    ).to_be_visible()
    await expect(dialog).to_contain_text("0/100 chats")
    await dialog.get_by_role("radio", name=re.compile("Bob from Support")).check()
    await dialog.get_by_label("Note for the next agent (optional)").fill(handover)
    await alice.screenshot(path=SCREENSHOTS / "console-transfer.png")
    await assert_accessible(alice, "#livechat-console", "transfer dialog")
    await dialog.get_by_role("button", name="Transfer").click()
    await expect(dialog).to_be_hidden()
    await expect(
        alice.get_by_text("The chat with Ann was transferred to Bob from Support.")
    ).to_be_visible()
    await expect(
        panel.get_by_text("Read-only: Bob from Support is handling this chat.")
    ).to_be_visible()
    await expect(panel.get_by_label("Reply")).to_be_disabled()

    notice = bob.get_by_text("Alice from Support transferred a chat with Ann to you.")
    await expect(notice).to_be_visible()
    await expect(bob.get_by_text(f"Note: “{handover}”")).to_be_visible()
    bob_panel = _panel(bob)
    await expect(bob_panel.get_by_role("log")).to_contain_text(
        f"Transfer note from Alice from Support: {handover}"
    )
    await expect(bob_panel.get_by_role("log")).to_contain_text(secret)
    await expect(bob_panel.get_by_role("log")).to_contain_text(edited)

    await bob.screenshot(path=SCREENSHOTS / "console-transferred.png")
    await assert_accessible(bob, "#livechat-console", "transfer notice and notes")

    await expect(shopper_log).to_contain_text("Bob from Support joined the chat")
    shopper_text = await shopper.locator("body").inner_text()
    assert handover not in shopper_text
    assert secret not in shopper_text

    # A supervisor sees every agent's load, and reads others' chats read-only.
    admin = await _console(await new_context(), ADMIN, errors)
    board = admin.get_by_role("region", name="Agents")
    alice_row = board.get_by_role("row", name=re.compile("^Alice from Support"))
    await expect(alice_row).to_contain_text("2/100 chats")
    await expect(alice_row).to_contain_text("at the console")
    bob_row = board.get_by_role("row", name=re.compile("^Bob from Support"))
    await expect(bob_row).to_contain_text("1/100 chats")
    await _entry(admin, f"Friday ({token})").click()
    admin_panel = _panel(admin)
    await expect(admin_panel.get_by_role("log")).to_contain_text(secret)
    await expect(
        admin_panel.get_by_text("Read-only: Bob from Support is handling this chat.")
    ).to_be_visible()
    await expect(admin_panel.get_by_label("Reply")).to_be_disabled()
    await admin.screenshot(path=SCREENSHOTS / "console-supervisor.png", full_page=True)
    await assert_accessible(admin, "#livechat-console", "supervisor, read-only chat")
    assert errors == []


async def test_a_background_console_alerts_the_agent(new_context, live_shop, sockets):
    token = secrets.token_hex(3)
    errors = []
    context = await new_context()
    await context.grant_permissions(["notifications"], origin=live_shop.base_url)
    await context.add_init_script(NOTIFICATION_STUB)
    alice = await _console(context, ALICE, errors)
    await expect(alice.get_by_text("Desktop notifications are on.")).to_be_visible()

    # The agent is in another tab: a new shopper is announced by a notification.
    await alice.evaluate(HIDE_PAGE)
    shopper = await _shopper_socket(
        live_shop, sockets, f"Anyone there? ({token})", f"Eve{token}"
    )
    await alice.wait_for_function(
        "name => window.__notifications.some(n => n.title.includes(name))",
        arg=f"New chat waiting: Eve{token}",
    )
    await expect(alice).to_have_title(re.compile(r"^\(\d+\) Live console"))
    assert await alice.evaluate("window.__oscillators") > 0  # the chime played

    # Back: she takes the chat, then leaves again; the next message notifies too.
    await alice.evaluate(SHOW_PAGE)
    await _claim(alice, f"there? ({token})")
    await alice.evaluate(HIDE_PAGE)
    await shopper.post(f"Hello? ({token})")
    await alice.wait_for_function(
        "body => window.__notifications.some(n => n.body === body)",
        arg=f"Hello? ({token})",
    )
    notes = await alice.evaluate("window.__notifications")
    assert f"New message from Eve{token}" in [n["title"] for n in notes]
    # The title keeps a count while the page is hidden.
    await expect(alice).to_have_title(re.compile(r"^\(\d+\) Live console"))
    assert errors == []


async def test_the_console_resyncs_after_a_server_restart(
    new_context, live_shop, sockets
):
    token = secrets.token_hex(3)
    errors = []
    context = await new_context()
    alice = await _console(context, ALICE, errors)
    shopper = await _shopper_socket(
        live_shop, sockets, f"Before the outage ({token})", f"Finn{token}"
    )
    panel = await _claim(alice, f"outage ({token})")
    note = f"Asked about the outage ({token})"
    await panel.get_by_role("button", name="Internal note").click()
    await panel.get_by_label("Internal note — only agents see this").fill(note)
    await panel.get_by_role("button", name="Add note").click()
    log = panel.get_by_role("log")
    await expect(log.get_by_text(note, exact=True)).to_have_count(1)

    # The console loses the network and the server dies (kill -9) meanwhile.
    await context.set_offline(True)
    await asyncio.to_thread(live_shop.restart)
    await expect(alice.get_by_text("Reconnecting…")).to_be_visible()
    offline_reply = f"Reply typed while offline ({token})"
    await panel.get_by_label("Reply").fill(offline_reply)
    await panel.get_by_label("Reply").press("Enter")
    await expect(panel).to_contain_text("Waiting for the connection…")

    # The shopper comes back first and writes three messages.
    back = await Socket.open(live_shop, "/ws/livechat/visitor/")
    sockets.append(back)
    await back.send(
        type="hello",
        v=1,
        token=shopper.token,
        conversation=shopper.ack["conversation"],
        last_seq=shopper.ack["seq"],
    )
    await back.expect("welcome")
    during = [f"During the outage {n} ({token})" for n in (1, 2, 3)]
    for body in during:
        await back.post(body)

    await context.set_offline(False)
    await expect(alice.get_by_text("Connected", exact=True)).to_be_visible()
    for body in [f"Before the outage ({token})", *during, offline_reply]:
        await expect(log.get_by_text(body, exact=True)).to_have_count(1)
    await expect(log.get_by_text(note, exact=True)).to_have_count(1)
    await back.expect_where(
        lambda f: f["type"] == "message" and f["message"]["body"] == offline_reply,
        what="the reply typed offline",
    )
    # The inbox is in step too: the chat is still hers, nothing unread.
    mine = _inbox_section(alice, "Mine")
    await expect(mine.get_by_role("button", name=re.compile(token))).to_have_count(1)
    assert errors == []


async def test_other_agents_chats_are_a_remembered_disclosure(
    new_context, live_shop, sockets
):
    token = secrets.token_hex(3)
    errors = []
    bob = await _console(await new_context(), BOB, errors)
    alice = await _console(await new_context(), ALICE, errors)
    shopper = await _shopper_socket(
        live_shop, sockets, f"Is it in stock? ({token})", f"Hal{token}"
    )

    # Alice takes the chat and answers, then closes its tab: it stays hers.
    panel = await _claim(alice, f"stock? ({token})")
    answer = f"Yes, plenty ({token}-a)"
    await panel.get_by_label("Reply").fill(answer)
    await panel.get_by_label("Reply").press("Enter")
    await expect(panel.get_by_role("log")).to_contain_text(answer)
    await panel.get_by_role("button", name=re.compile("^Close tab")).click()
    await expect(alice.get_by_role("tab")).to_have_count(0)

    # Bob is no supervisor: other agents' chats start folded away. (Anchored:
    # the disclosure's arrow is decoration, not part of the name.)
    inbox = bob.get_by_role("navigation", name="Inbox")
    toggle = inbox.get_by_role("button", name=re.compile(r"^Other active chats\b"))
    await expect(toggle).to_have_attribute("aria-expanded", "false")
    others = _inbox_section(bob, "Other active chats")
    chat = others.get_by_role("button", name=re.compile(re.escape(token)))
    # Listed, but out of sight until asked for.
    await expect(chat).to_be_hidden()
    await expect(
        others.get_by_role(
            "button", name=re.compile(re.escape(token)), include_hidden=True
        )
    ).to_have_count(1)
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    await expect(chat).to_be_visible()
    await expect(chat).to_contain_text(answer)
    await expect(chat).to_contain_text("Alice from Support")

    # Expanded, the shopper's next message reaches Bob's preview; Alice's own
    # entry follows it too, with no tab of the chat open.
    news = f"Then I'll take two ({token}-n)"
    await shopper.post(news)
    await expect(chat).to_contain_text(news, timeout=5_000)
    mine = _inbox_section(alice, "Mine")
    mine_entry = mine.get_by_role("button", name=re.compile(re.escape(token)))
    await expect(mine_entry).to_contain_text(news, timeout=5_000)
    await expect(mine_entry).to_contain_text("unread")

    # The choice is remembered: after a reload the section is still open.
    await bob.reload()
    await expect(bob.get_by_role("radio", name="Online")).to_be_enabled()
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    await expect(chat).to_contain_text(news)
    assert errors == []


# Automatic routing, and room for one chat per agent so the limit shows at once.
AUTO_SHOP_ENV = {"LIVECHAT_ROUTING": "auto", "LIVECHAT_MAX_CONCURRENT_CHATS": "1"}


@pytest.fixture(scope="module")
def auto_shop(tmp_path_factory):
    """example_shop under a daphne of its own, with AUTO_SHOP_ENV.

    Separate from ``live_shop``: automatic routing would hand out the chats
    other tests leave waiting.
    """
    tmp_dir = tmp_path_factory.mktemp("auto_shop")
    try:
        database, redis = choose_database(tmp_dir), choose_redis()
    except LiveShopUnavailable as exc:
        if IN_CI:
            pytest.fail(f"auto shop: {exc}", pytrace=False)
        pytest.skip(f"*** SKIPPED: auto shop unavailable: {exc} ***")
    database.create()
    env = shop_environment(database.url, redis)
    env.update(AUTO_SHOP_ENV)
    shop = LiveShop(
        port=free_port(), env=env, log_path=tmp_dir / "daphne.log", database=database
    )
    try:
        run_manage(env, "migrate", "--noinput", "-v0")
        run_manage(env, "seed_demo")
        shop.start()
        yield shop
    finally:
        stop_live_shop(shop)


@pytest_asyncio.fixture(loop_scope="session")
async def auto_context(browser, auto_shop):
    """Browser contexts on the auto-routing shop."""
    contexts = []

    async def new_context():
        context = await browser.new_context(
            base_url=auto_shop.base_url, viewport=DESKTOP
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield new_context
    for context in contexts:
        await context.close()


async def test_auto_routing_respects_each_agents_limit(
    auto_context, auto_shop, sockets
):
    token = secrets.token_hex(3)
    errors = []
    alice = await _console(await auto_context(), ALICE, errors)
    bob = await _console(await auto_context(), BOB, errors)
    for page in (alice, bob):
        await expect(
            page.get_by_text("New chats are assigned automatically.")
        ).to_be_visible()

    for n in (1, 2, 3):
        await _shopper_socket(auto_shop, sockets, f"Question {n} ({token})", f"S{n}")

    # One chat each (the limit is 1); the third shopper waits for a free agent.
    for page in (alice, bob):
        mine = _inbox_section(page, "Mine")
        await expect(mine.get_by_role("button", name=re.compile(token))).to_have_count(
            1
        )
        # The router's chat opens as a tab by itself.
        await expect(page.get_by_role("tab")).to_have_count(1)
        await expect(
            _inbox_section(page, "Waiting").get_by_role(
                "button", name=re.compile(token)
            )
        ).to_have_count(1)

    # Alice closes hers with a tag; the waiting chat comes to her at once.
    await alice.get_by_role("tab").click()
    await _panel(alice).get_by_role("button", name="Close conversation").click()
    dialog = alice.get_by_role("dialog", name=re.compile("^Close the chat with"))
    await dialog.get_by_label("What was it about? (optional)").select_option(
        label="Order status"
    )
    await dialog.get_by_role("button", name="Close conversation").click()
    await expect(dialog).to_be_hidden()
    closed = _inbox_section(alice, "Recently closed")
    await expect(closed.get_by_role("button", name=re.compile(token))).to_contain_text(
        "Order status"
    )
    mine = _inbox_section(alice, "Mine")
    await expect(mine.get_by_role("button", name=re.compile(token))).to_have_count(1)
    await expect(
        _inbox_section(alice, "Waiting").get_by_role("button", name=re.compile(token))
    ).to_have_count(0)
    await expect(alice.get_by_role("tab")).to_have_count(2)
    assert errors == []
