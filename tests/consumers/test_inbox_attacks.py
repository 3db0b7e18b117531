"""Hostile ``inbox`` frames on the console socket: search texts, cursors and
limits a client forges, other people's sockets, and frames sent in parts.

Every one is answered with an ``inbox_page`` or a ``bad_frame`` error, never
``server_error`` or ``unavailable``; the socket goes on and nothing is logged
at ERROR.
"""

import json
import logging
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings
from django.utils import timezone

from livechat.models import Conversation, Message, Visitor
from livechat.realtime import groups, layer

from ..conftest import new_token

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async

# What a search box receives from a hostile or careless hand. Each goes out as
# raw JSON text: escapes such as "\u0000" and a lone "\ud800" reach the server
# as the client wrote them.
SEARCH_TEXTS = {
    "tsquery operators": r"& | ! : * ( ) < - > ' \" \\ %  _",
    "prefix": "a:*",
    "negations": "!!",
    "phrase operator": "a <-> b <2> c",
    "weights": "a:AB & b:*D",
    "NUL inside": "a\x00b",
    "NUL only": "\x00",
    "lone high surrogate": "\ud800",
    "lone low surrogate": "x\udc00y",
    "surrogate pair": "\ud83d\ude00",
    "a 200-character word": "w" * 200,
    "100 words": " ".join(f"w{i}" for i in range(100)),
    "only punctuation": "!@#$%^&*()[]{};:,./<>?~`",
    "unbalanced quote": '"refund',
    "quoted backslash": '"\\"',
    "single quotes": "'''",
    "SQL": "'; DROP TABLE livechat_message; --",
    "LIKE wildcards": "%_%",
    "regexp": ".*(a|b)+[^c]\\1",
    "format strings": "%s %(x)s {0} $1",
    "right-to-left": "\u202eשלום مرحبا",
    "CJK": "我想买鞋子 ありがとう 안녕",
    "emoji": "👟🧦 ❤️‍🔥",
    "a number": "#123",
    "a huge number": "#999999999999999999",
    "a number past bigint": "99999999999999999999",
    "at sign": "@",
    "a long email": "a" * 120 + "@" + "b" * 70 + ".com",
    "an email of dots": "@.@.@",
    "control characters": "\x01\x02\x1b[31m",
    "noncharacters": "\ufffe\uffff",
}


def _chat(name, body):
    visitor = Visitor.objects.create(name=name, email=f"{name.lower()}@example.com")
    conversation = Conversation.objects.create(visitor=visitor, last_seq=1)
    Message.objects.create(
        conversation=conversation,
        seq=1,
        sender_kind=Message.Sender.VISITOR,
        body=body,
    )
    return conversation.pk


@pytest.fixture
def errors_logged(caplog):
    """What was logged at ERROR or above while the test ran."""
    caplog.set_level(logging.INFO)
    yield lambda: [r for r in caplog.records if r.levelno >= logging.ERROR]


async def _answer(console, raw):
    """Send a raw frame; the ``inbox_page`` or ``error`` it gets."""
    await console.send_raw(raw)
    while True:
        frame = await console.receive()
        if frame["type"] in ("inbox_page", "error"):
            return frame


async def _still_answers(console):
    await console.send(type="inbox", section="search", q="parcel")
    page = await console.expect("inbox_page", section="search")
    assert page["q"] == "parcel"
    return page


@pytest.mark.parametrize("text", list(SEARCH_TEXTS.values()), ids=list(SEARCH_TEXTS))
async def test_a_hostile_search_gets_a_page_or_bad_frame(
    agent_client, agent, errors_logged, text
):
    found = await db(_chat)("Ann", "Where is my parcel? Order #123")
    console = await agent_client(agent)
    await console.expect("welcome")

    raw = json.dumps({"type": "inbox", "section": "search", "q": text, "limit": 5})
    answer = await _answer(console, raw)

    if answer["type"] == "error":
        assert answer["code"] == "bad_frame", answer
    else:
        assert answer["section"] == "search"
        assert answer["q"] == json.loads(raw)["q"]  # a surrogate pair joined
    assert [c["id"] for c in (await _still_answers(console))["conversations"]] == [
        found
    ]
    assert not errors_logged(), errors_logged()


@pytest.mark.parametrize(
    "frame",
    [
        {"after": "2026-02-30T00:00:00+00:00|1"},
        {"after": "0000-01-01T00:00:00+00:00|1"},
        {"after": "2026-01-01T25:00:00+00:00|1"},
        {"after": "2026-01-01T00:00:00+99:99|1"},
        {"after": "2026-01-01T00:00:00|1"},
        {"after": "2026-01-01|1"},
        {"after": "2026-01-01 00:00|1"},
        {"after": "2026-01-01T00:00:00+00:00|\u00b2"},
        {"after": "2026-01-01T00:00:00+00:00|\u0661"},
        {"after": "2026-01-01T00:00:00+00:00|-1"},
        {"after": "2026-01-01T00:00:00+00:00|1e3"},
        {"after": "2026-01-01T00:00:00+00:00| 1"},
        {"after": "2026-01-01T00:00:00+00:00|" + "9" * 19},
        {"after": "|"},
        {"after": "||"},
        {"after": ""},
        {"after": "2026-01-01T00:00:00\u0000+00:00|1"},
        {"after": "2026-01-01T00:00:00+00:00|1\ud800"},
        {"after": 17},
        {"after": 1.5},
        {"after": True},
        {"after": ["2026-01-01T00:00:00+00:00|1"]},
        {"after": {"when": "2026-01-01T00:00:00+00:00", "id": 1}},
        {"after": "x" * 5000},
        {"limit": -1},
        {"limit": 1.5},
        {"limit": True},
        {"limit": "10"},
        {"limit": 2**31 + 1},
        {"limit": 10**100},
        {"limit": [10]},
    ],
    ids=repr,
)
@pytest.mark.parametrize("section", ["waiting", "closed", "search"])
async def test_a_forged_cursor_or_limit_gets_bad_frame(
    agent_client, agent, errors_logged, section, frame
):
    await db(_chat)("Ann", "Where is my parcel?")
    console = await agent_client(agent)
    await console.expect("welcome")
    frame = {"type": "inbox", "section": section, "q": "parcel", **frame}

    answer = await _answer(console, json.dumps(frame))

    if section == "closed" and "limit" not in frame:
        # The recently closed fit on one page: a page after it is empty.
        assert answer["type"] in ("inbox_page", "error"), answer
    else:
        assert (answer["type"], answer.get("code")) == ("error", "bad_frame"), answer
    await _still_answers(console)
    assert not errors_logged(), errors_logged()


@pytest.mark.parametrize(
    "after",
    [
        "0001-01-01T00:00:00+00:00|1",
        "0001-01-01T00:00:00+14:00|1",
        "9999-12-31T23:59:59.999999+00:00|999999999999999999",
        "9999-12-31T23:59:59-12:00|1",
        "1970-01-01T00:00:00Z|0",
        "2026-01-01T00:00:00+00:00|000000000000000001",
    ],
)
@pytest.mark.parametrize(
    ("section", "limit"), [("waiting", 0), ("mine", 1), ("search", 200)]
)
async def test_a_cursor_far_in_the_past_or_future_gets_a_page(
    agent_client, agent, errors_logged, after, section, limit
):
    """Well-formed cursors the server never wrote are still just places in a
    list: a page (empty or not), whatever their date or id."""
    await db(_chat)("Ann", "Where is my parcel?")
    console = await agent_client(agent)
    await console.expect("welcome")
    frame = {"type": "inbox", "section": section, "after": after, "limit": limit}
    answer = await _answer(console, json.dumps({**frame, "q": "parcel"}))
    assert answer["type"] == "inbox_page", answer
    assert len(answer["conversations"]) <= max(limit, 1)
    assert not errors_logged(), errors_logged()


async def test_a_shopper_socket_asking_for_the_inbox_learns_nothing(
    visitor_client, errors_logged
):
    secret = await db(_chat)("Ann", "My door code is 4711")
    shopper = await visitor_client()
    await shopper.expect("welcome")
    for frame in (
        {"type": "inbox", "section": "waiting"},
        {"type": "inbox", "section": "search", "q": "door code"},
        {"type": "inbox", "section": "search", "q": f"#{secret}"},
    ):
        await shopper.send(**frame)
        assert (await shopper.expect("error"))["code"] == "unknown_type"
    assert "4711" not in json.dumps(await shopper.drain())
    assert not errors_logged(), errors_logged()


@pytest.mark.parametrize("hello", [True, False], ids=["hello first", "no hello"])
async def test_a_customer_on_the_console_socket_gets_no_inbox(
    agent_client, django_user_model, hello
):
    """A logged-in customer (not staff) opens the console socket and asks for
    the inbox and a search at once: ``forbidden`` and close 4403, no page."""
    await db(_chat)("Ann", "My door code is 4711")
    customer = await db(django_user_model.objects.create_user)("cust", password="pw")
    console = await agent_client(customer, hello=hello)
    await console.send(type="inbox", section="waiting")
    await console.send(type="inbox", section="search", q="door")
    frames = []
    close = None
    while close is None:
        output = await console.comm.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            close = output.get("code")
        else:
            frames.append(json.loads(output["text"]))
    assert [(f["type"], f.get("code")) for f in frames] == [("error", "forbidden")]
    assert close == 4403
    assert "4711" not in json.dumps(frames)


def _long_named_chats(count, name_length):
    start = timezone.now() - timedelta(hours=1)
    for index in range(count):
        visitor = Visitor.objects.create(
            name=(f"{index:03d} " + 'Ünïcødé 鞋 "quoted" \\ ' * 10)[:name_length],
            email=f"shopper{index}@example.com",
        )
        conversation = Conversation.objects.create(visitor=visitor, last_seq=1)
        Conversation.objects.filter(pk=conversation.pk).update(
            created_at=start + timedelta(seconds=index)
        )
        Message.objects.create(
            conversation=conversation,
            seq=1,
            sender_kind=Message.Sender.VISITOR,
            body="鞋" * 140,
        )


def _joined(frames, limit):
    """The frames ``frames`` make once their parts are joined; checks that
    each is within ``limit`` and that parts of two frames never interleave."""
    whole, parts, last_id = [], None, 0
    for frame in frames:
        assert len(json.dumps(frame)) <= limit, frame["type"]
        if frame["type"] != "part":
            assert parts is None, "a frame between the parts of another"
            whole.append(frame)
            continue
        if parts is None:
            assert frame["index"] == 0 and frame["id"] > last_id, frame
            parts, last_id = [], frame["id"]
        assert (frame["id"], frame["index"]) == (last_id, len(parts)), frame
        parts.append(frame["data"])
        if len(parts) == frame["count"]:
            whole.append(json.loads("".join(parts)))
            parts = None
    assert parts is None, "a frame's last parts never came"
    return whole


@override_settings(LIVECHAT_MAX_SENT_FRAME_BYTES=2000, LIVECHAT_CONSOLE_PAGE_SIZE=40)
async def test_every_frame_sent_stays_within_the_limit_and_parts_never_interleave(
    agent_client, agent, visitor_client
):
    await db(_long_named_chats)(60, 150)
    console = await agent_client(agent)
    # While the welcome goes out, a shopper writes: the console's live frames
    # (the new chat, its activity, the counts) come around the parts.
    shopper = await visitor_client()
    await shopper.expect("welcome")
    await shopper.send(type="message", client_id="c1", body="鞋" * 1000)
    await shopper.expect("ack")
    await console.send(type="watch", others=True)
    await console.send(type="inbox", section="waiting", limit=200)
    await console.send(type="inbox", section="search", q="example.com", limit=200)
    await console.send(type="ping")

    # The pong answers the last request: everything asked for is out by then
    # (however slow the machine), and what is still coming comes soon after.
    await console.expect("pong")
    await console.drain(timeout=1.0)
    frames = console.log  # as sent: parts not joined
    whole = _joined(frames, 2000)

    kinds = [f["type"] for f in whole]
    assert kinds[0] == "welcome" and "pong" in kinds, kinds
    assert len(whole[0]["inbox"]) >= 40  # the first page of the waiting
    pages = {f["section"]: f for f in whole if f["type"] == "inbox_page"}
    assert len(pages["waiting"]["conversations"]) == 61
    assert len(pages["search"]["conversations"]) == 60
    assert any(f["type"] == "part" for f in frames)


@override_settings(LIVECHAT_MAX_SENT_FRAME_BYTES=1500, LIVECHAT_INBOX_BATCH_SECONDS=0.2)
async def test_a_published_frame_encoded_once_is_sent_in_parts_too(
    agent_client, agent, visitor_client
):
    """The activity of many chats goes to consoles encoded once for all
    (``encoded=True``); past the limit it is sent in parts like any frame."""
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="watch", others=True)
    await console.expect("inbox_page", section="others")
    summaries = [
        {"id": index, "last_seq": 1, "preview": "鞋" * 140} for index in range(20)
    ]
    await layer.send_to_groups(
        [groups.ACTIVITY_GROUP],
        {"type": "conversations", "conversations": summaries},
        encoded=True,
    )
    await console.drain(timeout=0.5)
    frames = console.log  # as sent: parts not joined
    whole = _joined(frames, 1500)
    sent = [f for f in whole if f["type"] == "conversations"]
    assert [f["conversations"] for f in sent] == [summaries]


@override_settings(LIVECHAT_RATE_LIMITS={"search": "5/60"})
async def test_searches_past_the_agents_limit_are_answered_at_once_without_a_query(
    agent_client, agent, make_agent, database_calls, caplog
):
    """Pipelined searches past LIVECHAT_RATE_LIMITS["search"] get
    ``rate_limited`` (retriable, with ``retry_after``) and read nothing; the
    limit is the agent's, whatever their sockets; another agent still
    searches; the refusals are logged once, not once each."""
    await db(_chat)("Ann", "Where is my parcel?")
    console = await agent_client(agent)
    other_tab = await agent_client(agent)
    await console.expect("welcome")
    await other_tab.expect("welcome")
    database_calls.clear()
    for n in range(20):
        await console.send(type="inbox", section="search", q=f"parcel {n}")

    answers = []
    while len(answers) < 20:
        frame = await console.receive()
        if frame["type"] in ("inbox_page", "error"):
            answers.append(frame)

    assert [a["type"] for a in answers] == ["inbox_page"] * 5 + ["error"] * 15
    refused = answers[5]
    assert refused["code"] == "rate_limited" and refused["retriable"]
    assert refused["for"] == "inbox"  # the console ends its search's wait
    assert 0 < refused["retry_after"] <= 61
    assert database_calls.count("search_inbox") == 5
    await other_tab.send(type="inbox", section="search", q="parcel")
    assert (await other_tab.expect("error"))["code"] == "rate_limited"
    # Sections' pages are not searches: still served.
    await console.send(type="inbox", section="waiting")
    await console.expect("inbox_page", section="waiting")
    bob = await agent_client(await db(make_agent)("bob"))
    await bob.expect("welcome")
    await bob.send(type="inbox", section="search", q="parcel")
    assert len((await bob.expect("inbox_page"))["conversations"]) == 1
    hits = [r for r in caplog.records if "rate limit hit" in r.getMessage()]
    assert len(hits) == 1, [r.getMessage() for r in hits]


@pytest.mark.parametrize(
    "frame",
    [
        {"section": ["waiting"]},
        {"section": {"waiting": 1}},
        {"section": None},
        {"section": 0},
        {"section": "WAITING"},
        {"section": "search\u0000"},
        {"section": "search", "q": 7},
        {"section": "search", "q": True},
        {"section": "search", "q": None},
        {"section": "search", "q": {"$ne": ""}},
        {"section": "search", "q": "\t\n \u3000"},
    ],
    ids=repr,
)
async def test_a_bad_section_or_search_text_gets_bad_frame(
    agent_client, agent, errors_logged, frame
):
    console = await agent_client(agent)
    await console.expect("welcome")
    answer = await _answer(console, json.dumps({"type": "inbox", **frame}))
    assert (answer["type"], answer.get("code")) == ("error", "bad_frame"), answer
    await _still_answers(console)
    assert not errors_logged(), errors_logged()


def _long_history(key, count):
    visitor = Visitor.objects.create(key=key)
    conversation = Conversation.objects.create(visitor=visitor, last_seq=count)
    Message.objects.bulk_create(
        Message(
            conversation=conversation,
            seq=seq,
            sender_kind=Message.Sender.VISITOR,
            body=f"{seq} " + "鞋" * 1000,  # 6 bytes a character, escaped
        )
        for seq in range(1, count + 1)
    )
    return conversation.pk


@override_settings(LIVECHAT_MAX_SENT_FRAME_BYTES=20000)
async def test_a_history_past_the_limit_comes_in_pages_the_widget_reads(
    visitor_client, agent_client, agent
):
    """The widget joins no parts: a replay whose frame would pass the limit
    ends early with ``more``, and fetching on gets the rest, each frame whole
    and within the limit. The console gets the same pages."""
    key, token = new_token()
    conversation = await db(_long_history)(key, 30)
    shopper = await visitor_client(token=token)
    await shopper.expect("welcome")
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="open", conversation=conversation, last_seq=0)
    await console.expect("opened")
    for client in (shopper, console):
        seqs, frames = [], 0
        while True:
            frame = await client.expect("messages")
            assert len(json.dumps(frame)) <= 20000
            frames += 1
            seqs += [m["seq"] for m in frame["messages"]]
            if not frame["more"]:
                break
            await client.send(
                type="fetch", conversation=conversation, after_seq=seqs[-1]
            )
        assert seqs == list(range(1, 31)) and frames >= 10
        assert not [f for f in client.log if f["type"] == "part"]
