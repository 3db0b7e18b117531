"""How the Corner Shop plugs into livechat: what agents see about a shopper."""

from django.urls import reverse

from livechat.adapter import DefaultLivechatAdapter

from .cart import Cart
from .models import Order

RECENT_ORDERS = 5
# Prices in the shop are dollars (shop_tags.money shows them with "$").
CURRENCY = "USD"


class ShopLivechatAdapter(DefaultLivechatAdapter):
    """Shows agents the shopper's account, recent orders and cart."""

    def get_visitor_context(self, visitor, session=None):
        """Facts for the agent beside the conversation, in livechat's shape.

        ``customer`` holds the account's name and email with a link to it in
        the admin, ``orders`` its ``RECENT_ORDERS`` latest orders linked to
        the admin, ``cart`` the cart in the shopper's session with product
        links when livechat knows it (else ``None``). A guest's orders are
        never looked up by the email they typed: anyone can type an email.
        At most three queries whatever the history: user, orders, cart.
        """
        user = visitor.user if visitor.user_id else None
        return {
            "customer": self._customer(visitor, user),
            "cart": self._cart(session),
            "orders": self._recent_orders(user) if user is not None else [],
        }

    def _customer(self, visitor, user):
        if user is None:
            return {"name": visitor.name, "email": visitor.email, "registered": False}
        return {
            "name": user.get_full_name() or user.get_username(),
            "email": user.email,
            "registered": True,
            "url": _admin_url(user),
        }

    def _recent_orders(self, user):
        orders = Order.objects.filter(user=user).order_by("-created_at", "-pk")[
            :RECENT_ORDERS
        ]
        return [
            {
                "number": str(order.pk),
                "url": _admin_url(order),
                "status": str(order.get_status_display()),
                "total": str(order.total),
                "currency": CURRENCY,
                "placed_at": order.created_at.isoformat(),
            }
            for order in orders
        ]

    def _cart(self, session):
        if session is None:
            return None
        lines = Cart(session).items()
        return {
            "currency": CURRENCY,
            "lines": [
                {
                    "title": line.product.name,
                    "url": line.product.get_absolute_url(),
                    "quantity": line.quantity,
                    "price": str(line.product.price),
                }
                for line in lines
            ],
            "total": str(Cart.total_of(lines)),
        }

    def order_customers(self, word):
        """Who placed order number ``word``: the console's search finds
        their chats by it (the account, and the email given at checkout)."""
        if not word.isdigit():
            return [], []
        order = Order.objects.filter(pk=int(word)).only("user_id", "email").first()
        if order is None:
            return [], []
        return [order.user_id] if order.user_id else [], [order.email]

    def get_cart_value(self, request):
        """The session cart's total, for invitation rules with a minimum."""
        session = getattr(request, "session", None)
        if session is None:
            return None
        return Cart(session).total()


def _admin_url(obj):
    """The object's page in the shop's admin: where agents look an order up."""
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
