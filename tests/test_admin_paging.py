"""The admin's estimated-count paginator (livechat/admin/paging.py)."""

import pytest
from django.db import connection

from livechat.admin.conversations import ConversationAdmin, MessageAdmin
from livechat.admin.paging import EstimatedCountPaginator
from livechat.admin.visitors import VisitorAdmin
from livechat.models import Visitor

pytestmark = pytest.mark.django_db

# Reads PostgreSQL's pg_class: skipped elsewhere, never in CI (conftest).
on_postgresql = pytest.mark.usefixtures("postgresql_only")


class _SmallThreshold(EstimatedCountPaginator):
    estimate_above = 10


def _visitors(n):
    Visitor.objects.bulk_create(Visitor() for _ in range(n))


def _analyse():
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Visitor._meta.db_table}")


def test_the_big_lists_use_it_and_skip_the_full_count():
    for model_admin in (ConversationAdmin, MessageAdmin, VisitorAdmin):
        assert model_admin.paginator is EstimatedCountPaginator
        assert model_admin.show_full_result_count is False
        assert model_admin.date_hierarchy is None


@on_postgresql
def test_a_whole_table_over_the_threshold_is_estimated():
    _visitors(30)
    _analyse()
    _visitors(5)  # not yet analysed: the estimate still says 30
    paginator = _SmallThreshold(Visitor.objects.order_by("-pk"), 10)
    assert paginator.count == 30
    assert paginator.num_pages == 3
    assert len(paginator.page(3).object_list) == 10


@on_postgresql
def test_under_the_threshold_it_counts():
    _visitors(30)
    _analyse()
    _visitors(5)
    assert EstimatedCountPaginator(Visitor.objects.all(), 10).count == 35


@on_postgresql
def test_a_filtered_or_distinct_list_is_counted():
    _visitors(30)
    Visitor.objects.bulk_create(Visitor(locale="es") for _ in range(3))
    _analyse()
    filtered = Visitor.objects.filter(locale="es")
    assert _SmallThreshold(filtered, 10).count == 3
    assert _SmallThreshold(Visitor.objects.distinct(), 10).count == 33


def test_another_database_is_counted(monkeypatch):
    _visitors(30)
    if connection.vendor == "postgresql":
        _analyse()
    _visitors(5)
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert _SmallThreshold(Visitor.objects.all(), 10).count == 35


def test_a_list_that_is_no_queryset_is_counted():
    assert _SmallThreshold(list(range(35)), 10).count == 35
