"""The console's inbox in sections and pages, and frames sent in parts."""

import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings
from django.utils import timezone

from livechat import protocol
from livechat.models import Conversation, Message, Visitor
from livechat.realtime import groups, layer

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


def _chats(count, status=Conversation.Status.WAITING, agent=None, body="Hi"):
    """``count`` conversations of ``status``, a minute apart, oldest first."""
    start = timezone.now() - timedelta(hours=5)
    ids = []
    for index in range(count):
        visitor = Visitor.objects.create(name=f"Shopper {index}")
        conversation = Conversation.objects.create(
            visitor=visitor, status=status, assigned_agent=agent, last_seq=1
        )
        Conversation.objects.filter(pk=conversation.pk).update(
            created_at=start + timedelta(minutes=index),
            closed_at=(
                start + timedelta(minutes=index, seconds=30)
                if status == Conversation.Status.CLOSED
                else None
            ),
        )
        Message.objects.create(
            conversation=conversation,
            seq=1,
            sender_kind=Message.Sender.VISITOR,
            body=f"{body} {index}",
        )
        ids.append(conversation.pk)
    return ids


async def _all_pages(console, section, first):
    """Every id of ``section``: the welcome's page, then the pages asked for."""
    ids = [c["id"] for c in first["inbox"] if c["id"] in first["_section_ids"]]
    cursor = first["sections"][section]["next"]
    pages = 1
    while cursor:
        await console.send(type="inbox", section=section, after=cursor)
        page = await console.expect("inbox_page", section=section)
        ids += [c["id"] for c in page["conversations"]]
        cursor = page["next"]
        pages += 1
    return ids, pages


@override_settings(LIVECHAT_CONSOLE_PAGE_SIZE=3)
async def test_the_welcome_carries_counts_and_first_pages_the_rest_comes_in_pages(
    agent_client, agent, make_agent
):
    waiting = await db(_chats)(8)
    bob = await db(make_agent)("bob")
    others = await db(_chats)(2, Conversation.Status.ACTIVE, agent=bob)
    closed = await db(_chats)(4, Conversation.Status.CLOSED)
    console = await agent_client(agent)
    welcome = await console.expect("welcome")

    sections = welcome["sections"]
    assert {k: v["count"] for k, v in sections.items()} == {
        "waiting": 8,
        "missed": 0,
        "mine": 0,
        "others": 2,
        "closed": 4,
    }
    assert sections["others"]["next"] is None and sections["closed"]["next"] is None
    listed = [c["id"] for c in welcome["inbox"]]
    # Each section's first page, oldest waiting first, newest closed first.
    assert listed == waiting[:3] + others + closed[::-1]

    welcome["_section_ids"] = set(waiting)
    ids, pages = await _all_pages(console, "waiting", welcome)
    assert ids == waiting and pages == 3


@override_settings(LIVECHAT_CONSOLE_PAGE_SIZE=2)
async def test_a_page_follows_its_cursor_whatever_changed_before_it(
    agent_client, agent
):
    waiting = await db(_chats)(6)
    console = await agent_client(agent)
    welcome = await console.expect("welcome")
    cursor = welcome["sections"]["waiting"]["next"]
    # The first two are taken meanwhile: the next page is still chats 3 and 4.
    await db(Conversation.objects.filter(pk__in=waiting[:2]).update)(
        status=Conversation.Status.ACTIVE, assigned_agent=agent
    )
    await console.send(type="inbox", section="waiting", after=cursor)
    page = await console.expect("inbox_page", section="waiting")
    assert [c["id"] for c in page["conversations"]] == waiting[2:4]
    assert page["counts"]["waiting"] == 4 and page["counts"]["mine"] == 2


@override_settings(LIVECHAT_CONSOLE_PAGE_SIZE=2)
async def test_counts_follow_changes_while_a_section_has_pages_left(
    agent_client, agent, visitor_client
):
    await db(_chats)(3)
    console = await agent_client(agent)
    welcome = await console.expect("welcome")
    assert welcome["sections"]["waiting"]["count"] == 3
    shopper = await visitor_client()
    await shopper.expect("welcome")
    await shopper.send(type="message", client_id="c1", body="Is this in stock?")
    await shopper.expect("ack")
    counts = (await console.expect("inbox_counts"))["counts"]
    assert counts["waiting"] == 4


@override_settings(LIVECHAT_CONSOLE_PAGE_SIZE=2)
async def test_an_agent_follows_every_chat_of_theirs_not_only_the_first_page(
    agent_client, agent, visitor_client
):
    await db(_chats)(3, Conversation.Status.ACTIVE, agent=agent)
    shopper = await visitor_client()
    await shopper.expect("welcome")
    await shopper.send(type="message", client_id="c1", body="Hello")
    conversation = (await shopper.expect("ack"))["conversation"]
    await db(Conversation.objects.filter(pk=conversation).update)(
        status=Conversation.Status.ACTIVE,
        assigned_agent=agent,
        created_at=timezone.now() + timedelta(hours=1),
    )
    console = await agent_client(agent)
    welcome = await console.expect("welcome")
    assert welcome["sections"]["mine"]["count"] == 4
    assert conversation not in [c["id"] for c in welcome["inbox"]]
    await shopper.send(type="message", client_id="c2", body="Still there?")
    message = (await console.expect("message"))["message"]
    assert (message["conversation"], message["body"]) == (conversation, "Still there?")


@pytest.mark.parametrize(
    "frame",
    [
        {"section": "everything"},
        {"section": "waiting", "after": "yesterday|3"},
        {"section": "waiting", "after": "2026-01-01T00:00:00+00:00|x"},
        {"section": "waiting", "after": 17},
        {"section": "waiting", "after": "2026-01-01T00:00:00+00:00|1" + "0" * 90},
        {"section": "waiting", "after": "2026-13-45T00:00:00+00:00|3"},
        {"section": "waiting", "after": "2026-01-01T00:00:00+00:00|\u00b2"},
        {"section": "waiting", "after": "|"},
        {"section": "waiting", "limit": "many"},
    ],
)
async def test_a_bad_page_request_is_answered_and_the_socket_goes_on(
    agent_client, agent, frame
):
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="inbox", **frame)
    assert (await console.expect("error"))["code"] == "bad_frame"
    await console.send(type="inbox", section="waiting")
    assert (await console.expect("inbox_page"))["next"] is None


async def test_a_page_never_holds_more_than_its_ceiling(agent_client, agent):
    await db(_chats)(5)
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="inbox", section="waiting", limit=100000)
    assert len((await console.expect("inbox_page"))["conversations"]) == 5
    await console.send(type="inbox", section="waiting", limit=2)
    page = await console.expect("inbox_page")
    assert len(page["conversations"]) == 2 and page["next"]


@override_settings(LIVECHAT_MAX_SENT_FRAME_BYTES=4000)
async def test_a_frame_over_the_limit_arrives_in_parts_that_make_it_whole(
    agent_client, agent
):
    await db(_chats)(12, body='Wie "groß" ist 鞋子 \\ 👟?' * 5)
    console = await agent_client(agent)
    parts = []
    while True:
        frame = await console.receive_raw()
        assert len(json.dumps(frame)) <= 4000
        if frame["type"] != "part":
            continue
        parts.append(frame)
        if frame["index"] == frame["count"] - 1:
            break
    assert [p["index"] for p in parts] == list(range(parts[0]["count"]))
    assert len({p["id"] for p in parts}) == 1 and len(parts) > 3
    welcome = json.loads("".join(p["data"] for p in parts))
    assert (
        welcome["type"] == "welcome" and welcome["sections"]["waiting"]["count"] == 12
    )
    assert '"groß"' in welcome["inbox"][0]["preview"]
    # The socket goes on as usual afterwards.
    await console.send(type="ping")
    await console.expect("pong")


@pytest.mark.parametrize("limit", [150, 1000, 65536])
def test_parts_stay_under_the_limit_and_join_into_the_text(limit):
    text = json.dumps({"body": 'a"b\\c\n鞋\U0001f45f' * 3000, "n": list(range(500))})
    parts = protocol.frame_parts(text, limit, 7)
    assert "".join(p["data"] for p in parts) == text
    assert all(len(json.dumps(p)) <= limit for p in parts)
    assert {p["count"] for p in parts} == {len(parts)} and parts[0]["id"] == 7


@override_settings(LIVECHAT_CONSOLE_PAGE_SIZE=2)
async def test_the_search_lists_matching_chats_newest_first_in_pages(
    agent_client, agent
):
    await db(_chats)(3, body="Where is my parcel")
    closed = await db(_chats)(3, Conversation.Status.CLOSED, body="Parcel refund")
    await db(_chats)(2, body="Do you sell gloves")
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="inbox", section="search", q="refund")
    page = await console.expect("inbox_page", section="search")
    assert page["q"] == "refund" and "counts" not in page
    ids = [c["id"] for c in page["conversations"]]
    while page["next"]:
        await console.send(
            type="inbox", section="search", q="refund", after=page["next"]
        )
        page = await console.expect("inbox_page", section="search")
        ids += [c["id"] for c in page["conversations"]]
    assert ids == closed[::-1]
    await console.send(type="inbox", section="search", q="parcel", limit=50)
    page = await console.expect("inbox_page", section="search")
    assert len(page["conversations"]) == 6


@pytest.mark.parametrize("q", [None, "", "   ", "a", "\x00\x00", "x" * 201, ["refund"]])
async def test_a_search_without_text_is_refused(agent_client, agent, q):
    console = await agent_client(agent)
    await console.expect("welcome")
    frame = {"section": "search"} if q is None else {"section": "search", "q": q}
    await console.send(type="inbox", **frame)
    assert (await console.expect("error"))["code"] == "bad_frame"


async def test_a_number_alone_is_a_search(agent_client, agent):
    ids = await db(_chats)(2)
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="inbox", section="search", q=str(ids[1]))
    page = await console.expect("inbox_page", section="search")
    assert ids[1] in [c["id"] for c in page["conversations"]]


async def test_no_counts_follow_changes_when_every_section_is_whole(
    agent_client, agent, visitor_client
):
    await db(_chats)(2)
    console = await agent_client(agent)
    assert (await console.expect("welcome"))["sections"]["waiting"]["next"] is None
    shopper = await visitor_client()
    await shopper.expect("welcome")
    await shopper.send(type="message", client_id="c1", body="Is this in stock?")
    await shopper.expect("ack")
    await console.expect("conversation")
    frames = await console.drain(timeout=1.5)
    assert not [f for f in frames if f["type"] == "inbox_counts"]


@override_settings(LIVECHAT_MAX_SENT_FRAME_BYTES=3000)
async def test_a_frame_encoded_for_every_socket_is_sent_in_parts_too(
    agent_client, agent
):
    console = await agent_client(agent)
    await console.expect("welcome")
    frame = {
        "type": "conversations",
        "conversations": [{"id": 1, "preview": "x" * 9000}],
    }
    await layer.send_to_groups([groups.AGENTS_GROUP], frame, encoded=True)
    raw = []
    while not raw or raw[-1]["index"] < raw[-1]["count"] - 1:
        part = await console.receive_raw()
        assert len(json.dumps(part)) <= 3000
        if part["type"] == "part":
            raw.append(part)
    assert json.loads("".join(p["data"] for p in raw)) == frame
