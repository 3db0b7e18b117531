"""Honest availability: agents really present, inside business hours."""

import datetime
import zoneinfo
from datetime import time, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from livechat.models import (
    AgentConnection,
    BusinessHours,
    HolidayException,
    WidgetProfile,
)
from livechat.services import availability, presence

pytestmark = pytest.mark.django_db

MADRID = zoneinfo.ZoneInfo("Europe/Madrid")


def _weekdays_9_to_17():
    for day in range(5):
        BusinessHours.objects.create(weekday=day, opens=time(9), closes=time(17))


def test_no_schedule_means_always_open():
    open_now, next_open, week = availability.hours_state()
    assert open_now and next_open is None and week is None


@override_settings(LIVECHAT_TIMEZONE="Europe/Madrid")
def test_open_inside_hours_in_the_store_time_zone():
    _weekdays_9_to_17()
    # Monday 2026-11-23 10:00 in Madrid is 09:00 UTC.
    monday_10 = datetime.datetime(2026, 11, 23, 10, tzinfo=MADRID)
    open_now, next_open, (tz, week) = availability.hours_state(monday_10)
    assert open_now and next_open is None and str(tz) == "Europe/Madrid"
    assert week[0] == (
        datetime.datetime(2026, 11, 23, 9, tzinfo=MADRID),
        datetime.datetime(2026, 11, 23, 17, tzinfo=MADRID),
    )
    assert len(week) == 5


@override_settings(LIVECHAT_TIMEZONE="Europe/Madrid")
def test_closed_on_friday_evening_opens_monday():
    _weekdays_9_to_17()
    friday_evening = datetime.datetime(2026, 11, 27, 18, tzinfo=MADRID)
    open_now, next_open, _ = availability.hours_state(friday_evening)
    assert not open_now
    assert next_open == datetime.datetime(2026, 11, 30, 9, tzinfo=MADRID)


@override_settings(LIVECHAT_TIMEZONE="Europe/Madrid")
def test_holiday_closes_and_special_hours_replace_the_week():
    _weekdays_9_to_17()
    HolidayException.objects.create(date=datetime.date(2026, 12, 25), note="Xmas")
    HolidayException.objects.create(
        date=datetime.date(2026, 12, 24), closed=False, opens=time(9), closes=time(13)
    )
    christmas_noon = datetime.datetime(2026, 12, 25, 12, tzinfo=MADRID)
    assert not availability.hours_state(christmas_noon)[0]
    eve_2pm = datetime.datetime(2026, 12, 24, 14, tzinfo=MADRID)
    open_now, next_open, _ = availability.hours_state(eve_2pm)
    assert not open_now
    assert next_open == datetime.datetime(2026, 12, 28, 9, tzinfo=MADRID)


@override_settings(LIVECHAT_TIMEZONE="Europe/Madrid")
def test_daylight_saving_change_keeps_local_hours():
    _weekdays_9_to_17()
    # Madrid leaves summer time on 2026-10-25: 9:00 is 07:00 UTC before, 08:00 after.
    friday = datetime.datetime(2026, 10, 23, 10, tzinfo=MADRID)
    _, _, (_, week) = availability.hours_state(friday)
    utc_starts = [o.astimezone(datetime.UTC).hour for o, _ in week]
    assert utc_starts[0] == 7 and utc_starts[1] == 8


def test_timezone_from_the_widget_profile():
    WidgetProfile.objects.create(timezone="Asia/Shanghai")
    assert str(availability.store_timezone()) == "Asia/Shanghai"


def test_agent_presence_needs_a_live_console(agent):
    assert availability.agents_online() == 0
    presence.agent_connected(agent, "console-1")
    assert availability.agents_online() == 1
    presence.set_presence(agent, "away")
    assert availability.agents_online() == 0
    presence.set_presence(agent, "online")
    presence.agent_disconnected(agent, "console-1")
    # Still there during the grace period...
    assert availability.agents_online() == 1
    later = timezone.now() + timedelta(seconds=16)
    assert availability.agents_online(later) == 0


def test_a_supervisor_at_the_console_is_no_agent_online(agent, django_user_model):
    boss = django_user_model.objects.create_superuser("boss", "b@example.com", "pw")
    presence.agent_connected(boss, "console-boss")
    assert availability.agents_online() == 0
    assert availability.compute_availability()["available"] is False
    presence.agent_connected(agent, "console-1")
    assert availability.agents_online() == 1


def test_a_console_that_stops_heartbeating_is_gone(agent):
    presence.agent_connected(agent, "console-1")
    assert AgentConnection.objects.filter(user=agent).count() == 1
    later = timezone.now() + timedelta(seconds=61)
    assert availability.agents_online(later) == 0


def test_heartbeat_keeps_the_agent(agent):
    presence.agent_connected(agent, "console-1")
    AgentConnection.objects.update(
        last_heartbeat_at=timezone.now() - timedelta(seconds=50)
    )
    presence.agent_heartbeat(agent, "console-1")
    later = timezone.now() + timedelta(seconds=30)
    assert availability.agents_online(later) == 1


def test_two_consoles_one_closing_keeps_the_agent(agent):
    presence.agent_connected(agent, "console-1")
    presence.agent_connected(agent, "console-2")
    presence.agent_disconnected(agent, "console-1")
    later = timezone.now() + timedelta(seconds=30)
    assert availability.agents_online(later) == 1


def test_a_crashed_process_never_keeps_an_agent_online(agent):
    # Its sockets never said goodbye; then the agent closes a new console.
    presence.agent_connected(agent, "dead-process-socket")
    presence.agent_connected(agent, "console-2")
    presence.agent_disconnected(agent, "console-2")
    AgentConnection.objects.filter(channel_name="dead-process-socket").update(
        last_heartbeat_at=timezone.now() - timedelta(seconds=61)
    )
    later = timezone.now() + timedelta(seconds=16)
    assert availability.agents_online(later) == 0
    AgentConnection.objects.update(
        last_heartbeat_at=timezone.now() - timedelta(seconds=200)
    )
    assert presence.forget_dead_connections() == 1


def test_disconnect_of_an_unknown_socket_is_harmless(agent):
    presence.agent_disconnected(agent, "never-connected")
    assert not AgentConnection.objects.exists()


@override_settings(LIVECHAT_TIMEZONE="UTC")
def test_available_needs_agents_and_hours(agent):
    assert availability.compute_availability()["available"] is False
    presence.agent_connected(agent, "console-1")
    state = availability.compute_availability()
    assert state["available"] and state["agents_online"] and state["hours"] is None
    now = timezone.now()
    # Open only tomorrow: an agent is there but the store is closed.
    tomorrow = (now + timedelta(days=1)).weekday()
    BusinessHours.objects.create(weekday=tomorrow, opens=time(0), closes=time(23))
    state = availability.compute_availability()
    assert state["available"] is False and state["agents_online"] is True
    assert state["next_open"] is not None and state["hours"]["week"]


def test_status_view_is_fresh_and_honest(client, agent):
    response = client.get("/livechat/status/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response.json()["available"] is False
    presence.agent_connected(agent, "console-1")
    assert client.get("/livechat/status/").json()["available"] is True
    assert client.post("/livechat/status/").status_code == 405
