"""A guest shops in a stock Oscar shop under daphne, chats from the basket,
walks Oscar's checkout to "Place order" and orders; an agent's console
socket gets the Oscar basket beside the chat.

Chromium (Debian's, through Playwright) drives Oscar's own pages by roles
and names; the widget is there through livechat.contrib.oscar alone.
"""

import asyncio
import json
import os
import re

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP
from tests.browser.shopper import Agent, launcher, panel, settled, start_chat
from tests.e2e.live import (
    LiveShop,
    LiveShopUnavailable,
    choose_database,
    create_user,
    free_port,
    run_manage,
    shop_environment,
    stop_live_shop,
)
from tests.services_env import IN_CI

from .shop_data import CURRENCY, TEA

pytestmark = [pytest.mark.oscar, pytest.mark.browser]

TITLE = "Chat with us"  # livechat's default widget title
AGENT_PASSWORD = "agent-oscar-pass"  # noqa: S105
TIMEOUT_MS = 10_000


class OscarShop(LiveShop):
    """daphne serving tests.oscar (its settings, URLs and asgi.py)."""

    def _command(self):
        return [*super()._command()[:-1], "tests.oscar.asgi:application"]


_SHOP_DATA = """
from tests.oscar.shop_data import create_chat_voucher, create_shop
print(create_shop().get_absolute_url())
create_chat_voucher()
"""

_ORDERS = """
import json
from livechat.models import OfferSent, OrderRecord
print(json.dumps([
    [
        [o.number, o.conversation_id, o.coupon_codes, str(o.total), o.currency]
        for o in OrderRecord.objects.all()
    ],
    [
        [offer.code, offer.order.number]
        for offer in OfferSent.objects.exclude(redeemed_at=None)
    ],
]))
"""


@pytest.fixture(scope="module")
def oscar_shop(tmp_path_factory):
    """The Oscar test shop under daphne, on a database of its own."""
    tmp = tmp_path_factory.mktemp("oscar_shop")
    try:
        database = choose_database(tmp)
    except LiveShopUnavailable as exc:
        pytest.fail(str(exc)) if IN_CI else pytest.skip(str(exc))
    env = shop_environment(database.url, None)
    env["DJANGO_SETTINGS_MODULE"] = "tests.oscar.settings"
    env["LIVECHAT_OSCAR_MEDIA_ROOT"] = str(tmp / "media")
    shop = OscarShop(
        port=free_port(), env=env, log_path=tmp / "daphne.log", database=database
    )
    database.create()
    try:
        # Tables from the models (tests.oscar.settings.MIGRATION_MODULES).
        run_manage(env, "migrate", "--run-syncdb", "--noinput", "-v0")
        shop.tea_url = run_manage(env, "shell", "-c", _SHOP_DATA).split()[-1]
        create_user(
            shop,
            "agent",
            AGENT_PASSWORD,
            permissions=["livechat.reply_conversation"],
            is_staff=True,
            first_name="Alice",
        )
        shop.start()
        yield shop
    finally:
        stop_live_shop(shop)


def overlap(a, b):
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


REACHED = """e => {
    const r = e.getBoundingClientRect();
    const x = r.x + r.width / 2, y = r.y + r.height / 2;
    const hit = document.elementFromPoint(x, y);
    return e === hit || e.contains(hit);
}"""


async def _covering(page, target, widget_parts):
    """What of the widget lies on ``target`` now (its name), or None."""
    box = await target.bounding_box()
    assert box is not None
    for part in widget_parts:
        if await part.is_visible() and overlap(box, await part.bounding_box()):
            return str(part)
    if not await target.evaluate(REACHED):
        return "something at its centre"
    return None


async def assert_uncovered(page, target, *widget_parts, tries=10):
    """``target`` is in the viewport and no part of the widget lies on it
    (its centre is what a click there reaches), once the widget had its
    frames to move away."""
    await target.scroll_into_view_if_needed()
    for _ in range(tries):
        covering = await _covering(page, target, widget_parts)
        if covering is None:
            return
        await page.wait_for_timeout(100)
    raise AssertionError(f"{target} is covered by {covering}")


async def fill_shipping_address(page):
    await page.get_by_label("First name").fill("Grace")
    await page.get_by_label("Last name").fill("Guest")
    await page.get_by_label("First line of address").fill("1 Tea Street")
    await page.get_by_label("City").fill("London")
    await page.get_by_label("Post/Zip-code").fill("SW1A 1AA")
    await page.get_by_role("button", name="Continue").click()


async def test_a_guest_chats_from_the_basket_and_checks_out(oscar_shop):
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=TIMEOUT_MS)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            context = await browser.new_context(
                base_url=oscar_shop.base_url, viewport=DESKTOP
            )
            context.set_default_timeout(TIMEOUT_MS)
            # Oscar's pages load jQuery from a CDN first: no network here, so
            # they fall back to Oscar's own copy at once.
            await context.route(
                re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda r: r.abort()
            )
            page = await context.new_page()
            await shop_and_chat(page, oscar_shop, expect)
        finally:
            await browser.close()


async def shop_and_chat(page, shop, expect):
    # A guest puts the tea in the basket from its page in the catalogue.
    await page.goto(shop.tea_url)
    await expect(page.get_by_role("heading", name=TEA, level=1)).to_be_visible()
    await page.get_by_role("button", name="Add to basket").click()
    await page.goto("/basket/")
    proceed = page.get_by_role("link", name="Proceed to checkout")
    await expect(proceed).to_be_visible()

    # The launcher leaves "Proceed to checkout" free; so does the open panel.
    opener, widget = launcher(page), panel(page, TITLE)
    await expect(opener).to_be_visible()
    await assert_uncovered(page, proceed, opener)
    await opener.click()
    await expect(widget).to_be_visible()
    await settled(widget)
    await assert_uncovered(page, proceed, widget, opener)

    # The shopper asks; the agent opening the chat sees the Oscar basket.
    async with Agent(shop, "agent", AGENT_PASSWORD) as agent:
        await start_chat(widget, "grace@example.com")
        await widget.get_by_role("textbox", name="Type your message").fill(
            "Is this tea organic?"
        )
        await widget.get_by_role("button", name="Send", exact=True).click()
        summary = await agent.conversation_with("Is this tea organic?")
        await agent.socket.send(type="open", conversation=summary["id"])
        opened = await agent.socket.expect_where(
            lambda f: (
                f["type"] == "opened" and f["conversation"]["id"] == summary["id"]
            ),
            what="the opened conversation",
        )
        cart = opened["context"]["cart"]
        assert cart["currency"] == CURRENCY
        assert [
            (line["title"], line["quantity"], line["price"]) for line in cart["lines"]
        ] == [(TEA, 1, "12.50")]
        assert cart["lines"][0]["url"].startswith("/catalogue/")
        assert (
            "12,50 EUR" in opened["context_html"]
            or "12.50 EUR" in opened["context_html"]
        )
        assert [offer["code"] for offer in opened["offers"]] == ["CHAT20"]
        await agent.socket.post(
            "It is. Here is 20% off: CHAT20.",
            conversation=summary["id"],
            offer="CHAT20",
        )
        await expect(widget.get_by_role("log")).to_contain_text("20% off")

    # She enters the voucher in Oscar's basket (Oscar's own script shows
    # the form).
    await page.get_by_role("link", name="I have a voucher code...").click()
    await page.get_by_role("textbox", name="Code").fill("chat20")
    add_voucher = page.get_by_role("button", name="Add voucher")
    # The form Oscar's script just opened is not under the open panel.
    await assert_uncovered(page, add_voucher, widget, launcher(page))
    async with page.expect_navigation():
        await add_voucher.click()
    await expect(page.get_by_text("Voucher 'CHAT20' added to basket")).to_be_visible()

    # Oscar's checkout as a guest, up to the preview's "Place order".
    await proceed.click()
    # Another email than the chat's: her session alone ties the order to it.
    await page.get_by_label("My email address is").fill("grace.orders@example.com")
    await page.get_by_label(re.compile("checkout as a guest", re.I)).check()
    await page.get_by_role("button", name="Continue").click()
    await fill_shipping_address(page)
    await page.get_by_role("link", name="Continue").click()
    place_order = page.get_by_role("button", name="Place order")
    await expect(place_order).to_be_visible()
    # Mid-chat, the panel stays open on the checkout, beside what matters.
    await expect(widget).to_be_visible()
    await assert_uncovered(page, place_order, widget, launcher(page))

    # The order reaches the reports, tied to the guest's chat by her session,
    # and redeems the voucher the agent sent.
    await place_order.click()
    await expect(
        page.get_by_role("heading", name=re.compile("confirmation", re.I))
    ).to_be_visible()
    output = await asyncio.to_thread(run_manage, shop.env, "shell", "-c", _ORDERS)
    orders, redeemed_offers = json.loads(output.strip().splitlines()[-1])
    assert len(orders) == 1
    (_number, conversation, codes, total, currency), redeemed = (
        orders[0],
        redeemed_offers,
    )
    assert conversation == summary["id"]
    assert (codes, total, currency) == ("CHAT20", "10.00", CURRENCY)
    assert redeemed == [["CHAT20", _number]]
