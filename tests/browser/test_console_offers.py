"""An agent makes a suggested offer: the shopper kept looking at the honey and
asked what delivery costs; the console's "Suggested offers" card has both
offers, one click puts one in the reply box, the agent edits it and sends it,
and the shopper reads it in the widget.

example_shop under daphne (the shared ``live_shop``), Chromium for both.
"""

import re
import secrets

import pytest
from playwright.async_api import expect

from tests.e2e.live import run_manage

from .axe import violations
from .test_console_roles import _new_agent
from .test_console_workspace import SCREENSHOTS, _claim, _console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(90),
]


async def _shopper_after_honey(context, question):
    """A shopper who opened the honey's page three times, then asked."""
    page = await context.new_page()
    for _ in range(3):
        await page.goto("/products/honey/")
    await page.get_by_role("button", name="Open chat").click()
    widget = page.get_by_role("dialog", name="Corner Shop support")
    start = widget.get_by_role("button", name="Start chat")
    if await start.is_visible():
        await widget.get_by_label("Name").locator("visible=true").fill("Hana")
        await (
            widget.get_by_label("Email")
            .locator("visible=true")
            .fill("hana@example.com")
        )
        await start.click()
    await widget.get_by_label("Type your message").fill(question)
    await widget.get_by_role("button", name="Send").click()
    await expect(widget.get_by_role("log")).to_contain_text(question)
    return widget


async def test_the_agent_edits_and_sends_a_suggested_offer(new_context, live_shop):
    token = secrets.token_hex(3)
    errors = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _, login = _new_agent(live_shop, "Olga", token)
    console = await _console(await new_context(), login, errors)
    question = f"How much is delivery to Lyon? ({token})"
    widget = await _shopper_after_honey(await new_context(), question)
    panel = await _claim(console, token)

    aside = panel.get_by_role("complementary")
    # The shop's own card (its template) says why the coupon is suggested.
    viewed = aside.get_by_role("region", name="Viewed more than once")
    await expect(viewed).to_contain_text(re.compile(r"Wildflower honey\s+3 views"))
    offers = aside.get_by_role("region", name="Suggested offers")
    await expect(offers).to_contain_text("HONEY10")
    await expect(offers).to_contain_text("FREESHIP")
    assert await violations(console, ".livechat-card--offers") == []
    use = offers.get_by_role("button", name="Use offer: Free shipping")
    await use.focus()
    await console.keyboard.press("Enter")  # keyboard only
    reply = panel.get_by_label("Reply")
    await expect(reply).to_be_focused()
    await expect(reply).to_have_value(re.compile(r"^Shipping is on us: .*FREESHIP"))
    await offers.evaluate("card => card.scrollIntoView({block: 'start'})")
    await panel.screenshot(path=SCREENSHOTS / "console-offers.png")

    edited = "Hana, shipping to Lyon is on us today: enter FREESHIP at checkout."
    await reply.fill(edited)
    await panel.get_by_role("button", name="Send").click()
    await expect(reply).to_have_value("")
    await expect(panel.get_by_role("log")).to_contain_text(edited)
    await expect(widget.get_by_role("log")).to_contain_text(edited)
    assert errors == []
    # The reply carried the offer's code: it counts as sent, by this agent.
    count = run_manage(
        live_shop.env,
        "shell",
        "-c",
        "from livechat.models import OfferSent; print(OfferSent.objects.filter("
        f"code='FREESHIP', agent__username='{login[0]}').count())",
    )
    assert count.strip().splitlines()[-1] == "1"
