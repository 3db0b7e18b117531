"""What an agent sees about the shopper: the context cards beside the chat,
the page the shopper is on as they move, and who is at the console.

example_shop under daphne (the shared ``live_shop``); consoles in Chromium, a
shopper in the browser (for a cart) or over the visitor socket.
"""

import re
import secrets

import pytest
from playwright.async_api import expect

from tests.e2e.live import run_manage

from .conftest import DESKTOP
from .shopper import log_in
from .test_console_roles import _new_agent
from .test_console_workspace import (
    ADMIN,
    SCREENSHOTS,
    _claim,
    _console,
    _entry,
    _panel,
    _shopper_page,
    _shopper_socket,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(90),
]


async def _box(locator):
    box = await locator.bounding_box()
    assert box, f"{locator} is not on screen"
    return box


def _overlap(a, b):
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


async def test_the_context_cards_sit_beside_the_chat_at_1280(new_context, live_shop):
    token = secrets.token_hex(3)
    errors = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # An agent of the test's own: other tests count the demo agents' chats.
    _, alice_login = _new_agent(live_shop, "Alice", token)
    alice = await _console(await new_context(), alice_login, errors)
    await _shopper_page(await new_context(), "Gwen", f"Is this tea fresh? ({token})")
    panel = await _claim(alice, f"fresh? ({token})")

    aside = panel.get_by_role("complementary")
    cart = aside.get_by_role("region", name="Cart")
    # The server's cart card: a product link and its price with the currency.
    await expect(cart.get_by_role("link", name="Sencha green tea")).to_be_visible()
    await expect(cart).to_contain_text(re.compile(r"[€$£]\s?\d|\d\s?(EUR|USD|GBP)"))
    await expect(aside.get_by_role("region", name="Customer")).to_contain_text("Gwen")
    await expect(aside.get_by_role("region", name="Past chats")).to_be_visible()
    # The raw key/value dump is gone.
    await expect(aside).not_to_contain_text("Item count")

    # At 1280 px, with the admin's navigation open, the cards are beside the
    # conversation (not under the composer), and nothing overlaps.
    assert alice.viewport_size == DESKTOP
    log = await _box(panel.get_by_role("log"))
    composer = await _box(panel.get_by_label("Reply"))
    side = await _box(aside)
    assert side["x"] >= log["x"] + log["width"], (side, log)
    assert side["y"] < composer["y"] + composer["height"]
    for other in (log, composer):
        assert not _overlap(side, other)
    # The cards in view (the panel's side scrolls on its own).
    await aside.get_by_role("region", name="Past chats").scroll_into_view_if_needed()
    await alice.screenshot(path=SCREENSHOTS / "console-context.png")

    # Narrow, the cards follow below the chat, still without overlapping.
    await alice.set_viewport_size({"width": 480, "height": 800})
    await expect(cart).to_be_visible()
    log = await _box(panel.get_by_role("log"))
    composer = await _box(panel.get_by_label("Reply"))
    side = await _box(aside)
    assert side["y"] >= composer["y"] + composer["height"], (side, composer)
    for other in (log, composer):
        assert not _overlap(side, other)
    assert not errors


# A customer of the test's own: the demo customer's account may already have
# a visitor from another test, which a login would pick instead.
NEW_CUSTOMER = """
from django.contrib.auth import get_user_model
get_user_model().objects.create_user(
    %(username)r, email=%(email)r, password=%(password)r, first_name="Noor")
"""


async def _visitor_terms(details):
    """The names of the visitor's details, in order: the panel's side less
    its cards, which come after them."""
    await expect(details.get_by_role("term").first).to_be_visible()
    terms = await details.get_by_role("term").all_inner_texts()
    cards = details.get_by_role("region").get_by_role("term")
    for term in await cards.all_inner_texts():
        del terms[len(terms) - 1 - terms[::-1].index(term)]
    return terms


async def test_one_email_and_the_other_after_the_shopper_logs_in(
    new_context, live_shop
):
    token = secrets.token_hex(3)
    errors = []
    customer = {
        "username": f"noor{token}",
        "email": f"noor{token}@example.com",
        "password": "noor-pass",
    }
    run_manage(live_shop.env, "shell", "-c", NEW_CUSTOMER % customer)
    # An agent of the test's own: other tests count the demo agents' chats.
    _, alice_login = _new_agent(live_shop, "Alice", token)
    alice = await _console(await new_context(), alice_login, errors)

    # Anonymous, she gives her home address in the pre-chat form.
    typed = f"noor.home{token}@example.net"
    shop = await (await new_context()).new_page()
    await shop.goto("/")
    await shop.get_by_role("button", name="Open chat").click()
    widget = shop.get_by_role("dialog", name="Corner Shop support")
    await widget.get_by_label("Name").locator("visible=true").fill("Noor")
    await widget.get_by_label("Email").locator("visible=true").fill(typed)
    await widget.get_by_role("button", name="Start chat").click()
    question = f"Do you ship to Oman? ({token})"
    await widget.get_by_label("Type your message").fill(question)
    await widget.get_by_role("button", name="Send").click()
    await expect(widget.get_by_role("log")).to_contain_text(question)
    panel = await _claim(alice, f"Oman? ({token})")
    details = panel.get_by_role("complementary")
    await expect(details.get_by_role("link", name=typed)).to_be_visible()
    assert (await _visitor_terms(details)).count("Email") == 1
    await expect(details.get_by_text("Also wrote from", exact=True)).to_have_count(0)

    # She logs in mid-chat: the open panel follows, her account's address
    # is the email, the one she typed a second line, never a second "Email".
    await log_in(shop, customer["username"], customer["password"])
    await shop.goto("/")
    await expect(
        shop.get_by_role("dialog", name="Corner Shop support").get_by_role("log")
    ).to_contain_text(question)
    details = _panel(alice).get_by_role("complementary")
    account = details.get_by_role("link", name=customer["email"], exact=True)
    await expect(account).to_have_attribute("href", f"mailto:{customer['email']}")
    also = details.get_by_role("definition").filter(
        has=alice.get_by_role("link", name=typed)
    )
    await expect(also).to_have_count(1)
    terms = await _visitor_terms(details)
    assert terms.count("Email") == 1, terms
    assert "Also wrote from" in terms, terms
    # The secondary row follows the account's email.
    assert terms.index("Also wrote from") == terms.index("Email") + 1, terms
    assert not errors


async def test_current_page_follows_the_shopper(new_context, live_shop, sockets):
    token = secrets.token_hex(3)
    errors = []
    # An agent of the test's own: other tests count the demo agents' chats.
    _, alice_login = _new_agent(live_shop, "Alice", token)
    alice = await _console(await new_context(), alice_login, errors)
    shopper = await _shopper_socket(
        live_shop, sockets, f"Which size? ({token})", "Hana"
    )
    panel = await _claim(alice, f"size? ({token})")
    details = panel.get_by_role("complementary")

    await shopper.send(
        type="page",
        url=f"{live_shop.base_url}/checkout/?step={token}",
        title="Checkout",
    )
    page_link = details.get_by_role("link", name=f"/checkout/?step={token}")
    await expect(page_link).to_have_count(2)  # "Current page", and the pages seen
    await expect(details.get_by_role("list", name="Pages seen")).to_contain_text(
        f"/checkout/?step={token}"
    )
    # The inbox row says so too.
    await expect(_entry(alice, f"size? ({token})")).to_contain_text("/checkout/")
    assert not errors


async def test_the_board_says_at_the_console_for_an_away_agent(new_context, live_shop):
    token = secrets.token_hex(3)
    errors = []
    # An agent of the test's own: other tests count the demo agents' chats.
    alice_name, alice_login = _new_agent(live_shop, "Alice", token)
    alice = await _console(await new_context(), alice_login, errors)
    admin = await _console(await new_context(), ADMIN, errors)
    await alice.get_by_role("radio", name="Away").check()
    await expect(
        alice.get_by_role("status").filter(has_text="You are away.")
    ).to_be_visible()

    board = admin.get_by_role("region", name="Agents")
    row = board.get_by_role("row", name=re.compile(re.escape(alice_name)))
    # Away by choice, yet the console is open: not "not at the console".
    await expect(row).to_contain_text("Away")
    await expect(row).to_contain_text("at the console")
    await expect(row).not_to_contain_text("not at the console")

    await alice.get_by_role("radio", name="Online").check()
    await expect(row).not_to_contain_text("Away")
    assert not errors
