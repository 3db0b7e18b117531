"""The pre-chat form: errors shown and announced; known customers skip it,
but still choose a topic when departments take chats by topic."""

import pytest
from playwright.async_api import expect

from tests.e2e.live import run_manage

from .shopper import (
    Agent,
    doc_screenshot,
    log_in,
    open_panel,
    send,
    token,
    wait_for_availability,
    widget_corner,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(60),
]


async def test_prechat_form_needs_a_valid_email(widget_context, widget_shop):
    marker = token()
    async with Agent(widget_shop):
        page = await (await widget_context()).new_page()
        await page.goto("/")
        widget = await open_panel(page)
        start = widget.get_by_role("button", name="Start chat")
        name = widget.get_by_role("textbox", name="Name (optional)")
        email = widget.get_by_role("textbox", name="Email", exact=True)
        await expect(name).to_be_focused()
        await expect(
            widget.get_by_role("group", name="Topic (optional)")
        ).to_be_visible()
        await expect(
            widget.get_by_role("textbox", name="Type your message")
        ).to_be_hidden()
        await doc_screenshot(page, "widget-prechat.png", clip=widget_corner(page))

        await start.click()
        await expect(email).to_have_attribute("aria-invalid", "true")
        await expect(email).to_have_accessible_description("This field is required.")
        # Focus goes to the field, so its description (the error) is read out.
        await expect(email).to_be_focused()
        await expect(widget.get_by_text("This field is required.")).to_be_visible()
        await expect(name).to_have_attribute("aria-invalid", "false")

        await email.fill("not-an-email")
        await start.click()
        await expect(email).to_have_accessible_description(
            "Enter a valid email address."
        )
        await expect(email).to_have_attribute("aria-invalid", "true")

        await email.fill(f"pat-{marker}@example.com")
        await widget.get_by_role("radio", name="Help with an order").check()
        await start.click()
        composer = widget.get_by_role("textbox", name="Type your message")
        await expect(composer).to_be_visible()
        await expect(composer).to_be_focused()
        await expect(start).to_be_hidden()


async def test_logged_in_customer_is_prefilled_and_skips_prechat(
    widget_context, widget_shop
):
    marker = token()
    await wait_for_availability(widget_shop, False)
    page = await (await widget_context()).new_page()
    await log_in(page, "customer", "customer-demo-pass")
    widget = await open_panel(page)

    # Offline: the "leave a message" form already knows who she is.
    await expect(
        widget.get_by_role("heading", name="Leave us a message")
    ).to_be_visible()
    await expect(widget.get_by_role("textbox", name="Name (optional)")).to_have_value(
        "Carla Díaz"
    )
    await expect(widget.get_by_role("textbox", name="Email", exact=True)).to_have_value(
        "carla@example.com"
    )

    # An agent comes: straight to the chat, no pre-chat form.
    async with Agent(widget_shop) as agent:
        composer = widget.get_by_role("textbox", name="Type your message")
        await expect(composer).to_be_visible()
        await expect(widget.get_by_role("button", name="Start chat")).to_have_count(0)
        await expect(
            widget.get_by_role("textbox", name="Email", exact=True)
        ).to_be_hidden()
        await send(widget, f"Where is my order? ({marker})")
        summary = await agent.conversation_with(marker)
    assert summary["visitor"]["email"] == "carla@example.com"
    assert summary["visitor"]["name"] == "Carla Díaz"


# The demo customer's chats closed, so each test starts her a new one.
_CLOSE_CUSTOMER_CHATS = """
from livechat import services
from livechat.models import Conversation
for conversation in Conversation.objects.filter(
    visitor__user__username="customer", status__in=Conversation.OPEN_STATUSES
):
    services.close_conversation(conversation)
"""
_ADD_DEPARTMENT = """
from livechat.models import Department
print(Department.objects.create(name="Order help", topics="order").pk)
"""
_REMOVE_DEPARTMENT = """
from livechat.models import Department
Department.objects.filter(pk={pk}).delete()
"""


@pytest.fixture
def order_department(widget_shop):
    """A department that takes the "order" topic (the demo seeds none)."""
    env = widget_shop.env
    run_manage(env, "shell", "-c", _CLOSE_CUSTOMER_CHATS)
    pk = int(run_manage(env, "shell", "-c", _ADD_DEPARTMENT).split()[-1])
    yield pk
    run_manage(env, "shell", "-c", _REMOVE_DEPARTMENT.format(pk=pk))
    run_manage(env, "shell", "-c", _CLOSE_CUSTOMER_CHATS)


async def test_logged_in_customer_chooses_a_topic_when_departments_route_it(
    widget_context, widget_shop, order_department
):
    marker = token()
    async with Agent(widget_shop) as agent:
        await wait_for_availability(widget_shop, True)
        page = await (await widget_context()).new_page()
        await log_in(page, "customer", "customer-demo-pass")
        widget = await open_panel(page)
        topic = widget.get_by_role("group", name="Topic (optional)")
        await expect(topic).to_be_visible()
        # Only the topic: the store knows who she is.
        await expect(
            widget.get_by_role("textbox", name="Email", exact=True)
        ).to_be_hidden()
        await expect(
            widget.get_by_role("textbox", name="Name (optional)")
        ).to_be_hidden()
        await expect(
            widget.get_by_role("textbox", name="Type your message")
        ).to_be_hidden()
        await topic.get_by_role("radio", name="Help with an order").check()
        await widget.get_by_role("button", name="Start chat").click()
        composer = widget.get_by_role("textbox", name="Type your message")
        await expect(composer).to_be_focused()
        await send(widget, f"My parcel has not come ({marker})")
        summary = await agent.conversation_with(marker)
    assert summary["topic"] == "order"
    assert summary["department"] == order_department
    assert summary["visitor"]["email"] == "carla@example.com"
