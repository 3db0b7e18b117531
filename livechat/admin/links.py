"""Links between admin pages, and dates as the admin shows them."""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format


def admin_url(obj, action="change"):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{action}", args=[obj.pk])


def short_datetime(value):
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
