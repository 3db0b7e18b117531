"""Pre-chat profile, offline messages, ratings, transcripts and the queue."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from livechat import protocol, services
from livechat.models import Conversation, Message, Visitor
from livechat.services import offline, presence, queue, visitors
from livechat.services.visitors import InvalidProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor():
    return Visitor.objects.create(key=uuid.uuid4())


def test_profile_is_validated_and_stored(visitor):
    visitors.update_profile(
        visitor,
        {"name": "  Ann   Lee ", "email": "ann@example.com", "phone": "+34 600"},
    )
    visitor.refresh_from_db()
    assert (visitor.name, visitor.email, visitor.phone) == (
        "Ann Lee",
        "ann@example.com",
        "+34 600",
    )


@pytest.mark.parametrize(
    "data, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me maybe"}, "phone"),
        ({"name": "x" * 151}, "name"),
        ({"name": 5}, "name"),
    ],
)
def test_bad_profile_fields_are_refused(visitor, data, field):
    with pytest.raises(InvalidProfile) as refused:
        visitors.update_profile(visitor, data)
    assert field in refused.value.fields
    visitor.refresh_from_db()
    assert not visitor.email and not visitor.phone


@override_settings(
    LIVECHAT_PRECHAT_FIELDS={"name": "required", "email": "required", "phone": "hidden"}
)
def test_prechat_required_fields_are_enforced(visitor):
    with pytest.raises(InvalidProfile) as refused:
        visitors.update_profile(visitor, {"email": "a@b.co"}, enforce_required=True)
    assert set(refused.value.fields) == {"name"}


def test_topic_must_be_a_configured_one():
    assert visitors.clean_topic("order") == "order"
    assert visitors.clean_topic("<script>") == ""
    assert visitors.clean_topic(None) == ""


@pytest.mark.django_db(transaction=True)
@override_settings(MANAGERS=[("Store", "store@example.com")])
def test_offline_message_opens_a_conversation_and_emails_staff(visitor):
    data = {"name": "Ann", "email": "ann@example.com", "body": "Do you ship to Peru?"}
    conversation, created = offline.post_offline_message(visitor, data, "off-1")
    assert created and conversation.source == "offline"
    assert conversation.status == "waiting"
    assert conversation.messages.get().body == "Do you ship to Peru?"
    assert len(mail.outbox) == 1
    assert "Do you ship to Peru?" in mail.outbox[0].body
    assert mail.outbox[0].to == ["store@example.com"]
    again, created = offline.post_offline_message(visitor, data, "off-1")
    assert not created and again.pk == conversation.pk
    assert len(mail.outbox) == 1 and Message.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@override_settings(LIVECHAT_NOTIFY_EMAILS=["help@example.com"])
def test_offline_message_email_replies_to_the_shopper(visitor):
    data = {"email": "ann@example.com", "body": "Hello"}
    offline.post_offline_message(visitor, data, "off-2")
    assert mail.outbox[0].to == ["help@example.com"]
    assert mail.outbox[0].reply_to == ["ann@example.com"]


@pytest.mark.parametrize(
    "data, field",
    [
        ({"body": "hi"}, "email"),
        ({"email": "ann@example.com", "body": "  "}, "body"),
        ({"email": "bad", "body": "hi"}, "email"),
    ],
)
def test_offline_message_needs_email_and_body(visitor, data, field):
    with pytest.raises(InvalidProfile) as refused:
        offline.post_offline_message(visitor, data, "x")
    assert field in refused.value.fields
    assert not Conversation.objects.exists()


def test_rating_only_after_the_end(visitor, agent):
    message, _ = services.post_visitor_message(visitor, "Hi", "c1")
    conversation = message.conversation
    with pytest.raises(services.ServiceError):
        visitors.rate_conversation(conversation, "good")
    services.close_conversation(conversation)
    conversation.refresh_from_db()
    visitors.rate_conversation(conversation, "bad", "  Too slow ")
    conversation.refresh_from_db()
    assert conversation.rating == "bad" and conversation.rating_comment == "Too slow"
    with pytest.raises(InvalidProfile):
        visitors.rate_conversation(conversation, "meh")


def test_transcript_email_has_every_line(visitor, agent):
    message, _ = services.post_visitor_message(visitor, "Where is order 12?", "c1")
    services.post_agent_message(message.conversation, agent, "Shipped today.", "a1")
    sent_to = visitors.email_transcript(message.conversation, "ann@example.com")
    assert sent_to == "ann@example.com"
    body = mail.outbox[0].body
    assert "Where is order 12?" in body and "Shipped today." in body
    assert "Alice" in body
    with pytest.raises(InvalidProfile):
        visitors.email_transcript(message.conversation, "nope")


@override_settings(LIVECHAT_TIMEZONE="Europe/Berlin")
def test_transcript_times_are_in_the_stores_named_zone(visitor, agent):
    message, _ = services.post_visitor_message(visitor, "Where is order 12?", "c1")
    conversation = message.conversation
    Message.objects.filter(pk=message.pk).update(
        created_at=datetime(2026, 1, 15, 13, 5, tzinfo=UTC)
    )
    services.close_conversation(conversation)
    ended = conversation.messages.get(sender_kind="system")
    Message.objects.filter(pk=ended.pk).update(
        created_at=datetime(2026, 7, 15, 13, 6, tzinfo=UTC)
    )
    visitors.email_transcript(conversation, "ann@example.com")
    body = mail.outbox[0].body
    assert "Europe/Berlin" in body
    assert "2026-01-15 14:05 CET You: Where is order 12?" in body
    # A system line has no sender, not even a dash.
    assert "2026-07-15 15:06 CEST The chat has ended." in body
    assert ": The chat has ended." not in body and "UTC" not in body


def _waiting(n):
    result = []
    for i in range(n):
        visitor = Visitor.objects.create(key=uuid.uuid4())
        message, _ = services.post_visitor_message(visitor, f"q{i}", f"c{i}")
        result.append(message.conversation)
    return result


def test_queue_positions_in_arrival_order(agent):
    first, second, third = _waiting(3)
    frames = queue.queue_frames()
    assert [frames[c.visitor_id]["position"] for c in (first, second, third)] == [
        1,
        2,
        3,
    ]
    # No history and no agent: no estimate rather than a made-up one.
    assert frames[first.visitor_id]["expected_wait"] is None


def test_expected_wait_from_recent_first_replies(agent):
    answered = _waiting(1)[0]
    Conversation.objects.filter(pk=answered.pk).update(
        status="active",
        first_agent_reply_at=answered.created_at + timedelta(seconds=40),
    )
    presence.agent_connected(agent, "console-1")
    first, second = _waiting(2)
    frames = queue.queue_frames()
    assert frames[first.visitor_id]["expected_wait"] == 40
    assert frames[second.visitor_id]["expected_wait"] == 80


def test_offline_messages_are_not_in_the_live_queue(visitor):
    offline.post_offline_message(
        visitor, {"email": "a@example.com", "body": "hi"}, "o1"
    )
    assert queue.queue_frames() == {}


@pytest.mark.django_db(transaction=True)
def test_agent_reply_to_an_offline_message_is_emailed(visitor, agent):
    conversation, _ = offline.post_offline_message(
        visitor, {"name": "Ann", "email": "ann@example.com", "body": "Peru?"}, "o1"
    )
    mail.outbox.clear()
    services.post_agent_message(conversation, agent, "Yes, we ship to Peru.", "a1")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ann@example.com"]
    assert "Yes, we ship to Peru." in mail.outbox[0].body
    assert "Alice" in mail.outbox[0].body


def test_lines_for_the_shopper_are_in_their_language(agent):
    visitor = Visitor.objects.create(key=uuid.uuid4(), locale="es")
    message, _ = services.post_visitor_message(visitor, "Hola", "c1")
    services.claim_conversation(message.conversation, agent)
    services.close_conversation(message.conversation)
    lines = list(
        message.conversation.messages.filter(sender_kind="system").values_list(
            "body", flat=True
        )
    )
    assert "Alice joined the chat." not in lines
    assert all(line for line in lines)
    assert "The chat has ended." not in lines


# Following up by email -----------------------------------------------------------

ABSENCE = 120


def _gone(seconds=ABSENCE + 1):
    """A moment this long after now: the shopper has been gone that long."""
    return timezone.now() + timedelta(seconds=seconds)


def _chat_with_a_connected_shopper(agent):
    visitor = Visitor.objects.create(key=uuid.uuid4(), email="ann@example.com")
    services.visitor_socket_opened(visitor)
    message, _ = services.post_visitor_message(visitor, "Is it in stock?", "c1")
    services.post_agent_message(message.conversation, agent, "Let me look.", "a0")
    return visitor, message.conversation


def _followups():
    return [m for m in mail.outbox if m.subject == "You have a reply to your chat"]


@pytest.mark.django_db(transaction=True)
@override_settings(LIVECHAT_FOLLOWUP_ABSENCE_SECONDS=ABSENCE)
def test_replies_to_a_shopper_gone_longer_than_the_absence_are_emailed_once(agent):
    visitor, conversation = _chat_with_a_connected_shopper(agent)
    services.visitor_socket_closed(visitor)
    services.post_agent_message(conversation, agent, "Yes, 3 left.", "a1")
    services.post_agent_message(conversation, agent, "Shall I reserve one?", "a2")
    assert _followups() == []  # not while she may come back
    assert offline.send_due_followups(_gone(ABSENCE - 5)) == 0
    assert _followups() == []

    assert offline.send_due_followups(_gone()) == 1
    [email] = _followups()
    assert email.to == ["ann@example.com"]
    assert "Yes, 3 left." in email.body and "Shall I reserve one?" in email.body
    # Sent while she was there: she has it already.
    assert "Let me look." not in email.body
    assert offline.send_due_followups(_gone(ABSENCE * 10)) == 0
    assert len(_followups()) == 1


@pytest.mark.django_db(transaction=True)
@override_settings(LIVECHAT_FOLLOWUP_ABSENCE_SECONDS=ABSENCE)
def test_no_email_when_the_connection_comes_back_within_the_absence(agent):
    visitor, conversation = _chat_with_a_connected_shopper(agent)
    services.visitor_socket_closed(visitor)  # her phone lost its signal
    services.post_agent_message(conversation, agent, "Yes, 3 left.", "a1")
    services.visitor_socket_opened(visitor)  # back: the widget replays it
    assert offline.send_due_followups(_gone()) == 0
    conversation.refresh_from_db()
    assert conversation.followup_pending is False
    # She leaves for good later: what she saw before leaving is not emailed.
    services.visitor_socket_closed(visitor)
    assert offline.send_due_followups(_gone(ABSENCE * 2)) == 0
    assert _followups() == []


@pytest.mark.django_db(transaction=True)
@override_settings(
    LIVECHAT_FOLLOWUP_ABSENCE_SECONDS=ABSENCE, LIVECHAT_FOLLOWUP_EMAIL_EVERY_SECONDS=600
)
def test_later_replies_wait_for_the_next_email_and_are_never_repeated(agent):
    visitor, conversation = _chat_with_a_connected_shopper(agent)
    services.visitor_socket_closed(visitor)
    services.post_agent_message(conversation, agent, "Yes, 3 left.", "a1")
    first = timezone.now() + timedelta(seconds=ABSENCE + 1)
    assert offline.send_due_followups(first) == 1
    services.post_agent_message(conversation, agent, "Reserved for you.", "a2")
    assert offline.send_due_followups(first + timedelta(seconds=60)) == 0
    assert offline.send_due_followups(first + timedelta(seconds=601)) == 1
    second = _followups()[1]
    assert "Reserved for you." in second.body and "Yes, 3 left." not in second.body


@pytest.mark.django_db(transaction=True)
@override_settings(LIVECHAT_FOLLOWUP_EMAIL_EVERY_SECONDS=0)
def test_follow_ups_can_be_turned_off(agent):
    visitor, conversation = _chat_with_a_connected_shopper(agent)
    services.visitor_socket_closed(visitor)
    services.post_agent_message(conversation, agent, "Yes, 3 left.", "a1")
    assert offline.send_due_followups(_gone(10_000)) == 0
    assert _followups() == []


@pytest.mark.django_db(transaction=True)
def test_absence_starts_when_the_last_widget_closes(agent):
    visitor = Visitor.objects.create(key=uuid.uuid4(), email="ann@example.com")
    services.visitor_socket_opened(visitor)
    services.visitor_socket_opened(visitor)  # two tabs
    services.visitor_socket_closed(visitor)
    visitor.refresh_from_db()
    assert visitor.absent_since is None
    assert offline.away_since(visitor, _gone()) is None
    services.visitor_socket_closed(visitor)
    services.visitor_socket_closed(visitor)  # never below zero
    visitor.refresh_from_db()
    assert visitor.live_sockets == 0 and visitor.absent_since is not None
    assert offline.away_since(visitor, _gone()) == visitor.absent_since
    services.visitor_socket_opened(visitor)
    visitor.refresh_from_db()
    assert visitor.absent_since is None


@pytest.mark.django_db(transaction=True)
def test_no_email_while_the_shopper_is_connected(agent):
    visitor, conversation = _chat_with_a_connected_shopper(agent)
    services.post_agent_message(conversation, agent, "Hello!", "a1")
    assert offline.send_due_followups(_gone(10_000)) == 0
    assert _followups() == []


def test_a_shopper_who_logs_in_mid_chat_shows_one_email(visitor, django_user_model):
    visitors.update_profile(visitor, {"email": "ann.home@example.com"})
    message, _ = services.post_visitor_message(visitor, "Hello", "c1")
    user = django_user_model.objects.create_user(
        "ann", "ann@work.example", first_name="Ann"
    )
    # She logs in: her chat follows her, her account's email is hers now.
    visitors.get_or_create_visitor(visitor.key, user)
    conversation = Conversation.objects.select_related("visitor__user").get(
        pk=message.conversation_id
    )
    summary = protocol.conversation_summary(conversation)["visitor"]
    assert summary["email"] == "ann@work.example"
    assert summary["other_email"] == "ann.home@example.com"
    # The same address typed differently is one email.
    Visitor.objects.filter(pk=visitor.pk).update(email="ANN@work.example")
    conversation.visitor.refresh_from_db()
    summary = protocol.conversation_summary(conversation)["visitor"]
    assert (summary["email"], summary["other_email"]) == ("ann@work.example", "")


@pytest.mark.parametrize("path", ["socket", "page"])
def test_consoles_are_told_when_a_shopper_logs_in_mid_chat(
    visitor, django_user_model, monkeypatch, path
):
    visitors.update_profile(visitor, {"email": "ann.home@example.com"})
    services.post_visitor_message(visitor, "Hello", "c1")
    user = django_user_model.objects.create_user("ann", "ann@work.example")
    told = []
    monkeypatch.setattr(
        visitors, "publish_conversation", lambda c: told.append(c.visitor.user_id)
    )
    if path == "socket":
        visitors.get_or_create_visitor(visitor.key, user)
    else:  # a page after logging in (the middleware)
        visitors.visitor_for_user(user, anonymous_key=visitor.key)
    assert told == [user.pk]
    # Already hers: nothing new to tell.
    visitors.get_or_create_visitor(visitor.key, user)
    visitors.visitor_for_user(user, anonymous_key=visitor.key)
    assert told == [user.pk]


def test_a_guests_typed_email_is_their_email(visitor):
    visitors.update_profile(visitor, {"email": "guest@example.com"})
    assert protocol.visitor_emails(visitor) == ("guest@example.com", "")
