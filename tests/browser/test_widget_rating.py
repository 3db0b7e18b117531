"""The end of a chat: the shopper rates it and emails herself the transcript."""

import pytest
from playwright.async_api import expect

from .shopper import (
    Agent,
    doc_screenshot,
    email_text,
    open_panel,
    send,
    start_chat,
    token,
    wait_for_email,
    widget_corner,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(60),
]


async def test_shopper_rates_the_chat_and_gets_the_transcript(
    widget_context, widget_shop
):
    marker = token()
    question = f"Is the sourdough vegan? ({marker})"
    answer = f"Yes: flour, water, salt and starter. ({marker})"
    comment = f"Quick and clear, thanks! ({marker})"
    copy_to = f"rita.home-{marker}@example.com"
    async with Agent(widget_shop) as agent:
        page = await (await widget_context()).new_page()
        await page.goto("/")
        widget = await open_panel(page)
        await start_chat(widget, f"rita-{marker}@example.com", name="Rita")
        await send(widget, question)
        conversation = (await agent.conversation_with(marker))["id"]
        await agent.reply(conversation, answer)
        await expect(widget.get_by_role("log")).to_contain_text(answer)

        await agent.socket.send(type="close", conversation=conversation)
        await expect(
            widget.get_by_role("heading", name="How did we do?")
        ).to_be_visible()
        await expect(
            widget.get_by_role("textbox", name="Type your message")
        ).to_be_hidden()
        good = widget.get_by_role("button", name="Good")
        await good.click()
        await expect(good).to_have_attribute("aria-pressed", "true")
        await expect(widget.get_by_role("button", name="Bad")).to_have_attribute(
            "aria-pressed", "false"
        )
        await widget.get_by_role("textbox", name="Comment (optional)").fill(comment)
        send_rating = widget.get_by_role("button", name="Send rating")
        await send_rating.scroll_into_view_if_needed()
        await doc_screenshot(page, "widget-rating.png", clip=widget_corner(page))
        await send_rating.click()
        await expect(widget.get_by_text("Thanks for your feedback!")).to_be_visible()
        await expect(send_rating).to_be_hidden()
        rated = await agent.conversation_where(
            lambda c: c["id"] == conversation and c["rating"] == "good",
            "the rating",
        )
    assert rated["rating_comment"] == comment

    email = widget.get_by_role("textbox", name="Email", exact=True)
    await expect(email).to_have_value(f"rita-{marker}@example.com")
    await email.fill(copy_to)
    await widget.get_by_role("button", name="Email me the transcript").click()
    await expect(widget.get_by_text(f"Sent to {copy_to}.")).to_be_visible()

    mail = await wait_for_email(widget_shop, question)
    assert mail["To"] == copy_to
    text = email_text(mail)
    assert answer in text
    assert "Alice from Support" in text
    assert text.index(question) < text.index(answer)
