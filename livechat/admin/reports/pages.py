"""The reports in the admin, under the report settings' list URL.

``/admin/livechat/reportsettings/`` is the overview; each report has a
page (``service/``, ``demand/``...), each table a CSV download, and
``export/`` lists every conversation of the range, one row each. Open to
users with ``livechat.view_reports``; the settings (targets, costs) to
those who may change them.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ...models import Department, ReportSettings
from ...services.reports.figures import (
    REPORTS,
    FilterError,
    build_report,
    parse_filters,
    reports_database,
)
from . import export
from .charts import draw
from .display import show

# The figures of the service report the overview shows.
OVERVIEW_FIGURES = (
    "conversations",
    "unique_shoppers",
    "missed",
    "abandoned",
    "first_response_p50",
    "rated_good",
)


def may_view_reports(user):
    return user.is_active and user.has_perm("livechat.view_reports")


def may_view_conversations(user):
    return user.has_perm("livechat.view_conversation") or user.has_perm(
        "livechat.change_conversation"
    )


def drill_url(lookups):
    """The conversation list filtered to what a report's row counts."""
    if not lookups:
        return None
    params = {}
    for key, value in lookups.items():
        if key == "q":
            params["q"] = value
        elif isinstance(value, tuple | list):
            params[f"fact__{key}"] = ",".join(str(v) for v in value)
        else:
            params[f"fact__{key}"] = (
                value.isoformat() if hasattr(value, "isoformat") else str(value)
            )
    return reverse("admin:livechat_conversation_changelist") + "?" + urlencode(params)


def _table_context(table, filters, slug, currency, links):
    urls = [drill_url(d) for d in table.drill] if links and table.drill else None

    def cell_url(row, column_key):
        if not links or not table.drill or not table.column_drill:
            return None
        extra = table.column_drill.get(column_key)
        if extra is None or table.drill[row] is None:
            return None
        return drill_url({**table.drill[row], **extra})

    rows = []
    for r, row in enumerate(table.rows):
        cells = []
        for c, (column, value) in enumerate(zip(table.columns, row, strict=True)):
            url = urls[r] if urls and c == 0 else None
            if c and table.column_drill and value:
                url = cell_url(r, column.key)
            cells.append(
                {
                    "text": show(value, column.unit, currency),
                    "url": url,
                    "numeric": column.unit not in ("text", "day"),
                }
            )
        rows.append(cells)
    cell_urls = cell_url if links and table.drill and table.column_drill else None
    chart = draw(table, urls, cell_urls, currency)
    legend = []
    if table.chart and table.chart.kind != "heatmap" and len(table.chart.values) > 1:
        legend = [(i, table.column(k).label) for i, k in enumerate(table.chart.values)]
    query = {**filters.query(), "table": table.key}
    return {
        "key": table.key,
        "title": table.title,
        "note": table.note,
        "chart": chart,
        "legend": legend,
        "columns": table.columns,
        "rows": rows,
        "csv_url": reverse("admin:livechat_report_csv", args=[slug])
        + "?"
        + urlencode(query),
    }


@admin.register(ReportSettings)
class ReportSettingsAdmin(admin.ModelAdmin):
    """The reports, and the one row of figures only the store knows."""

    fieldsets = (
        (_("Targets"), {"fields": ("first_response_target",)}),
        (
            _("Costs"),
            {"fields": ("agent_hourly_cost", "phone_call_cost", "currency")},
        ),
        (_("Sales"), {"fields": ("conversion_window_days",)}),
    )

    def has_module_permission(self, request):
        return may_view_reports(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return may_view_reports(request.user) or self.has_change_permission(request)

    def has_add_permission(self, request):
        # The one row is made by the first save of the settings page, never
        # "added" from the index or the list.
        match = getattr(request, "resolver_match", None)
        return (
            match is not None
            and match.url_name == "livechat_report_settings"
            and self.has_change_permission(request)
            and not ReportSettings.objects.exists()
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {
            "show_save_and_add_another": False,
            **(extra_context or {}),
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        opts = self.opts
        name = f"{opts.app_label}_{opts.model_name}"
        own = [
            path("", wrap(self.changelist_view), name=f"{name}_changelist"),
            path("", wrap(self.changelist_view), name="livechat_reports"),
            path(
                "settings/", wrap(self.settings_view), name="livechat_report_settings"
            ),
            path("export/", wrap(self.export_view), name="livechat_report_export"),
        ]
        reports = [
            path("<slug:slug>/", wrap(self.report_view), name="livechat_report"),
            path("<slug:slug>/csv/", wrap(self.csv_view), name="livechat_report_csv"),
        ]
        # The admin's own (add/ before the reports' slugs, the catch-all
        # object URLs after them); the list is the overview.
        standard = [p for p in super().get_urls() if p.name != f"{name}_changelist"]
        add = [p for p in standard if p.name == f"{name}_add"]
        rest = [p for p in standard if p.name != f"{name}_add"]
        return own + add + reports + rest

    # The pages ---------------------------------------------------------------

    def _check(self, request):
        if not may_view_reports(request.user):
            raise PermissionDenied

    def _context(self, request, title, filters=None, error=""):
        database = reports_database()
        agents = (
            get_user_model()
            .objects.using(database)
            .filter(livechat_profile__isnull=False)
            .order_by("username")
        )
        query = urlencode(filters.query()) if filters else ""
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "filters": filters,
            "error": error,
            "query": query,
            "departments": Department.objects.using(database).order_by("name"),
            "agents": [(a.pk, a.get_full_name() or a.get_username()) for a in agents],
            "reports": [
                {
                    "slug": slug,
                    "title": title_,
                    "about": about,
                    "url": reverse("admin:livechat_report", args=[slug])
                    + (f"?{query}" if query else ""),
                }
                for slug, (title_, about, _build) in REPORTS.items()
            ],
            "may_change_settings": self.has_change_permission(request),
            "may_export": may_view_conversations(request.user),
            "export_url": reverse("admin:livechat_report_export")
            + (f"?{query}" if query else ""),
        }

    def _filters_or_error(self, request, title, template):
        try:
            return parse_filters(request.GET), None
        except FilterError as exc:
            context = self._context(request, title, error=str(exc))
            context["filter_values"] = request.GET
            return None, TemplateResponse(request, template, context, status=400)

    def changelist_view(self, request, extra_context=None):
        """Runs on GET /admin/livechat/reportsettings/: the overview."""
        if not may_view_reports(request.user):
            if self.has_change_permission(request):
                return redirect("admin:livechat_report_settings")
            raise PermissionDenied
        template = "admin/livechat/reports/overview.html"
        filters, error = self._filters_or_error(request, gettext("Reports"), template)
        if error:
            return error
        report = build_report("service", filters)
        currency = report.currency
        figures = [
            {"label": f.label, "value": show(f.value, f.unit, currency), "note": f.note}
            for f in report.figures
            if f.key in OVERVIEW_FIGURES
        ]
        context = self._context(request, gettext("Reports"), filters)
        context.update(figures=figures, filter_values=filters.query())
        return TemplateResponse(request, template, context)

    def report_view(self, request, slug):
        """Runs on GET .../<slug>/: one report, its charts and tables."""
        self._check(request)
        if slug not in REPORTS:
            raise Http404
        title = str(REPORTS[slug][0])
        template = "admin/livechat/reports/report.html"
        filters, error = self._filters_or_error(request, title, template)
        if error:
            return error
        report = build_report(slug, filters)
        links = may_view_conversations(request.user)
        context = self._context(request, title, filters)
        context.update(
            slug=slug,
            about=REPORTS[slug][1],
            filter_values=filters.query(),
            figures=[
                {
                    "label": f.label,
                    "value": show(f.value, f.unit, report.currency),
                    "note": f.note,
                }
                for f in report.figures
            ],
            tables=[
                _table_context(t, filters, slug, report.currency, links)
                for t in report.tables
            ],
        )
        return TemplateResponse(request, template, context)

    def csv_view(self, request, slug):
        """Runs on GET .../<slug>/csv/?table=...: one table as CSV."""
        self._check(request)
        if slug not in REPORTS:
            raise Http404
        try:
            filters = parse_filters(request.GET)
        except FilterError as exc:
            return export.error_response(str(exc))
        report = build_report(slug, filters)
        key = request.GET.get("table") or report.tables[0].key
        table = next((t for t in report.tables if t.key == key), None)
        if table is None:
            raise Http404
        return export.table_csv(table, f"{slug}-{key}-{filters.start}-{filters.end}")

    def export_view(self, request):
        """Runs on GET .../export/: every conversation of the range, as CSV."""
        self._check(request)
        if not may_view_conversations(request.user):
            raise PermissionDenied
        try:
            filters = parse_filters(request.GET)
        except FilterError as exc:
            return export.error_response(str(exc))
        return export.conversations_csv(request, filters)

    def settings_view(self, request):
        """Runs on .../settings/: the settings row's form (made on first save)."""
        row = ReportSettings.objects.order_by("pk").first()
        if row is None:
            return self.add_view(request)
        return self.change_view(request, str(row.pk))
