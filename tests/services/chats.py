"""Shoppers' chats as the privacy and retention tests need them."""

import uuid
from datetime import timedelta

from django.utils import timezone

from livechat import services
from livechat.models import Conversation, InternalNote, Message, Visitor

from ..conftest import pdf_attachment


def closed_chat(email="ann@example.com", body="My address is 1 Main St", days_ago=0):
    """A shopper's closed chat, started (and the shopper last seen) this long ago."""
    visitor = Visitor.objects.create(key=uuid.uuid4(), name="Ann", email=email)
    message, _ = services.post_visitor_message(visitor, body, uuid.uuid4().hex)
    conversation = message.conversation
    services.close_conversation(conversation)
    if days_ago:
        _age(conversation, visitor, days_ago)
    return Conversation.objects.get(pk=conversation.pk)


def waiting_chat(email="waiting@example.com", days_ago=400):
    """A shopper still waiting, whose chat and last visit look old."""
    visitor = Visitor.objects.create(key=uuid.uuid4(), name="Wanda", email=email)
    message, _ = services.post_visitor_message(visitor, "anyone there?", "w1")
    _age(message.conversation, visitor, days_ago)
    return Conversation.objects.get(pk=message.conversation_id)


def _age(conversation, visitor, days_ago):
    past = timezone.now() - timedelta(days=days_ago)
    Conversation.objects.filter(pk=conversation.pk).update(created_at=past)
    Visitor.objects.filter(pk=visitor.pk).update(last_seen_at=past)


def attach_pdf(conversation, media):
    """A file attached to ``conversation``; the path where it is stored."""
    attachment = pdf_attachment(conversation)
    path = media / attachment.file.name
    assert path.exists()
    return path


def closed_history(count, email="lou@example.com", days_ago=0, visitor=None):
    """A visitor (given, or new with this email) with this many more closed
    conversations started this long ago, each with two messages (the
    second carrying a stored file) and an internal note."""
    if visitor is None:
        visitor = Visitor.objects.create(key=uuid.uuid4(), name="Lou", email=email)
    created = timezone.now() - timedelta(days=days_ago)
    for n in range(count):
        conversation = Conversation.objects.create(
            visitor=visitor,
            status=Conversation.Status.CLOSED,
            topic=f"t{n}",
            rating_comment="fine",
            created_at=created,
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
    if days_ago:
        Visitor.objects.filter(pk=visitor.pk).update(last_seen_at=created)
    return visitor
