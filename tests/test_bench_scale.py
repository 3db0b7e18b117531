"""bench/scale/rows.py plans a consistent store (bench/data_scale.py seeds it).

Pure: no database. What the seeder's own check verifies after COPY at any
size is checked here at a small one, before anything is written.
"""

from collections import Counter, defaultdict
from datetime import datetime

from bench.scale import phrases
from bench.scale.rows import (
    CONVERSATION_COLUMNS,
    EXPORT_CHATS,
    LONG_MESSAGES,
    MESSAGE_COLUMNS,
    OPEN,
    VISITOR_COLUMNS,
    Generator,
)
from livechat.models import Conversation, Message, Visitor


def _store(conversations=2000, messages=20000):
    generator = Generator(agents=[7, 8, 9])
    return generator, generator.plan(conversations, messages)


def _rows(lines, columns):
    return [
        dict(zip(columns, line.rstrip("\n").split("\t"), strict=True)) for line in lines
    ]


def test_the_columns_are_the_models_columns():
    for model, columns in (
        (Visitor, VISITOR_COLUMNS),
        (Conversation, CONVERSATION_COLUMNS),
        (Message, MESSAGE_COLUMNS),
    ):
        assert {f.column for f in model._meta.concrete_fields} == set(columns)


def test_exactly_the_sizes_asked_for_with_the_special_chats():
    _generator, store = _store()
    assert len(store.chats) == 2000
    assert sum(chat.count for chat in store.chats) == 20000
    statuses = Counter(chat.status for chat in store.chats)
    assert {s: statuses[s] for s in OPEN} == OPEN
    by_id = {chat.id: chat for chat in store.chats}
    assert by_id[store.long_chat].count == LONG_MESSAGES
    exported = [c for c in store.chats if c.visitor == store.export_visitor]
    assert len(exported) == EXPORT_CHATS
    assert [c.id for c in store.chats] == list(range(1, 2001))
    assert [c.created for c in store.chats] == sorted(c.created for c in store.chats)


def test_messages_are_numbered_without_gaps_and_agree_with_their_chat():
    generator, store = _store()
    conversations = {
        int(row["id"]): row
        for row in _rows(generator.conversation_lines(store), CONVERSATION_COLUMNS)
    }
    messages = _rows(generator.message_lines(store), MESSAGE_COLUMNS)
    seqs = defaultdict(list)
    for row in messages:
        seqs[int(row["conversation_id"])].append(int(row["seq"]))
        if row["sender_kind"] == "agent":
            chat = conversations[int(row["conversation_id"])]
            assert row["author_id"] == chat["assigned_agent_id"]
    for conversation_id, row in conversations.items():
        assert seqs[conversation_id] == list(range(1, int(row["last_seq"]) + 1))
        if row["closed_at"] != "\\N":
            times = [row[key] for key in ("closed_at", "last_message_at", "created_at")]
            closed, last, created = map(datetime.fromisoformat, times)
            assert closed > last >= created
    assert [int(row["id"]) for row in messages] == list(range(1, 20001))
    share = sum(phrases.SEARCH_WORD in row["body"].lower() for row in messages)
    assert 0.005 < share / len(messages) < 0.02


def test_open_chats_have_one_shopper_each():
    _generator, store = _store()
    open_visitors = [c.visitor for c in store.chats if c.status != "closed"]
    assert len(open_visitors) == len(set(open_visitors))
    closed_visitors = {c.visitor for c in store.chats if c.status == "closed"}
    assert not closed_visitors & set(open_visitors)
