"""Paging the admin's big lists without counting every row."""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property


def _is_whole_table(queryset):
    """Does ``queryset`` count every row of its table (no filter, no search)?"""
    query = getattr(queryset, "query", None)
    return (
        query is not None
        and not query.where
        and not query.distinct
        and not query.combinator
        and query.group_by is None
        and query.low_mark == 0
        and query.high_mark is None
    )


def _planner_estimate(queryset):
    """PostgreSQL's estimate of the rows of ``queryset``'s table, or None.

    ``pg_class.reltuples`` is kept by ANALYZE and autovacuum; it is -1 for a
    table never analysed, which reads as unknown.
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [table]
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:
        return None
    return int(row[0])


class EstimatedCountPaginator(Paginator):
    """A paginator that takes PostgreSQL's row estimate for a whole big table.

    ``COUNT(*)`` reads every row (or index entry): at a million messages it
    takes longer than the page it numbers. Unfiltered and unsearched, a list
    whose table PostgreSQL estimates at more than ``estimate_above`` rows is
    numbered from that estimate, so its last pages may be empty or a few rows
    short. Filtered, searched, smaller, or on another database, it counts.
    """

    estimate_above = 10_000

    @cached_property
    def count(self):
        if _is_whole_table(self.object_list):
            estimate = _planner_estimate(self.object_list)
            if estimate is not None and estimate > self.estimate_above:
                return estimate
        return super().count
