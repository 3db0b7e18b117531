"""``livechat.presentation``: frames with the adapter's and the URLconf's say,
and ``livechat.protocol`` pure beneath it."""

import ast
import uuid
from pathlib import Path

import pytest
from django.urls import reverse

from livechat import presentation, protocol
from livechat.adapter import DefaultLivechatAdapter
from livechat.models import Conversation, Message, Visitor

from .conftest import pdf_attachment


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def test_protocol_imports_neither_the_adapter_nor_the_urlconf():
    tree = ast.parse(Path(protocol.__file__).read_text())
    imported = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            imported |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
    assert not {n for n in imported if "adapter" in n or n.startswith("django.urls")}
    assert not {n for n in imported if n.startswith("django.db")}


def test_protocol_builds_from_what_it_is_given_without_a_query():
    # No django_db mark: a query would raise.
    visitor = Visitor(pk=7, key=uuid.uuid4(), name="Ann")
    conversation = Conversation(pk=3, visitor=visitor, status="missed", last_seq=2)
    message = Message(
        pk=9, conversation_id=3, seq=2, sender_kind="agent", author_id=5, body="Hi"
    )
    author = protocol.author_frame("Alice", "/a.png")
    data = protocol.message_data(message, author)
    state = protocol.conversation_state(conversation, protocol.agent_ref(5, author))
    summary = protocol.conversation_summary(conversation, "Hi", None)
    line = protocol.transcript_line(message, "Alice")
    assert data["author"] == {"name": "Alice", "avatar": "/a.png"}
    assert data["attachment"] is None
    assert state["agent"] == {"id": 5, "name": "Alice", "avatar": "/a.png"}
    assert state["status"] == "waiting"
    assert summary["agent"] is None
    assert summary["visitor"]["name"] == "Ann"
    assert line.endswith("Alice: Hi")


@pytest.fixture
def adapter_calls(monkeypatch):
    calls = []
    name = DefaultLivechatAdapter.agent_public_name

    def counted(self, user):
        calls.append(user.pk)
        return name(self, user)

    monkeypatch.setattr(DefaultLivechatAdapter, "agent_public_name", counted)
    return calls


@pytest.mark.django_db
def test_a_list_asks_the_adapter_once_per_agent(agent, make_agent, adapter_calls):
    other = make_agent("bob", first_name="Bob")
    visitor = Visitor.objects.create(key=uuid.uuid4())
    conversation = Conversation.objects.create(visitor=visitor)
    for seq, author in enumerate([agent, other, agent, agent], start=1):
        Message.objects.create(
            conversation=conversation,
            seq=seq,
            sender_kind="agent",
            author=author,
            body=f"m{seq}",
        )
    Message.objects.create(
        conversation=conversation, seq=5, sender_kind="visitor", body="thanks"
    )
    messages = list(conversation.messages.select_related("author").order_by("seq"))

    data = presentation.messages_data(messages)
    lines = presentation.transcript_lines(messages)

    assert sorted(adapter_calls) == sorted([agent.pk, other.pk] * 2)
    assert [m["author"] and m["author"]["name"] for m in data] == [
        "Alice",
        "Bob",
        "Alice",
        "Alice",
        None,
    ]
    assert [line.split(" ", 3)[3] for line in lines] == [
        "Alice: m1",
        "Bob: m2",
        "Alice: m3",
        "Alice: m4",
        "You: thanks",
    ]


@pytest.mark.django_db
def test_a_given_author_spares_the_adapter(agent, adapter_calls):
    visitor = Visitor.objects.create(key=uuid.uuid4())
    conversation = Conversation.objects.create(visitor=visitor)
    message = Message.objects.create(
        conversation=conversation, seq=1, sender_kind="agent", author=agent, body="Hi"
    )
    author = presentation.agent_author(agent)
    adapter_calls.clear()

    data = presentation.message_data(message, author)

    assert adapter_calls == []
    assert data == presentation.message_data(message)


@pytest.mark.django_db
def test_an_attachment_is_shown_by_its_download_url(agent):
    visitor = Visitor.objects.create(key=uuid.uuid4())
    conversation = Conversation.objects.create(visitor=visitor)
    attachment = pdf_attachment(conversation)
    message = Message.objects.create(
        conversation=conversation, seq=1, sender_kind="visitor", body="receipt"
    )
    attachment.message = message
    attachment.save()
    message = Message.objects.get(pk=message.pk)

    frame = presentation.message_data(message)["attachment"]

    url = reverse("livechat:attachment-download", kwargs={"key": attachment.key})
    assert frame == {
        "url": url,
        "thumbnail": None,
        "name": "receipt.pdf",
        "content_type": "application/pdf",
        "size": 4,
        "width": None,
        "height": None,
    }
