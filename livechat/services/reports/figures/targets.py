"""Response-time targets: the share of chats first answered within the
target (ReportSettings, or the department's own), per agent, department and
day."""

from django.utils.translation import gettext as _

from ..filters import Filters
from .base import (
    DAY,
    PERCENT,
    TEXT,
    Chart,
    Column,
    Figure,
    Report,
    Table,
    agent_names,
    days_of,
    department_names,
    grouped_sums,
    merged_by,
    range_drill,
    share,
    total_of,
)


def targets_report(filters: Filters) -> Report:
    """The share of chats first answered within the target, per agent,
    department and day. A missed chat did not meet it."""
    report = Report("targets", _("Response-time targets"), filters)
    by_day = grouped_sums(filters, "day")
    by_keys = grouped_sums(filters, "agent_key", "department_key")
    totals = total_of(by_day)
    report.figures = [
        Figure(_("Chats with a target"), totals["with_target"]),
        Figure(_("Met the target"), totals["met_target"]),
        Figure(
            _("Share that met the target"),
            share(totals["met_target"], totals["with_target"]),
            PERCENT,
        ),
    ]
    for index, by, title, label, names in (
        (0, "agent_key", _("Per agent"), _("Agent"), agent_names),
        (1, "department_key", _("Per department"), _("Department"), department_names),
    ):
        grouped = merged_by(by_keys, index)
        named = names(grouped)
        table = Table(
            f"per_{by.removesuffix('_key')}",
            title,
            [
                Column("name", label, TEXT),
                Column("with_target", _("Chats with a target")),
                Column("met_target", _("Met the target")),
                Column("share", _("Share met"), PERCENT),
            ],
            chart=Chart("bars", "name", ["share"]),
            drill=[],
        )
        for key, c in sorted(grouped.items()):
            if not c["with_target"]:
                continue
            table.rows.append(
                [
                    named.get(key, f"#{key}"),
                    c["with_target"],
                    c["met_target"],
                    share(c["met_target"], c["with_target"]),
                ]
            )
            # The chats that missed it: what to read first.
            table.drill.append(range_drill(filters, met_target=False, **{by: key}))
        report.tables.append(table)
    per_day = Table(
        "per_day",
        _("Per day"),
        [
            Column("day", _("Day"), DAY),
            Column("with_target", _("Chats with a target")),
            Column("met_target", _("Met the target")),
            Column("share", _("Share met"), PERCENT),
        ],
        chart=Chart("lines", "day", ["share"]),
        drill=[],
    )
    for day in days_of(filters):
        c = by_day.get(day, {"with_target": 0, "met_target": 0})
        per_day.rows.append(
            [
                day,
                c["with_target"],
                c["met_target"],
                share(c["met_target"], c["with_target"]),
            ]
        )
        per_day.drill.append(
            range_drill(filters, day__gte=day, day__lte=day, met_target=False)
        )
    report.tables.append(per_day)
    return report
