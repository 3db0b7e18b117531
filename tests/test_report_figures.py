"""The reports' figures (livechat.services.reports.figures) on hand-built
data with known answers: chats made through the real services in a store
on Madrid time, and rollup rows written directly."""

import math
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import override_settings

from livechat import services
from livechat.models import (
    LATENCY_EDGES,
    AgentHour,
    CannedUse,
    Conversation,
    ConversationFact,
    Department,
    InvitationDay,
    InvitationRule,
    ReportHour,
    ReportLatency,
    ReportSettings,
    TermDay,
    Visitor,
)
from livechat.services import assignment, housekeeping, presence
from livechat.services.reports.figures import (
    FilterError,
    Filters,
    build_report,
    parse_filters,
    percentile,
)

# Tuesday 10 March 2026, 10:00 UTC: 11:00 in Madrid (CET, +1).
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
TUESDAY, WEDNESDAY = date(2026, 3, 10), date(2026, 3, 11)


def _madrid():
    return override_settings(
        LIVECHAT_TIMEZONE="Europe/Madrid",
        LIVECHAT_AGENT_HEARTBEAT_TIMEOUT=10**6,
        LIVECHAT_AGENT_IDLE_AWAY_SECONDS=10**6,
        LIVECHAT_MISSED_AFTER_SECONDS=60,
    )


def _shopper():
    visitor = Visitor.objects.create(key=uuid.uuid4())
    services.visitor_socket_opened(visitor)
    return visitor


def _chat(visitor, body="Hi"):
    message, _ = services.post_visitor_message(visitor, body, uuid.uuid4().hex)
    return Conversation.objects.get(pk=message.conversation_id)


def _reply(chat, agent, body="Hello, how can I help?"):
    services.post_agent_message(chat, agent, body, uuid.uuid4().hex)


@pytest.fixture
def week(make_agent):
    """Four chats on Tuesday 10 March (Madrid), through the real services:

    - A at 11:00, taken by Ann after 10 s, transferred to Bob 20 s later,
      answered by Bob at 50 s, closed as "question" 300 s after that, and
      followed two days later by an order of 89.90;
    - M at 11:00, that nobody answered (missed);
    - L at 11:00, whose shopper left after 5 s (abandoned);
    - N at 23:50, taken by Ann after 5 min, answered at 20 min (00:10 on
      Wednesday), closed at 00:30: it counts on Tuesday, at 23h.
    A shopper who never chatted ordered too; another only looked.
    """
    with _madrid(), time_machine.travel(T0, tick=False) as clock:
        ann = make_agent("ann", first_name="Ann")
        bob = make_agent("bob", first_name="Bob")
        for agent in (ann, bob):
            presence.agent_connected(agent, f"console-{agent.pk}")
            presence.set_presence(agent, "online")
        buyer = _shopper()
        # Shoppers who look around without chatting; one orders later.
        browser, _looker = Visitor.objects.create(), Visitor.objects.create()
        a = _chat(buyer, "Do these boots run small?")
        m = _chat(_shopper(), "Hello?")
        leaving = _shopper()
        lost = _chat(leaving, "Anyone there?")
        clock.shift(5)
        services.visitor_socket_closed(leaving)
        clock.shift(5)
        services.claim_conversation(a, ann)
        clock.shift(20)
        assignment.transfer_conversation(a, ann, to_agent=bob)
        clock.shift(20)
        _reply(a, bob)
        clock.shift(300)
        services.close_conversation(a, closed_by=bob, tag="question")
        clock.shift(60)
        housekeeping.mark_missed()
        clock.move_to(datetime(2026, 3, 10, 22, 50, tzinfo=UTC))
        n = _chat(_shopper(), "Still open?")
        clock.shift(5 * 60)
        services.claim_conversation(n, ann)
        clock.shift(15 * 60)
        _reply(n, ann)
        clock.shift(20 * 60)
        services.close_conversation(n, closed_by=ann)
        clock.move_to(datetime(2026, 3, 12, 9, 0, tzinfo=UTC))
        services.record_order("1001", "89.90", visitor=buyer)
        services.record_order("1002", "20.00", visitor=browser)
        yield {"ann": ann, "bob": bob, "a": a, "m": m, "lost": lost, "n": n}


def _rows(table, *columns):
    """``{label: (values...)}`` of a table, by its first column."""
    keys = [c.key for c in table.columns]
    return {row[0]: tuple(row[keys.index(c)] for c in columns) for row in table.rows}


@pytest.mark.django_db(transaction=True)
def test_service_targets_and_sales_of_a_known_week(week):
    bob = week["bob"]
    with _madrid():
        both = Filters(TUESDAY, WEDNESDAY)
        service = build_report("service", both)
        targets = build_report("targets", both)
        sales = build_report("sales", both)
        topics = build_report("topics", both)
        demand = build_report("demand", both)
        wednesday = build_report("service", Filters(WEDNESDAY, WEDNESDAY))
        bobs = build_report("service", Filters(TUESDAY, WEDNESDAY, agent=bob.pk))

    figure = service.figure
    assert (figure("Conversations"), figure("Unique shoppers"), figure("Chats")) == (
        4,
        4,
        4,
    )
    assert (figure("Answered"), figure("Missed"), figure("Abandoned")) == (2, 1, 1)
    # First responses 50 s (through a transfer) and 1200 s: buckets <= 60, <= 1200.
    assert figure("First response, half within") == 60
    assert figure("First response, 90% within") == 1200
    # Waits until taken: 10 s and 300 s.
    assert (figure("Wait, half within"), figure("Wait, 90% within")) == (10, 300)
    # Handling: A from taken to closed 340 s, N 35 min.
    assert figure("Mean handling time") == (340 + 2100) // 2
    assert (figure("Transfers"), figure("Transfers per chat")) == (1, 0.25)

    # The chat past midnight counts on Tuesday at 23h, Madrid time (22h UTC).
    per_day = _rows(service.table("per_day"), "conversations", "missed", "abandoned")
    assert per_day == {TUESDAY: (4, 1, 1), WEDNESDAY: (0, 0, 0)}
    per_hour = _rows(service.table("per_hour"), "chats")
    assert (per_hour["11:00"], per_hour["22:00"], per_hour["23:00"]) == (
        (3,),
        (0,),
        (1,),
    )
    assert wednesday.figure("Chats") == 0
    per_agent = _rows(service.table("per_agent"), "chats", "first_response_p50")
    assert per_agent == {"Bob": (1, 60), "Ann": (1, 1200), "Nobody": (2, None)}
    assert bobs.figure("Chats") == 1 and bobs.figure("Unique shoppers") == 1

    # Every drill-down finds the conversations its row counts.
    for key, column in (
        ("per_day", "chats"),
        ("per_hour", "chats"),
        ("per_agent", "chats"),
    ):
        table = service.table(key)
        for value, drill in zip(table.values(column), table.drill, strict=True):
            assert ConversationFact.objects.filter(**drill).count() == value

    # Target 60 s: A met it, N and the missed chat did not; L has none.
    assert (
        targets.figure("Chats with a target"),
        targets.figure("Met the target"),
    ) == (
        3,
        1,
    )
    assert targets.figure("Share that met the target") == 33.3
    assert _rows(targets.table("per_agent"), "share") == {
        "Ann": (0.0,),
        "Bob": (100.0,),
        "Nobody": (0.0,),
    }

    # One of four chatters ordered; one of two who did not chat did.
    assert sales.figure("Conversations followed by an order") == 1
    assert sales.figure("Conversion of shoppers who chatted") == 25.0
    assert sales.figure("Conversion of shoppers who did not chat") == 50.0
    assert sales.figure("Order value after chats") == Decimal("89.90")

    tags = _rows(topics.table("close_tags"), "conversations", "share")
    assert tags == {"Product question": (1, 100.0)}
    terms = {row[0]: tuple(row[2:]) for row in topics.table("terms").rows}
    assert terms["boots"] == (1, 0, None) and terms["boots run"] == (1, 0, None)
    assert topics.table("terms").drill[0]["q"] in terms

    tuesday = demand.table("requests").rows[1]
    assert tuesday[0] == "Tuesday" and (tuesday[1 + 11], tuesday[1 + 23]) == (3, 1)
    unanswered = demand.table("unanswered")
    cell = {**unanswered.drill[1], **unanswered.column_drill["h11"]}
    assert unanswered.rows[1][1 + 11] == 2
    assert ConversationFact.objects.filter(**cell).count() == 2


def test_percentiles_read_the_histograms_upper_edges():
    assert percentile({}, 0.5) is None
    assert percentile({0: 1, 7: 1}, 0.5) == LATENCY_EDGES[0] == 5
    assert percentile({0: 1, 7: 1}, 0.9) == LATENCY_EDGES[7] == 90
    assert percentile({3: 9, 10: 1}, 0.9) == LATENCY_EDGES[3]
    assert percentile({3: 9, len(LATENCY_EDGES): 2}, 0.9) == math.inf


@pytest.mark.django_db
def test_filters_default_to_the_last_28_days_and_refuse_bad_input():
    sales = Department.objects.create(name="Sales")
    today = date(2026, 3, 31)
    assert parse_filters({}, today=today) == Filters(date(2026, 3, 4), today)
    parsed = parse_filters(
        {"start": "2026-03-01", "end": "2026-03-02", "department": str(sales.pk)},
        today=today,
    )
    assert parsed == Filters(date(2026, 3, 1), date(2026, 3, 2), sales.pk, None)
    assert parsed.previous() == Filters(
        date(2026, 2, 27), date(2026, 2, 28), sales.pk, None
    )
    for params, message in (
        ({"start": "yesterday"}, "must look like 2026-03-31"),
        ({"start": "2026-03-05", "end": "2026-03-01"}, "must end on or after"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "at most 731 days"),
        ({"department": "sales"}, "chosen from the list"),
        ({"department": str(sales.pk + 1)}, "no such department"),
        ({"agent": "999999"}, "no such agent"),
    ):
        with pytest.raises(FilterError, match=message):
            parse_filters(params, today=today)


def _hour(day, hour, **counts):
    return ReportHour.objects.create(day=day, hour=hour, **counts)


@pytest.mark.django_db
def test_demand_sets_requests_against_agents_online():
    # Two Tuesdays: 3 and 10 March. Ann online an hour on one of them at 10h.
    _hour(date(2026, 3, 3), 10, chats=2, offline_messages=1, wait_sum=60, wait_count=2)
    _hour(date(2026, 3, 10), 20, chats=4, missed=3)
    AgentHour.objects.create(
        day=date(2026, 3, 3), hour=10, agent_key=7, online_seconds=3600
    )
    report = build_report("demand", Filters(date(2026, 3, 2), date(2026, 3, 15)))
    tuesday = {t.key: t.rows[1] for t in report.tables}  # Monday is row 0
    assert tuesday["requests"][1 + 10] == 3 and tuesday["requests"][1 + 20] == 4
    assert tuesday["online"][1 + 10] == 0.5  # one hour over two Tuesdays
    assert tuesday["unanswered"][1 + 20] == 3
    assert tuesday["wait"][1 + 10] == 30
    assert report.figure("Requests") == 7
    assert report.figure("Asked while nobody was online") == 57.1  # 4 of 7
    drill = report.table("requests")
    assert {**drill.drill[1], **drill.column_drill["h20"]} == {
        "day__gte": date(2026, 3, 2),
        "day__lte": date(2026, 3, 15),
        "weekday": 1,
        "hour": 20,
    }


@pytest.mark.django_db
def test_cost_per_chat_from_online_hours_and_concurrency():
    ReportSettings.objects.create(
        agent_hourly_cost=Decimal("20"), phone_call_cost=Decimal("10")
    )
    day = date(2026, 3, 10)
    AgentHour.objects.create(
        day=day, hour=10, agent_key=7, online_seconds=7200, chat_seconds=14400
    )
    _hour(day, 10, answered=8, chats=8)
    report = build_report("cost", Filters(day, day))
    assert report.figure("Cost of agents' time") == Decimal("40.00")
    assert report.figure("Cost per chat") == Decimal("5.00")
    assert report.figure("Chats at once") == 2.0
    assert report.figure("Saved against calls") == Decimal("40.00")
    assert report.table("by_concurrency").rows == [
        ["2 - 3", 1, 2.0, 8, Decimal("5.00")]
    ]
    # Without an hourly cost there is no cost to show, and it says why.
    ReportSettings.objects.update(agent_hourly_cost=None)
    report = build_report("cost", Filters(day, day))
    assert report.figure("Cost per chat") is None


@pytest.mark.django_db
def test_saved_replies_and_invitations(make_agent):
    ann = make_agent("ann", first_name="Ann")
    conversation = Conversation.objects.create(visitor=Visitor.objects.create())
    at = datetime(2026, 3, 10, 12, tzinfo=UTC)
    for title, edited in (("Sizes", False), ("Sizes", False), ("Sizes", True)):
        CannedUse.objects.create(
            title=title, agent=ann, conversation=conversation, edited=edited, used_at=at
        )
    CannedUse.objects.create(
        title="Returns",
        agent=ann,
        conversation=conversation,
        used_at=at - timedelta(days=30),
    )
    rule = InvitationRule.objects.create(name="Checkout help", message="Need help?")
    InvitationDay.objects.create(day=date(2026, 3, 10), rule=rule, shown=10, accepted=2)
    ConversationFact.objects.create(
        conversation=conversation,
        visitor_id_key=conversation.visitor_id,
        day=date(2026, 3, 10),
        hour=12,
        weekday=1,
        started_at=at,
        invitation_key=rule.pk,
        ordered_at=at + timedelta(days=1),
    )
    filters = Filters(date(2026, 3, 1), date(2026, 3, 14))
    replies = build_report("replies", filters)
    assert replies.table("per_reply").rows == [["Sizes", 3, 2, 66.7]]
    assert _rows(replies.table("per_agent"), "uses", "unedited_share") == {
        "Ann": (3, 66.7)
    }
    sales = build_report("sales", filters)
    assert sales.table("invitations").rows == [["Checkout help", 10, 2, 20.0, 1]]


@pytest.mark.django_db
def test_latency_rows_of_another_department_do_not_count():
    sales = Department.objects.create(name="Sales")
    day = date(2026, 3, 10)
    for department, bucket in ((0, 2), (sales.pk, 9)):
        ReportLatency.objects.create(
            day=day,
            hour=9,
            department_key=department,
            metric="wait",
            bucket=bucket,
            count=1,
        )
        _hour(day, 9, department_key=department, chats=1, answered=1)
    TermDay.objects.create(day=day, language="en", term="lid", conversations=2)
    report = build_report("service", Filters(day, day, department=sales.pk))
    assert report.figure("Wait, half within") == LATENCY_EDGES[9]
    assert report.figure("Chats") == 1
