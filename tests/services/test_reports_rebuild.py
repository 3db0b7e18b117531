"""A rebuild gives the figures the listeners kept: over the facts they wrote,
and (for what a conversation's rows still tell) from nothing at all."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings

from livechat import events, services
from livechat.models import (
    AgentHour,
    Conversation,
    ConversationFact,
    Department,
    OfferSent,
    ReportHour,
    ReportLatency,
    TermDay,
    Visitor,
)
from livechat.services import assignment, housekeeping, presence, reports
from livechat.services.reports import sums

pytestmark = [pytest.mark.django_db(transaction=True)]

# Tuesday 10 March 2026, 17:00 UTC: 18:00 in Madrid.
T0 = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
# What a conversation's rows still tell when its fact is gone.
FROM_THE_ROWS = (
    *("conversations", "chats", "offline_messages", "answered", "missed"),
    *("abandoned", "closed", "transfers", "transferred", "reopened"),
    *("first_response_sum", "first_response_count", "offline_answer_sum"),
    *("rated_good", "rated_bad", "rating_comments", "ordered", "order_value"),
    *("offers_sent", "offers_redeemed", "with_target", "met_target"),
)


@pytest.fixture
def clock():
    with (
        override_settings(
            LIVECHAT_TIMEZONE="Europe/Madrid",
            LIVECHAT_AGENT_HEARTBEAT_TIMEOUT=10**6,
            LIVECHAT_AGENT_IDLE_AWAY_SECONDS=10**6,
            LIVECHAT_MISSED_AFTER_SECONDS=60,
        ),
        time_machine.travel(T0, tick=False) as traveller,
    ):
        yield traveller


def _online(make_agent, username):
    agent = make_agent(username, first_name=username.title())
    presence.agent_connected(agent, f"console-{agent.pk}")
    presence.set_presence(agent, "online")
    return agent


def _shopper():
    visitor = Visitor.objects.create(key=uuid.uuid4())
    services.visitor_socket_opened(visitor)
    return visitor


def _chat(visitor, body):
    message, _ = services.post_visitor_message(visitor, body, uuid.uuid4().hex)
    return Conversation.objects.get(pk=message.conversation_id)


def _reply(chat, agent, body="Happy to help."):
    services.post_agent_message(chat, agent, body, uuid.uuid4().hex)


def _a_day_of_chats(clock, ann, bob, sales):
    """Every kind of chat the reports tell apart, through the services."""
    shopper = _shopper()
    to_bob = _chat(shopper, "Do these boots run small? Shipping costs to Madrid?")
    clock.shift(10)
    services.claim_conversation(to_bob, ann)
    clock.shift(30)
    assignment.transfer_conversation(to_bob, ann, to_agent=bob)
    clock.shift(30)
    _reply(to_bob, bob)
    offer = OfferSent.objects.create(conversation=to_bob, agent=bob, code="SHIP0")
    events.emit(events.OfferMade(offer, to_bob))
    clock.shift(200)
    services.close_conversation(to_bob, closed_by=bob, tag="question")
    services.visitors.rate_conversation(
        Conversation.objects.get(pk=to_bob.pk), "good", "Quick and kind"
    )

    to_sales = _chat(_shopper(), "Can I pay my order by bank transfer?")
    services.claim_conversation(to_sales, ann)
    clock.shift(20)
    assignment.transfer_conversation(to_sales, ann, to_department=sales)
    clock.shift(40)
    services.claim_conversation(to_sales, bob)
    _reply(to_sales, bob, "Yes, here are the details.")
    clock.shift(120)
    services.close_conversation(to_sales, closed_by=bob, tag="order")

    again = _chat(_shopper(), "Where is my parcel?")
    clock.shift(25)
    _reply(again, ann)
    services.close_conversation(again, closed_by=ann)
    clock.shift(600)
    services.reopen_conversation(again, ann)
    _reply(again, ann, "It ships today.")
    clock.shift(60)
    services.close_conversation(again, closed_by=ann, tag="order")

    _chat(_shopper(), "Hello? Anyone there?")  # missed
    gone = _shopper()
    _chat(gone, "Do you sell children's clothes?")  # abandoned
    clock.shift(5)
    services.visitor_socket_closed(gone)
    clock.shift(90)
    housekeeping.mark_missed()

    offline = Visitor.objects.create(key=uuid.uuid4())
    letter, _ = services.offline.post_offline_message(
        offline,
        {"email": "kim@example.com", "body": "Do you ship kids shoes to Porto?"},
        uuid.uuid4().hex,
    )
    clock.shift(2 * 3600)
    _reply(letter, ann, "Yes, in three days.")

    services.record_order("1001", "59.90", visitor=shopper, coupon_codes=["ship0"])
    held = _chat(_shopper(), "Is the red coat in stock?")
    services.claim_conversation(held, ann)  # still open tonight


def _snapshot(fields=None):
    hours = {}
    for row in ReportHour.objects.exclude(conversations=0).values():
        key = (row["day"], row["hour"], row["department_key"], row["agent_key"])
        hours[key] = {name: row[name] for name in fields or row if name != "id"}
    latencies = set(
        ReportLatency.objects.exclude(count=0).values_list(
            "day", "hour", "department_key", "agent_key", "metric", "bucket", "count"
        )
    )
    terms = set(TermDay.objects.values_list("day", "language", "term", "conversations"))
    online = set(
        AgentHour.objects.exclude(online_seconds=0).values_list(
            "day", "hour", "agent_key", "online_seconds"
        )
    )
    return hours, latencies, terms, online


@pytest.fixture
def history(clock, make_agent):
    ann, bob = _online(make_agent, "ann"), _online(make_agent, "bob")
    sales = Department.objects.create(name="Sales")
    sales.agents.add(bob)
    _a_day_of_chats(clock, ann, bob, sales)
    clock.move_to(T0 + timedelta(days=1))  # Wednesday
    chat = _chat(_shopper(), "Are the wool socks itchy?")
    clock.shift(40)
    _reply(chat, bob)
    services.close_conversation(chat, closed_by=bob, tag="question")
    housekeeping.run()  # the open chats' and stretches' time so far
    return ann, bob


def test_a_rebuild_over_the_listeners_facts_changes_no_figure(history, monkeypatch):
    kept = _snapshot()
    assert sum(row["transfers"] for row in kept[0].values()) == 2
    assert sum(row["abandoned"] for row in kept[0].values()) == 1
    # And the held chat, closed unanswered the next day.
    assert sum(row["missed"] for row in kept[0].values()) == 2
    seen = []
    counts = reports.rebuild(progress=lambda *args: seen.append(args))
    assert counts["facts"] == 8
    assert _snapshot() == kept
    assert ("rollups", 2, 2) in seen
    # Only the days asked for are summed again; the others stay as they were.
    ReportHour.objects.filter(day=date(2026, 3, 10)).update(chats=99)
    reports.rebuild(since=date(2026, 3, 11))
    assert ReportHour.objects.filter(chats=99).exists()
    reports.rebuild(since=date(2026, 3, 10))
    assert _snapshot() == kept
    # Each range of days is summed in its own transaction.
    monkeypatch.setattr(sums, "DAYS_PER_TRANSACTION", 1)
    seen.clear()
    reports.rebuild(progress=lambda *args: seen.append(args))
    assert ("rollups", 1, 2) in seen and ("rollups", 2, 2) in seen
    assert _snapshot() == kept
    # Rollups of days no fact has any more go; earlier days stay.
    ReportHour.objects.create(day=date(2026, 1, 5), hour=9, conversations=3)
    ReportHour.objects.create(day=date(2026, 4, 5), hour=9, conversations=3)
    reports.rebuild(since=date(2026, 3, 1))
    days = set(ReportHour.objects.values_list("day", flat=True))
    assert date(2026, 1, 5) in days and date(2026, 4, 5) not in days


def test_a_rebuild_from_nothing_recovers_what_the_rows_tell(history):
    kept = _snapshot(FROM_THE_ROWS)
    ConversationFact.objects.all().delete()
    for model in (ReportHour, ReportLatency, TermDay, AgentHour):
        model.objects.all().delete()
    reports.rebuild()
    rebuilt = _snapshot(FROM_THE_ROWS)
    assert rebuilt[0] == kept[0]  # transfers and abandoned chats included
    assert rebuilt[2:] == kept[2:]  # words, agents' online time
    # When a chat was taken is the listeners' alone: the first reply stands
    # for it, so waits and handling times differ; first responses do not.
    replies = {"first_response", "offline_answer"}
    assert {row for row in rebuilt[1] if row[4] in replies} == {
        row for row in kept[1] if row[4] in replies
    }
