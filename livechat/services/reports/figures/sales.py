"""Sales: orders that followed chats (within the conversion window) against
shoppers who did not chat, chats on the cart and checkout pages, what
invitations and offers brought."""

from datetime import timedelta

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from ....models import (
    ConversationFact,
    InvitationDay,
    InvitationRule,
    OrderRecord,
    ReportSettings,
    Visitor,
)
from ..buckets import day_range
from ..filters import Filters, reports_database
from .base import (
    COUNT,
    DAY,
    MONEY,
    PERCENT,
    TEXT,
    Chart,
    Column,
    Figure,
    Report,
    Table,
    days_of,
    hours,
    range_drill,
    share,
    sums,
)

_COUNTS = (
    "conversations",
    "chats",
    "ordered",
    "order_value",
    "cart_chats",
    "cart_ordered",
    "checkout_chats",
    "checkout_ordered",
    "invited",
    "invited_ordered",
    "offers_sent",
    "offers_redeemed",
)


def settings_row():
    """The store's ReportSettings, read where the reports read."""
    row = ReportSettings.objects.using(reports_database()).order_by("pk").first()
    return row or ReportSettings()


def _shoppers(filters, window_days):
    """``(chatted, chatted and ordered, did not chat, did not chat and
    ordered)``: shoppers seen in the range, and those who ordered."""
    database = reports_database()
    facts = ConversationFact.objects.using(database).filter(**filters.hour_lookups())
    chatted = facts.values("visitor_id_key").distinct().count()
    chatted_ordered = (
        facts.exclude(ordered_at=None).values("visitor_id_key").distinct().count()
    )
    start, end = day_range(filters.start, filters.end)
    # Every conversation of the range, whatever the filters: a shopper who
    # chatted with another department did chat.
    all_chatters = ConversationFact.objects.using(database).filter(
        day__gte=filters.start, day__lte=filters.end
    )
    others = (
        Visitor.objects.using(database)
        .filter(last_seen_at__gte=start, created_at__lt=end)
        .exclude(pk__in=all_chatters.values("visitor_id_key"))
    )
    others_ordered = (
        OrderRecord.objects.using(database)
        .filter(
            placed_at__gte=start,
            placed_at__lt=end + timedelta(days=window_days),
            visitor__in=others,
        )
        .values("visitor_id")
        .distinct()
        .count()
    )
    return chatted, chatted_ordered, others.count(), others_ordered


def _per_day(filters):
    rows = {
        r["day"]: r
        for r in hours(filters)
        .values("day")
        .annotate(**{name: Sum(name) for name in _COUNTS})
        .order_by()
    }
    table = Table(
        "per_day",
        _("Orders after chats, per day of the chat"),
        [
            Column("day", _("Day"), DAY),
            Column("conversations", _("Conversations")),
            Column("ordered", _("Followed by an order")),
            Column("conversion", _("Conversion"), PERCENT),
            Column("order_value", _("Order value"), MONEY),
            Column("offers_sent", _("Offers sent")),
            Column("offers_redeemed", _("Offers redeemed")),
        ],
        chart=Chart("bars", "day", ["ordered"]),
        drill=[],
    )
    for day in days_of(filters):
        r = rows.get(day, {})
        conversations, ordered = r.get("conversations") or 0, r.get("ordered") or 0
        table.rows.append(
            [
                day,
                conversations,
                ordered,
                share(ordered, conversations),
                r.get("order_value") or 0,
                r.get("offers_sent") or 0,
                r.get("offers_redeemed") or 0,
            ]
        )
        table.drill.append(
            range_drill(filters, day__gte=day, day__lte=day, ordered_at__isnull=False)
        )
    return table


def _invitations(filters, totals):
    database = reports_database()
    rows = (
        InvitationDay.objects.using(database)
        .filter(day__gte=filters.start, day__lte=filters.end)
        .values("rule")
        .annotate(shown=Sum("shown"), accepted=Sum("accepted"))
        .order_by("rule")
    )
    # Orders per rule: the sums are not kept per rule, the facts say it.
    converted = dict(
        ConversationFact.objects.using(database)
        .filter(**filters.hour_lookups(), invitation_key__gt=0)
        .exclude(ordered_at=None)
        .values("invitation_key")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("invitation_key", "n")
    )
    names = dict(
        InvitationRule.objects.using(database)
        .filter(pk__in=[r["rule"] for r in rows])
        .values_list("pk", "name")
    )
    table = Table(
        "invitations",
        _("Invitations"),
        [
            Column("rule", _("Invitation"), TEXT),
            Column("shown", _("Shown")),
            Column("accepted", _("Accepted")),
            Column("accepted_share", _("Accepted"), PERCENT),
            Column("ordered", _("Followed by an order")),
        ],
        chart=Chart("bars", "rule", ["shown", "accepted"]),
        drill=[],
        note=_(
            "Chats that began from an invitation: %(chats)d, of which "
            "%(ordered)d were followed by an order."
        )
        % {"chats": totals["invited"], "ordered": totals["invited_ordered"]},
    )
    for r in rows:
        table.rows.append(
            [
                names.get(r["rule"], f"#{r['rule']}"),
                r["shown"] or 0,
                r["accepted"] or 0,
                share(r["accepted"] or 0, r["shown"] or 0),
                converted.get(r["rule"], 0),
            ]
        )
        table.drill.append(range_drill(filters, invitation_key=r["rule"]))
    return table


def sales_report(filters: Filters) -> Report:
    """Conversion, cart and checkout chats, order value, invitations, offers."""
    settings = settings_row()
    window = settings.conversion_window_days
    totals = sums(hours(filters), _COUNTS)
    chatted, chatted_ordered, others, others_ordered = _shoppers(filters, window)
    report = Report("sales", _("Sales"), filters, currency=settings.currency)
    value = totals["order_value"]
    report.figures = [
        Figure(
            _("Conversations followed by an order"),
            totals["ordered"],
            note=_("Within %(days)d days of the chat.") % {"days": window},
        ),
        Figure(
            _("Conversion of shoppers who chatted"),
            share(chatted_ordered, chatted),
            PERCENT,
        ),
        Figure(
            _("Conversion of shoppers who did not chat"),
            share(others_ordered, others),
            PERCENT,
            _("Shoppers seen in the range without a conversation."),
        ),
        Figure(_("Order value after chats"), value, MONEY),
        Figure(
            _("Mean order value after a chat"),
            round(value / totals["ordered"], 2) if totals["ordered"] else None,
            MONEY,
        ),
        Figure(_("Invited chats"), totals["invited"]),
        Figure(_("Invited chats followed by an order"), totals["invited_ordered"]),
        Figure(_("Offers sent"), totals["offers_sent"]),
        Figure(_("Offers redeemed"), totals["offers_redeemed"]),
    ]
    conversion = Table(
        "conversion",
        _("Shoppers who chatted and who did not"),
        [
            Column("group", _("Shoppers"), TEXT),
            Column("shoppers", _("Shoppers"), COUNT),
            Column("ordered", _("Ordered")),
            Column("conversion", _("Conversion"), PERCENT),
        ],
        rows=[
            [_("Chatted"), chatted, chatted_ordered, share(chatted_ordered, chatted)],
            [
                _("Did not chat"),
                others,
                others_ordered,
                share(others_ordered, others),
            ],
        ],
        chart=Chart("bars", "group", ["conversion"]),
        drill=[range_drill(filters, ordered_at__isnull=False), None],
    )
    pages = Table(
        "pages",
        _("Chats on the cart and checkout pages"),
        [
            Column("page", _("Page"), TEXT),
            Column("chats", _("Chats")),
            Column("ordered", _("Followed by an order")),
            Column("conversion", _("Conversion"), PERCENT),
        ],
        chart=Chart("bars", "page", ["chats", "ordered"]),
        drill=[],
    )
    for kind, label in (("cart", _("Cart")), ("checkout", _("Checkout"))):
        chats, ordered = totals[f"{kind}_chats"], totals[f"{kind}_ordered"]
        pages.rows.append([label, chats, ordered, share(ordered, chats)])
        pages.drill.append(range_drill(filters, page_kind=kind))
    report.tables = [
        conversion,
        _per_day(filters),
        pages,
        _invitations(filters, totals),
    ]
    return report
