"""Who the console acts for: reading, taking chats past a limit, a lost session.

Agents, a supervisor and shoppers against example_shop under daphne (the
shared ``live_shop``); consoles in Chromium, shoppers over the visitor socket.
"""

import asyncio
import re
import secrets

import pytest
from playwright.async_api import expect

from tests.e2e.clients import Socket
from tests.e2e.live import run_manage

from .test_console_workspace import (
    ADMIN,
    ALICE,
    CONSOLE,
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
    pytest.mark.timeout(90),
]

# An agent of the test's own, as a store sets one up in the admin: the demo
# agents of the shared shop carry every other test's chats.
NEW_AGENT = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from livechat.models import AgentProfile
user = get_user_model().objects.create_user(
    %(username)r, password=%(password)r, is_staff=True)
user.user_permissions.add(Permission.objects.get(codename="reply_conversation"))
AgentProfile.objects.create(
    user=user, display_name=%(name)r, max_concurrent_chats=%(limit)s)
"""


def _new_agent(shop, first_name, token, limit=None):
    """Create an agent; returns ``(name shoppers see, credentials)``."""
    agent = {
        "username": f"{first_name.lower()}{token}",
        "password": f"{first_name.lower()}-pass",
        "name": f"{first_name} {token}",
        "limit": limit,
    }
    run_manage(shop.env, "shell", "-c", NEW_AGENT % agent)
    return agent["name"], (agent["username"], agent["password"])


async def test_watching_a_chat_leaves_it_unread_for_its_agent(
    new_context, live_shop, sockets
):
    token = secrets.token_hex(3)
    errors = []
    _name, dana = _new_agent(live_shop, "Dana", token)
    dana = await _console(await new_context(), dana, errors)
    shopper = await _shopper_socket(
        live_shop, sockets, f"Can you gift wrap? ({token})", f"Ida{token}"
    )
    panel = await _claim(dana, f"wrap? ({token})")
    await panel.get_by_label("Reply").fill(f"Of course ({token}-a)")
    await panel.get_by_label("Reply").press("Enter")
    await expect(panel.get_by_role("log")).to_contain_text(f"Of course ({token}-a)")
    await panel.get_by_role("button", name=re.compile("^Close tab")).click()
    await expect(dana.get_by_role("tab")).to_have_count(0)

    # The shopper writes while Dana looks elsewhere: unread for her.
    first = f"It is for my mum ({token}-1)"
    await shopper.post(first)
    mine = _inbox_section(dana, "Mine")
    entry = mine.get_by_role("button", name=re.compile(re.escape(token)))
    await expect(entry).to_contain_text("1 unread message")

    # The shopper's other tab hears what the chat tells the shopper from now.
    other_tab = await Socket.open(live_shop, "/ws/livechat/visitor/")
    sockets.append(other_tab)
    await other_tab.send(
        type="hello",
        v=1,
        token=shopper.token,
        conversation=shopper.ack["conversation"],
        last_seq=4,
    )
    await other_tab.expect("welcome")

    # A supervisor opens the chat and reads it, and adds a note (once it is
    # saved, whatever opening the chat did on the server is done).
    admin = await _console(await new_context(), ADMIN, errors)
    await _entry(admin, first).click()
    watched = _panel(admin)
    log = watched.get_by_role("log")
    await expect(log).to_contain_text(first)
    note = f"Check the gift wrap stock ({token}-n)"
    await watched.get_by_role("button", name="Internal note").click()
    await watched.get_by_label("Internal note — only agents see this").fill(note)
    await watched.get_by_role("button", name="Add note").click()
    await expect(log.get_by_text(note, exact=True)).to_have_count(1)
    await expect(log).not_to_contain_text("Saving…")

    # Still unread for Dana, who has not seen either message, and the
    # shopper was never told "Read" (frames before her next message's own).
    second = f"She likes blue ({token}-2)"
    await shopper.post(second)
    await other_tab.expect_where(
        lambda f: f["type"] == "message" and f["message"]["body"] == second,
        what="the shopper's second message",
    )
    assert not [f for f in other_tab.pending if f["type"] == "read"]
    await expect(entry).to_contain_text(second)
    await expect(entry).to_contain_text("2 unread messages")

    # Dana opens it: now it is read, for her and for the shopper.
    await entry.click()
    await expect(_panel(dana).get_by_role("log")).to_contain_text(second)
    await expect(entry).not_to_contain_text("unread")
    receipt = await other_tab.expect("read", reader="agent")
    assert receipt["seq"] == 5  # up to her second message
    assert errors == []


async def test_a_claim_past_the_limit_asks_first_and_the_board_shows_it(
    new_context, live_shop, sockets
):
    token = secrets.token_hex(3)
    errors = []
    carol, credentials = _new_agent(live_shop, "Carol", token, limit=1)
    admin = await _console(await new_context(), ADMIN, errors)
    console = await _console(await new_context(), credentials, errors)
    for n in (1, 2):
        await _shopper_socket(live_shop, sockets, f"Question {n} ({token})", f"Jo{n}")

    await _claim(console, f"Question 1 ({token})")
    await _entry(console, f"Question 2 ({token})").click()
    panel = _panel(console)
    await panel.get_by_role("button", name="Claim").click()
    question = panel.get_by_role("alert")
    await expect(question).to_have_text(
        "You already have 1 of 1 chats. Take it anyway?"
    )
    await expect(panel).to_contain_text("Waiting · Unassigned")
    await panel.get_by_role("button", name="Take it anyway").click()
    await expect(panel).to_contain_text("Active · Yours")
    await expect(question).to_be_hidden()

    # The supervisor's board shows her over her limit. A superuser who was
    # not granted the agents' permission supervises but is no agent there.
    board = admin.get_by_role("region", name="Agents")
    row = board.get_by_role("row", name=re.compile(f"^{carol}"))
    await expect(row).to_contain_text("2/1 chats")
    await expect(row).to_contain_text("over limit")
    await expect(board.get_by_role("row", name=re.compile(r"\(You\)"))).to_have_count(0)
    assert errors == []


async def test_a_supervisor_who_is_no_agent_watches_notes_and_closes(
    new_context, live_shop, sockets
):
    """The demo admin is a superuser without the agents' permission: a
    supervisor who takes no chats, has no presence and writes only notes."""
    token = secrets.token_hex(3)
    errors = []
    admin = await _console(await new_context(), ADMIN, errors)
    await expect(admin.get_by_role("group", name="Your status")).to_have_count(0)
    shopper = await _shopper_socket(
        live_shop, sockets, f"Do you ship to Iceland? ({token})", f"Eva{token}"
    )
    await _entry(admin, f"Iceland? ({token})").click()
    panel = _panel(admin)
    await expect(panel).to_contain_text("Waiting · Unassigned")
    await expect(panel.get_by_role("button", name="Claim")).to_have_count(0)
    await expect(panel.get_by_label("Reply")).to_be_disabled()
    await expect(panel).to_contain_text("only agents answer chats")

    note = f"Ask Dana, she knows the carriers ({token})"
    await panel.get_by_role("button", name="Internal note").click()
    await panel.get_by_label("Internal note — only agents see this").fill(note)
    await panel.get_by_role("button", name="Add note").click()
    await expect(panel.get_by_role("log").get_by_text(note, exact=True)).to_have_count(
        1
    )

    await panel.get_by_role("button", name="Close conversation").click()
    dialog = admin.get_by_role("dialog", name=re.compile("^Close the chat with"))
    await dialog.get_by_role("button", name="Close conversation").click()
    await expect(dialog).to_be_hidden()
    await shopper.expect_where(
        lambda f: (
            f["type"] == "conversation" and f["conversation"]["status"] == "closed"
        ),
        what="the chat closed by the supervisor",
    )
    assert not [f for f in shopper.pending if note in str(f)]
    assert errors == []


async def test_a_console_whose_session_ended_offers_to_log_in_again(
    new_context, live_shop
):
    errors = []
    context = await new_context()
    alice = await _console(context, ALICE, errors)

    # Logged out in another tab, then the server restarts (a deploy, `make
    # demo` again): the console reconnects without a session.
    other_tab = await context.new_page()
    await other_tab.goto("/admin/")
    await other_tab.get_by_role("button", name="Log out").click()
    await expect(other_tab).not_to_have_url(re.compile(r"/admin/$"))
    await asyncio.to_thread(live_shop.restart)

    banner = alice.get_by_role("status").filter(has_text="Your session has ended.")
    log_in = banner.get_by_role("link", name="Log in again")
    await expect(log_in).to_be_visible()
    await expect(alice.get_by_text("not allowed to answer chats")).to_have_count(0)
    await log_in.click()
    await expect(alice).to_have_url(re.compile(r"/admin/login/\?next="))
    await alice.get_by_label("Username").fill(ALICE[0])
    await alice.get_by_label("Password").fill(ALICE[1])
    await alice.get_by_role("button", name="Log in").click()
    await expect(alice).to_have_url(re.compile(re.escape(CONSOLE) + "$"))
    await expect(alice.get_by_role("radio", name="Online")).to_be_enabled()
    assert errors == []
