"""Turning a cart into an order, and telling livechat about it."""

import logging

from django.db import transaction
from django.db.models import F

from livechat.services import record_order

from .models import Order, OrderItem, Product
from .pricing import CENT, price

logger = logging.getLogger(__name__)
CURRENCY = "USD"  # the shop's prices are dollars


class OutOfStock(Exception):
    """Some products in the cart are no longer available in that quantity."""

    def __init__(self, products):
        super().__init__(", ".join(product.name for product in products))
        self.products = products


@transaction.atomic
def place_order(lines, *, name, email, address, user=None, coupon=None):
    """Create an order for cart ``lines`` and take the items out of stock.

    The products are locked and re-read so two shoppers can never buy the last
    item twice; prices are those in the database now, not in the session.
    ``coupon`` (checked by ``pricing.find_coupon``) takes its discount or the
    shipping fee off. Raises ``OutOfStock`` (and changes nothing) when a line
    cannot be served.
    """
    wanted = {line.product.pk: line.quantity for line in lines}
    products = list(
        Product.objects.select_for_update()
        .filter(pk__in=wanted, active=True)
        .order_by("pk")
    )
    short = [p for p in products if p.stock < wanted[p.pk]]
    missing = set(wanted) - {p.pk for p in products}
    if short or missing:
        gone = [line.product for line in lines if line.product.pk in missing]
        raise OutOfStock(short + gone)

    order = Order.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        name=name,
        email=email,
        address=address,
    )
    items = [
        OrderItem(
            order=order,
            product=product,
            name=product.name,
            unit_price=product.price,
            quantity=wanted[product.pk],
        )
        for product in sorted(products, key=lambda p: p.name)
    ]
    OrderItem.objects.bulk_create(items)
    for product in products:
        Product.objects.filter(pk=product.pk).update(
            stock=F("stock") - wanted[product.pk]
        )
    sums = price(items, coupon)
    order.discount = sums.discount
    order.shipping = sums.shipping
    order.total = sums.total.quantize(CENT)
    order.coupon_code = coupon.code if coupon is not None else ""
    order.save(update_fields=["discount", "shipping", "total", "coupon_code"])
    return order


def order_for_livechat(order):
    """The arguments of livechat's ``record_order`` for a placed order."""
    return {
        "number": str(order.pk),
        "total": order.total,
        "placed_at": order.created_at,
        "currency": CURRENCY,
        "user": order.user,
        "email": order.email,
        "coupon_codes": [order.coupon_code] if order.coupon_code else [],
    }


def report_order(order, session=None):
    """Tell livechat about a placed order: the chat before it converted, and
    the offer whose coupon it used redeemed. Never stops the checkout."""
    try:
        record_order(**order_for_livechat(order), session=session)
    except Exception:
        logger.exception("shop: could not report order %s to livechat", order.pk)
