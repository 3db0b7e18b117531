"""Turning a cart into an order."""

from django.db import transaction
from django.db.models import F

from .models import Order, OrderItem, Product


class OutOfStock(Exception):
    """Some products in the cart are no longer available in that quantity."""

    def __init__(self, products):
        super().__init__(", ".join(product.name for product in products))
        self.products = products


@transaction.atomic
def place_order(lines, *, name, email, address, user=None):
    """Create an order for cart ``lines`` and take the items out of stock.

    The products are locked and re-read so two shoppers can never buy the last
    item twice; prices are those in the database now, not in the session.
    Raises ``OutOfStock`` (and changes nothing) when a line cannot be served.
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
    order.total = sum(item.line_total for item in items)
    order.save(update_fields=["total"])
    return order
