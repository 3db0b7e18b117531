"""Nobody there: "leave a message" creates a conversation and emails the store."""

import pytest
from playwright.async_api import expect

from .shopper import (
    Agent,
    doc_screenshot,
    email_text,
    open_panel,
    token,
    wait_for_availability,
    wait_for_email,
    widget_corner,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(60),
]


async def test_offline_message_reaches_agents_and_the_store(
    widget_context, widget_shop
):
    marker = token()
    address = f"olga-{marker}@example.com"
    body = f"Do you ship to Norway? ({marker})"
    await wait_for_availability(widget_shop, False)
    page = await (await widget_context()).new_page()
    await page.goto("/")

    widget = await open_panel(page)
    await expect(
        widget.get_by_role("heading", name="Leave us a message")
    ).to_be_visible()
    await expect(widget.get_by_role("textbox", name="Type your message")).to_be_hidden()
    await doc_screenshot(page, "widget-offline-form.png", clip=widget_corner(page))
    await widget.get_by_role("textbox", name="Name (optional)").fill("Olga")
    await widget.get_by_role("textbox", name="Email", exact=True).fill(address)
    await widget.get_by_role("textbox", name="Message").fill(body)
    await widget.get_by_role("button", name="Send message").click()

    thanks = widget.get_by_text("Thank you! We'll reply by email.")
    await expect(thanks).to_be_visible()
    # Focus follows, so a screen reader user hears that it worked.
    await expect(thanks).to_be_focused()
    await expect(widget.get_by_role("button", name="Send message")).to_be_hidden()

    async with Agent(widget_shop) as agent:
        inbox = [c for c in agent.welcome["inbox"] if marker in c["preview"]]
    assert len(inbox) == 1, agent.welcome["inbox"]
    assert inbox[0]["source"] == "offline"
    assert inbox[0]["visitor"]["email"] == address
    assert inbox[0]["visitor"]["name"] == "Olga"

    mail = await wait_for_email(widget_shop, body)
    assert mail["To"] == "support@corner-shop.example"
    assert mail["Reply-To"] == address
    assert "Olga" in mail["Subject"]
    assert address in email_text(mail)
