"""The hourly rollups summed again from the facts, in the database.

Each range of days is one transaction: its ReportHour and ReportLatency rows
are deleted and inserted again by ``INSERT ... SELECT`` of an aggregate over
the facts, so no fact travels to Python. The aggregates say in SQL what
``facts.contribution`` says in Python (tests/services/test_reports_rebuild.py
holds them to each other).
"""

from datetime import timedelta

from django.db import connections, router, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    DecimalField,
    IntegerField,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from ...models import LATENCY_EDGES, ConversationFact, ReportHour, ReportLatency

Outcome = ConversationFact.Outcome
DAYS_PER_TRANSACTION = 7
_KEY = ("day", "hour", "department_key", "agent_key")

_CHAT = Q(source="chat")
_ANSWERED = _CHAT & Q(outcome=Outcome.ANSWERED)
_ORDERED = Q(ordered_at__isnull=False)
# Which facts give each latency, and from which of their fields.
_REPLIED = Q(first_response_seconds__isnull=False)
_LATENCIES = {
    "first_response": (_CHAT & _REPLIED, "first_response_seconds"),
    "wait": (_ANSWERED & Q(wait_seconds__isnull=False), "wait_seconds"),
    "handling": (_ANSWERED & Q(closed_at__isnull=False), "handling_seconds"),
    "offline_answer": (~_CHAT & _REPLIED, "first_response_seconds"),
}


def _count(q):
    return Count("pk", filter=q)


def _sum(field, q=None):
    return Coalesce(Sum(field, filter=q), 0, output_field=BigIntegerField())


def _hour_sums():
    """ReportHour's counters as aggregates of a key's facts."""
    sums = {
        "conversations": Count("pk"),
        "chats": _count(_CHAT),
        "offline_messages": _count(~_CHAT),
        "answered": _count(_ANSWERED),
        "missed": _count(_CHAT & Q(outcome=Outcome.MISSED)),
        "abandoned": _count(_CHAT & Q(outcome=Outcome.ABANDONED)),
        "closed": _count(Q(closed_at__isnull=False)),
        "transfers": _sum("transfers"),
        "transferred": _count(Q(transfers__gt=0)),
        "reopened": _count(Q(reopens__gt=0)),
        "rated_good": _count(Q(rating="good")),
        "rated_bad": _count(Q(rating="bad")),
        "rating_comments": _count(~Q(rating="") & Q(rating_comment=True)),
        "offers_sent": _sum("offers_sent"),
        "offers_redeemed": _sum("offers_redeemed"),
        "ordered": _count(_ORDERED),
        "order_value": Coalesce(
            Sum("order_value"),
            0,
            output_field=DecimalField(max_digits=14, decimal_places=2),
        ),
        "cart_chats": _count(Q(page_kind="cart")),
        "cart_ordered": _count(Q(page_kind="cart") & _ORDERED),
        "checkout_chats": _count(Q(page_kind="checkout")),
        "checkout_ordered": _count(Q(page_kind="checkout") & _ORDERED),
        "invited": _count(~Q(invitation_key=0)),
        "invited_ordered": _count(~Q(invitation_key=0) & _ORDERED),
        "with_target": _count(Q(met_target__isnull=False)),
        "met_target": _count(Q(met_target=True)),
    }
    for metric, (q, field) in _LATENCIES.items():
        sums[f"{metric}_sum"] = _sum(field, q)
        sums[f"{metric}_count"] = _count(q)
    return sums


def _bucket(field):
    """``buckets.latency_bucket`` in SQL: the first edge not exceeded."""
    return Case(
        *(
            When(**{f"{field}__lte": edge}, then=Value(index))
            for index, edge in enumerate(LATENCY_EDGES)
        ),
        default=Value(len(LATENCY_EDGES)),
        output_field=IntegerField(),
    )


def _insert_select(model, queryset, columns):
    """``INSERT INTO model (columns) SELECT ...`` of ``queryset``'s values."""
    db = router.db_for_write(model)
    select, params = queryset.query.get_compiler(using=db).as_sql()
    table = model._meta.db_table
    names = ", ".join(model._meta.get_field(c).column for c in columns)
    with connections[db].cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names}) {select}", params)
        return cursor.rowcount


def _sum_range(facts, first, last):
    """Replace the rollups of the days ``first``..``last`` (inclusive)."""
    days = {"day__gte": first, "day__lte": last}
    in_range = facts.filter(**days).order_by()
    ReportHour.objects.filter(**days).delete()
    ReportLatency.objects.filter(**days).delete()
    # Aliases apart from the facts' own fields, which some sums filter on.
    sums = {f"sum_{name}": value for name, value in _hour_sums().items()}
    hours = in_range.values(*_KEY).annotate(**sums).values(*_KEY, *sums)
    made = _insert_select(
        ReportHour, hours, [*_KEY, *(name.removeprefix("sum_") for name in sums)]
    )
    latencies = 0
    for metric, (q, field) in _LATENCIES.items():
        rows = (
            in_range.filter(q)
            .annotate(
                metric_name=Value(metric, output_field=CharField()),
                bucket_index=_bucket(field),
            )
            .values(*_KEY, "metric_name", "bucket_index")
            .annotate(n=Count("pk"))
            .values(*_KEY, "metric_name", "bucket_index", "n")
        )
        latencies += _insert_select(
            ReportLatency, rows, [*_KEY, "metric", "bucket", "count"]
        )
    return made, latencies


def sum_facts(facts, since=None, progress=None):
    """ReportHour and ReportLatency of the days from ``since`` (None: all),
    summed again from ``facts``; a transaction per DAYS_PER_TRANSACTION days.
    Returns ``(hours, latencies)``: the rows made."""
    bounds = facts.order_by().aggregate(first=Min("day"), last=Max("day"))
    stale = Q(day__gte=since) if since is not None else Q()
    hours = latencies = 0
    first, last = bounds["first"], bounds["last"]
    if first is not None:
        first = max(first, since) if since is not None else first
        total = (last - first).days + 1
        day = first
        while day <= last:
            end = min(day + timedelta(days=DAYS_PER_TRANSACTION - 1), last)
            with transaction.atomic():
                made, buckets = _sum_range(facts, day, end)
            hours, latencies = hours + made, latencies + buckets
            day = end + timedelta(days=1)
            if progress is not None:
                progress("rollups", (day - first).days, total)
        # Rows of days no fact has any more (deleted conversations).
        stale &= Q(day__lt=first) | Q(day__gt=last)
    with transaction.atomic():
        ReportHour.objects.filter(stale).delete()
        ReportLatency.objects.filter(stale).delete()
    return hours, latencies
