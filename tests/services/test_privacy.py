"""A shopper's export and erasure, and IP anonymisation."""

import io
import json
import uuid

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from livechat import services
from livechat.ip_addresses import anonymize_ip
from livechat.models import Conversation, Message, Visitor
from livechat.services import privacy

from ..conftest import new_token
from .chats import attach_pdf, closed_chat, closed_history, waiting_chat

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async
OPEN = Conversation.OPEN_STATUSES


def test_export_by_email_has_every_message(django_user_model):
    conversation = closed_chat()
    services.post_system_message(conversation, "note for the record")
    closed_chat(email="someone-else@example.com", body="not theirs")
    out = io.StringIO()
    call_command("livechat_export", email="ANN@example.com", stdout=out)
    data = json.loads(out.getvalue())
    assert len(data["visitors"]) == 1
    bodies = [m["body"] for m in data["visitors"][0]["conversations"][0]["messages"]]
    assert "My address is 1 Main St" in bodies and "not theirs" not in bodies


def test_erase_by_user_removes_everything(django_user_model, media):
    user = django_user_model.objects.create_user("carla", email="carla@example.com")
    visitor = services.visitor_for_user(user)
    message, _ = services.post_visitor_message(visitor, "hello", "c1")
    stored = attach_pdf(message.conversation, media)
    closed_chat(email="bob@example.com")
    call_command("livechat_erase", user="carla", yes=True, stdout=io.StringIO())
    assert not Visitor.objects.filter(user=user).exists()
    assert not Message.objects.filter(body="hello").exists()
    assert not stored.exists()
    assert Visitor.objects.filter(email="bob@example.com").exists()


@pytest.mark.parametrize(
    "ip, expected",
    [
        ("203.0.113.77", "203.0.113.0"),
        ("2001:db8:85a3:1234:5678:8a2e:370:7334", "2001:db8:85a3::"),
        ("not-an-ip", None),
    ],
)
def test_ip_anonymisation(ip, expected):
    assert anonymize_ip(ip) == expected


async def test_visitor_ip_is_stored_anonymised_when_asked(visitor_client, settings):
    from channels.db import database_sync_to_async

    settings.LIVECHAT_ANONYMIZE_IP = True
    shopper = await visitor_client()
    await shopper.expect("welcome")
    visitor = await database_sync_to_async(Visitor.objects.get)()
    assert visitor.ip_address == "127.0.0.0"


# Erasure closes open chats like any other close -------------------------------


async def test_erasing_a_visitor_closes_their_open_chat_for_consoles(
    visitor_client, agent_client, agent
):
    shopper = await visitor_client(token=new_token()[1])
    await shopper.expect("welcome")
    await shopper.send(type="message", client_id="c1", body="my address is secret")
    conversation_id = (await shopper.expect("ack"))["conversation"]
    await db(Visitor.objects.update)(email="erase-me@example.com")
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="open", conversation=conversation_id)
    await console.expect("opened")

    await db(call_command)(
        "livechat_erase", email="erase-me@example.com", yes=True, stdout=io.StringIO()
    )

    closed = await console.expect_state("closed")
    assert closed["id"] == conversation_id
    assert (await shopper.expect_state("closed"))["id"] == conversation_id
    assert not await db(Conversation.objects.filter(status__in=OPEN).exists)()
    assert not await db(Visitor.objects.exists)()


def test_erase_command_says_what_it_will_erase_before_asking(media, monkeypatch):
    conversation = closed_chat()
    attach_pdf(conversation, media)
    waiting_chat(email="ann@example.com")
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    out = io.StringIO()
    with pytest.raises(CommandError, match="Nothing erased"):
        call_command("livechat_erase", email="ann@example.com", stdout=out)
    for line in (
        "visitors: 2",
        "conversations: 2 (1 open, closed first)",
        "messages: 3",
        "attachments: 1",
    ):
        assert line in out.getvalue()
    assert Visitor.objects.filter(email="ann@example.com").count() == 2


# Export: queries by the chunk, not by the conversation; streamed -------------


def _export_queries(visitor, export):
    with CaptureQueriesContext(connection) as queries:
        export(Visitor.objects.filter(pk=visitor.pk))
    return len(queries.captured_queries)


@pytest.mark.parametrize(
    "export",
    [privacy.export_visitors, lambda v: "".join(privacy.export_visitors_json(v))],
    ids=["dict", "streamed"],
)
def test_export_queries_do_not_grow_with_the_conversations(media, export):
    few = closed_history(2, email="few@example.com")
    many = closed_history(20, email="many@example.com")
    assert _export_queries(few, export) == _export_queries(many, export)
    exported = privacy.export_visitors(Visitor.objects.filter(pk=many.pk))
    conversations = exported["visitors"][0]["conversations"]
    assert [c["topic"] for c in conversations] == [f"t{n}" for n in range(20)]
    assert all(
        [m["attachment"] for m in c["messages"]] == [None, "receipt.pdf"]
        for c in conversations
    )


def test_streamed_export_is_the_json_of_the_export(media, monkeypatch):
    closed_history(7, email="lou@example.com")
    Visitor.objects.create(key=uuid.uuid4(), email="lou@example.com")  # no chats
    closed_history(3, email="lou@example.com")
    closed_history(2, email="someone@example.com")
    visitors = privacy.find_visitors("lou@example.com")
    stamp = timezone.now()
    monkeypatch.setattr(privacy.timezone, "now", lambda: stamp)
    whole = json.dumps(privacy.export_visitors(visitors), indent=2, ensure_ascii=False)
    # Chunks smaller than a visitor's history, and than all of it.
    for chunk_size in (3, 100):
        streamed = "".join(privacy.export_visitors_json(visitors, chunk_size))
        assert streamed == whole
    data = json.loads(whole)
    assert [len(v["conversations"]) for v in data["visitors"]] == [7, 0, 3]
    assert "".join(privacy.export_visitors_json(Visitor.objects.none())) == (
        json.dumps({"exported_at": stamp.isoformat(), "visitors": []}, indent=2)
    )


def test_export_command_writes_the_export(media, monkeypatch):
    visitor = closed_history(3, email="lou@example.com")
    stamp = timezone.now()
    monkeypatch.setattr(privacy.timezone, "now", lambda: stamp)
    out = io.StringIO()
    call_command("livechat_export", email="lou@example.com", stdout=out)
    assert json.loads(out.getvalue()) == privacy.export_visitors(
        Visitor.objects.filter(pk=visitor.pk)
    )
