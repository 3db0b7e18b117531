"""Retention: what goes, in batches, resumable; the command's output."""

import io
import re
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.db.models.signals import post_delete, post_init
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from livechat import services
from livechat.models import Attachment, Conversation, InternalNote, Message, Visitor
from livechat.services import retention

from .chats import attach_pdf, closed_chat, closed_history, waiting_chat

pytestmark = pytest.mark.django_db(transaction=True)


def test_retention_deletes_old_closed_chats_and_their_files(media):
    old = closed_chat(days_ago=40)
    recent = closed_chat(email="bob@example.com")
    stored = attach_pdf(old, media)
    assert retention.apply_retention(days=30)["conversations"] == 1
    assert not Conversation.objects.filter(pk=old.pk).exists()
    assert Conversation.objects.filter(pk=recent.pk).exists()
    assert not stored.exists()
    assert not Visitor.objects.filter(email="ann@example.com").exists()


def test_retention_can_anonymise_instead(media):
    old = closed_chat(days_ago=40)
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
    closed_chat(days_ago=40)
    out = io.StringIO()
    call_command("livechat_retention", "--apply", stdout=out)
    assert "older than 30 days" in out.getvalue()
    assert "conversations: 1" in out.getvalue()
    assert not Conversation.objects.exists()


# Retention: arguments, dry run, open chats, batches ----------------------------


def _retention(*args, **options):
    out = io.StringIO()
    call_command("livechat_retention", *args, stdout=out, **options)
    return out.getvalue()


@pytest.mark.parametrize("argv", [["--days", "-1"], ["--days=-1", "--anonymise"]])
def test_retention_refuses_negative_days(argv):
    old = closed_chat(days_ago=40)
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
    old = closed_chat(days_ago=40)
    with pytest.raises(CommandError, match="LIVECHAT_RETENTION_MODE"):
        _retention("--apply")
    assert Conversation.objects.filter(pk=old.pk).exists()


def test_retention_zero_days_means_every_closed_conversation():
    closed_today = closed_chat()
    waiting = waiting_chat(days_ago=0)
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
    old = closed_chat(days_ago=40)
    services.post_system_message(old, "closed by the system")
    stored = attach_pdf(old, media)
    closed_chat(email="bob@example.com")
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
    old = closed_chat(days_ago=40)
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
    waiting = waiting_chat()
    options = ["--days", "0", "--apply"] + (["--anonymise"] if anonymise else [])
    _retention(*options)
    conversation = Conversation.objects.get(pk=waiting.pk)
    assert conversation.is_open
    assert conversation.messages.get(sender_kind="visitor").body == "anyone there?"
    visitor = conversation.visitor
    assert (visitor.name, visitor.email) == ("Wanda", "waiting@example.com")


def test_retention_deletes_in_bounded_batches():
    old = [closed_chat(email=f"s{n}@example.com", days_ago=40) for n in range(5)]
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


# Batches: bounded, constant queries, resumable --------------------------------


def _backlog(count, media=None):
    """``count`` closed conversations 40 days old of one visitor who keeps
    an open chat (so is never removed); the paths of their stored files."""
    visitor = waiting_chat().visitor
    closed_history(count, days_ago=40, visitor=visitor)
    if media is None:
        return []
    return [media / name for name in Attachment.objects.values_list("file", flat=True)]


def _stored():
    return {
        model.__name__: model.objects.count()
        for model in (Conversation, Message, InternalNote, Attachment, Visitor)
    }


@pytest.fixture
def commits(monkeypatch):
    """The transactions that commit from here on, counted."""
    made = []
    database = connections["default"]
    commit = database.commit

    def counted():
        commit()
        made.append(1)

    monkeypatch.setattr(database, "commit", counted)
    return made


def test_batches_of_two_over_seven_conversations_commit_four_times(media, commits):
    files = _backlog(7, media)
    expected = retention.count_retention(days=30)
    assert expected["conversations"] == 7 and expected["visitors"] == 0
    before = _stored()
    seen = []
    commits.clear()

    assert retention.apply_retention(days=30, batch_size=2, progress=seen.append) == (
        expected
    )

    assert len(commits) == 4
    assert [(p.stage, p.done, p.batches) for p in seen] == [
        ("conversations", 2, 1),
        ("conversations", 4, 2),
        ("conversations", 6, 3),
        ("conversations", 7, 4),
    ]
    assert _stored() == {
        "Conversation": before["Conversation"] - 7,
        "Message": before["Message"] - 14,
        "InternalNote": before["InternalNote"] - 7,
        "Attachment": 0,
        "Visitor": before["Visitor"],
    }
    assert Conversation.objects.get().is_open
    assert not any(path.exists() for path in files)


def test_anonymising_in_batches_leaves_the_same_as_in_one(media):
    files = _backlog(7, media)
    expected = retention.count_retention(days=30, anonymise=True)
    counts = retention.apply_retention(days=30, anonymise=True, batch_size=2)
    assert counts == expected
    assert expected["conversations"] == 7 and expected["attachments"] == 7
    assert not Attachment.objects.exists()
    assert not any(path.exists() for path in files)
    old = Conversation.objects.exclude(status__in=Conversation.OPEN_STATUSES)
    assert set(old.values_list("rating_comment", flat=True)) == {""}
    assert set(
        Message.objects.filter(conversation__in=old).values_list("body", flat=True)
    ) == {"[removed]"}
    assert retention.count_retention(days=30, anonymise=True)["conversations"] == 0


def test_conversations_go_through_django_delete_when_someone_listens(media):
    _backlog(3, media)
    heard = []

    def deleted(sender, instance, **kwargs):
        heard.append(instance.pk)

    post_delete.connect(deleted, sender=Conversation, weak=False)
    try:
        counts = retention.apply_retention(days=30, batch_size=2)
    finally:
        post_delete.disconnect(deleted, sender=Conversation)
    assert counts["conversations"] == 3 and len(heard) == 3
    assert not Message.objects.filter(conversation__in=heard).exists()


def test_a_visitors_chat_closed_after_the_first_stage_goes_with_them(media):
    visitor = closed_history(1, days_ago=40)
    [stored] = [
        media / name for name in Attachment.objects.values_list("file", flat=True)
    ]
    # As if the first stage had passed while it was open.
    changed = retention._delete_visitors([visitor.pk])
    assert changed == {
        "conversations": 1,
        "messages": 2,
        "notes": 1,
        "attachments": 1,
        "visitors": 1,
    }
    assert not Visitor.objects.exists() and not Message.objects.exists()
    assert not stored.exists()


def _queries_per_batch(conversations, batch_size):
    _backlog(conversations)
    marks = []
    with CaptureQueriesContext(connection) as queries:
        retention.apply_retention(
            days=30,
            batch_size=batch_size,
            progress=lambda _: marks.append(len(queries.captured_queries)),
        )
    assert not Message.objects.filter(body__startswith="hi ").exists()
    return [after - before for before, after in zip([0, *marks], marks, strict=False)]


@pytest.mark.parametrize("anonymise", [False, True], ids=["delete", "anonymise"])
def test_queries_per_batch_do_not_grow_with_its_conversations(media, anonymise):
    if anonymise:
        override = override_settings(LIVECHAT_RETENTION_MODE="anonymise")
    else:
        override = override_settings()
    with override:
        [few] = _queries_per_batch(3, batch_size=100)
        Visitor.objects.all().delete()
        [many] = _queries_per_batch(30, batch_size=100)
        Visitor.objects.all().delete()
        in_threes = _queries_per_batch(30, batch_size=3)
    assert few == many
    assert in_threes == [few] * 10


@pytest.mark.parametrize("anonymise", [False, True], ids=["delete", "anonymise"])
def test_messages_notes_and_attachments_are_never_loaded(media, anonymise):
    _backlog(5, media)
    loaded = []

    def count(sender, **kwargs):
        loaded.append(sender.__name__)

    for model in (Message, InternalNote, Attachment):
        post_init.connect(count, sender=model, weak=False)
    try:
        counts = retention.apply_retention(days=30, anonymise=anonymise, batch_size=2)
    finally:
        for model in (Message, InternalNote, Attachment):
            post_init.disconnect(count, sender=model)
    assert counts["messages"] == 10 and counts["attachments"] == 5
    assert loaded == []


def test_an_interrupted_run_keeps_its_batches_and_a_rerun_finishes(media, monkeypatch):
    files = _backlog(7, media)
    change = retention._delete_conversations
    calls = []

    def fails_third(ids):
        calls.append(ids)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return change(ids)

    monkeypatch.setattr(retention, "_delete_conversations", fails_third)
    with pytest.raises(RuntimeError):
        retention.apply_retention(days=30, batch_size=2)
    # Two batches done, in primary-key order; the third rolled back whole.
    done = [pk for ids in calls[:2] for pk in ids]
    assert not Conversation.objects.filter(pk__in=done).exists()
    assert Conversation.objects.filter(pk__in=calls[2]).count() == 2
    assert retention.count_retention(days=30)["conversations"] == 3
    assert Message.objects.filter(conversation__in=calls[2]).count() == 4
    assert sum(path.exists() for path in files) == 3

    monkeypatch.undo()
    assert retention.apply_retention(days=30, batch_size=2)["conversations"] == 3
    assert retention.count_retention(days=30) == dict.fromkeys(retention.COUNT_KEYS, 0)
    assert not any(path.exists() for path in files)


# The command: batch size, quiet, verbose, progress, Ctrl-C -------------------


def test_interrupted_command_says_what_was_committed_and_how_to_go_on(
    media, monkeypatch
):
    _backlog(7)
    change = retention._delete_conversations
    calls = []

    def interrupted_third(ids):
        calls.append(ids)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return change(ids)

    monkeypatch.setattr(retention, "_delete_conversations", interrupted_third)
    with pytest.raises(CommandError) as raised:
        _retention("--days", "30", "--apply", "--batch-size", "2")
    message = str(raised.value)
    assert "2 batches" in message and "4 conversations" in message
    assert "Run the command again to continue" in message
    assert raised.value.returncode == 130
    monkeypatch.undo()
    out = _retention("--days", "30", "--apply", "--batch-size", "2")
    assert "conversations: 3" in out


def test_quiet_prints_nothing_on_success(media):
    _backlog(3)
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "livechat_retention", "--days", "30", "--apply", "--quiet",
        stdout=out, stderr=err,
    )  # fmt: skip
    assert (out.getvalue(), err.getvalue()) == ("", "")
    assert retention.count_retention(days=30)["conversations"] == 0
    # Errors are still said.
    with pytest.raises(CommandError, match="batch size"):
        _retention("--days", "30", "--apply", "--quiet", "--batch-size", "0")


@override_settings(LIVECHAT_RETENTION_BATCH_SIZE=0)
def test_a_batch_size_below_one_is_refused():
    with pytest.raises(CommandError, match="LIVECHAT_RETENTION_BATCH_SIZE"):
        _retention("--days", "30", "--apply")


def test_verbose_dry_run_names_the_oldest_and_newest_conversation(media):
    _backlog(3)
    old = Conversation.objects.exclude(status__in=Conversation.OPEN_STATUSES)
    first, last = old.order_by("pk")[0], old.order_by("pk").last()
    Conversation.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timedelta(days=90)
    )
    before = _stored()
    for verbose in ("--verbose", "-v2"):
        out = _retention("--days", "30", verbose)
        assert f"Oldest conversation to delete: #{first.pk}, created " in out
        assert f"Newest conversation to delete: #{last.pk}, created " in out
        assert "Dry run" in out and "conversations: 3" in out
    assert "Oldest" not in _retention("--days", "30")
    assert _stored() == before


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_drawn_on_a_terminal_only(media):
    _backlog(5)
    Visitor.objects.create(key=uuid.uuid4())
    terminal = _Terminal()
    _retention("--days", "0", "--apply", "--batch-size", "2", stderr=terminal)
    drawn = terminal.getvalue()
    assert re.search(r"conversations .*\] 5/5 .*/s +ETA 0:00:00", drawn)
    assert re.search(r"visitors .*\] 1/1 ", drawn)
    assert drawn.endswith("\n")

    _backlog(2)
    piped = io.StringIO()
    _retention("--days", "0", "--apply", stderr=piped)
    assert piped.getvalue() == ""
