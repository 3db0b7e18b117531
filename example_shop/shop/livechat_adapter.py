"""How the Corner Shop plugs into livechat: what agents see about a shopper."""

from django.db.models import Sum
from django.db.models.functions import Coalesce

from livechat.adapter import DefaultLivechatAdapter

from .cart import Cart
from .models import Order

RECENT_ORDERS = 5


class ShopLivechatAdapter(DefaultLivechatAdapter):
    """Shows agents the shopper's account, recent orders and cart."""

    def get_visitor_context(self, visitor, session=None):
        """Facts for the agent beside the conversation, as a JSON-ready dict.

        ``customer`` holds the account's name and email, ``orders`` its
        ``RECENT_ORDERS`` latest orders, ``cart`` the cart in the shopper's
        session when livechat knows it (else ``None``). A guest's orders are
        never looked up by the email they typed: anyone can type an email.
        At most three queries whatever the history: user, orders, cart.
        """
        user = visitor.user if visitor.user_id else None
        return {
            "customer": self._customer(visitor, user),
            "orders": self._recent_orders(user) if user is not None else [],
            "cart": self._cart(session),
        }

    def _customer(self, visitor, user):
        if user is None:
            return {"name": visitor.name, "email": visitor.email, "registered": False}
        return {
            "name": user.get_full_name() or user.get_username(),
            "email": user.email,
            "registered": True,
        }

    def _recent_orders(self, user):
        orders = (
            Order.objects.filter(user=user)
            .annotate(item_count=Coalesce(Sum("items__quantity"), 0))
            .order_by("-created_at", "-pk")[:RECENT_ORDERS]
        )
        return [
            {
                "id": order.pk,
                "created": order.created_at.isoformat(),
                "status": str(order.get_status_display()),
                "total": str(order.total),
                "item_count": order.item_count,
            }
            for order in orders
        ]

    def _cart(self, session):
        if session is None:
            return None
        return Cart(session).as_dict()

    def get_cart_value(self, request):
        """The session cart's total, for invitation rules with a minimum."""
        session = getattr(request, "session", None)
        if session is None:
            return None
        return Cart(session).total()
