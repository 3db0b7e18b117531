"""The rollups: sums the reports read, moved by each fact's change.

Every change is an addition (``UPDATE ... SET n = n + d``), so concurrent
listeners never overwrite each other's counts; a missing row is inserted,
and an insert that loses a race to another becomes an addition too.
"""

from django.db import IntegrityError, transaction
from django.db.models import F

from ...models import AgentHour, ReportHour, ReportLatency, TermDay

_HOUR_KEY = ("day", "hour", "department_key", "agent_key")


def _add(model, key, deltas):
    """Add ``deltas`` (field -> amount) to the row of ``key`` (field -> value)."""
    deltas = {name: amount for name, amount in deltas.items() if amount}
    if not deltas:
        return
    updates = {name: F(name) + amount for name, amount in deltas.items()}
    if model.objects.filter(**key).update(**updates):
        return
    try:
        with transaction.atomic():
            model.objects.create(**key, **deltas)
    except IntegrityError:
        model.objects.filter(**key).update(**updates)


def add_hour(key, counters, sign=1):
    """Add (or with ``sign`` -1 take away) counters to a ReportHour row."""
    _add(
        ReportHour,
        dict(zip(_HOUR_KEY, key, strict=True)),
        {name: sign * value for name, value in counters.items()},
    )


def add_latency(key, metric, bucket, amount):
    _add(
        ReportLatency,
        {**dict(zip(_HOUR_KEY, key, strict=True)), "metric": metric, "bucket": bucket},
        {"count": amount},
    )


def add_agent_time(agent_key, pieces, field):
    """Add ``[(day, hour, seconds), ...]`` to an agent's ``field`` of AgentHour."""
    for day, hour, seconds in pieces:
        _add(
            AgentHour,
            {"day": day, "hour": hour, "agent_key": agent_key},
            {field: round(seconds)},
        )


def add_terms(day, language, terms, amount):
    for term in terms:
        _add(
            TermDay,
            {"day": day, "language": language, "term": term},
            {"conversations": amount},
        )


def apply_change(before, after):
    """Move the rollups from a fact's contribution ``before`` (None for a new
    fact) to ``after`` (None for a fact gone)."""
    if before is not None and after is not None and before[0] == after[0]:
        key, old, new = after[0], before[1], after[1]
        names = set(old) | set(new)
        add_hour(key, {n: new.get(n, 0) - old.get(n, 0) for n in names})
        changed = _latency_counts(after[2])
        for item, count in _latency_counts(before[2]).items():
            changed[item] = changed.get(item, 0) - count
        for (metric, bucket), amount in changed.items():
            if amount:
                add_latency(key, metric, bucket, amount)
        return
    for contribution, sign in ((before, -1), (after, 1)):
        if contribution is None:
            continue
        key, counters, latencies = contribution
        add_hour(key, counters, sign)
        for (metric, bucket), count in _latency_counts(latencies).items():
            add_latency(key, metric, bucket, sign * count)


def _latency_counts(latencies):
    counts = {}
    for item in latencies:
        counts[item] = counts.get(item, 0) + 1
    return counts
