"""The reports' figures and tables, for the same filters as the admin's
report pages (``services.reports.figures``)."""

import math
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from ...models import Scope
from ...services.reports.figures import (
    REPORTS,
    FilterError,
    build_report,
    parse_filters,
)
from .. import examples
from ..base import LivechatAPIView
from ..inputs import (
    ReportFilterSerializer,
)
from ..schema import operation
from ..serializers import (
    ReportSerializer,
    ReportSummarySerializer,
)
from ..throttling import ReportsThrottle


def _value(value):
    """A figure's or cell's value as JSON holds it."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def report_data(report) -> dict:
    """A report as the API answers it."""
    filters = report.filters
    return {
        "slug": report.slug,
        "title": str(report.title),
        "start": filters.start.isoformat(),
        "end": filters.end.isoformat(),
        "department": filters.department,
        "agent": filters.agent,
        "currency": report.currency,
        "figures": [
            {
                "key": figure.key,
                "label": str(figure.label),
                "value": _value(figure.value),
                "unit": figure.unit,
                "note": str(figure.note),
            }
            for figure in report.figures
        ],
        "tables": [
            {
                "key": table.key,
                "title": str(table.title),
                "note": str(table.note),
                "columns": [
                    {"key": c.key, "label": str(c.label), "unit": c.unit}
                    for c in table.columns
                ],
                "rows": [[_value(v) for v in row] for row in table.rows],
            }
            for table in report.tables
        ],
    }


class _ReportView(LivechatAPIView):
    # Whoever may view the reports in the admin, staff or not.
    staff_only = False
    throttle_classes = [*LivechatAPIView.throttle_classes, ReportsThrottle]
    scopes = {"GET": Scope.REPORTS_READ}
    perms = {"GET": ("livechat.view_reports",)}


class ReportList(_ReportView):
    @operation(
        operation_id="reports_list",
        summary="List the reports",
        description="Each report's slug, title and what it answers. Needs the "
        "reports:read scope and the view reports permission.",
        responses=ReportSummarySerializer(many=True),
        examples=[examples.REPORTS],
    )
    def get(self, request):
        return Response(
            [
                {"slug": slug, "title": str(title), "description": str(description)}
                for slug, (title, description, _build) in REPORTS.items()
            ]
        )


class ReportDetail(_ReportView):
    @operation(
        operation_id="reports_retrieve",
        summary="A report's figures",
        description="Its headline figures and tables for a range of the store's "
        "local days (at most 731), optionally one department and one agent: "
        "the numbers of the admin's report page. Slugs: " + ", ".join(REPORTS) + ".",
        parameters=[
            OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(REPORTS)),
            ReportFilterSerializer,
        ],
        responses=ReportSerializer,
        examples=[examples.REPORT],
    )
    def get(self, request, name):
        if name not in REPORTS:
            raise NotFound(_("No such report."))
        ReportFilterSerializer(data=request.query_params).is_valid(raise_exception=True)
        try:
            filters = parse_filters(request.query_params)
        except FilterError as exc:
            raise ValidationError(str(exc)) from None
        return Response(report_data(build_report(name, filters)))
