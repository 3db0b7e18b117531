"""What shoppers ask about: closing tags and topics over time, the product
pages chats start on, and the words and phrases they use, with trends."""

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from ....conf import app_settings
from ....models import ConversationFact, TermDay
from ..filters import Filters, reports_database
from .base import (
    DAY,
    PERCENT,
    TEXT,
    Chart,
    Column,
    Figure,
    Report,
    Table,
    days_of,
    range_drill,
    share,
)

TOP_TERMS = 15
TOP_PRODUCTS = 20
TRENDED = 5


def _facts(filters):
    return ConversationFact.objects.using(reports_database()).filter(
        **filters.hour_lookups()
    )


def _labels(setting):
    return {key: str(label) for key, label in getattr(app_settings, setting)}


def _tag_tables(filters, field, setting, title, trend_title):
    """Totals per value of ``field`` (close_tag, topic), and the most used
    ones' counts per day."""
    labels = _labels(setting)
    facts = _facts(filters).exclude(**{field: ""})
    totals = dict(
        facts.values(field).annotate(n=Count("pk")).order_by().values_list(field, "n")
    )
    ranked = sorted(totals, key=lambda key: (-totals[key], key))
    whole = sum(totals.values())
    table = Table(
        f"{field}s",
        title,
        [
            Column("name", _("Name"), TEXT),
            Column("conversations", _("Conversations")),
            Column("share", _("Share"), PERCENT),
        ],
        chart=Chart("bars", "name", ["conversations"]),
        drill=[],
    )
    for key in ranked:
        name = labels.get(key, key)
        table.rows.append([name, totals[key], share(totals[key], whole)])
        table.drill.append(range_drill(filters, **{field: key}))
    top = ranked[:TRENDED]
    per_day = {}
    rows = (
        facts.filter(**{f"{field}__in": top})
        .values("day", field)
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        per_day[(row["day"], row[field])] = row["n"]
    trend = Table(
        f"{field}s_per_day",
        trend_title,
        [Column("day", _("Day"), DAY)]
        + [Column(f"v{i}", labels.get(key, key)) for i, key in enumerate(top)],
        chart=Chart("lines", "day", [f"v{i}" for i in range(len(top))]),
        drill=[],
    )
    # Without a tag used there is no trend to show: the table stays empty.
    for day in days_of(filters) if top else ():
        trend.rows.append([day] + [per_day.get((day, key), 0) for key in top])
        trend.drill.append(range_drill(filters, day__gte=day, day__lte=day))
    return table, trend


def _products(filters):
    rows = (
        _facts(filters)
        .filter(page_kind="product")
        .values("product_key", "product_title")
        .annotate(
            chats=Count("pk"),
            unanswered=Count("pk", filter=Q(outcome__in=("missed", "abandoned"))),
            ordered=Count("pk", filter=Q(ordered_at__isnull=False)),
        )
        .order_by("-chats", "product_key")[:TOP_PRODUCTS]
    )
    table = Table(
        "products",
        _("Product pages where chats start"),
        [
            Column("product", _("Product"), TEXT),
            Column("chats", _("Chats")),
            Column("unanswered", _("Missed or abandoned")),
            Column("ordered", _("Followed by an order")),
        ],
        chart=Chart("bars", "product", ["chats"]),
        drill=[],
        note=_(
            "Questions asked on a product's page often mean the page leaves "
            "something out: read them and add the answer to the page."
        ),
    )
    for row in rows:
        table.rows.append(
            [
                row["product_title"] or row["product_key"],
                row["chats"],
                row["unanswered"],
                row["ordered"],
            ]
        )
        table.drill.append(range_drill(filters, product_key=row["product_key"]))
    return table


def _term_counts(filters, language, terms=None):
    rows = TermDay.objects.using(reports_database()).filter(
        day__gte=filters.start, day__lte=filters.end, language=language
    )
    if terms is not None:
        rows = rows.filter(term__in=terms)
    rows = rows.values("term").annotate(n=Sum("conversations")).order_by("-n", "term")
    if terms is None:
        rows = rows[:TOP_TERMS]
    return {row["term"]: row["n"] for row in rows}


def _terms(filters):
    """The most frequent words and phrases of each language, with how often
    they came up in the range before."""
    languages = (
        TermDay.objects.using(reports_database())
        .filter(day__gte=filters.start, day__lte=filters.end)
        .values_list("language", flat=True)
        .distinct()
        .order_by("language")
    )
    table = Table(
        "terms",
        _("Words and phrases shoppers use"),
        [
            Column("term", _("Word or phrase"), TEXT),
            Column("language", _("Language"), TEXT),
            Column("conversations", _("Conversations")),
            Column("before", _("In the range before")),
            Column("change", _("Change"), PERCENT),
        ],
        drill=[],
        note=_(
            "Stop words and greetings are left out. The range before is as "
            "many days just before this one. A row links to the conversations "
            "that contain the words."
        ),
    )
    for language in languages:
        now = _term_counts(filters, language)
        before = _term_counts(filters.previous(), language, list(now))
        for term, count in now.items():
            earlier = before.get(term, 0)
            change = share(count - earlier, earlier)
            table.rows.append([term, language or "-", count, earlier, change])
            # Drill by a search of the words, over the range's conversations.
            table.drill.append(range_drill(filters, q=term))
    return table


def topics_report(filters: Filters) -> Report:
    """Tags, topics, product pages and words."""
    tags, tags_per_day = _tag_tables(
        filters,
        "close_tag",
        "CLOSE_TAGS",
        _("Closing tags"),
        _("Most used closing tags, per day"),
    )
    topics, topics_per_day = _tag_tables(
        filters, "topic", "TOPICS", _("Topics"), _("Most asked topics, per day")
    )
    terms = _terms(filters)
    report = Report("topics", _("Topics"), filters)
    report.figures = [
        Figure(_("Tagged conversations"), sum(tags.values("conversations"))),
        Figure(_("Conversations with a topic"), sum(topics.values("conversations"))),
        Figure(_("Words and phrases listed"), len(terms.rows)),
    ]
    products = _products(filters)
    report.tables = [tags, tags_per_day, topics, topics_per_day, products, terms]
    return report
