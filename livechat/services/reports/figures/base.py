"""The shapes every report returns, and the reads they share.

A report is headline figures and tables; a table may be drawn as a chart
of some of its columns, so the chart and the table always hold the same
numbers. ``drill`` says, per row, which conversations a row counts: lookups
on ConversationFact (``day__gte``, ``hour``, ``agent_key``...), or ``q``
for a search; the admin turns them into a link to those conversations.
"""

import math
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils.translation import gettext

from ....models import LATENCY_EDGES, AgentHour, Department, ReportHour, ReportLatency
from ..filters import Filters, reports_database

# Column units: how the admin shows a value and what a CSV holds.
TEXT, DAY, COUNT, SECONDS, PERCENT, RATIO, MONEY, HOURS = (
    "text",
    "day",
    "count",
    "seconds",
    "percent",
    "ratio",
    "money",
    "hours",
)


@dataclass
class Column:
    key: str
    label: str
    unit: str = COUNT


@dataclass
class Chart:
    """How a table is drawn: ``bars`` or ``lines`` of the ``values`` columns
    against the ``label`` column, or a ``heatmap`` of them (one row a row)."""

    kind: str
    label: str
    values: list[str]


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    drill: list[dict | None] | None = None
    column_drill: dict[str, dict] | None = None
    chart: Chart | None = None
    note: str = ""

    def column(self, key):
        return next(c for c in self.columns if c.key == key)

    def values(self, key):
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]


@dataclass
class Figure:
    label: str
    value: object
    unit: str = COUNT
    note: str = ""
    key: str = ""  # for the pages that pick figures, whatever the language


@dataclass
class Report:
    slug: str
    title: str
    filters: Filters
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    currency: str = ""

    def table(self, key):
        return next(t for t in self.tables if t.key == key)

    def figure(self, label):
        return next(f for f in self.figures if f.label == label).value


def ratio(part, whole, scale=1):
    """``part / whole`` (times ``scale``), or None when there is no whole."""
    if not whole:
        return None
    return part * scale / whole


def share(part, whole):
    """``part`` as a percentage of ``whole``, one decimal, or None."""
    value = ratio(part, whole, 100)
    return None if value is None else round(value, 1)


def mean(total, count):
    value = ratio(total, count)
    return None if value is None else round(value)


def hours(filters: Filters):
    """The ReportHour rows the filters cover, on the reports' database."""
    return ReportHour.objects.using(reports_database()).filter(**filters.hour_lookups())


def agent_hours(filters: Filters):
    """The AgentHour rows of the range, of the agent or the department's agents."""
    database = reports_database()
    rows = AgentHour.objects.using(database).filter(
        day__gte=filters.start, day__lte=filters.end
    )
    if filters.agent is not None:
        rows = rows.filter(agent_key=filters.agent)
    if filters.department is not None:
        members = Department.agents.through.objects.using(database).filter(
            department_id=filters.department
        )
        rows = rows.filter(agent_key__in=members.values("user_id"))
    return rows


def sums(queryset, names):
    """``{name: total}`` of the named fields (0 for none)."""
    totals = queryset.aggregate(**{name: Sum(name) for name in names})
    return {name: totals[name] or 0 for name in names}


def percentile(counts, fraction):
    """The duration within which ``fraction`` of a histogram's items fall.

    ``counts`` maps a bucket (an index into LATENCY_EDGES) to its count; the
    answer is the upper edge of the bucket holding the item of that rank
    ("half were answered within 30 s"), ``math.inf`` past the last edge, and
    None with no items.
    """
    total = sum(counts.values())
    if total <= 0:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for bucket in sorted(counts):
        seen += counts[bucket]
        if seen >= rank:
            return LATENCY_EDGES[bucket] if bucket < len(LATENCY_EDGES) else math.inf
    return math.inf


def latency_histograms(filters: Filters, by=()):
    """``{(metric, *by values): {bucket: count}}`` of every latency, in one
    read of the histograms (grouped by the fields ``by``)."""
    fields = ["metric", *by, "bucket"]
    rows = (
        ReportLatency.objects.using(reports_database())
        .filter(**filters.hour_lookups())
        .values(*fields)
        .annotate(n=Sum("count"))
        .order_by()
    )
    histograms = {}
    for row in rows:
        key = (row["metric"], *(row[name] for name in by))
        histogram = histograms.setdefault(key, {})
        histogram[row["bucket"]] = histogram.get(row["bucket"], 0) + row["n"]
    return histograms


def percentiles_of(histograms, metric, index=None):
    """``{group: (p50, p90)}`` of one metric of ``latency_histograms``,
    grouped by its ``index``-th ``by`` field (None: one group, None)."""
    merged = {}
    for key, histogram in histograms.items():
        if key[0] != metric:
            continue
        group = merged.setdefault(None if index is None else key[1 + index], {})
        for bucket, count in histogram.items():
            group[bucket] = group.get(bucket, 0) + count
    return {
        group: (percentile(c, 0.5), percentile(c, 0.9)) for group, c in merged.items()
    }


def days_of(filters: Filters):
    """Every day of the range, in order."""
    return [filters.start + timedelta(days=n) for n in range(filters.days)]


def range_drill(filters: Filters, **extra):
    """The drill-down lookups of the filters' conversations, and ``extra``."""
    return {**filters.hour_lookups(), **extra}


def department_names(keys):
    """``{key: name}`` of department keys (0: none)."""
    names = {0: gettext("No department")}
    wanted = [k for k in keys if k]
    if wanted:
        rows = Department.objects.using(reports_database()).filter(pk__in=wanted)
        names.update((d.pk, d.name) for d in rows)
    return names


def agent_names(keys):
    """``{key: name}`` of agent keys (0: nobody), as the admin knows them."""
    names = {0: gettext("Nobody")}
    wanted = [k for k in keys if k]
    if wanted:
        users = get_user_model().objects.using(reports_database()).filter(pk__in=wanted)
        names.update((u.pk, u.get_full_name() or u.get_username()) for u in users)
    return names


# The hourly sums the service and targets reports add up.
HOUR_SUMS = (
    "conversations",
    "chats",
    "offline_messages",
    "answered",
    "missed",
    "abandoned",
    "transfers",
    "transferred",
    "reopened",
    "first_response_sum",
    "first_response_count",
    "wait_sum",
    "wait_count",
    "handling_sum",
    "handling_count",
    "offline_answer_sum",
    "offline_answer_count",
    "rated_good",
    "rated_bad",
    "rating_comments",
    "with_target",
    "met_target",
)


def grouped_sums(filters: Filters, *by):
    """``{group: {counter: total}}`` of the hourly sums (HOUR_SUMS) grouped by
    the fields ``by`` (a group is a value, or a tuple of values for several)."""
    rows = (
        hours(filters)
        .values(*by)
        .annotate(**{f"s_{name}": Sum(name) for name in HOUR_SUMS})
        .order_by()
    )
    grouped = {}
    for row in rows:
        group = row[by[0]] if len(by) == 1 else tuple(row[name] for name in by)
        grouped[group] = {name: row[f"s_{name}"] or 0 for name in HOUR_SUMS}
    return grouped


def total_of(grouped):
    """The sums of every group of ``grouped_sums``."""
    total = dict.fromkeys(HOUR_SUMS, 0)
    for counts in grouped.values():
        for name, value in counts.items():
            total[name] += value
    return total


def merged_by(grouped, index):
    """Sums of ``grouped_sums`` over all but the ``index``-th field."""
    merged = {}
    for group, counts in grouped.items():
        into = merged.setdefault(group[index], dict.fromkeys(HOUR_SUMS, 0))
        for name, value in counts.items():
            into[name] += value
    return merged
