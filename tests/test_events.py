"""Domain events: each has its signal, sent once, after commit, never for a
refused or duplicate request."""

import dataclasses
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from livechat import events, services, signals
from livechat.errors import ServiceError
from livechat.models import Conversation, Department, Message, Visitor
from livechat.services import assignment, housekeeping, presence, privacy
from livechat.services.offline import post_offline_message
from livechat.services.visitors import (
    InvalidProfile,
    rate_conversation,
    update_profile,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent():
    """Every livechat signal sent, as (signal name, kwargs), with a check that
    the change was committed when it came."""
    received = []
    names = {
        signal: name
        for name, signal in vars(signals).items()
        if hasattr(signal, "send_robust")
    }

    def receiver(signal, sender, **kwargs):
        assert not connection.in_atomic_block, "sent before the commit"
        received.append((names[signal], kwargs))

    for signal, _sender in signals.SIGNALS.values():
        signal.connect(receiver, dispatch_uid="test-events")
    yield received
    for signal, _sender in signals.SIGNALS.values():
        signal.disconnect(dispatch_uid="test-events")


def _names(sent):
    return [name for name, _kwargs in sent]


def test_every_event_has_a_documented_signal():
    assert set(signals.SIGNALS) == set(events.EVENT_TYPES)
    source = Path(signals.__file__).read_text()
    for signal, _sender in signals.SIGNALS.values():
        name = next(n for n, s in vars(signals).items() if s is signal)
        before = source.split(f"\n{name} = Signal()")[0]
        assert before.rstrip().rsplit("\n", 1)[-1].startswith("#: "), name
        assert f"\n### `{name}`\n" in Path("docs/signals.md").read_text(), (
            f"{name} is not documented"
        )


def test_the_signals_page_gives_each_signal_its_event_sender_and_arguments():
    page = Path("docs/signals.md").read_text()
    for event_type, (signal, sender) in signals.SIGNALS.items():
        name = next(n for n, s in vars(signals).items() if s is signal)
        section = page.split(f"\n### `{name}`\n", 1)[1].split("\n#", 1)[0]
        assert f"**Sender:** `{sender}`." in section, name
        assert f"**Event:** `{event_type.__name__}`." in section, name
        arguments = section.split("**Arguments:**", 1)[1].split("\n- **", 1)[0]
        # The names outside the parentheses that describe them.
        documented = re.findall(r"`(\w+)`", re.sub(r"\([^()]*\)", "", arguments))
        assert set(documented) == {
            field.name for field in dataclasses.fields(event_type)
        }, name


def test_a_new_chat_opens_once_and_each_message_is_posted_once(sent):
    visitor = Visitor.objects.create()
    services.post_visitor_message(visitor, "Hello?", "c1")
    assert _names(sent) == ["message_posted", "conversation_opened"]
    services.post_visitor_message(visitor, "Hello?", "c1")  # a retry
    services.post_visitor_message(visitor, "Anyone?", "c2")
    assert _names(sent) == ["message_posted", "conversation_opened", "message_posted"]


def test_nothing_is_sent_for_a_change_rolled_back(sent):
    visitor = Visitor.objects.create()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.post_visitor_message(visitor, "Hello?", "c1")
        raise RuntimeError("the surrounding request failed")
    assert sent == []


def _waiting_chat():
    visitor = Visitor.objects.create(name="Ann", email="ann@example.com")
    message, _created = services.post_visitor_message(visitor, "Help", "first")
    return Conversation.objects.get(pk=message.conversation_id)


def test_claim_transfer_and_close(sent, make_agent):
    alice, bob = make_agent("alice"), make_agent("bob")
    chat = _waiting_chat()
    sent.clear()
    services.claim_conversation(chat, alice)
    assert _names(sent) == ["message_posted", "conversation_assigned"]
    with pytest.raises(ServiceError):
        services.claim_conversation(chat, bob)  # refused: Alice has it
    with pytest.raises(ServiceError):
        services.close_conversation(chat, closed_by=bob)  # refused: not his
    sales = Department.objects.create(name="Sales")
    sent.clear()
    assignment.transfer_conversation(chat, alice, to_department=sales, note="VIP")
    transferred = [kw for name, kw in sent if name == "conversation_transferred"]
    assert len(transferred) == 1
    assert transferred[0]["to_department"] == sales and transferred[0]["note"] == "VIP"
    sent.clear()
    services.close_conversation(chat, closed_by=alice)
    services.close_conversation(chat, closed_by=alice)  # closed already
    assert _names(sent).count("conversation_closed") == 1
    assert [kw["closed_by"] for n, kw in sent if n == "conversation_closed"] == [alice]


def test_missed_rated_profile_offline_and_erased(sent):
    chat = _waiting_chat()
    Conversation.objects.filter(pk=chat.pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    sent.clear()
    housekeeping.mark_missed()
    housekeeping.mark_missed()
    assert _names(sent) == ["conversation_missed"]

    chat = services.close_conversation(chat)
    sent.clear()
    with pytest.raises(InvalidProfile):
        rate_conversation(chat, "superb")
    rate_conversation(chat, "good", "Quick answer")
    rate_conversation(chat, "good", "Quick answer")  # the same verdict again
    assert sent == [
        (
            "conversation_rated",
            {"conversation": chat, "rating": "good", "comment": "Quick answer"},
        )
    ]

    visitor = chat.visitor
    sent.clear()
    update_profile(visitor, {"name": "Ann Lee"})
    update_profile(visitor, {"name": "Ann Lee"})  # nothing changed
    assert [(n, kw["fields"]) for n, kw in sent] == [
        ("visitor_profile_changed", ("name",))
    ]

    sent.clear()
    data = {"name": "Ann", "email": "ann@example.com", "body": "Call me back"}
    post_offline_message(visitor, data, "off1")
    post_offline_message(visitor, data, "off1")  # a retry
    assert sorted(_names(sent)) == [
        "conversation_opened",
        "message_posted",
        "offline_message_left",
    ]

    sent.clear()
    privacy.erase_visitors(Visitor.objects.filter(pk=visitor.pk))
    erased = [kw for name, kw in sent if name == "visitors_erased"]
    assert len(erased) == 1 and erased[0]["visitor_ids"] == (visitor.pk,)
    assert erased[0]["counts"]["conversations"] == 2


@override_settings(LIVECHAT_ROUTING="auto")
def test_hosts_hear_of_a_new_chat_before_the_router_assigns_it(sent, make_agent):
    agent = make_agent("alice")
    presence.agent_connected(agent, "console-1")
    sent.clear()
    _waiting_chat()
    names = _names(sent)
    assert names.index("conversation_opened") < names.index("conversation_assigned")


def test_a_failing_listener_is_logged_and_stops_nothing(sent, caplog):
    def broken(event):
        raise RuntimeError("a listener bug")

    events.listen(events.ConversationOpened)(broken)
    try:
        visitor = Visitor.objects.create()
        services.post_visitor_message(visitor, "Hello?", "c1")
    finally:
        events._listeners[events.ConversationOpened].pop()
    assert "conversation_opened" in _names(sent)
    assert "a listener of ConversationOpened failed" in caplog.text


def test_an_agents_presence_changes_once_after_commit(sent, agent):
    presence.set_presence(agent, "away")
    assert _names(sent) == ["agent_presence_changed"]
    assert sent[0][1]["agent"] == agent
    with pytest.raises(RuntimeError), transaction.atomic():
        presence.set_presence(agent, "online")
        raise RuntimeError("rolled back")
    assert _names(sent) == ["agent_presence_changed"]


def test_a_waiting_chat_goes_to_the_agent_who_comes_online(sent, agent):
    with override_settings(LIVECHAT_ROUTING="auto"):
        visitor = Visitor.objects.create()
        services.post_visitor_message(visitor, "Hello?", "c1")
        presence.agent_connected(agent, "console-1")
    conversation = Conversation.objects.get()
    assert conversation.assigned_agent_id == agent.pk
    names = _names(sent)
    assert names.index("agent_presence_changed") < names.index("conversation_assigned")


def test_a_failing_wanted_predicate_is_logged_and_stops_nothing(sent, caplog):
    called = []

    def broken_predicate(event):
        raise RuntimeError("a predicate bug")

    events.listen(events.MessageStored, wanted=broken_predicate)(called.append)
    try:
        visitor = Visitor.objects.create()
        message, created = services.post_visitor_message(visitor, "Hello?", "c1")
    finally:
        events._listeners[events.MessageStored].pop()
    assert created and called == []
    assert Message.objects.filter(pk=message.pk).exists()
    assert _names(sent) == ["message_posted", "conversation_opened"]
    assert "wanted() of MessageStored failed" in caplog.text


def test_signals_import_before_the_app_registry_is_ready():
    """A host may import them from its own models.py."""
    code = "import livechat.signals, django; django.setup()"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
