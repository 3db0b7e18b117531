"""What an order costs: its lines, a coupon's discount and the shipping fee."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from .models import Coupon

# Every order ships for this, unless its goods cost at least FREE_SHIPPING_OVER
# (after the discount) or a free-shipping coupon is used.
SHIPPING_FEE = Decimal("5.00")
FREE_SHIPPING_OVER = Decimal("50.00")
CENT = Decimal("0.01")


class InvalidCoupon(Exception):
    """The code is no coupon the checkout accepts for this cart."""


@dataclass(frozen=True)
class Price:
    """An order's sums; ``coupon`` is the one applied, or None."""

    subtotal: Decimal
    discount: Decimal
    shipping: Decimal
    total: Decimal
    coupon: Coupon | None = None


def find_coupon(code, lines):
    """The active coupon ``code`` (any case, spaces ignored) for these cart
    lines, or None for an empty code; ``InvalidCoupon`` says why not."""
    code = "".join((code or "").split()).upper()
    if not code:
        return None
    coupon = Coupon.objects.select_related("product").filter(code=code).first()
    if coupon is None or not coupon.active:
        raise InvalidCoupon(_("This coupon code is not valid."))
    if coupon.product_id and all(
        line.product.pk != coupon.product_id for line in lines
    ):
        raise InvalidCoupon(
            _("This coupon is for %(product)s, which is not in your cart.")
            % {"product": coupon.product.name}
        )
    return coupon


def price(lines, coupon=None):
    """The sums of an order of cart (or order) ``lines`` with ``coupon``."""
    subtotal = sum((line.line_total for line in lines), Decimal("0.00"))
    discount = Decimal("0.00")
    if coupon is not None and coupon.kind != Coupon.Kind.FREE_SHIPPING:
        base = subtotal
        if coupon.product_id:
            base = sum(
                (
                    line.line_total
                    for line in lines
                    if _product_id(line) == coupon.product_id
                ),
                Decimal("0.00"),
            )
        if coupon.kind == Coupon.Kind.PERCENT:
            discount = (base * coupon.amount / 100).quantize(CENT, ROUND_HALF_UP)
        else:
            discount = min(coupon.amount, base)
    goods = subtotal - discount
    free = (
        coupon is not None and coupon.kind == Coupon.Kind.FREE_SHIPPING
    ) or goods >= FREE_SHIPPING_OVER
    shipping = Decimal("0.00") if free or not lines else SHIPPING_FEE
    return Price(subtotal, discount, shipping, goods + shipping, coupon)


def _product_id(line):
    product = getattr(line, "product", None)
    return product.pk if product is not None else getattr(line, "product_id", None)
