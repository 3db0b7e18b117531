"""The checkout invitation: only while someone can answer, once, never forced.

The seeded rule "Checkout help" shows on /checkout/* after 1 s here
(LIVECHAT_INVITATION_DELAY).
"""

import secrets

import pytest
from playwright.async_api import expect

from tests.e2e.live import run_manage

from .shopper import (
    INVITATION,
    Agent,
    doc_screenshot,
    go_to_checkout,
    launcher,
    panel,
    wait_for_availability,
    widget_corner,
)

OFFER = "$5 off your order: use code WELCOME5 at checkout."
COUNTED = """
from livechat.models import InvitationDay, OfferSent
offer = OfferSent.objects.get(conversation__messages__body__contains="%s")
day = InvitationDay.objects.get(rule=offer.conversation.invitation)
print(offer.conversation.invitation.name, offer.code, day.shown >= day.accepted >= 1)
"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(60),
]


async def _not_invited(page):
    await page.reload()
    await expect(launcher(page)).to_be_visible()
    # Past the rule's 1 s on the page at once: the page's clock is Playwright's.
    await page.clock.fast_forward(3000)
    await page.wait_for_timeout(200)
    await expect(page.get_by_text(INVITATION)).to_have_count(0)


async def test_invitation_shows_once_and_dismissal_is_remembered(
    widget_context, widget_shop
):
    await wait_for_availability(widget_shop, False)
    page = await (await widget_context()).new_page()
    await page.clock.install()
    await go_to_checkout(page)
    bubble = page.get_by_role("status").filter(has_text=INVITATION)

    # Nobody to answer: no invitation.
    await _not_invited(page)

    async with Agent(widget_shop):
        await page.reload()
        await expect(bubble).to_be_visible()
        # An offer, not a pop-up: the panel stays closed.
        await page.wait_for_timeout(1000)
        await expect(panel(page)).to_be_hidden()
        await expect(launcher(page)).to_have_attribute("aria-expanded", "false")
        await doc_screenshot(page, "widget-invitation.png", clip=widget_corner(page))

        # Once: the next page view does not invite again.
        await _not_invited(page)

        # The weekly cooldown forgotten, it comes back; dismissed, it does not.
        await page.evaluate("localStorage.removeItem('livechat:invited')")
        await page.reload()
        await expect(bubble).to_be_visible()
        await bubble.get_by_role("button", name="Dismiss invitation").click()
        await expect(page.get_by_text(INVITATION)).to_have_count(0)
        await expect(launcher(page)).to_be_focused()
        await page.evaluate("localStorage.removeItem('livechat:invited')")
        await _not_invited(page)
        await expect(panel(page)).to_be_hidden()


async def test_accepting_the_invitation_opens_the_chat_with_its_message(
    widget_context, widget_shop
):
    async with Agent(widget_shop):
        page = await (await widget_context()).new_page()
        await go_to_checkout(page)
        bubble = page.get_by_role("status").filter(has_text=INVITATION)
        # The seeded rule carries an offer: the welcome coupon.
        await expect(bubble).to_contain_text(OFFER)
        await bubble.get_by_role("button", name="Open chat", exact=True).click()
        widget = panel(page)
        await expect(widget).to_be_visible()
        # The invitation becomes the greeting the shopper answers.
        await expect(widget.get_by_text(INVITATION)).to_be_visible()
        await expect(widget.get_by_text(OFFER)).to_be_visible()
        await expect(
            page.get_by_role("status").filter(has_text=INVITATION)
        ).to_have_count(0)
        token = secrets.token_hex(4)
        # The pre-chat form (its email is required in the demo), then a message.
        await (
            widget.get_by_label("Email")
            .locator("visible=true")
            .fill("invited@example.com")
        )
        await widget.get_by_role("button", name="Start chat").click()
        await widget.get_by_label("Type your message").fill(f"Hello ({token})")
        await widget.get_by_role("button", name="Send").click()
        await expect(widget.get_by_role("log")).to_contain_text(token)
    # The chat was started from the invitation, whose offer counts as sent.
    counted = run_manage(widget_shop.env, "shell", "-c", COUNTED % token)
    assert counted.strip().splitlines()[-1] == "Checkout help WELCOME5 True"
