"""The shopping cart, kept in the session as ``{"<product id>": quantity}``.

Only ids and quantities are stored: names and prices are read from the
database when the cart is shown, so a changed price is never stale.
"""

from dataclasses import dataclass
from decimal import Decimal

from .models import Product

SESSION_KEY = "cart"
# How often this session opened each product's page: {"<product id>": count}.
VIEWED_SESSION_KEY = "shop_viewed"
# One line never holds more than this, whatever the stock.
MAX_QUANTITY = 99


@dataclass(frozen=True)
class CartLine:
    """A product in the cart with its quantity."""

    product: Product
    quantity: int

    @property
    def line_total(self):
        return self.product.price * self.quantity


class Cart:
    """A session's cart; every change marks the session modified."""

    def __init__(self, session):
        self.session = session
        raw = session.get(SESSION_KEY)
        self._quantities = raw if isinstance(raw, dict) else {}

    def _save(self):
        self.session[SESSION_KEY] = self._quantities
        self.session.modified = True

    def _clamp(self, product, quantity):
        return max(0, min(int(quantity), MAX_QUANTITY, product.stock))

    def add(self, product, quantity=1):
        """Add ``quantity`` of ``product``, up to its stock; return the new quantity."""
        current = self._quantities.get(str(product.pk), 0)
        return self.set_quantity(product, current + quantity)

    def set_quantity(self, product, quantity):
        """Set the quantity of ``product`` (0 removes it); return what was set."""
        quantity = self._clamp(product, quantity)
        if quantity:
            self._quantities[str(product.pk)] = quantity
        else:
            self._quantities.pop(str(product.pk), None)
        self._save()
        return quantity

    def remove(self, product):
        """Take ``product`` out of the cart."""
        self._quantities.pop(str(product.pk), None)
        self._save()

    def clear(self):
        """Empty the cart (after an order is placed)."""
        self._quantities = {}
        self._save()

    def quantity_of(self, product):
        return self._quantities.get(str(product.pk), 0)

    @property
    def count(self):
        """Number of items, without touching the database."""
        return sum(q for q in self._quantities.values() if isinstance(q, int))

    def __len__(self):
        return self.count

    def __bool__(self):
        return bool(self._quantities)

    def items(self):
        """The lines of products still on sale, in name order (one query)."""
        ids = [int(key) for key in self._quantities if key.isdigit()]
        if not ids:
            return []
        products = Product.objects.filter(pk__in=ids, active=True).order_by("name")
        return [
            CartLine(product, self._quantities[str(product.pk)]) for product in products
        ]

    @staticmethod
    def total_of(lines):
        return sum((line.line_total for line in lines), Decimal("0.00"))

    def total(self):
        """The cart's total price (one query)."""
        return self.total_of(self.items())
