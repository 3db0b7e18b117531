"""Template helpers of the shop."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()

CURRENCY_SYMBOL = "$"


@register.filter
def money(value):
    """Format a price: ``Decimal("4.5")`` becomes ``$4.50``."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    return f"{CURRENCY_SYMBOL}{amount:,.2f}"
