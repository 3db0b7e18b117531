"""Service: how many chats, how fast they were answered, by whom, and how
the shoppers rated them."""

from django.db.models import Sum
from django.utils.translation import gettext as _

from ....models import ConversationFact, ReportLatency
from ..filters import Filters, reports_database
from .base import (
    DAY,
    HOURS,
    PERCENT,
    RATIO,
    SECONDS,
    TEXT,
    Chart,
    Column,
    Figure,
    Report,
    Table,
    agent_hours,
    agent_names,
    days_of,
    grouped_sums,
    latency_histograms,
    mean,
    merged_by,
    percentiles_of,
    range_drill,
    ratio,
    share,
    total_of,
)

Metric = ReportLatency.Metric


def unique_shoppers(filters: Filters) -> int:
    """The shoppers behind the conversations (a fact per conversation)."""
    facts = ConversationFact.objects.using(reports_database()).filter(
        **filters.hour_lookups()
    )
    return facts.values("visitor_id_key").distinct().count()


def _per_day(filters, by_day, latency_by_day):
    table = Table(
        "per_day",
        _("Chats per day"),
        [
            Column("day", _("Day"), DAY),
            Column("conversations", _("Conversations")),
            Column("chats", _("Chats")),
            Column("answered", _("Answered")),
            Column("missed", _("Missed")),
            Column("abandoned", _("Abandoned")),
            Column("offline_messages", _("Offline messages")),
            Column("first_response_p50", _("First response, half within"), SECONDS),
            Column("first_response_p90", _("First response, 90% within"), SECONDS),
        ],
        chart=Chart("bars", "day", ["chats"]),
        drill=[],
    )
    for day in days_of(filters):
        c = by_day.get(day, {})
        p50, p90 = latency_by_day.get(day, (None, None))
        table.rows.append(
            [
                day,
                c.get("conversations", 0),
                c.get("chats", 0),
                c.get("answered", 0),
                c.get("missed", 0),
                c.get("abandoned", 0),
                c.get("offline_messages", 0),
                p50,
                p90,
            ]
        )
        table.drill.append(
            range_drill(filters, day__gte=day, day__lte=day, source="chat")
        )
    return table


def _per_hour(filters, by_hour):
    table = Table(
        "per_hour",
        _("Chats per hour of the day"),
        [
            Column("hour", _("Hour"), TEXT),
            Column("chats", _("Chats")),
            Column("missed", _("Missed")),
            Column("abandoned", _("Abandoned")),
            Column("wait_mean", _("Mean wait"), SECONDS),
        ],
        chart=Chart("bars", "hour", ["chats"]),
        drill=[],
    )
    for hour in range(24):
        c = by_hour.get(hour, {})
        table.rows.append(
            [
                f"{hour:02d}:00",
                c.get("chats", 0),
                c.get("missed", 0),
                c.get("abandoned", 0),
                mean(c.get("wait_sum", 0), c.get("wait_count", 0)),
            ]
        )
        table.drill.append(range_drill(filters, hour=hour, source="chat"))
    return table


def _per_agent(filters, by_agent, histograms):
    p = percentiles_of(histograms, Metric.FIRST_RESPONSE, index=1)
    names = agent_names(by_agent)
    table = Table(
        "per_agent",
        _("Chats per agent"),
        [
            Column("agent", _("Agent"), TEXT),
            Column("chats", _("Chats")),
            Column("answered", _("Answered")),
            Column("first_response_p50", _("First response, half within"), SECONDS),
            Column("handling_mean", _("Mean handling time"), SECONDS),
            Column("transfers", _("Transferred away or in")),
            Column("good", _("Rated good"), PERCENT),
            Column("comments", _("Rating comments")),
        ],
        chart=Chart("bars", "agent", ["chats"]),
        drill=[],
        note=_(
            "A chat counts for the agent who held it last; unanswered chats "
            "nobody took count for nobody."
        ),
    )
    for key, c in sorted(by_agent.items(), key=lambda kv: -kv[1]["chats"]):
        if not c["conversations"]:
            continue
        table.rows.append(
            [
                names.get(key, f"#{key}"),
                c["chats"],
                c["answered"],
                p.get(key, (None, None))[0],
                mean(c["handling_sum"], c["handling_count"]),
                c["transfers"],
                share(c["rated_good"], c["rated_good"] + c["rated_bad"]),
                c["rating_comments"],
            ]
        )
        table.drill.append(range_drill(filters, agent_key=key, source="chat"))
    return table


def _concurrency(filters):
    """Chats held at once: chat-seconds held over seconds online, per day
    and per agent."""
    rows = agent_hours(filters)
    per_day = {
        r["day"]: r
        for r in rows.values("day")
        .annotate(online=Sum("online_seconds"), held=Sum("chat_seconds"))
        .order_by()
    }
    over_time = Table(
        "concurrency",
        _("Chats held at once, per day"),
        [
            Column("day", _("Day"), DAY),
            Column("online_hours", _("Agent hours online"), HOURS),
            Column("chat_hours", _("Chat hours held"), HOURS),
            Column("concurrent", _("Chats at once"), RATIO),
        ],
        chart=Chart("lines", "day", ["concurrent"]),
    )
    for day in days_of(filters):
        r = per_day.get(day, {"online": 0, "held": 0})
        over_time.rows.append(_concurrency_row(day, r["online"] or 0, r["held"] or 0))
    per_agent = {
        r["agent_key"]: r
        for r in rows.values("agent_key")
        .annotate(online=Sum("online_seconds"), held=Sum("chat_seconds"))
        .order_by()
    }
    names = agent_names(per_agent)
    by_agent = Table(
        "concurrency_per_agent",
        _("Chats held at once, per agent"),
        [
            Column("agent", _("Agent"), TEXT),
            Column("online_hours", _("Agent hours online"), HOURS),
            Column("chat_hours", _("Chat hours held"), HOURS),
            Column("concurrent", _("Chats at once"), RATIO),
        ],
        chart=Chart("bars", "agent", ["concurrent"]),
        drill=[],
    )
    for key, r in sorted(per_agent.items(), key=lambda kv: -(kv[1]["online"] or 0)):
        name = names.get(key, f"#{key}")
        by_agent.rows.append(_concurrency_row(name, r["online"] or 0, r["held"] or 0))
        by_agent.drill.append(range_drill(filters, agent_key=key))
    return over_time, by_agent


def _concurrency_row(label, online, held):
    concurrent = ratio(held, online)
    return [
        label,
        round(online / 3600, 2),
        round(held / 3600, 2),
        None if concurrent is None else round(concurrent, 2),
    ]


def _latency_table(totals, histograms):
    table = Table(
        "latency",
        _("Response times"),
        [
            Column("metric", _("Time"), TEXT),
            Column("count", _("Chats")),
            Column("mean", _("Mean"), SECONDS),
            Column("p50", _("Half within"), SECONDS),
            Column("p90", _("90% within"), SECONDS),
        ],
    )
    for metric, label in Metric.choices:
        p50, p90 = percentiles_of(histograms, metric).get(None, (None, None))
        table.rows.append(
            [
                str(label),
                totals[f"{metric}_count"],
                mean(totals[f"{metric}_sum"], totals[f"{metric}_count"]),
                p50,
                p90,
            ]
        )
    return table


def service_report(filters: Filters) -> Report:
    """Chats, answers, waits, handling, transfers, ratings, offline messages."""
    # Two reads of the hourly sums and one of the histograms make it all.
    by_day = grouped_sums(filters, "day")
    totals = total_of(by_day)
    by_hour_agent = grouped_sums(filters, "hour", "agent_key")
    histograms = latency_histograms(filters, by=("day", "agent_key"))
    latency_by_day = percentiles_of(histograms, Metric.FIRST_RESPONSE, index=0)
    latency = _latency_table(totals, histograms)
    first = dict(zip(("p50", "p90"), latency.rows[0][3:], strict=True))
    wait = dict(zip(("p50", "p90"), latency.rows[1][3:], strict=True))
    offline_answer = latency.rows[3][3]
    concurrency, concurrency_per_agent = _concurrency(filters)
    online, held = (sum(concurrency.values(k)) for k in ("online_hours", "chat_hours"))
    report = Report("service", _("Service"), filters)
    report.figures = [
        Figure(_("Conversations"), totals["conversations"], key="conversations"),
        Figure(
            _("Unique shoppers"),
            unique_shoppers(filters),
            note=_("Each shopper once, however many conversations they had."),
            key="unique_shoppers",
        ),
        Figure(_("Chats"), totals["chats"]),
        Figure(_("Answered"), totals["answered"]),
        Figure(
            _("Missed"),
            totals["missed"],
            note=_("Nobody answered before the chat was closed or timed out."),
            key="missed",
        ),
        Figure(
            _("Abandoned"),
            totals["abandoned"],
            note=_("The shopper left before an answer."),
            key="abandoned",
        ),
        Figure(
            _("First response, half within"),
            first["p50"],
            SECONDS,
            key="first_response_p50",
        ),
        Figure(_("First response, 90% within"), first["p90"], SECONDS),
        Figure(_("Wait, half within"), wait["p50"], SECONDS),
        Figure(_("Wait, 90% within"), wait["p90"], SECONDS),
        Figure(
            _("Mean handling time"),
            mean(totals["handling_sum"], totals["handling_count"]),
            SECONDS,
        ),
        Figure(_("Transfers"), totals["transfers"]),
        Figure(
            _("Transfers per chat"),
            _round(ratio(totals["transfers"], totals["chats"])),
            RATIO,
        ),
        Figure(_("Reopened conversations"), totals["reopened"]),
        Figure(
            _("Rated good"),
            share(totals["rated_good"], totals["rated_good"] + totals["rated_bad"]),
            PERCENT,
            note=_("Of the chats shoppers rated."),
            key="rated_good",
        ),
        Figure(_("Rating comments"), totals["rating_comments"]),
        Figure(_("Offline messages"), totals["offline_messages"]),
        Figure(_("Offline messages answered, half within"), offline_answer, SECONDS),
        Figure(_("Chats at once"), _round(ratio(held, online)), RATIO),
    ]
    report.tables = [
        _per_day(filters, by_day, latency_by_day),
        _per_hour(filters, merged_by(by_hour_agent, 0)),
        latency,
        _per_agent(filters, merged_by(by_hour_agent, 1), histograms),
        concurrency,
        concurrency_per_agent,
    ]
    return report


def _round(value):
    return None if value is None else round(value, 2)
