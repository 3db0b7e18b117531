"""Retention, export, erasure and IP anonymisation."""

import io
import json
import re
import uuid
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from livechat import services
from livechat.ip_addresses import anonymize_ip
from livechat.models import Conversation, InternalNote, Message, Visitor
from livechat.services import privacy, retention

from ..conftest import new_token, pdf_attachment

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async
OPEN = Conversation.OPEN_STATUSES


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _chat(email="ann@example.com", body="My address is 1 Main St", days_ago=0):
    visitor = Visitor.objects.create(key=uuid.uuid4(), name="Ann", email=email)
    message, _ = services.post_visitor_message(visitor, body, uuid.uuid4().hex)
    conversation = message.conversation
    services.close_conversation(conversation)
    if days_ago:
        past = timezone.now() - timedelta(days=days_ago)
        Conversation.objects.filter(pk=conversation.pk).update(created_at=past)
        Visitor.objects.filter(pk=visitor.pk).update(last_seen_at=past)
    return Conversation.objects.get(pk=conversation.pk)


def _attach(conversation, media):
    attachment = pdf_attachment(conversation)
    path = media / attachment.file.name
    assert path.exists()
    return path


def test_retention_deletes_old_closed_chats_and_their_files(media):
    old = _chat(days_ago=40)
    recent = _chat(email="bob@example.com")
    stored = _attach(old, media)
    assert retention.apply_retention(days=30)["conversations"] == 1
    assert not Conversation.objects.filter(pk=old.pk).exists()
    assert Conversation.objects.filter(pk=recent.pk).exists()
    assert not stored.exists()
    assert not Visitor.objects.filter(email="ann@example.com").exists()


def test_retention_can_anonymise_instead(media):
    old = _chat(days_ago=40)
    retention.apply_retention(days=30, anonymise=True)
    conversation = Conversation.objects.get(pk=old.pk)
    assert conversation.messages.filter(sender_kind="visitor").get().body == "[removed]"
    visitor = conversation.visitor
    assert (visitor.name, visitor.email) == ("", "")


def test_open_conversations_are_never_removed():
    visitor = Visitor.objects.create(key=uuid.uuid4())
    message, _ = services.post_visitor_message(visitor, "still here", "c")
    Conversation.objects.filter(pk=message.conversation_id).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    assert retention.apply_retention(days=30)["conversations"] == 0
    assert Message.objects.filter(pk=message.pk).exists()


@override_settings(LIVECHAT_RETENTION_DAYS=30)
def test_retention_command_uses_the_setting():
    _chat(days_ago=40)
    out = io.StringIO()
    call_command("livechat_retention", "--apply", stdout=out)
    assert "older than 30 days" in out.getvalue()
    assert "conversations: 1" in out.getvalue()
    assert not Conversation.objects.exists()


def test_export_by_email_has_every_message(django_user_model):
    conversation = _chat()
    services.post_system_message(conversation, "note for the record")
    _chat(email="someone-else@example.com", body="not theirs")
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
    stored = _attach(message.conversation, media)
    _chat(email="bob@example.com")
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


# Retention: arguments, dry run, open chats, batches ----------------------------


def _retention(*args, **options):
    out = io.StringIO()
    call_command("livechat_retention", *args, stdout=out, **options)
    return out.getvalue()


def _open_chat(email="waiting@example.com", days_ago=400):
    """A shopper still waiting, whose chat and last visit look old."""
    visitor = Visitor.objects.create(key=uuid.uuid4(), name="Wanda", email=email)
    message, _ = services.post_visitor_message(visitor, "anyone there?", "w1")
    past = timezone.now() - timedelta(days=days_ago)
    Conversation.objects.filter(pk=message.conversation_id).update(created_at=past)
    Visitor.objects.filter(pk=visitor.pk).update(last_seen_at=past)
    return Conversation.objects.get(pk=message.conversation_id)


@pytest.mark.parametrize("argv", [["--days", "-1"], ["--days=-1", "--anonymise"]])
def test_retention_refuses_negative_days(argv):
    old = _chat(days_ago=40)
    with pytest.raises(CommandError, match="--days"):
        _retention(*argv, "--apply")
    assert Conversation.objects.filter(pk=old.pk).exists()
    assert Visitor.objects.get(pk=old.visitor_id).email == "ann@example.com"


@override_settings(LIVECHAT_RETENTION_DAYS=-5)
def test_retention_refuses_a_negative_setting():
    with pytest.raises(CommandError, match="LIVECHAT_RETENTION_DAYS"):
        _retention("--apply")


@override_settings(LIVECHAT_RETENTION_DAYS=30, LIVECHAT_RETENTION_MODE="anonymize")
def test_retention_refuses_an_unknown_mode():
    old = _chat(days_ago=40)
    with pytest.raises(CommandError, match="LIVECHAT_RETENTION_MODE"):
        _retention("--apply")
    assert Conversation.objects.filter(pk=old.pk).exists()


def test_retention_zero_days_means_every_closed_conversation():
    closed_today = _chat()
    waiting = _open_chat(days_ago=0)
    out = _retention("--days", "0")
    assert "conversations: 1" in out and "Dry run" in out
    _retention("--days", "0", "--apply")
    assert not Conversation.objects.filter(pk=closed_today.pk).exists()
    assert Conversation.objects.get(pk=waiting.pk).is_open


def test_retention_never_removes_a_visitor_whose_widget_is_connected():
    here = Visitor.objects.create(live_sockets=1)
    gone = Visitor.objects.create()
    _retention("--days", "0", "--apply")
    assert Visitor.objects.filter(pk=here.pk).exists()
    assert not Visitor.objects.filter(pk=gone.pk).exists()


def test_retention_is_a_dry_run_by_default(media):
    old = _chat(days_ago=40)
    services.post_system_message(old, "closed by the system")
    stored = _attach(old, media)
    _chat(email="bob@example.com")
    out = _retention("--days", "30")
    assert "Dry run" in out and "--apply" in out
    for line in (
        "conversations: 1",
        "messages: 3",
        "attachments: 1",
        "visitors: 1",
    ):
        assert line in out
    assert Conversation.objects.filter(pk=old.pk).exists()
    assert stored.exists()
    assert Visitor.objects.filter(email="ann@example.com").exists()

    out = _retention("--days", "30", "--apply")
    assert "Dry run" not in out and "conversations: 1" in out
    assert not Conversation.objects.filter(pk=old.pk).exists()
    assert not stored.exists()


def test_retention_dry_run_counts_what_anonymising_would_change():
    old = _chat(days_ago=40)
    out = _retention("--days", "30", "--anonymise")
    assert "conversations: 1" in out and "visitors: 1" in out
    assert Visitor.objects.get(pk=old.visitor_id).email == "ann@example.com"
    _retention("--days", "30", "--anonymise", "--apply")
    assert Visitor.objects.get(pk=old.visitor_id).email == ""
    # Nothing is left to change: a second run says so.
    out = _retention("--days", "30", "--anonymise")
    assert "conversations: 0" in out and "visitors: 0" in out


@pytest.mark.parametrize("anonymise", [False, True])
def test_retention_never_touches_open_chats_or_their_visitors(anonymise):
    waiting = _open_chat()
    options = ["--days", "0", "--apply"] + (["--anonymise"] if anonymise else [])
    _retention(*options)
    conversation = Conversation.objects.get(pk=waiting.pk)
    assert conversation.is_open
    assert conversation.messages.get(sender_kind="visitor").body == "anyone there?"
    visitor = conversation.visitor
    assert (visitor.name, visitor.email) == ("Wanda", "waiting@example.com")


def test_retention_deletes_in_bounded_batches():
    old = [_chat(email=f"s{n}@example.com", days_ago=40) for n in range(5)]
    with CaptureQueriesContext(connection) as queries:
        counts = retention.apply_retention(days=30, batch_size=2)
    assert counts["conversations"] == 5
    assert not Conversation.objects.filter(pk__in=[c.pk for c in old]).exists()
    deletes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('DELETE FROM "livechat_conversation"')
    ]
    sizes = [
        len(re.search(r"IN \(([^)]*)\)", sql).group(1).split(",")) for sql in deletes
    ]
    assert sum(sizes) == 5 and max(sizes) <= 2


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
    conversation = _chat()
    _attach(conversation, media)
    _open_chat(email="ann@example.com")
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


def _history(conversations, email="long@example.com"):
    """A visitor with this many closed conversations, each with two messages
    (one carrying a file) and a note."""
    visitor = Visitor.objects.create(key=uuid.uuid4(), name="Lou", email=email)
    for n in range(conversations):
        conversation = Conversation.objects.create(
            visitor=visitor, status=Conversation.Status.CLOSED, topic=f"t{n}"
        )
        Message.objects.create(
            conversation=conversation, seq=1, sender_kind="visitor", body=f"hi {n}"
        )
        answer = Message.objects.create(
            conversation=conversation, seq=2, sender_kind="agent", body="here"
        )
        attachment = pdf_attachment(conversation)
        attachment.message = answer
        attachment.save(update_fields=["message"])
        InternalNote.objects.create(conversation=conversation, body="a note")
    return visitor


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
    few = _history(2, email="few@example.com")
    many = _history(20, email="many@example.com")
    assert _export_queries(few, export) == _export_queries(many, export)
    exported = privacy.export_visitors(Visitor.objects.filter(pk=many.pk))
    conversations = exported["visitors"][0]["conversations"]
    assert [c["topic"] for c in conversations] == [f"t{n}" for n in range(20)]
    assert all(
        [m["attachment"] for m in c["messages"]] == [None, "receipt.pdf"]
        for c in conversations
    )


def test_streamed_export_is_the_json_of_the_export(media, monkeypatch):
    _history(7, email="lou@example.com")
    Visitor.objects.create(key=uuid.uuid4(), email="lou@example.com")  # no chats
    _history(3, email="lou@example.com")
    _history(2, email="someone@example.com")
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
    visitor = _history(3, email="lou@example.com")
    stamp = timezone.now()
    monkeypatch.setattr(privacy.timezone, "now", lambda: stamp)
    out = io.StringIO()
    call_command("livechat_export", email="lou@example.com", stdout=out)
    assert json.loads(out.getvalue()) == privacy.export_visitors(
        Visitor.objects.filter(pk=visitor.pk)
    )
