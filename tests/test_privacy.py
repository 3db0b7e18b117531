"""Retention, export, erasure and IP anonymisation."""

import io
import json
import uuid
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from livechat import privacy, services
from livechat.models import Attachment, Conversation, Message, Visitor

pytestmark = pytest.mark.django_db(transaction=True)


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
    attachment = Attachment(
        conversation=conversation,
        original_name="receipt.pdf",
        content_type="application/pdf",
        extension=".pdf",
        size=4,
    )
    attachment.file = ContentFile(b"%PDF", name="x.pdf")
    attachment.save()
    path = media / attachment.file.name
    assert path.exists()
    return path


def test_retention_deletes_old_closed_chats_and_their_files(media):
    old = _chat(days_ago=40)
    recent = _chat(email="bob@example.com")
    stored = _attach(old, media)
    assert privacy.apply_retention(days=30) == 1
    assert not Conversation.objects.filter(pk=old.pk).exists()
    assert Conversation.objects.filter(pk=recent.pk).exists()
    assert not stored.exists()
    assert not Visitor.objects.filter(email="ann@example.com").exists()


def test_retention_can_anonymise_instead(media):
    old = _chat(days_ago=40)
    privacy.apply_retention(days=30, anonymise=True)
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
    assert privacy.apply_retention(days=30) == 0
    assert Message.objects.filter(pk=message.pk).exists()


@override_settings(LIVECHAT_RETENTION_DAYS=30)
def test_retention_command_uses_the_setting():
    _chat(days_ago=40)
    out = io.StringIO()
    call_command("livechat_retention", stdout=out)
    assert "1 conversations older than 30 days deleted" in out.getvalue()


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
    assert privacy.anonymize_ip(ip) == expected


async def test_visitor_ip_is_stored_anonymised_when_asked(visitor_client, settings):
    from channels.db import database_sync_to_async

    settings.LIVECHAT_ANONYMIZE_IP = True
    shopper = await visitor_client()
    await shopper.expect("welcome")
    visitor = await database_sync_to_async(Visitor.objects.get)()
    assert visitor.ip_address == "127.0.0.0"
