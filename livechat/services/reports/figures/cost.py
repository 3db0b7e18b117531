"""Cost: what a chat costs from the agents' online hours and the hourly cost
the store enters, beside what a phone call costs, and how the cost of a
chat falls as agents hold more chats at once."""

from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from ..filters import Filters
from .base import (
    DAY,
    HOURS,
    MONEY,
    RATIO,
    TEXT,
    Chart,
    Column,
    Figure,
    Report,
    Table,
    agent_hours,
    days_of,
    hours,
    range_drill,
    ratio,
)
from .sales import settings_row

# Days grouped by how many chats agents held at once: (upper bound, label).
BANDS = ((1, "< 1"), (2, "1 - 2"), (3, "2 - 3"), (5, "3 - 5"), (8, "5 - 8"))


def _money(value):
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def _cost_per_chat(online_seconds, chats, hourly):
    if hourly is None or not chats:
        return None
    return _money(Decimal(online_seconds) / 3600 * hourly / chats)


def cost_report(filters: Filters) -> Report:
    """Cost per chat, per day and by chats held at once."""
    settings = settings_row()
    hourly = settings.agent_hourly_cost
    agent_days = {
        r["day"]: r
        for r in agent_hours(filters)
        .values("day")
        .annotate(online=Sum("online_seconds"), held=Sum("chat_seconds"))
        .order_by()
    }
    chat_days = dict(
        hours(filters)
        .values("day")
        .annotate(n=Sum("answered"))
        .order_by()
        .values_list("day", "n")
    )
    per_day = Table(
        "per_day",
        _("Cost per chat, per day"),
        [
            Column("day", _("Day"), DAY),
            Column("online_hours", _("Agent hours online"), HOURS),
            Column("answered", _("Chats answered")),
            Column("concurrent", _("Chats at once"), RATIO),
            Column("cost_per_chat", _("Cost per chat"), MONEY),
        ],
        chart=Chart("lines", "day", ["cost_per_chat"]),
        drill=[],
    )
    bands = {}
    for day in days_of(filters):
        a = agent_days.get(day, {})
        online, held = a.get("online") or 0, a.get("held") or 0
        answered = chat_days.get(day) or 0
        concurrent = ratio(held, online)
        per_day.rows.append(
            [
                day,
                round(online / 3600, 2),
                answered,
                None if concurrent is None else round(concurrent, 2),
                _cost_per_chat(online, answered, hourly),
            ]
        )
        per_day.drill.append(range_drill(filters, day__gte=day, day__lte=day))
        if concurrent is not None:
            label = next((lbl for top, lbl in BANDS if concurrent < top), "8+")
            band = bands.setdefault(label, [0, 0, 0])
            band[0] += 1
            band[1] += online
            band[2] += answered
    by_band = Table(
        "by_concurrency",
        _("Cost per chat by chats held at once"),
        [
            Column("band", _("Chats at once"), TEXT),
            Column("days", _("Days")),
            Column("online_hours", _("Agent hours online"), HOURS),
            Column("answered", _("Chats answered")),
            Column("cost_per_chat", _("Cost per chat"), MONEY),
        ],
        chart=Chart("bars", "band", ["cost_per_chat"]),
        note=_(
            "An agent can hold three to eight chats at once; a team that holds "
            "fewer pays more for each chat."
        ),
    )
    for _top, label in (*BANDS, (None, "8+")):
        if label in bands:
            days, online, answered = bands[label]
            by_band.rows.append(
                [
                    label,
                    days,
                    round(online / 3600, 2),
                    answered,
                    _cost_per_chat(online, answered, hourly),
                ]
            )
    online = sum(a.get("online") or 0 for a in agent_days.values())
    held = sum(a.get("held") or 0 for a in agent_days.values())
    answered = sum(v or 0 for v in chat_days.values())
    per_chat = _cost_per_chat(online, answered, hourly)
    report = Report("cost", _("Cost"), filters, currency=settings.currency)
    missing = _("Enter the agent cost per hour in the report settings.")
    report.figures = [
        Figure(_("Agent hours online"), round(online / 3600, 2), HOURS),
        Figure(_("Chats answered"), answered),
        Figure(
            _("Chats at once"),
            None if not online else round(held / online, 2),
            RATIO,
        ),
        Figure(
            _("Cost of agents' time"),
            None if hourly is None else _money(Decimal(online) / 3600 * hourly),
            MONEY,
            "" if hourly is not None else missing,
        ),
        Figure(_("Cost per chat"), per_chat, MONEY),
        Figure(_("Cost per phone call"), settings.phone_call_cost, MONEY),
        Figure(
            _("Saved against calls"),
            None
            if per_chat is None or settings.phone_call_cost is None
            else _money((settings.phone_call_cost - per_chat) * answered),
            MONEY,
            _("Had each chat answered been a phone call."),
        ),
    ]
    report.tables = [per_day, by_band]
    return report
