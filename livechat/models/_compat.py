"""Differences between the supported Django versions, for the models."""

import django

# Django 5.1 renamed CheckConstraint(check=) to condition=.
_CHECK_KW = "condition" if django.VERSION >= (5, 1) else "check"
