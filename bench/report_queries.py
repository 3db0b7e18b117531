"""What a report page asks the database, as plain ORM queries.

Each function takes the first and last local day of a range and returns
the figures (evaluated), as one report of the admin would: they read the
rollups (ReportHour, ReportLatency, AgentHour, TermDay) and, for what a sum
cannot say (unique shoppers, a drill-down list), the facts of the range.
bench/reports.py times them; its REPORTS table names them.
"""

from django.db.models import Count, ExpressionWrapper, F, IntegerField, Q, Sum
from django.db.models.functions import ExtractIsoWeekDay

from livechat.models import (
    LATENCY_EDGES,
    AgentHour,
    ConversationFact,
    ReportHour,
    ReportLatency,
    TermDay,
)


def _days(queryset, first, last):
    return queryset.filter(day__gte=first, day__lte=last)


def chats_per_day(first, last):
    """The service chart: chats, answered, missed, abandoned and the mean
    first response, per day."""
    return list(
        _days(ReportHour.objects, first, last)
        .values("day")
        .annotate(
            chats=Sum("chats"),
            answered=Sum("answered"),
            missed=Sum("missed"),
            abandoned=Sum("abandoned"),
            offline=Sum("offline_messages"),
            response_sum=Sum("first_response_sum"),
            response_count=Sum("first_response_count"),
        )
        .order_by("day")
    )


def chats_per_hour(first, last):
    """Chats by hour of the day, over the range."""
    return list(
        _days(ReportHour.objects, first, last)
        .values("hour")
        .annotate(chats=Sum("chats"), missed=Sum("missed"))
        .order_by("hour")
    )


def percentiles(first, last, metric="first_response"):
    """p50 and p90 of a latency, from the histogram's buckets."""
    counts = dict(
        _days(ReportLatency.objects, first, last)
        .filter(metric=metric)
        .values("bucket")
        .annotate(n=Sum("count"))
        .values_list("bucket", "n")
    )
    total = sum(counts.values())
    found, seen = {}, 0
    for bucket in sorted(counts):
        seen += counts[bucket]
        for share in (0.5, 0.9):
            if share not in found and seen >= share * total:
                found[share] = LATENCY_EDGES[min(bucket, len(LATENCY_EDGES) - 1)]
    return found


def per_agent(first, last):
    """Chats, answers and handling per agent, with their online hours and
    how many chats they held at once."""
    chats = {
        row["agent_key"]: row
        for row in _days(ReportHour.objects, first, last)
        .exclude(agent_key=0)
        .values("agent_key")
        .annotate(
            chats=Sum("chats"),
            answered=Sum("answered"),
            handling=Sum("handling_sum"),
            transfers=Sum("transfers"),
        )
    }
    for row in (
        _days(AgentHour.objects, first, last)
        .values("agent_key")
        .annotate(online=Sum("online_seconds"), held=Sum("chat_seconds"))
    ):
        chats.setdefault(row["agent_key"], {}).update(row)
    return chats


def demand_heatmap(first, last):
    """Weekday x hour: chat requests and offline messages against the
    seconds agents were online."""
    weekday = ExtractIsoWeekDay("day")
    demand = list(
        _days(ReportHour.objects, first, last)
        .annotate(weekday=weekday)
        .values("weekday", "hour")
        .annotate(chats=Sum("chats"), offline=Sum("offline_messages"))
    )
    staffed = list(
        _days(AgentHour.objects, first, last)
        .annotate(weekday=weekday)
        .values("weekday", "hour")
        .annotate(online=Sum("online_seconds"))
    )
    return demand, staffed


def top_terms(first, last, language="en"):
    """The 30 words and phrases most conversations used."""
    return list(
        _days(TermDay.objects, first, last)
        .filter(language=language)
        .values("term")
        .annotate(n=Sum("conversations"))
        .order_by("-n", "term")[:30]
    )


def unique_shoppers(first, last):
    """Shoppers who chatted, and those of them who ordered after."""
    facts = _days(ConversationFact.objects, first, last)
    return facts.aggregate(
        shoppers=Count("visitor_id_key", distinct=True),
        ordered=Count(
            "visitor_id_key", distinct=True, filter=Q(ordered_at__isnull=False)
        ),
    )


def drill_down(first, last):
    """The conversations behind one cell of the heatmap (Saturdays, 20h),
    newest first, one page."""
    return list(
        _days(ConversationFact.objects, first, last)
        .filter(hour=20, weekday=5)
        .annotate(
            waited=ExpressionWrapper(
                F("first_response_seconds"), output_field=IntegerField()
            )
        )
        .order_by("-started_at")
        .values("conversation_id", "started_at", "agent_key", "outcome", "waited")[:50]
    )
