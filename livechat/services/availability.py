"""Is anyone there? Agent presence and business hours, told honestly.

The widget shows "online" only when ``availability()["available"]``: at least
one agent whose console is really connected (a live socket with a recent
heartbeat, or within a short grace period after the last one closed) has
chosen "online", **and** the store is inside its business hours.
"""

import datetime
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..adapter import get_adapter, load_permissions
from ..conf import app_settings
from ..models import (
    AgentConnection,
    AgentProfile,
    BusinessHours,
    HolidayException,
    WidgetProfile,
)
from ..shared_cache import cache

_CACHE_KEY = "livechat:availability"
_CACHE_SECONDS = 2
WEEK_DAYS = 7


def connected_agents_filter(now=None):
    """Q for agents whose console is open now, whatever their presence: a
    console socket with a recent heartbeat, or the grace period after the
    last one closed (a reload is not a departure)."""
    now = now or timezone.now()
    heartbeat = now - timedelta(seconds=app_settings.AGENT_HEARTBEAT_TIMEOUT)
    grace = now - timedelta(seconds=app_settings.AGENT_GRACE_SECONDS)
    live_socket = Exists(
        AgentConnection.objects.filter(
            user_id=OuterRef("user_id"), last_heartbeat_at__gte=heartbeat
        )
    )
    return Q(live_socket) | Q(last_seen_at__gte=grace)


def present_agents_filter(now=None):
    """Q for agents who are really at their console now, online and not idle."""
    now = now or timezone.now()
    idle = now - timedelta(seconds=app_settings.AGENT_IDLE_AWAY_SECONDS)
    return (
        Q(presence=AgentProfile.Presence.ONLINE)
        # Online but idle past the limit counts as away.
        & (Q(last_active_at__isnull=True) | Q(last_active_at__gte=idle))
        & connected_agents_filter(now)
    )


def agents_online(now=None):
    """How many agents are online and really connected.

    Supervisors who are not agents have a console (and so a presence) too,
    but nobody is answered by them: they do not count.
    """
    profiles = list(
        AgentProfile.objects.filter(present_agents_filter(now)).select_related("user")
    )
    load_permissions([profile.user for profile in profiles])
    adapter = get_adapter()
    return sum(1 for profile in profiles if adapter.is_agent(profile.user))


def store_timezone():
    """The business hours' zone: LIVECHAT_TIMEZONE, the profile's, TIME_ZONE."""
    name = app_settings.TIMEZONE
    if not name:
        profile = WidgetProfile.objects.only("timezone").first()
        name = (profile and profile.timezone) or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def opening_periods(start, days, tz=None):
    """Opening periods of ``days`` days from date ``start``, holidays applied.

    Returns ``None`` when no weekly schedule is set (always open), else a
    list of ``(opens, closes)`` aware datetimes in ascending order.
    """
    weekly = list(BusinessHours.objects.values_list("weekday", "opens", "closes"))
    if not weekly:
        return None
    tz = tz or store_timezone()
    end = start + timedelta(days=days)
    exceptions = {
        e.date: e
        for e in HolidayException.objects.filter(date__gte=start, date__lt=end)
    }
    periods = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        exception = exceptions.get(day)
        if exception is not None:
            if exception.closed or not (exception.opens and exception.closes):
                continue
            spans = [(exception.opens, exception.closes)]
        else:
            spans = [(o, c) for weekday, o, c in weekly if weekday == day.weekday()]
        for opens, closes in sorted(spans):
            periods.append(
                (
                    datetime.datetime.combine(day, opens, tzinfo=tz),
                    datetime.datetime.combine(day, closes, tzinfo=tz),
                )
            )
    return periods


def hours_state(now=None):
    """``(open_now, next_open, (tz, week))``; the last is None when always open.

    ``week`` holds the opening periods of the seven local days from today.
    """
    now = now or timezone.now()
    tz = store_timezone()
    today = now.astimezone(tz).date()
    # Yesterday too, in case a period runs past midnight in UTC terms.
    periods = opening_periods(today - timedelta(days=1), WEEK_DAYS + 8, tz)
    if periods is None:
        return True, None, None
    open_now = any(opens <= now < closes for opens, closes in periods)
    upcoming = [opens for opens, _closes in periods if opens > now]
    next_open = None if open_now or not upcoming else min(upcoming)
    # The seven local days from today, whole days (a period that ended this
    # morning still belongs to "Mon-Fri 9:00-17:00").
    last_day = today + timedelta(days=WEEK_DAYS)
    week = [(o, c) for o, c in periods if today <= o.date() < last_day]
    return open_now, next_open, (tz, week)


def _iso(value):
    return value.astimezone(datetime.UTC).isoformat() if value else None


def compute_availability(now=None):
    """The availability frame's fields (see docs/protocol.md), uncached."""
    now = now or timezone.now()
    online = agents_online(now)
    open_now, next_open, hours = hours_state(now)
    profile = WidgetProfile.objects.only("offline_note").first()
    return {
        "available": bool(online) and open_now,
        "agents_online": bool(online),
        "open_now": open_now,
        "next_open": _iso(next_open),
        "hours": None
        if hours is None
        else {
            "timezone": str(hours[0]),
            "week": [{"start": _iso(o), "end": _iso(c)} for o, c in hours[1]],
        },
        "note": profile.offline_note if profile else "",
    }


def availability(use_cache=True):
    """``compute_availability()`` shared for a couple of seconds per process.

    Every open page polls; the cache keeps that to a few queries per second
    whatever the number of shoppers.
    """
    if use_cache:
        cached = cache.get(_CACHE_KEY)
        if cached is not None:
            return cached
    value = compute_availability()
    cache.set(_CACHE_KEY, value, _CACHE_SECONDS)
    return value


def forget_cached():
    """Drop the cached answer after a presence change."""
    cache.delete(_CACHE_KEY)
