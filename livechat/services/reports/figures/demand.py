"""Demand against staffing: when shoppers ask (chats and offline messages),
when agents are online, and the waiting and missed chats the gaps cause,
by weekday and local hour."""

from django.db.models import Sum
from django.db.models.functions import ExtractIsoWeekDay
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from ..filters import Filters
from .base import (
    COUNT,
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
    days_of,
    hours,
    mean,
    range_drill,
    share,
)

_HOURS = range(24)


def _cells(queryset, fields):
    """``{(weekday 0-6, hour): {field: total}}`` of a day-and-hour rollup."""
    rows = (
        queryset.annotate(iso_weekday=ExtractIsoWeekDay("day"))
        .values("iso_weekday", "hour")
        .annotate(**{f"s_{name}": Sum(name) for name in fields})
        .order_by()
    )
    return {
        (row["iso_weekday"] - 1, row["hour"]): {
            name: row[f"s_{name}"] or 0 for name in fields
        }
        for row in rows
    }


def _heatmap(filters, key, title, unit, value, note="", drill=None):
    """A weekday x hour table of ``value(weekday, hour)``."""
    columns = [Column("weekday", _("Weekday"), TEXT)]
    columns += [Column(f"h{hour:02d}", f"{hour:02d}", unit) for hour in _HOURS]
    table = Table(
        key,
        title,
        columns,
        chart=Chart("heatmap", "weekday", [c.key for c in columns[1:]]),
        drill=[],
        column_drill={f"h{hour:02d}": {"hour": hour} for hour in _HOURS},
        note=note,
    )
    for weekday in range(7):
        table.rows.append(
            [str(WEEKDAYS[weekday])] + [value(weekday, hour) for hour in _HOURS]
        )
        table.drill.append(range_drill(filters, weekday=weekday, **(drill or {})))
    return table


def demand_report(filters: Filters) -> Report:
    """Requests, agents online and waiting by weekday and hour."""
    demand = _cells(
        hours(filters),
        ("chats", "offline_messages", "missed", "abandoned", "wait_sum", "wait_count"),
    )
    staffing = _cells(agent_hours(filters), ("online_seconds",))
    # How many of each weekday the range holds: agents online on average.
    occurrences = [0] * 7
    for day in days_of(filters):
        occurrences[day.weekday()] += 1

    def requests(weekday, hour):
        cell = demand.get((weekday, hour), {})
        return cell.get("chats", 0) + cell.get("offline_messages", 0)

    def online(weekday, hour):
        seconds = staffing.get((weekday, hour), {}).get("online_seconds", 0)
        weeks = occurrences[weekday]
        return round(seconds / 3600 / weeks, 2) if weeks else 0

    def unanswered(weekday, hour):
        cell = demand.get((weekday, hour), {})
        return cell.get("missed", 0) + cell.get("abandoned", 0)

    def wait(weekday, hour):
        cell = demand.get((weekday, hour), {})
        return mean(cell.get("wait_sum", 0), cell.get("wait_count", 0))

    total = sum(requests(w, h) for w in range(7) for h in _HOURS)
    unstaffed = sum(
        requests(w, h)
        for w in range(7)
        for h in _HOURS
        if not staffing.get((w, h), {}).get("online_seconds")
    )
    report = Report("demand", _("Demand and staffing"), filters)
    report.figures = [
        Figure(_("Requests"), total, COUNT, _("Chats and offline messages.")),
        Figure(
            _("Asked while nobody was online"),
            share(unstaffed, total),
            PERCENT,
            _("Requests in hours no agent was online in the range."),
        ),
        Figure(
            _("Missed or abandoned"),
            sum(unanswered(w, h) for w in range(7) for h in _HOURS),
        ),
    ]
    report.tables = [
        _heatmap(
            filters,
            "requests",
            _("Chat requests and offline messages"),
            COUNT,
            requests,
        ),
        _heatmap(
            filters,
            "online",
            _("Agents online, on average"),
            RATIO,
            online,
            _("Agent hours online in that hour, over the weeks of the range."),
        ),
        _heatmap(
            filters,
            "unanswered",
            _("Missed and abandoned chats"),
            COUNT,
            unanswered,
            drill={"outcome__in": ("missed", "abandoned")},
        ),
        _heatmap(filters, "wait", _("Mean wait until taken"), SECONDS, wait),
    ]
    return report
