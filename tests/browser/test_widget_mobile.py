"""On a phone (360x640, touch): a full-screen chat that never hides "Place order"."""

import pytest
from playwright.async_api import expect

from .shopper import (
    Agent,
    doc_screenshot,
    go_to_checkout,
    launcher,
    open_panel,
    token,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(60),
]

PHONE = {
    "viewport": {"width": 360, "height": 640},
    "has_touch": True,
    "is_mobile": True,
    "device_scale_factor": 2,
}

# What a tap at the centre of ``button`` lands on.
HIT = """button => {
  const r = button.getBoundingClientRect();
  // A scroll lands on whole pixels: a fraction past the edge is still on it.
  if (r.top < -1 || r.bottom > innerHeight + 1) return "off screen";
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  if (hit === button || button.contains(hit)) return "the button";
  if (!hit) return "nothing";
  const name = hit.tagName.toLowerCase() + (hit.id ? "#" + hit.id : "");
  return [name, ...hit.classList].join(".");
}"""


async def _tap_target(button):
    """What a tap on ``button``'s centre hits, once the widget had time to move."""
    for _ in range(20):  # avoid() runs on the next animation frame after a scroll
        target = await button.evaluate(HIT)
        if target == "the button":
            break
        await button.page.wait_for_timeout(100)
    return target


async def test_chat_on_a_phone(widget_context, widget_shop):
    marker = token()
    async with Agent(widget_shop) as agent:
        page = await (await widget_context(**PHONE)).new_page()
        await page.goto("/")
        widget = await open_panel(page, tap=True)
        box = await widget.bounding_box()
        assert [round(box[k]) for k in ("x", "y", "width", "height")] == [
            0,
            0,
            360,
            640,
        ]

        email = widget.get_by_role("textbox", name="Email", exact=True)
        await email.tap()
        await email.fill(f"mo-{marker}@example.com")
        await widget.get_by_role("button", name="Start chat").tap()
        composer = widget.get_by_role("textbox", name="Type your message")
        await composer.tap()
        await composer.fill(f"Do you deliver on Sundays? ({marker})")
        await widget.get_by_role("button", name="Send", exact=True).tap()
        await expect(widget.get_by_role("log")).to_contain_text(marker)
        await agent.conversation_with(marker)
        await doc_screenshot(page, "widget-mobile.png")

        await widget.get_by_role("button", name="Close chat").tap()
        await expect(widget).to_be_hidden()
        await expect(launcher(page)).to_be_visible()


async def test_launcher_never_covers_place_order_on_a_phone(
    widget_context, widget_shop
):
    # An agent online: the launcher is at its widest ("We're online") and the
    # checkout invitation shows too.
    async with Agent(widget_shop):
        page = await (await widget_context(**PHONE)).new_page()
        await go_to_checkout(page)
        place_order = page.get_by_role("button", name="Place order")
        await expect(launcher(page)).to_be_visible()

        await page.evaluate("scrollTo(0, document.documentElement.scrollHeight)")
        assert await _tap_target(place_order) == "the button"

        # The worst place: the button's bottom edge on the screen's bottom edge.
        await place_order.evaluate("b => b.scrollIntoView({block: 'end'})")
        assert await _tap_target(place_order) == "the button"
        await page.wait_for_timeout(1500)  # past the invitation's 1 s
        assert await _tap_target(place_order) == "the button"


async def test_the_keyboard_keeps_the_newest_message_in_view_and_the_page_still(
    widget_context, widget_shop
):
    marker = token()
    async with Agent(widget_shop) as agent:
        page = await (await widget_context(**PHONE)).new_page()
        await page.goto("/")
        widget = await open_panel(page, tap=True)
        email = widget.get_by_role("textbox", name="Email", exact=True)
        await email.fill(f"kb-{marker}@example.com")
        await widget.get_by_role("button", name="Start chat").tap()
        composer = widget.get_by_role("textbox", name="Type your message")
        for n in range(8):
            await composer.fill(f"Line {n} of a long question ({marker})")
            await widget.get_by_role("button", name="Send", exact=True).tap()
        log = widget.get_by_role("log")
        await expect(log).to_contain_text(f"Line 7 of a long question ({marker})")
        await agent.conversation_with(marker)

        # The on-screen keyboard takes the lower half of the screen.
        await composer.tap()
        await page.set_viewport_size({"width": 360, "height": 330})
        newest = log.get_by_text(f"Line 7 of a long question ({marker})")
        await expect(widget).to_have_js_property("offsetHeight", 330)
        box, scroller = (
            await newest.bounding_box(),
            await page.locator("#livechat .lc-scroll").bounding_box(),
        )
        assert box["y"] >= scroller["y"] - 1
        assert box["y"] + box["height"] <= scroller["y"] + scroller["height"] + 1
        await expect(composer).to_be_in_viewport()

        # Behind the full-screen panel the page does not scroll...
        await page.set_viewport_size({"width": 360, "height": 640})
        await page.mouse.move(100, 20)  # over the panel's header
        await page.mouse.wheel(0, 600)
        await page.wait_for_timeout(300)
        assert await page.evaluate("scrollY") == 0
        assert (
            await page.evaluate("getComputedStyle(document.documentElement).overflow")
            == "hidden"
        )
        # ...and scrolls again once it is closed.
        await widget.get_by_role("button", name="Close chat").tap()
        for _ in range(20):
            await page.mouse.wheel(0, 300)
            await page.wait_for_timeout(100)
            if await page.evaluate("scrollY") > 0:
                break
        assert await page.evaluate("scrollY") > 0
