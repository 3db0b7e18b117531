"""The widget never covers what the shopper came to do.

Buttons, links styled as buttons and elements marked ``data-livechat-avoid``
stay reachable: the launcher and the invitation bubble move aside or shrink.
On a checkout page (``data-livechat-checkout``) the widget opens minimised
unless the shopper is mid-chat, and an open panel leaves "Place order" and
the order total in sight. The launcher comes early in the tab order.
"""

import re

import pytest
from playwright.async_api import expect

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
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(90),
]

PHONE = {
    "viewport": {"width": 360, "height": 640},
    "has_touch": True,
    "is_mobile": True,
    "device_scale_factor": 2,
}

# The points of ``element`` (five across its middle line, and its centre)
# that something else covers, as "x,y: what"; [] when all of it is reachable.
# Only the part inside the viewport counts; nothing of it inside is an error.
COVERED = """element => {
  const r = element.getBoundingClientRect();
  const top = Math.max(r.top, 0), bottom = Math.min(r.bottom, innerHeight);
  if (bottom <= top) return ["off screen"];
  const y = (top + bottom) / 2, covered = [];
  for (const f of [0.05, 0.3, 0.5, 0.7, 0.95]) {
    const x = r.left + r.width * f, hit = document.elementFromPoint(x, y);
    if (hit !== element && !element.contains(hit)) {
      const what = hit && (hit.closest("#livechat") ? "the widget" : hit.tagName);
      covered.push(`${Math.round(x)},${Math.round(y)}: ${what}`);
    }
  }
  return covered;
}"""


async def _uncovered(locator, tries=20):
    """What covers ``locator``, once the widget had its frames to move away."""
    covered = []
    for _ in range(tries):
        covered = await locator.evaluate(COVERED)
        if not covered:
            return covered
        await locator.page.wait_for_timeout(100)
    return covered


async def _end_at_the_bottom(locator):
    """Scroll so the element's bottom edge is the screen's: the worst place."""
    await locator.evaluate("e => e.scrollIntoView({block: 'end'})")


async def test_the_invitation_never_covers_place_order(widget_context, widget_shop):
    async with Agent(widget_shop):
        page = await (await widget_context()).new_page()
        await go_to_checkout(page)
        bubble = page.get_by_role("status").filter(has_text=INVITATION)
        await expect(bubble).to_be_visible()
        place_order = page.get_by_role("button", name="Place order")
        for block in ("end", "center"):
            await place_order.evaluate(f"e => e.scrollIntoView({{block: '{block}'}})")
            assert await _uncovered(place_order) == [], block
        # Still offered, and its button still works.
        await expect(bubble).to_be_visible()
        await bubble.get_by_role("button", name="Open chat", exact=True).click()
        await expect(panel(page)).to_be_visible()


async def test_links_styled_as_buttons_are_avoided_on_a_phone(
    widget_context, widget_shop
):
    async with Agent(widget_shop):
        page = await (await widget_context(**PHONE)).new_page()
        await page.goto("/")
        product = page.get_by_role("article", name="Sencha green tea")
        await product.get_by_role("button", name=re.compile(r"^Add to cart")).click()
        await (
            page.get_by_role("navigation", name="Main")
            .get_by_role("link", name="Cart")
            .click()
        )
        go = page.get_by_role("link", name="Go to checkout")
        await expect(launcher(page)).to_be_visible()
        await _end_at_the_bottom(go)
        assert await _uncovered(go) == []


async def test_the_launcher_comes_early_in_the_tab_order(widget_context, widget_shop):
    page = await (await widget_context()).new_page()
    await page.goto("/")
    await expect(launcher(page)).to_be_visible()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(launcher(page)).to_be_focused()
    # The skip link still comes first and still works.
    await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()


async def test_checkout_opens_minimised_unless_mid_chat(widget_context, widget_shop):
    marker = token()
    async with Agent(widget_shop) as agent:
        page = await (await widget_context()).new_page()
        await page.goto("/")
        await open_panel(page)
        # An open panel follows the shopper from page to page...
        await page.goto("/cart/")
        await expect(panel(page)).to_be_visible()
        # ...but not onto the checkout of someone who is not chatting.
        await go_to_checkout(page)
        await expect(launcher(page)).to_be_visible()
        await expect(panel(page)).to_be_hidden()

        # Mid-chat, it does follow, beside "Place order" and the total.
        widget = await open_panel(page)
        await start_chat(widget, f"cho-{marker}@example.com")
        await send(widget, f"Is shipping free? ({marker})")
        await agent.conversation_with(marker)
        await page.reload()
        widget = panel(page)
        await expect(widget).to_be_visible()
        place_order = page.get_by_role("button", name="Place order")
        total = page.locator(".summary-total")
        for block in ("end", "center"):
            await place_order.evaluate(f"e => e.scrollIntoView({{block: '{block}'}})")
            assert await _uncovered(place_order) == [], block
        await total.evaluate("e => e.scrollIntoView({block: 'center'})")
        assert await _uncovered(total) == []
        # Still a usable chat.
        await send(widget, f"Thanks ({marker})")
