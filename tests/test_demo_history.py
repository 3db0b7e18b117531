"""seed_demo's history (example_shop/shop/demo_history.py), played on the test
database: the rollups the listeners kept show what the demo's reports are
for: demand in the evenings and at weekends while agents work 9 to 5,
missed and abandoned chats, offline messages, transfers, saved replies,
ratings and orders after chats; a second run adds nothing."""

from datetime import UTC, datetime

import pytest
from django.db.models import Sum

from example_shop.shop import demo_history
from livechat.models import (
    AgentConnection,
    AgentHour,
    AgentOnlineSpan,
    AgentProfile,
    CannedReply,
    CannedUse,
    Conversation,
    ConversationFact,
    OrderRecord,
    ReportHour,
    TermDay,
)

pytestmark = [pytest.mark.django_db(transaction=True)]

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)  # a Friday


def _sum(rows, name):
    return rows.aggregate(n=Sum(name))["n"] or 0


def test_weeks_of_chats_fill_the_reports_once(make_agent, django_user_model):
    ann, bob = make_agent("ann"), make_agent("bob")
    AgentProfile.objects.create(user=ann, presence="online")  # as the demo's
    editor = django_user_model.objects.create_superuser("boss", password="pw")
    played, ended_early = demo_history.seed_history(
        [ann, bob], weeks=1, conversations=45, now=NOW, editor=editor
    )
    assert (played, ended_early) == (45, 0)
    assert Conversation.objects.count() == 45
    hours = ReportHour.objects.all()
    assert _sum(hours, "conversations") == 45
    evening = hours.filter(hour__gte=18)
    office = hours.filter(hour__gte=9, hour__lt=17)
    # The evenings' 6 hours bring about as many chats as the 8 office hours,
    # and most go unanswered.
    assert _sum(evening, "conversations") > 0.6 * _sum(office, "conversations")
    assert _sum(evening, "answered") < _sum(evening, "conversations") / 2
    weekend = ConversationFact.objects.filter(weekday__gte=5).count()
    assert weekend > 45 * 2 / 7  # more than their share of the week
    for counter in ("missed", "abandoned", "offline_messages", "answered"):
        assert _sum(hours, counter) > 0, counter
    assert _sum(hours, "rated_good") > 0 and _sum(hours, "ordered") > 0
    assert (
        OrderRecord.objects.filter(conversation=None).count()
        == demo_history.ORDERS_WITHOUT_CHAT_PER_WEEK
    )
    assert CannedReply.objects.filter(owner=None).count() == 3
    assert CannedUse.objects.exists()
    # Agents online on weekdays from 9 (the store's zone is UTC here).
    online = AgentHour.objects.filter(online_seconds__gt=0)
    assert online.exists() and not online.filter(hour__lt=8).exists()
    assert TermDay.objects.filter(language="es").exists()
    # Every chat has ended, and no console of the past is left connected.
    assert not Conversation.objects.filter(status="waiting", source="chat").exists()
    assert not AgentConnection.objects.exists()
    assert not AgentOnlineSpan.objects.filter(ended_at=None).exists()
    assert AgentProfile.objects.get(user=ann).presence == "online"

    assert demo_history.seed_history([ann, bob], now=NOW) == (0, 0)
    assert Conversation.objects.count() == 45
