"""Time as the reports count it: the store's local day and hour, and the
latency histogram's buckets."""

import bisect
from datetime import datetime, time, timedelta

from ...models import LATENCY_EDGES
from ..availability import store_timezone


def local_bucket(moment, tz=None):
    """``(day, hour, weekday)`` of an aware datetime in the store's zone."""
    local = moment.astimezone(tz or store_timezone())
    return local.date(), local.hour, local.weekday()


def latency_bucket(seconds):
    """The histogram bucket of a duration: the index of the first edge it
    does not exceed, or ``len(LATENCY_EDGES)`` when longer than all."""
    return bisect.bisect_left(LATENCY_EDGES, seconds)


def split_by_hour(start, end, tz=None):
    """``[(day, hour, seconds), ...]``: the local hours ``[start, end)`` covers.

    Walks the zone's real hours, so a day with a clock change has 23 or 25
    of them and no second is counted twice.
    """
    tz = tz or store_timezone()
    pieces = []
    cursor = start
    while cursor < end:
        local = cursor.astimezone(tz)
        # Clocks change on a local hour, so the time left in this local hour
        # is an hour less what has passed since it began, in real seconds.
        past = local.minute * 60 + local.second + local.microsecond / 1e6
        stop = min(end, cursor + timedelta(seconds=3600 - past))
        pieces.append((local.date(), local.hour, (stop - cursor).total_seconds()))
        cursor = stop
    return pieces


def day_range(start_day, end_day, tz=None):
    """The aware datetimes where local ``start_day`` begins and the day after
    ``end_day`` begins."""
    tz = tz or store_timezone()
    return (
        datetime.combine(start_day, time.min, tzinfo=tz),
        datetime.combine(end_day + timedelta(days=1), time.min, tzinfo=tz),
    )
