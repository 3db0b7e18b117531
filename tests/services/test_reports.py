"""The reports' write side on hand-built chats with known answers: facts,
hourly rollups, latency buckets, agents' time, words, orders, rebuild."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import override_settings

from livechat import services
from livechat.models import (
    AgentHour,
    AgentOnlineSpan,
    Conversation,
    ConversationFact,
    OfferSent,
    ReportHour,
    ReportLatency,
    ReportSettings,
    TermDay,
    Visitor,
)
from livechat.services import assignment, housekeeping, presence, reports
from livechat.services.reports.buckets import latency_bucket, split_by_hour

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("madrid"),
]

# Tuesday 10 March 2026, 10:00 UTC: 11:00 in Madrid (CET, +1).
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


@pytest.fixture
def madrid():
    # The clock jumps hours ahead: consoles' heartbeats would lapse.
    with override_settings(
        LIVECHAT_TIMEZONE="Europe/Madrid",
        LIVECHAT_AGENT_HEARTBEAT_TIMEOUT=10**6,
        LIVECHAT_AGENT_IDLE_AWAY_SECONDS=10**6,
    ):
        yield


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def online(make_agent):
    def make(username):
        agent = make_agent(username, first_name=username.title())
        presence.agent_connected(agent, f"console-{agent.pk}")
        presence.set_presence(agent, "online")
        return agent

    return make


def _shopper(present=True):
    visitor = Visitor.objects.create(key=uuid.uuid4())
    if present:
        services.visitor_socket_opened(visitor)
    return visitor


def _chat(visitor, body="Hi"):
    message, _ = services.post_visitor_message(visitor, body, uuid.uuid4().hex)
    return Conversation.objects.get(pk=message.conversation_id)


def _reply(chat, agent, body="Hello, how can I help?"):
    services.post_agent_message(chat, agent, body, uuid.uuid4().hex)


def _hour(day, hour, agent=None):
    rows = ReportHour.objects.filter(day=day, hour=hour)
    if agent is None:
        # A fact that moved (taken, transferred) leaves rows at zero behind.
        rows = rows.exclude(conversations=0)
    if agent is not None:
        rows = rows.filter(agent_key=agent.pk)
    return rows.get()


def test_first_response_with_a_transfer_in_between(clock, online):
    ann, bob = online("ann"), online("bob")
    chat = _chat(_shopper(), "Do these boots run small?")
    clock.shift(10)
    services.claim_conversation(chat, ann)
    clock.shift(30)
    assignment.transfer_conversation(chat, ann, to_agent=bob)
    clock.shift(30)
    _reply(chat, bob)
    clock.shift(300)
    services.close_conversation(chat, closed_by=bob, tag="question")

    fact = ConversationFact.objects.get(pk=chat.pk)
    assert (fact.day, fact.hour, fact.weekday) == (date(2026, 3, 10), 11, 1)
    assert fact.first_response_seconds == 70  # from the shopper's first line
    assert fact.wait_seconds == 10  # until someone took it
    assert fact.transfers == 1 and fact.agent_key == bob.pk
    assert fact.handling_seconds == 360  # from taken to closed
    assert fact.outcome == "answered" and fact.met_target is False  # 70 > 60
    row = _hour(date(2026, 3, 10), 11)
    assert row.agent_key == bob.pk
    assert (row.conversations, row.chats, row.answered, row.closed) == (1, 1, 1, 1)
    assert (row.first_response_sum, row.first_response_count) == (70, 1)
    assert (row.wait_sum, row.handling_sum, row.transfers, row.transferred) == (
        10,
        360,
        1,
        1,
    )
    assert (row.with_target, row.met_target) == (1, 0)
    buckets = dict(
        ReportLatency.objects.filter(metric="first_response").values_list(
            "bucket", "count"
        )
    )
    assert buckets == {latency_bucket(70): 1} and latency_bucket(70) == 7  # <= 90 s
    held = dict(AgentHour.objects.values_list("agent_key", "chat_seconds"))
    assert held == {ann.pk: 30, bob.pk: 330}


def test_a_chat_that_spans_midnight_counts_on_the_day_it_began(clock, online):
    ann = online("ann")
    clock.move_to(datetime(2026, 3, 10, 22, 50, tzinfo=UTC))  # 23:50 in Madrid
    chat = _chat(_shopper(), "Still open?")
    clock.shift(5 * 60)
    services.claim_conversation(chat, ann)
    clock.shift(15 * 60)  # 00:10 on the 11th
    _reply(chat, ann)
    clock.shift(20 * 60)
    services.close_conversation(chat, closed_by=ann)

    fact = ConversationFact.objects.get(pk=chat.pk)
    assert (fact.day, fact.hour) == (date(2026, 3, 10), 23)
    assert (fact.first_response_seconds, fact.handling_seconds) == (1200, 2100)
    assert ReportHour.objects.exclude(conversations=0).get().day == date(2026, 3, 10)
    held = {
        (row.day, row.hour): row.chat_seconds
        for row in AgentHour.objects.filter(agent_key=ann.pk)
    }
    assert held == {(date(2026, 3, 10), 23): 300, (date(2026, 3, 11), 0): 1800}


@pytest.mark.parametrize(
    ("zone", "bucket"),
    [
        ("Europe/Madrid", (date(2026, 3, 11), 0, 2)),
        ("America/New_York", (date(2026, 3, 10), 19, 1)),  # EDT since 8 March
        ("UTC", (date(2026, 3, 10), 23, 1)),
    ],
)
def test_buckets_are_the_stores_local_day_and_hour(clock, zone, bucket):
    clock.move_to(datetime(2026, 3, 10, 23, 30, tzinfo=UTC))
    with override_settings(LIVECHAT_TIMEZONE=zone):
        chat = _chat(_shopper())
    fact = ConversationFact.objects.get(pk=chat.pk)
    assert (fact.day, fact.hour, fact.weekday) == bucket


def test_split_by_hour_follows_clock_changes():
    # Madrid springs forward at 02:00 local on 29 March 2026 (01:00 UTC).
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET
    with override_settings(LIVECHAT_TIMEZONE="Europe/Madrid"):
        pieces = split_by_hour(start, start + timedelta(hours=1))
    assert pieces == [(date(2026, 3, 29), 1, 1800.0), (date(2026, 3, 29), 3, 1800.0)]


@override_settings(LIVECHAT_MISSED_AFTER_SECONDS=60)
def test_a_missed_chat_and_an_abandoned_one(clock):
    waiting = _chat(_shopper(present=True), "Hello?")
    gone = _shopper(present=True)
    left = _chat(gone, "Anyone?")
    clock.shift(5)
    services.visitor_socket_closed(gone)  # the shopper closed the tab
    clock.shift(90)
    housekeeping.mark_missed()

    missed = ConversationFact.objects.get(pk=waiting.pk)
    abandoned = ConversationFact.objects.get(pk=left.pk)
    assert (missed.outcome, missed.met_target) == ("missed", False)
    assert abandoned.outcome == "abandoned" and abandoned.met_target is None
    assert abandoned.left_at == T0 + timedelta(seconds=5)
    row = _hour(date(2026, 3, 10), 11)
    assert (row.chats, row.missed, row.abandoned, row.answered) == (2, 1, 1, 0)
    assert (row.with_target, row.met_target, row.first_response_count) == (1, 0, 0)


def test_a_reopened_chat_is_one_conversation_with_both_stretches(clock, online):
    ann = online("ann")
    chat = _chat(_shopper(), "Where is my parcel?")
    clock.shift(20)
    _reply(chat, ann)
    clock.shift(100)
    services.close_conversation(chat, closed_by=ann)
    clock.shift(600)
    services.reopen_conversation(chat, ann)
    clock.shift(50)
    _reply(chat, ann, "Found it: it ships today.")
    services.close_conversation(chat, closed_by=ann)

    fact = ConversationFact.objects.get(pk=chat.pk)
    assert (fact.reopens, fact.first_response_seconds) == (1, 20)
    assert fact.handling_seconds == 100 + 50
    row = _hour(date(2026, 3, 10), 11)
    assert (row.conversations, row.reopened, row.closed, row.answered) == (1, 1, 1, 1)
    assert (row.handling_sum, row.handling_count) == (150, 1)


def test_a_fact_moves_between_agents_rollups_without_double_counting(clock, online):
    ann, bob = online("ann"), online("bob")
    chat = _chat(_shopper())
    clock.shift(15)
    _reply(chat, ann)
    assert _hour(date(2026, 3, 10), 11, ann).answered == 1
    assignment.transfer_conversation(chat, ann, to_agent=bob)
    assert _hour(date(2026, 3, 10), 11, ann).answered == 0
    bobs = _hour(date(2026, 3, 10), 11, bob)
    assert (bobs.answered, bobs.transfers, bobs.first_response_sum) == (1, 1, 15)
    total = sum(ReportLatency.objects.values_list("count", flat=True))
    assert total == 2  # first response and wait, once each


def test_offline_messages_and_when_they_were_answered(clock, online):
    ann = online("ann")
    visitor = _shopper(present=False)
    conversation, _ = services.offline.post_offline_message(
        visitor,
        {"email": "kim@example.com", "body": "Do you sell kids shoes?"},
        uuid.uuid4().hex,
    )
    clock.shift(3 * 3600)
    _reply(conversation, ann, "Yes, from size 20.")
    row = _hour(date(2026, 3, 10), 11)
    assert (row.conversations, row.chats, row.offline_messages) == (1, 0, 1)
    assert (row.offline_answer_sum, row.offline_answer_count) == (3 * 3600, 1)
    assert row.answered == 0  # an offline message is not a chat
    terms = set(TermDay.objects.values_list("term", flat=True))
    assert {"sell", "kids", "shoes", "kids shoes"} <= terms


def test_ratings_and_targets_of_a_department(clock, online):
    from livechat.models import Department

    ann = online("ann")
    ReportSettings.objects.create(first_response_target=30)
    sales = Department.objects.create(name="Sales", first_response_target=120)
    chat = _chat(_shopper())
    Conversation.objects.filter(pk=chat.pk).update(department=sales)
    ConversationFact.objects.filter(pk=chat.pk).delete()
    clock.shift(90)
    _reply(chat, ann)
    services.close_conversation(chat, closed_by=ann)
    services.visitors.rate_conversation(
        Conversation.objects.get(pk=chat.pk), "good", "Quick and kind"
    )
    fact = ConversationFact.objects.get(pk=chat.pk)
    assert (fact.target_seconds, fact.met_target) == (120, True)
    row = ReportHour.objects.get(department_key=sales.pk)
    assert (row.rated_good, row.rated_bad, row.rating_comments) == (1, 0, 1)
    assert (row.with_target, row.met_target) == (1, 1)


def test_words_count_once_per_conversation_across_a_reopen(clock, online):
    ann = online("ann")
    chat = _chat(_shopper(), "What are the delivery costs to Lisbon?")
    services.post_visitor_message(
        Visitor.objects.get(conversations=chat), "Delivery costs, please", "c2"
    )
    _reply(chat, ann)
    services.close_conversation(chat, closed_by=ann)
    counts = dict(TermDay.objects.values_list("term", "conversations"))
    assert counts["delivery costs"] == 1 and counts["lisbon"] == 1
    assert "what" not in counts and "please" not in counts
    services.reopen_conversation(chat, ann)
    services.post_visitor_message(
        Visitor.objects.get(conversations=chat), "Delivery to Porto too?", "c3"
    )
    services.close_conversation(chat, closed_by=ann)
    counts = dict(TermDay.objects.values_list("term", "conversations"))
    assert counts["delivery"] == 1 and counts["porto"] == 1


def test_online_time_by_hour_and_concurrency(clock, online):
    ann = online("ann")  # online from 11:00 local
    chat = _chat(_shopper())
    services.claim_conversation(chat, ann)
    clock.shift(90 * 60)
    housekeeping.run()  # counts the time so far, the span stays open
    assert AgentOnlineSpan.objects.get(agent=ann).ended_at is None
    presence.set_presence(ann, "away")
    assert AgentOnlineSpan.objects.get(agent=ann).ended_at is not None
    rows = {
        row.hour: (row.online_seconds, row.chat_seconds)
        for row in AgentHour.objects.filter(agent_key=ann.pk)
    }
    assert rows == {11: (3600, 3600), 12: (1800, 1800)}


def test_an_agent_whose_console_died_stops_counting(clock, online):
    ann = online("ann")
    with override_settings(LIVECHAT_AGENT_HEARTBEAT_TIMEOUT=60):
        clock.shift(30)
        housekeeping.run()
        assert AgentOnlineSpan.objects.get(agent=ann).ended_at is None
        clock.shift(120)  # no heartbeat for two minutes
        housekeeping.run()
    span = AgentOnlineSpan.objects.get(agent=ann)
    assert span.ended_at == T0 + timedelta(seconds=150)
    assert AgentHour.objects.get(agent_key=ann.pk).online_seconds == 150


def test_an_order_after_a_chat_converts_it_and_redeems_its_offer(clock, online):
    ann = online("ann")
    visitor = _shopper()
    chat = _chat(visitor, "Is there a discount on the red boots?")
    _reply(chat, ann, "Use BOOTS10 for 10% off.")
    OfferSent.objects.create(conversation=chat, agent=ann, code="BOOTS10")
    clock.shift(2 * 24 * 3600)
    order = services.record_order(
        "1001", "89.90", visitor=visitor, coupon_codes=["boots10"], currency="usd"
    )
    assert order.conversation_id == chat.pk and order.currency == "USD"
    assert OfferSent.objects.get().order == order
    again = services.record_order("1001", "1.00", visitor=visitor)
    assert again.pk == order.pk and again.total == Decimal("89.90")
    fact = ConversationFact.objects.get(pk=chat.pk)
    assert fact.ordered_at == order.placed_at and fact.order_value == Decimal("89.90")
    assert fact.offers_redeemed == 1
    row = _hour(date(2026, 3, 10), 11)
    assert (row.ordered, row.order_value, row.offers_redeemed) == (
        1,
        Decimal("89.90"),
        1,
    )


def test_an_order_outside_the_window_or_of_someone_else_does_not_count(clock):
    visitor = _shopper()
    _chat(visitor)
    other = services.record_order("7", "10", visitor=_shopper())
    clock.shift(8 * 24 * 3600)  # the default window is 7 days
    late = services.record_order("8", "10", visitor=visitor)
    assert other.conversation_id is None and late.conversation_id is None
    assert ReportHour.objects.exclude(conversations=0).get().ordered == 0
    with pytest.raises(ValueError):
        services.record_order("9", "lots", visitor=visitor)


def test_an_offer_from_before_the_window_is_not_redeemed(clock, online):
    ann = online("ann")
    visitor = _shopper()
    chat = _chat(visitor, "Any discount?")
    OfferSent.objects.create(conversation=chat, agent=ann, code="OLD10")
    clock.shift(8 * 24 * 3600)  # past the default 7 days
    services.record_order("1101", "20", visitor=visitor, coupon_codes=["OLD10"])
    assert OfferSent.objects.get().redeemed_at is None


def test_rebuild_gives_the_rollups_the_listeners_kept(clock, online):
    ann, bob = online("ann"), online("bob")
    for n in range(3):
        chat = _chat(_shopper(), f"Question {n} about sizes")
        clock.shift(20 + n * 40)
        services.claim_conversation(chat, ann)
        if n == 1:
            assignment.transfer_conversation(chat, ann, to_agent=bob)
            _reply(chat, bob)
        else:
            _reply(chat, ann)
        clock.shift(300)
        services.close_conversation(chat, closed_by=bob if n == 1 else ann)
    clock.shift(3 * 3600)
    _chat(_shopper(), "A question nobody answered")

    def snapshot():
        hours = {
            (r["day"], r["hour"], r["department_key"], r["agent_key"]): r
            for r in ReportHour.objects.exclude(conversations=0).values()
        }
        for row in hours.values():
            row.pop("id")
        latencies = set(
            ReportLatency.objects.exclude(count=0).values_list(
                "day", "hour", "agent_key", "metric", "bucket", "count"
            )
        )
        terms = set(TermDay.objects.values_list("day", "term", "conversations"))
        return hours, latencies, terms

    kept = snapshot()
    counts = reports.rebuild()
    assert counts["facts"] == 4
    assert snapshot() == kept
    # A conversation from before the reports gets a fact from its row.
    ConversationFact.objects.all().delete()
    ReportHour.objects.all().delete()
    reports.rebuild(since=date(2026, 3, 10))
    assert sum(ReportHour.objects.values_list("answered", flat=True)) == 3
    assert sum(ReportHour.objects.values_list("conversations", flat=True)) == 4
