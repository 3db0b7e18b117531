"""Agent presence: the write path behind "online" in the widget.

A console socket counts itself in on hello, heartbeats on every ping and
counts itself out on disconnect; ``services.availability`` reads the result.
Every change is pushed to open widgets as an ``availability`` frame and
emits ``AgentPresenceChanged`` (routing listens).
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .. import events
from ..conf import app_settings
from ..models import AgentConnection, AgentProfile
from ..realtime.groups import WIDGETS_GROUP
from ..realtime.publishing import send_latest, send_now
from .availability import compute_availability, forget_cached

_HEARTBEAT_EVERY = timedelta(seconds=5)


def _profile(agent):
    profile, _created = AgentProfile.objects.get_or_create(user=agent)
    return profile


def availability_frame():
    return {"type": "availability", **compute_availability()}


def publish_availability():
    """Tell every open widget whether anyone is there now."""
    forget_cached()
    send_now([WIDGETS_GROUP], availability_frame())


def _availability_update():
    forget_cached()
    return [([WIDGETS_GROUP], availability_frame())]


def _changed(agent):
    """``agent``'s presence changed: forget the cached answer and tell the
    widgets; the event lets routing give waiting chats to whoever is there."""
    forget_cached()
    transaction.on_commit(lambda: send_latest("availability", _availability_update))
    events.emit(events.AgentPresenceChanged(agent))


def agent_connected(agent, channel_name):
    """A console socket of ``agent`` said hello."""
    _profile(agent)
    now = timezone.now()
    AgentConnection.objects.update_or_create(
        channel_name=channel_name,
        defaults={"user": agent, "connected_at": now, "last_heartbeat_at": now},
    )
    AgentProfile.objects.filter(user=agent).update(last_seen_at=now, last_active_at=now)
    _changed(agent)


def agent_heartbeat(agent, channel_name, active=False):
    """A console socket is still there (its ping); cheap when recent.

    ``active``: the agent used the console since the last ping.
    """
    now = timezone.now()
    AgentConnection.objects.filter(
        channel_name=channel_name, last_heartbeat_at__lt=now - _HEARTBEAT_EVERY
    ).update(last_heartbeat_at=now)
    AgentProfile.objects.filter(
        user=agent, last_seen_at__lt=now - _HEARTBEAT_EVERY
    ).update(last_seen_at=now)
    if active:
        agent_active(agent)


def agent_active(agent):
    """The agent did something; one who had gone idle (away) is back."""
    now = timezone.now()
    idle_since = now - timedelta(seconds=app_settings.AGENT_IDLE_AWAY_SECONDS)
    was_idle = AgentProfile.objects.filter(
        user=agent, last_active_at__lt=idle_since
    ).exists()
    AgentProfile.objects.filter(
        user=agent, last_active_at__lt=now - _HEARTBEAT_EVERY
    ).update(last_active_at=now)
    if was_idle:
        _changed(agent)


def agent_disconnected(agent, channel_name):
    """A console socket closed: the grace period starts now."""
    AgentConnection.objects.filter(channel_name=channel_name).delete()
    AgentProfile.objects.filter(user=agent).update(last_seen_at=timezone.now())
    forget_cached()


def agent_grace_over(agent):
    """The grace period after a console closed is over: the widgets learn
    whether anyone is still there, and the event updates the board (the
    agent may have left for good) and routing."""
    publish_availability()
    events.emit(events.AgentPresenceChanged(agent))


def forget_dead_connections():
    """Rows of sockets whose process died: their heartbeat has long expired."""
    limit = timezone.now() - timedelta(seconds=2 * app_settings.AGENT_HEARTBEAT_TIMEOUT)
    return AgentConnection.objects.filter(last_heartbeat_at__lt=limit).delete()[0]


def set_presence(agent, presence):
    """The agent chose online, away or offline."""
    if presence not in AgentProfile.Presence.values:
        raise ValueError(presence)
    _profile(agent)
    AgentProfile.objects.filter(user=agent).update(
        presence=presence, last_active_at=timezone.now()
    )
    _changed(agent)


def set_preferences(agent, sound=None, desktop=None):
    """The agent's notification switches."""
    changes = {}
    if isinstance(sound, bool):
        changes["notify_sound"] = sound
    if isinstance(desktop, bool):
        changes["notify_desktop"] = desktop
    _profile(agent)
    if changes:
        AgentProfile.objects.filter(user=agent).update(**changes)
    return AgentProfile.objects.get(user=agent)
