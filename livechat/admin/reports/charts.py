"""Charts drawn on the server as SVG, from the table beside them.

A chart whose marks lead to conversations is ``role="group"`` of links,
each named by its label and value; one without is ``role="img"`` named by
its title. Every number it draws is in the table that follows it. Colours
come from classes (reports.css), so the admin's dark theme applies.
"""

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from ...services.reports.figures.base import DAY
from .display import chart_value, show

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 14, 36
MAX_LABELS = 14


def _join(parts):
    """Safe pieces of markup, one after the other (each is escaped already)."""
    return format_html_join("", "{}", ((part,) for part in parts))


def _nice_max(value):
    """A round top for the axis, at or above ``value``."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1
    for step in (1, 2, 2.5, 5, 10):
        top = step * magnitude
        if top >= value:
            return top
    return value


def _axis_label(value, unit):
    if unit == DAY:
        return date_format(value, "j M")
    return str(value)


def _mark(shape, label, url):
    """A bar or point, as a link to its conversations when it has some."""
    if url:
        return format_html(
            '<a href="{}" aria-label="{}"><title>{}</title>{}</a>',
            url,
            label,
            label,
            shape,
        )
    return format_html("<g><title>{}</title>{}</g>", label, shape)


def _frame(title, body, clickable, height=HEIGHT):
    role = (
        format_html('role="group" aria-label="{}"', title)
        if clickable
        else format_html('role="img" aria-label="{}"', title)
    )
    return format_html(
        '<svg class="livechat-chart" viewBox="0 0 {} {}" {}>{}</svg>',
        WIDTH,
        height,
        role,
        body,
    )


def _y_axis(top, unit, currency, plot_height):
    ticks = []
    for fraction in (0, 0.5, 1):
        y = TOP + plot_height * (1 - fraction)
        value = top * fraction
        if value == int(value):
            value = int(value)
        ticks.append(
            format_html(
                '<line class="livechat-chart__grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="livechat-chart__tick" x="{}" y="{}" text-anchor="end">'
                "{}</text>",
                LEFT,
                WIDTH - RIGHT,
                round(y, 1),
                round(y, 1),
                LEFT - 6,
                round(y + 4, 1),
                show(value, unit, currency),
            )
        )
    return format_html('<g aria-hidden="true">{}</g>', _join(ticks))


def _x_labels(labels, unit, slot):
    step = max(1, -(-len(labels) // MAX_LABELS))
    return format_html(
        '<g aria-hidden="true">{}</g>',
        format_html_join(
            "",
            '<text class="livechat-chart__tick" x="{}" y="{}" text-anchor="middle">'
            "{}</text>",
            (
                (
                    round(LEFT + (i + 0.5) * slot, 1),
                    HEIGHT - BOTTOM + 16,
                    _axis_label(label, unit),
                )
                for i, label in enumerate(labels)
                if i % step == 0
            ),
        ),
    )


def xy_chart(table, urls, currency=""):
    """Bars or lines of the chart's value columns against its label column."""
    chart = table.chart
    label_unit = table.column(chart.label).unit
    labels = table.values(chart.label)
    series = [(table.column(key), table.values(key)) for key in chart.values]
    unit = series[0][0].unit
    numbers = [chart_value(v) for _c, values in series for v in values]
    top = _nice_max(max([n for n in numbers if n is not None] or [0]))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(1, len(labels))
    marks, lines = [], []
    for s, (column, values) in enumerate(series):
        points = []
        for i, value in enumerate(values):
            number = chart_value(value)
            name = f"{show(labels[i], label_unit)}, {column.label}: " + show(
                value, column.unit, currency
            )
            if number is None:
                points.append(None)
                continue
            height = plot_height * number / top
            y = TOP + plot_height - height
            if chart.kind == "bars":
                width = slot * 0.8 / len(series)
                x = LEFT + i * slot + slot * 0.1 + s * width
                shape = format_html(
                    '<rect class="livechat-chart__mark livechat-series-{}" x="{}" '
                    'y="{}" width="{}" height="{}"/>',
                    s,
                    round(x, 1),
                    round(y, 1),
                    round(max(width - 1, 1), 1),
                    round(max(height, 0), 1),
                )
            else:
                x = LEFT + (i + 0.5) * slot
                points.append((round(x, 1), round(y, 1)))
                shape = format_html(
                    '<circle class="livechat-chart__mark livechat-series-{}" '
                    'cx="{}" cy="{}" r="4"/>',
                    s,
                    round(x, 1),
                    round(y, 1),
                )
            marks.append(_mark(shape, name, urls[i] if urls else None))
        if chart.kind == "lines":
            for run in _runs(points):
                lines.append(
                    format_html(
                        '<polyline class="livechat-chart__line livechat-series-{}" '
                        'points="{}" aria-hidden="true"/>',
                        s,
                        " ".join(f"{x},{y}" for x, y in run),
                    )
                )
    body = (
        _y_axis(top, unit, currency, plot_height)
        + _x_labels(labels, label_unit, slot)
        + _join(lines + marks)
    )
    return _frame(table.title, body, bool(urls and any(urls)))


def _runs(points):
    """The unbroken stretches of a line (None breaks it)."""
    run = []
    for point in points:
        if point is None:
            if run:
                yield run
            run = []
        else:
            run.append(point)
    if run:
        yield run


def heatmap(table, cell_urls, currency=""):
    """Rows of the label column against the value columns, shaded by value."""
    chart = table.chart
    columns = [table.column(key) for key in chart.values]
    rows = table.rows
    numbers = [chart_value(v) for row in rows for v in row[1:]]
    top = max([n for n in numbers if n is not None] or [0]) or 1
    cell_w, cell_h = (WIDTH - LEFT - RIGHT) / len(columns), 26
    height = TOP + cell_h * len(rows) + 24
    parts = []
    for r, row in enumerate(rows):
        y = TOP + r * cell_h
        parts.append(
            format_html(
                '<text class="livechat-chart__tick" x="{}" y="{}" text-anchor="end" '
                'aria-hidden="true">{}</text>',
                LEFT - 6,
                round(y + cell_h / 2 + 4, 1),
                row[0],
            )
        )
        for c, column in enumerate(columns):
            value = row[c + 1]
            number = chart_value(value) or 0
            shape = format_html(
                '<rect class="livechat-chart__cell" x="{}" y="{}" width="{}" '
                'height="{}" fill-opacity="{}"/>',
                round(LEFT + c * cell_w, 1),
                y,
                round(cell_w - 1, 1),
                cell_h - 1,
                round(0.06 + 0.94 * number / top, 3),
            )
            name = f"{row[0]} {column.label}:00: " + show(value, column.unit, currency)
            url = cell_urls(r, column.key) if cell_urls else None
            parts.append(_mark(shape, name, url))
    for c, column in enumerate(columns):
        if c % 3 == 0:
            parts.append(
                format_html(
                    '<text class="livechat-chart__tick" x="{}" y="{}" '
                    'text-anchor="middle" aria-hidden="true">{}</text>',
                    round(LEFT + (c + 0.5) * cell_w, 1),
                    height - 6,
                    column.label,
                )
            )
    return _frame(table.title, _join(parts), bool(cell_urls), height)


def draw(table, urls=None, cell_urls=None, currency=""):
    """The table's chart, or "" when it has none or nothing to draw."""
    if table.chart is None or not table.rows or not table.chart.values:
        return ""
    plotted = [chart_value(v) for key in table.chart.values for v in table.values(key)]
    if all(value is None for value in plotted):
        return ""  # the table says "–" for each: nothing to draw
    if table.chart.kind == "heatmap":
        return heatmap(table, cell_urls, currency)
    return xy_chart(table, urls, currency)
