"""Managing a chat from the console: tags, snoozing, reopening, saved replies.

Agents and a supervisor in Chromium against example_shop under daphne (the
shared ``live_shop``); shoppers over the visitor socket.
"""

import re
import secrets

import pytest
from playwright.async_api import expect

from .axe import assert_accessible
from .test_console_roles import _new_agent
from .test_console_workspace import (
    ADMIN,
    SCREENSHOTS,
    _claim,
    _console,
    _entry,
    _inbox_section,
    _panel,
    _shopper_socket,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(120),
]


def _tags(panel):
    return panel.get_by_role("group", name="Tags")


async def _add_tag(panel, label):
    tags = _tags(panel)
    await tags.get_by_label("Add a tag").select_option(label=label)
    await tags.get_by_role("button", name="Add tag").click()


async def test_tags_and_snooze_during_a_chat(new_context, live_shop, sockets):
    token = secrets.token_hex(3)
    errors = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # An agent of the test's own: other tests count the demo agents' chats.
    _, alice_login = _new_agent(live_shop, "Alice", token)
    alice = await _console(await new_context(), alice_login, errors)
    admin = await _console(await new_context(), ADMIN, errors)
    shopper = await _shopper_socket(
        live_shop, sockets, f"My parcel is late ({token})", "Iris"
    )
    panel = await _claim(alice, f"late ({token})")
    tags = _tags(panel)
    await expect(tags).to_contain_text("No tags yet.")

    # Alice tags the chat; the supervisor watching it sees the chip.
    await _add_tag(panel, "Order status")
    await expect(
        tags.get_by_role("listitem").filter(has_text="Order status")
    ).to_be_visible()
    await expect(
        tags.get_by_role("button", name="Remove tag Order status")
    ).to_be_visible()
    # A tag it has is no longer offered.
    await expect(tags.get_by_label("Add a tag").locator("option")).not_to_contain_text(
        ["Order status"]
    )
    await _entry(admin, f"late ({token})").click()
    watched = _tags(_panel(admin))
    await expect(watched).to_contain_text("Order status")
    # The supervisor adds one: Alice's chips follow (the tags frame, from any agent).
    await _add_tag(_panel(admin), "Complaint")
    await expect(
        tags.get_by_role("listitem").filter(has_text="Complaint")
    ).to_be_visible()
    await tags.get_by_role("button", name="Remove tag Order status").click()
    # The picker offers it again; the chips no longer show it.
    await expect(tags.get_by_role("list")).not_to_contain_text("Order status")
    await expect(watched.get_by_role("list")).not_to_contain_text("Order status")
    await expect(watched.get_by_role("list")).to_contain_text("Complaint")

    # Snoozed until the shopper answers: marked in the panel and the inbox.
    await panel.get_by_role("button", name="Snooze until the shopper answers").click()
    wake = panel.get_by_role("button", name="Wake")
    await expect(wake).to_be_visible()
    await assert_accessible(alice, "#livechat-console", "tags and a snoozed chat")
    await expect(panel.get_by_text("Snoozed", exact=True)).to_be_visible()
    mine = _inbox_section(alice, "Mine")
    entry = mine.get_by_role("button", name=re.compile(token))
    await expect(entry.get_by_text("Snoozed", exact=True)).to_be_visible()
    await alice.screenshot(path=SCREENSHOTS / "console-tags-snooze.png")

    # The shopper answers: the chat wakes, and Alice is told.
    await shopper.post(f"Any news? ({token})")
    await expect(
        panel.get_by_role("button", name="Snooze until the shopper answers")
    ).to_be_visible()
    await expect(panel.get_by_text("Snoozed", exact=True)).to_be_hidden()
    await expect(
        alice.get_by_role("status").filter(has_text="Iris answered")
    ).to_have_count(1)
    await expect(entry.get_by_text("Snoozed", exact=True)).to_be_hidden()
    # Woken by hand too.
    await panel.get_by_role("button", name="Snooze until the shopper answers").click()
    await wake.click()
    await expect(
        panel.get_by_role("button", name="Snooze until the shopper answers")
    ).to_be_visible()
    assert not errors


async def test_a_closed_chat_is_reopened(new_context, live_shop, sockets):
    token = secrets.token_hex(3)
    errors = []
    # An agent of the test's own: other tests count the demo agents' chats.
    _, alice_login = _new_agent(live_shop, "Alice", token)
    alice = await _console(await new_context(), alice_login, errors)
    _, bob_login = _new_agent(live_shop, "Bob", token)
    bob = await _console(await new_context(), bob_login, errors)
    await _shopper_socket(live_shop, sockets, f"Wrong colour sent ({token})", "Jo")
    panel = await _claim(alice, f"colour sent ({token})")
    await panel.get_by_role("button", name="Close conversation").click()
    dialog = alice.get_by_role("dialog", name=re.compile("Close the chat"))
    await dialog.get_by_role("button", name="Close conversation").click()
    await expect(panel.get_by_text("This conversation is closed.")).to_be_visible()

    # Bob may look but not reopen (nor tag) Alice's chat: no button offers it.
    await _entry(bob, f"colour sent ({token})").click()
    bob_panel = _panel(bob)
    await expect(bob_panel.get_by_text("This conversation is closed.")).to_be_visible()
    await expect(bob_panel.get_by_role("button", name="Reopen")).to_have_count(0)
    await expect(bob_panel.get_by_role("button", name="Add tag")).to_be_hidden()
    # A supervisor may.
    admin = await _console(await new_context(), ADMIN, errors)
    await _entry(admin, f"colour sent ({token})").click()
    await expect(_panel(admin).get_by_role("button", name="Reopen")).to_be_visible()

    await panel.get_by_role("button", name="Reopen").click()
    await expect(panel).to_contain_text("Active · Yours")
    await expect(panel.get_by_text("Reopened", exact=True)).to_be_visible()
    await expect(panel.get_by_role("log")).to_contain_text("reopened the chat")
    await expect(panel.get_by_role("button", name="Reopen")).to_be_hidden()
    await expect(panel.get_by_label("Reply")).to_be_enabled()
    assert not errors


async def test_saved_replies_are_managed_from_the_console(
    new_context, live_shop, sockets
):
    token = secrets.token_hex(3)
    errors = []
    # An agent of the test's own: other tests count the demo agents' chats.
    _, alice_login = _new_agent(live_shop, "Alice", token)
    alice = await _console(await new_context(), alice_login, errors)
    opener = alice.get_by_role("button", name="Saved replies")
    await opener.click()
    dialog = alice.get_by_role("dialog", name="Saved replies")
    await expect(dialog.get_by_label("Title")).to_be_focused()
    await dialog.get_by_label("Title").fill(f"Gift wrap {token}")
    await dialog.get_by_label("Shortcut (typed after /)").fill(f"wrap{token}")
    await dialog.get_by_label("Text").fill("We gift wrap for free.")
    await dialog.get_by_role("button", name="Save reply").click()
    replies = dialog.get_by_role("list", name="Saved replies")
    item = replies.get_by_role("listitem").filter(has_text=f"Gift wrap {token}")
    await expect(item).to_contain_text("We gift wrap for free.")
    await expect(item).to_contain_text("Yours")
    await assert_accessible(alice, "#livechat-console", "saved replies dialog")

    # Edited by keyboard.
    await item.get_by_role("button", name=f"Edit Gift wrap {token}").press("Enter")
    await expect(dialog.get_by_label("Text")).to_have_value("We gift wrap for free.")
    await dialog.get_by_label("Text").fill("Gift wrap is free, with a card.")
    await dialog.get_by_label("Text").press("Tab")
    await dialog.get_by_role("button", name="Save reply").click()
    await expect(item).to_contain_text("Gift wrap is free, with a card.")
    await alice.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(opener).to_be_focused()

    # The composer offers it at once.
    await _shopper_socket(live_shop, sockets, f"Can you wrap it? ({token})", "Kai")
    panel = await _claim(alice, f"wrap it? ({token})")
    reply = panel.get_by_label("Reply")
    await reply.press_sequentially(f"/wrap{token}")
    options = panel.get_by_role("listbox", name="Saved replies")
    await expect(options.get_by_role("option")).to_have_count(1)
    await reply.press("Enter")
    await expect(reply).to_have_value("Gift wrap is free, with a card.")
    await reply.fill(f"It ships tomorrow with tracking ({token}).")
    await reply.press("Enter")

    # A sent message saved as a reply.
    sent = (
        panel.get_by_role("log")
        .get_by_role("listitem")
        .filter(has_text=f"It ships tomorrow with tracking ({token}).")
    )
    await sent.get_by_role("button", name="Save as reply").click()
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_label("Text")).to_have_value(
        f"It ships tomorrow with tracking ({token})."
    )
    await dialog.get_by_label("Title").fill(f"Tracking {token}")
    await dialog.get_by_label("Shortcut (typed after /)").fill(f"track{token}")
    await dialog.get_by_role("button", name="Save reply").click()
    await expect(replies).to_contain_text(f"Tracking {token}")

    # Deleted after a confirmation.
    alice.once("dialog", lambda confirm: confirm.accept())
    await item.get_by_role("button", name=f"Delete Gift wrap {token}").click()
    await expect(replies).not_to_contain_text(f"Gift wrap {token}")
    await expect(dialog.get_by_role("status")).to_have_text("Saved reply deleted.")
    # A second reply with a taken shortcut is refused, in the dialog.
    await dialog.get_by_label("Title").fill(f"Again {token}")
    await dialog.get_by_label("Shortcut (typed after /)").fill(f"track{token}")
    await dialog.get_by_label("Text").fill("Duplicate shortcut.")
    await dialog.get_by_role("button", name="Save reply").click()
    await expect(dialog.get_by_role("alert")).to_contain_text("already used")
    # Cleaned up: the shared shop's other tests list Alice's replies.
    alice.once("dialog", lambda confirm: confirm.accept())
    await replies.get_by_role("button", name=f"Delete Tracking {token}").click()
    await expect(replies).not_to_contain_text(f"Tracking {token}")
    await dialog.get_by_role("button", name="Close").click()
    assert not errors
