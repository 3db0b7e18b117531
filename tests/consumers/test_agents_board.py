"""The supervisors' board: who is at the console, whatever their presence."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import override_settings

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


def _make_supervisor():
    user = get_user_model().objects.create_user(
        username="boss", password="pw", is_staff=True, first_name="Boss"
    )
    user.user_permissions.add(Permission.objects.get(codename="supervise_conversation"))
    return get_user_model().objects.get(pk=user.pk)


async def _board_until(supervisor, check):
    """The first ``agents`` frame whose rows pass ``check`` (by name)."""
    while True:
        frame = await supervisor.expect("agents")
        rows = {row["name"]: row for row in frame["agents"]}
        if check(rows):
            return rows


@override_settings(LIVECHAT_AGENT_GRACE_SECONDS=0)
async def test_an_away_agent_with_the_console_open_is_connected(
    agent_client, agent, make_agent
):
    bob = await db(make_agent)("bob", first_name="Bob")
    alice_console = await agent_client(agent)
    await alice_console.expect("welcome")
    bob_console = await agent_client(bob)
    await bob_console.expect("welcome")
    await bob_console.send(type="presence", status="away")
    await bob_console.expect("presence")
    supervisor = await agent_client(await db(_make_supervisor)())
    welcome = await supervisor.expect("welcome")
    rows = {row["name"]: row for row in welcome["agents"]}
    # Bob chose "away" and his console is open: away, at the console, not
    # given chats. The board used to read "present" (answering now) as
    # "at the console" and said "Away - not at the console".
    assert rows["Bob"]["presence"] == "away"
    assert rows["Bob"]["present"] is False
    assert rows["Bob"]["connected"] is True
    assert rows["Alice"]["present"] is True and rows["Alice"]["connected"] is True
    assert rows["Alice"]["idle"] is False
    # Bob closes his console: once the grace period is over the board
    # says so without waiting for another change.
    await bob_console.disconnect()
    rows = await _board_until(supervisor, lambda r: not r["Bob"]["connected"])
    assert rows["Alice"]["connected"] is True
