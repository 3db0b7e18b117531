"""The console's replies and notes in the shared outbox: retried, refused, sent once.

Between the console and the server, a route answers some frames as the server
answers them when it cannot store them: a reply first gets a retriable error
(the shared client sends it again 3-7 s later), a note a final refusal. A
shopper on the visitor socket sees the reply exactly once.
"""

import json
import re
import secrets

import pytest
from playwright.async_api import expect

from tests.e2e.live import run_manage

from .test_console_keyboard import CLOSE_BY_THE_STORE
from .test_console_roles import _new_agent
from .test_console_workspace import _claim, _console, _shopper_socket

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(120),
]


async def test_a_busy_reply_is_retried_once_and_a_refused_note_says_why(
    new_context, live_shop, sockets
):
    token = secrets.token_hex(3)
    errors = []
    _name, kim = _new_agent(live_shop, "Kim", token)
    context = await new_context()
    busy = f"Your parcel left today ({token})"
    refused = f"Refund approved by me ({token})"
    seen = {"busy": 0}

    def answer_some(socket):
        server = socket.connect_to_server()

        def from_page(message):
            frame = json.loads(message)
            if frame.get("type") == "message" and frame.get("body") == busy:
                seen["busy"] += 1
                if seen["busy"] == 1:
                    socket.send(
                        json.dumps(
                            {
                                "type": "error",
                                "code": "unavailable",
                                "message": "The database is busy",
                                "client_id": frame["client_id"],
                                "retriable": True,
                            }
                        )
                    )
                    return
            if frame.get("type") == "note" and frame.get("body") == refused:
                socket.send(
                    json.dumps(
                        {
                            "type": "error",
                            "code": "forbidden",
                            "message": "Notes are closed here",
                            "client_id": frame["client_id"],
                        }
                    )
                )
                return
            server.send(message)

        socket.on_message(from_page)

    await context.route_web_socket(re.compile(r"/ws/livechat/agent/$"), answer_some)
    kim = await _console(context, kim, errors)
    shopper = await _shopper_socket(
        live_shop, sockets, f"Where is my parcel? ({token})", f"Pat{token}"
    )
    panel = await _claim(kim, token)
    log = panel.get_by_role("log")

    # A retriable refusal: said on the pending reply, then sent again.
    await panel.get_by_label("Reply").fill(busy)
    await panel.get_by_label("Reply").press("Enter")
    await expect(panel).to_contain_text(
        "Not sent yet (The database is busy); will retry."
    )
    await expect(log.get_by_text(busy, exact=True)).to_have_count(1, timeout=15_000)
    await expect(panel.get_by_text("will retry")).to_have_count(0)
    await shopper.expect_where(
        lambda f: f["type"] == "message" and f["message"]["body"] == busy,
        what="the retried reply",
    )
    assert seen["busy"] == 2
    again = [f for f in await shopper.drain(1) if busy in json.dumps(f)]
    assert again == [], "the reply reached the shopper once"

    # A final refusal of a note: shown with its error until dismissed.
    await panel.get_by_role("button", name="Internal note").click()
    await panel.get_by_label("Internal note — only agents see this").fill(refused)
    await panel.get_by_role("button", name="Add note").click()
    await expect(panel).to_contain_text("Not sent: Notes are closed here")
    await panel.get_by_role("button", name="Dismiss").click()
    await expect(panel.get_by_text(refused)).to_have_count(0)

    # Nothing is left to resend after a reload.
    await kim.reload()
    await expect(kim.get_by_role("checkbox", name="Sound")).to_be_enabled()
    reloaded = kim.get_by_role("tabpanel")
    await expect(reloaded.get_by_text(busy, exact=True)).to_have_count(1)
    await expect(reloaded.get_by_text(refused)).to_have_count(0)
    assert seen["busy"] == 2
    run_manage(
        live_shop.env, "shell", "-c", CLOSE_BY_THE_STORE % shopper.ack["conversation"]
    )
    assert errors == []
