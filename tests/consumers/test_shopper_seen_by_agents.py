"""What agents with a chat open see of its shopper live, and what the
shopper sees of them: the page they are on, the name of who is typing."""

import pytest
from channels.db import database_sync_to_async

from livechat.models import Visitor
from livechat.realtime import coalescing

from ..conftest import answered_chat

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


async def test_the_current_page_follows_the_shopper(
    visitor_client, agent_client, agent
):
    shopper, console, conversation = await answered_chat(
        visitor_client, agent_client, agent
    )
    # Three pages in a burst: one frame, the last page.
    for path, title in (("/a/", "A"), ("/b/", "B"), ("/checkout/", " Check\nout ")):
        await shopper.send(type="page", url=f"https://shop.test{path}", title=title)
    # Frames are handled in order: once the pong is back, all three were.
    await shopper.send(type="ping")
    await shopper.expect("pong")
    await coalescing.flush_pending()
    page = await console.expect("visitor_page")
    assert page == {
        "type": "visitor_page",
        "conversation": conversation,
        "visitor": page["visitor"],
        "url": "https://shop.test/checkout/",
        "title": "Check out",
    }
    assert not [f for f in await console.drain() if f["type"] == "visitor_page"]
    stored = await db(Visitor.objects.get)(pk=page["visitor"])
    assert stored.current_page == "https://shop.test/checkout/"
    await shopper.send(type="page", url="https://shop.test/", title=5)
    assert (await shopper.expect("error"))["code"] == "bad_frame"


async def test_a_shopper_without_a_chat_tells_no_console(
    visitor_client, agent_client, agent
):
    console = await agent_client(agent)
    await console.expect("welcome")
    shopper = await visitor_client()
    await shopper.expect("welcome")
    await shopper.send(type="page", url="https://shop.test/p/1/")
    await coalescing.flush_pending()
    assert not [f for f in await console.drain() if f["type"] == "visitor_page"]


async def test_the_shopper_sees_who_is_typing(visitor_client, agent_client, agent):
    shopper, console, conversation = await answered_chat(
        visitor_client, agent_client, agent
    )
    await console.send(type="typing", conversation=conversation, active=True)
    typing = await shopper.expect("typing")
    assert typing["sender"] == "agent" and typing["active"] is True
    assert typing["name"] == "Alice"
