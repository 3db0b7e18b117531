"""The reports' read side: figures and tables from the rollups.

Each report is a function of ``Filters`` returning a ``Report``; they read
the rollups (ReportHour, ReportLatency, AgentHour, TermDay, InvitationDay,
CannedUse) on ``LIVECHAT_REPORTS_DATABASE``, and conversation facts only
where a figure needs each conversation (unique shoppers, tags, products).
"""

from django.utils.translation import gettext_lazy as _

from ..filters import FilterError, Filters, parse_filters, reports_database
from .base import Column, Figure, Report, Table, percentile
from .cost import cost_report
from .demand import demand_report
from .replies import replies_report
from .sales import sales_report
from .service import service_report, unique_shoppers
from .targets import targets_report
from .topics import topics_report

# slug -> (title, what it answers, the function that builds it)
REPORTS = {
    "service": (
        _("Service"),
        _("How many chats, how fast they were answered, and how they were rated."),
        service_report,
    ),
    "targets": (
        _("Response-time targets"),
        _("The share of chats first answered within the target."),
        targets_report,
    ),
    "demand": (
        _("Demand and staffing"),
        _("When shoppers ask, against when agents are online."),
        demand_report,
    ),
    "sales": (
        _("Sales"),
        _("Orders after chats, cart and checkout chats, invitations and offers."),
        sales_report,
    ),
    "topics": (
        _("Topics"),
        _("What shoppers ask about: tags, product pages, words."),
        topics_report,
    ),
    "replies": (
        _("Saved replies"),
        _("How often each saved reply is sent, and sent unedited."),
        replies_report,
    ),
    "cost": (
        _("Cost"),
        _("What a chat costs, beside a phone call."),
        cost_report,
    ),
}


def build_report(slug: str, filters: Filters) -> Report:
    """The report ``slug`` (a key of REPORTS) for ``filters``."""
    return REPORTS[slug][2](filters)


__all__ = [
    "REPORTS",
    "Column",
    "Figure",
    "FilterError",
    "Filters",
    "Report",
    "Table",
    "build_report",
    "cost_report",
    "demand_report",
    "parse_filters",
    "percentile",
    "replies_report",
    "reports_database",
    "sales_report",
    "service_report",
    "targets_report",
    "topics_report",
    "unique_shoppers",
]
