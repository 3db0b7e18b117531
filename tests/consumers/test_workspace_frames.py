"""The console's frames for tags, snoozing, reopening and saved replies."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from livechat.models import CannedReply, Conversation, ConversationTag, Message

from ..conftest import answered_chat

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


def _make_supervisor():
    user = get_user_model().objects.create_user(
        username="boss", password="pw", is_staff=True, first_name="Boss"
    )
    user.user_permissions.add(Permission.objects.get(codename="supervise_conversation"))
    return get_user_model().objects.get(pk=user.pk)


async def _error(console, code):
    frame = await console.expect("error")
    assert frame["code"] == code, frame
    return frame


async def test_tags_reach_every_console_and_refusals(
    visitor_client, agent_client, agent, make_agent
):
    _shopper, console, conversation = await answered_chat(
        visitor_client, agent_client, agent
    )
    bob = await db(make_agent)("bob")
    other = await agent_client(bob)
    await other.expect("welcome")
    await console.send(type="tag", conversation=conversation, tag="order", on=True)
    assert (await console.expect("tags"))["tags"] == ["order"]
    seen = await other.expect("tags", conversation=conversation)
    assert seen["tags"] == ["order"]
    # Bob may not tag Alice's chat; unknown tags and bad frames are refused.
    await other.send(type="tag", conversation=conversation, tag="return")
    await _error(other, "forbidden")
    await console.send(type="tag", conversation=conversation, tag="vip")
    await _error(console, "bad_frame")
    await console.send(type="tag", conversation=conversation, tag="order", on="yes")
    await _error(console, "bad_frame")
    await console.send(type="tag", conversation=999999, tag="order")
    await _error(console, "not_found")
    # Taking it off; again: answered to the sender alone.
    await console.send(type="tag", conversation=conversation, tag="order", on=False)
    assert (await console.expect("tags"))["tags"] == []
    await console.send(type="tag", conversation=conversation, tag="order", on=False)
    assert (await console.expect("tags"))["tags"] == []
    assert not await db(ConversationTag.objects.exists)()
    # Opening the chat lists its tags in the summary.
    await console.send(type="tag", conversation=conversation, tag="question")
    await console.expect("tags")
    await console.send(type="open", conversation=conversation)
    opened = await console.expect("opened")
    assert opened["conversation"]["tags"] == ["question"]


async def test_snooze_until_the_shopper_answers(visitor_client, agent_client, agent):
    shopper, console, conversation = await answered_chat(
        visitor_client, agent_client, agent
    )
    await console.send(type="snooze", conversation=conversation)
    snoozed = await console.expect("snooze")
    assert snoozed["snoozed"] is True and snoozed["woke"] is False
    assert snoozed["conversation"]["snoozed"] is True
    assert snoozed["by"]["id"] == agent.pk
    await shopper.send(type="message", client_id="v2", body="Here it is")
    await shopper.expect("ack")
    woke = await console.expect("snooze")
    assert woke == {**woke, "snoozed": False, "woke": True, "by": None}
    message = await console.expect_message("visitor")
    assert message["body"] == "Here it is"
    # The agent snoozes and wakes it; the shopper hears of none of it.
    await console.send(type="snooze", conversation=conversation, on=True)
    await console.expect("snooze")
    await console.send(type="snooze", conversation=conversation, on=False)
    assert (await console.expect("snooze"))["snoozed"] is False
    for frame in await shopper.drain():
        assert frame["type"] != "snooze"


async def test_snooze_refusals(visitor_client, agent_client, agent, make_agent):
    shopper = await visitor_client()
    await shopper.expect("welcome")
    await shopper.send(type="message", client_id="c1", body="Hello")
    waiting = (await shopper.expect("ack"))["conversation"]
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="snooze", conversation=waiting)
    await _error(console, "not_assigned")
    await console.send(type="snooze", conversation=waiting, on=1)
    await _error(console, "bad_frame")
    await console.send(type="claim", conversation=waiting)
    await console.expect_state("active")
    bob = await agent_client(await db(make_agent)("bob"))
    await bob.expect("welcome")
    await bob.send(type="snooze", conversation=waiting)
    await _error(bob, "forbidden")
    await console.send(type="close", conversation=waiting)
    await console.expect_state("closed")
    await console.send(type="snooze", conversation=waiting)
    await _error(console, "conversation_closed")


async def test_reopen_by_the_agent_and_by_the_shopper(
    visitor_client, agent_client, agent, make_agent
):
    shopper, console, conversation = await answered_chat(
        visitor_client, agent_client, agent
    )
    await console.send(type="reopen", conversation=conversation)
    await _error(console, "conversation_open")
    await console.send(type="close", conversation=conversation, tag="order")
    await console.expect_state("closed")
    bob = await agent_client(await db(make_agent)("bob"))
    await bob.expect("welcome")
    await bob.send(type="reopen", conversation=conversation)
    await _error(bob, "forbidden")
    await console.send(type="reopen", conversation=conversation, override="no")
    await _error(console, "bad_frame")
    await console.send(type="reopen", conversation=conversation)
    state = await console.expect_state("active")
    assert state["id"] == conversation and state["agent"]["id"] == agent.pk
    assert state["reopened_at"] and state["closed_at"] is None
    line = await shopper.expect_message("system")
    while "reopened" not in line["body"]:
        line = await shopper.expect_message("system")
    assert line["body"] == "Alice reopened the chat."
    # Closed again; the shopper's "start a new chat" continues it.
    await console.send(type="close", conversation=conversation)
    await console.expect_state("closed")
    await shopper.send(type="message", client_id="new-chat", body="Sorry, one more")
    ack = await shopper.expect("ack")
    assert ack["conversation"] == conversation
    back = await console.expect_state("active")  # Alice is at her console
    assert back["id"] == conversation and back["agent"]["id"] == agent.pk
    message = await console.expect_message("visitor")
    assert message["seq"] == ack["seq"]
    assert await db(Conversation.objects.count)() == 1


async def test_saved_replies_from_the_console(visitor_client, agent_client, agent):
    _shopper, console, conversation = await answered_chat(
        visitor_client, agent_client, agent
    )
    sent = await db(
        lambda: Message.objects.get(conversation_id=conversation, client_id="a1").pk
    )()
    await console.send(
        type="canned_save", client_id="r1", shortcut="hi", from_message=sent
    )
    saved = await console.expect("canned_saved")
    assert saved["client_id"] == "r1"
    assert saved["reply"]["body"] == "Hi!" and saved["reply"]["owner"] == agent.pk
    listed = await console.expect("canned", scope="own")
    assert [r["shortcut"] for r in listed["replies"]] == ["hi"]
    await console.send(
        type="canned_save", client_id="r2", id=saved["reply"]["id"], body="Hello!"
    )
    assert (await console.expect("canned_saved"))["reply"]["body"] == "Hello!"
    await console.expect("canned", scope="own")
    # Shared replies are not an agent's to make.
    await console.send(
        type="canned_save", client_id="r3", shortcut="x", body="y", shared=True
    )
    refused = await _error(console, "forbidden")
    assert refused["client_id"] == "r3"
    await console.send(type="canned_save", client_id="r4", shortcut="", body="y")
    refused = await _error(console, "invalid")
    assert set(refused["fields"]) == {"shortcut"} and refused["client_id"] == "r4"
    await console.send(type="canned_delete", client_id="r5", id=saved["reply"]["id"])
    assert (await console.expect("canned_deleted"))["id"] == saved["reply"]["id"]
    assert (await console.expect("canned", scope="own"))["replies"] == []
    assert not await db(CannedReply.objects.exists)()


async def test_a_supervisors_shared_reply_reaches_every_console(agent_client, agent):
    boss = await agent_client(await db(_make_supervisor)())
    await boss.expect("welcome")
    console = await agent_client(agent)
    await console.expect("welcome")
    await boss.send(
        type="canned_save", shortcut="hours", body="9 to 5", shared=True, title="Hours"
    )
    saved = await boss.expect("canned_saved")
    assert saved["reply"]["owner"] is None and saved["client_id"] is None
    shared = await console.expect("canned", scope="shared")
    assert [r["shortcut"] for r in shared["replies"]] == ["hours"]
    await console.send(type="canned_delete", id=saved["reply"]["id"])
    await _error(console, "forbidden")
    # A new console's welcome lists it.
    again = await agent_client(agent)
    welcome = await again.expect("welcome")
    assert [r["shortcut"] for r in welcome["canned"]] == ["hours"]
