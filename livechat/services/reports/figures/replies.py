"""Saved replies: how often each is sent, and how often agents send them
without a word changed (a chat of unedited replies sounds like a robot)."""

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from ....models import CannedUse
from ..buckets import day_range
from ..filters import Filters, reports_database
from .base import (
    PERCENT,
    TEXT,
    Chart,
    Column,
    Figure,
    Report,
    Table,
    agent_names,
    range_drill,
    share,
)

TOP_REPLIES = 30


def _uses(filters):
    start, end = day_range(filters.start, filters.end)
    uses = CannedUse.objects.using(reports_database()).filter(
        used_at__gte=start, used_at__lt=end
    )
    if filters.agent is not None:
        uses = uses.filter(agent_id=filters.agent)
    if filters.department is not None:
        uses = uses.filter(conversation__department_id=filters.department)
    return uses


def replies_report(filters: Filters) -> Report:
    """Uses per saved reply and the share sent unedited, per reply and agent."""
    uses = _uses(filters)
    counted = {"n": Count("pk"), "unedited": Count("pk", filter=Q(edited=False))}
    per_reply = Table(
        "per_reply",
        _("Saved replies by use"),
        [
            Column("reply", _("Saved reply"), TEXT),
            Column("uses", _("Uses")),
            Column("unedited", _("Sent unedited")),
            Column("unedited_share", _("Share unedited"), PERCENT),
        ],
        chart=Chart("bars", "reply", ["uses"]),
    )
    for row in (
        uses.values("reply_id", "title")
        .annotate(**counted)
        .order_by("-n", "title")[:TOP_REPLIES]
    ):
        per_reply.rows.append(
            [row["title"], row["n"], row["unedited"], share(row["unedited"], row["n"])]
        )
    rows = list(uses.values("agent_id").annotate(**counted).order_by("-n"))
    names = agent_names([row["agent_id"] or 0 for row in rows])
    per_agent = Table(
        "per_agent",
        _("Saved replies per agent"),
        [
            Column("agent", _("Agent"), TEXT),
            Column("uses", _("Uses")),
            Column("unedited", _("Sent unedited")),
            Column("unedited_share", _("Share unedited"), PERCENT),
        ],
        chart=Chart("bars", "agent", ["unedited_share"]),
        drill=[],
        note=_(
            "An agent who sends most replies unedited may sound like a robot: "
            "suggest they greet by name and answer the question asked."
        ),
    )
    for row in rows:
        key = row["agent_id"] or 0
        per_agent.rows.append(
            [
                names.get(key, f"#{key}"),
                row["n"],
                row["unedited"],
                share(row["unedited"], row["n"]),
            ]
        )
        per_agent.drill.append(range_drill(filters, agent_key=key))
    total = sum(per_agent.values("uses"))
    unedited = sum(per_agent.values("unedited"))
    report = Report("replies", _("Saved replies"), filters)
    report.figures = [
        Figure(_("Saved replies sent"), total),
        Figure(_("Sent unedited"), share(unedited, total), PERCENT),
        Figure(_("Different replies used"), uses.values("title").distinct().count()),
    ]
    report.tables = [per_reply, per_agent]
    return report
