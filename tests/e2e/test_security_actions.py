"""Who may act on a chat: the assigned agent or a supervisor, on both faces.

Two plain agents of the demo shop and a supervisor, against the live shop:
Bob from Support takes a chat, Alice from Support (a plain agent too) tries to
close it, type into it and add notes to it over her console's socket and over
the REST API. Reading it stays allowed; a waiting chat is anyone's.
"""

import asyncio
import contextlib
import secrets

import pytest

from .clients import HTTP_TIMEOUT, client_id, log_in_agent
from .live import create_user

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

API = "/livechat/api/v1/conversations/"
SETTLE_SECONDS = 0.5  # long enough for a relayed frame to reach the shopper


@pytest.fixture(scope="module")
def bob_http(live_shop):
    """Bob from Support, the second demo agent: he takes the chats here."""
    return log_in_agent(live_shop, "agent2", "agent2-demo-pass")


@pytest.fixture(scope="module")
def supervisor_http(live_shop):
    """An agent with ``livechat.supervise_conversation``, logged in."""
    username = f"supervisor_{secrets.token_hex(3)}"
    password = f"{username}-pass"
    create_user(
        live_shop,
        username,
        password,
        permissions=[
            "livechat.reply_conversation",
            "livechat.supervise_conversation",
        ],
        display_name="Sue the Supervisor",
        first_name="Sue",
        is_staff=True,
    )
    return log_in_agent(live_shop, username, password)


@pytest.fixture
def chats(live_shop, bob_http):
    """Conversation ids a test opened; closed afterwards (Bob's load stays low)."""
    opened = []
    yield opened
    for conversation in opened:
        with contextlib.suppress(Exception):
            _api_close(live_shop, bob_http, conversation)


def _api_close(shop, http, conversation):
    """POST .../close/ with the session and its CSRF token, as the console would."""
    return http.post(
        shop.url(f"{API}{conversation}/close/"),
        headers={"X-CSRFToken": http.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )


def _api_summary(shop, http, conversation):
    response = http.get(shop.url(f"{API}{conversation}/"), timeout=HTTP_TIMEOUT)
    response.raise_for_status()
    return response.json()


def _is_state(conversation, status):
    return lambda f: (
        f["type"] == "conversation"
        and f["conversation"]["id"] == conversation
        and f["conversation"]["status"] == status
    )


async def _claimed_chat(open_visitor, owner, chats):
    """A shopper's chat that ``owner`` claimed: (shopper socket, conversation)."""
    shopper = await open_visitor()
    conversation = (await shopper.post("Where is my parcel?"))["conversation"]
    chats.append(conversation)
    await owner.send(type="claim", conversation=conversation)
    claimed = await owner.expect_where(
        _is_state(conversation, "active"), what="the claim"
    )
    assert claimed["conversation"]["agent"]["id"] == owner.welcome["agent"]["id"]
    await shopper.expect_where(_is_state(conversation, "active"), what="the claim")
    return shopper, conversation


async def _waiting_chat(open_visitor, chats):
    shopper = await open_visitor()
    conversation = (await shopper.post("Anyone there?"))["conversation"]
    chats.append(conversation)
    return shopper, conversation


async def test_a_plain_agent_cannot_close_another_agents_chat_over_the_socket(
    live_shop, open_visitor, open_agent, bob_http, supervisor_http, chats
):
    """Bob claimed a chat; Alice, a plain agent, sends ``close`` for it.
    Expected: error ``forbidden`` and the chat stays active and Bob's (her
    ``open`` still works and shows it). The supervisor's ``close`` closes it,
    and Alice may close a chat that still waits for an agent.
    """
    owner = await open_agent(bob_http)
    intruder = await open_agent()
    _shopper, conversation = await _claimed_chat(open_visitor, owner, chats)

    await intruder.send(type="close", conversation=conversation)
    answer = await intruder.expect_where(
        lambda f: f["type"] == "error" or _is_state(conversation, "closed")(f),
        what="an answer to the close",
    )
    assert answer["type"] == "error", f"Alice closed Bob's chat: {answer}"
    assert answer["code"] == "forbidden", answer
    await intruder.send(type="open", conversation=conversation, last_seq=0)
    opened = await intruder.expect("opened")
    assert opened["conversation"]["status"] == "active"
    assert opened["conversation"]["agent"]["id"] == owner.welcome["agent"]["id"]

    supervisor = await open_agent(supervisor_http)
    assert supervisor.welcome["supervisor"] is True
    await supervisor.send(type="close", conversation=conversation)
    await supervisor.expect_where(
        _is_state(conversation, "closed"), what="the supervisor's close"
    )

    _other, waiting = await _waiting_chat(open_visitor, chats)
    await intruder.send(type="close", conversation=waiting)
    await intruder.expect_where(
        _is_state(waiting, "closed"), what="Alice's close of a waiting chat"
    )


async def test_a_plain_agent_cannot_type_into_another_agents_chat(
    open_visitor, open_agent, bob_http, chats
):
    """Bob claimed a chat; Alice sends ``typing`` for it. Expected: error
    ``forbidden`` and the shopper sees no typing indicator (Bob's own typing
    does reach the shopper).
    """
    owner = await open_agent(bob_http)
    intruder = await open_agent()
    shopper, conversation = await _claimed_chat(open_visitor, owner, chats)
    await shopper.drain(SETTLE_SECONDS)

    await intruder.send(type="typing", conversation=conversation, active=True)
    typing = [f for f in await shopper.drain(SETTLE_SECONDS) if f["type"] == "typing"]
    assert not typing, f"the shopper saw another agent typing: {typing}"
    error = await intruder.expect("error")
    assert error["code"] == "forbidden", error

    await owner.send(type="typing", conversation=conversation, active=True)
    shown = await shopper.expect("typing", sender="agent")
    assert shown["name"] == "Bob from Support"


async def test_a_colleagues_note_reaches_the_agents_never_the_shopper(
    open_visitor, open_agent, bob_http, chats
):
    """Bob claimed a chat; Alice reads it and adds an internal ``note`` (a
    colleague's hint, which the rule allows). Expected: the note is stored and
    shown to Bob, never sent to the shopper; reading (``open``, ``fetch``)
    works for her.
    """
    owner = await open_agent(bob_http)
    intruder = await open_agent()
    shopper, conversation = await _claimed_chat(open_visitor, owner, chats)
    marker = secrets.token_hex(4)

    await intruder.send(type="open", conversation=conversation, last_seq=0)
    await intruder.expect("opened")
    history = await intruder.replay(conversation)
    assert history[0]["body"] == "Where is my parcel?"
    await intruder.send(type="fetch", conversation=conversation, after_seq=0)
    fetched = await intruder.expect("messages", conversation=conversation)
    assert [m["id"] for m in fetched["messages"]] == [m["id"] for m in history]

    cid = client_id()
    await intruder.send(
        type="note", conversation=conversation, client_id=cid, body=f"Alice {marker}"
    )
    ack = await intruder.expect("note_ack", client_id=cid)
    assert ack["conversation"] == conversation
    note = await owner.expect_where(
        lambda f: f["type"] == "note" and marker in f["note"]["body"],
        what="Alice's note on Bob's console",
    )
    assert note["note"]["body"] == f"Alice {marker}"
    assert not [f for f in await shopper.drain(SETTLE_SECONDS) if marker in str(f)]


async def test_the_api_refuses_a_plain_agent_closing_another_agents_chat(
    live_shop, open_visitor, open_agent, agent_http, bob_http, supervisor_http, chats
):
    """Bob claimed a chat; Alice POSTs .../close/ with her session and CSRF
    token. Expected: HTTP 403 with JSON ``{"code": "forbidden", ...}`` and the
    chat still active; the supervisor's POST closes it (200), and Alice may
    close a waiting chat over the API.
    """
    owner = await open_agent(bob_http)
    _shopper, conversation = await _claimed_chat(open_visitor, owner, chats)

    refused = await asyncio.to_thread(_api_close, live_shop, agent_http, conversation)
    assert refused.status_code == 403, (refused.status_code, refused.text[:300])
    assert refused.json()["code"] == "forbidden", refused.text[:300]
    summary = await asyncio.to_thread(_api_summary, live_shop, agent_http, conversation)
    assert summary["status"] == "active", summary
    assert summary["agent"]["id"] == owner.welcome["agent"]["id"]

    closed = await asyncio.to_thread(
        _api_close, live_shop, supervisor_http, conversation
    )
    assert closed.status_code == 200, (closed.status_code, closed.text[:300])
    assert closed.json()["status"] == "closed"

    _other, waiting = await _waiting_chat(open_visitor, chats)
    mine = await asyncio.to_thread(_api_close, live_shop, agent_http, waiting)
    assert mine.status_code == 200, (mine.status_code, mine.text[:300])
    assert mine.json()["status"] == "closed"
