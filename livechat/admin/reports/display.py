"""How a report's values read: on the page, and in a CSV file."""

import math
from datetime import date
from decimal import Decimal

from django.utils.formats import date_format, get_format, number_format
from django.utils.translation import gettext, ngettext

from ...services.reports.figures.base import (
    DAY,
    HOURS,
    MONEY,
    PERCENT,
    RATIO,
    SECONDS,
)

MISSING = "–"


def duration(seconds):
    """``45 s``, ``1 min 10 s``, ``2 h 5 min``; past two days, "more than"."""
    if seconds == math.inf:
        return gettext("more than 48 h")
    seconds = int(seconds)
    if seconds < 60:
        return gettext("%(s)d s") % {"s": seconds}
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        if seconds:
            return gettext("%(m)d min %(s)d s") % {"m": minutes, "s": seconds}
        return gettext("%(m)d min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if minutes:
        return gettext("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    return ngettext("%(h)d h", "%(h)d h", hours) % {"h": hours}


def show(value, unit, currency=""):
    """A value as the page shows it."""
    if value is None:
        return MISSING
    if unit == DAY and isinstance(value, date):
        return date_format(value, "D j M")
    if unit == SECONDS:
        return duration(value)
    if unit == PERCENT:
        return f"{number_format(value, 1)} %"
    if unit == RATIO:
        # 2, 0.5, 1.25: as many decimals as it has, at most two.
        text = number_format(value, 2)
        separator = get_format("DECIMAL_SEPARATOR")
        if separator in text:
            text = text.rstrip("0").removesuffix(separator)
        return text
    if unit == HOURS:
        return gettext("%(hours)s h") % {"hours": number_format(value, 1)}
    if unit == MONEY:
        amount = number_format(Decimal(value), 2)
        return f"{amount} {currency}".strip()
    if isinstance(value, int | float | Decimal):
        return number_format(value)
    return str(value)


def csv_cell(value):
    """A value as a CSV file holds it: plain numbers, ISO dates, and text a
    spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if value == math.inf:
        return "inf"
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def chart_value(value):
    """A value as a chart scales it (None and infinity draw nothing)."""
    if value is None or value == math.inf:
        return None
    return float(value)
