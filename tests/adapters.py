"""Adapters used by tests to exercise the extension points."""

from livechat.adapter import DefaultLivechatAdapter


class SessionCartAdapter(DefaultLivechatAdapter):
    def get_visitor_context(self, visitor, request):
        session = request.session
        return {"cart": session.get("cart") if session is not None else None}


class BrokenContextAdapter(DefaultLivechatAdapter):
    def get_visitor_context(self, visitor, request):
        raise RuntimeError("store database is down")


class StructuredContextAdapter(DefaultLivechatAdapter):
    def get_visitor_context(self, visitor, request):
        return {
            "cart": {
                "currency": "EUR",
                "lines": [
                    {
                        "title": "<b>Tea</b>",
                        "url": "javascript:alert(1)",
                        "quantity": 2,
                        "price": "4.50",
                    }
                ],
                "total": "9.00",
            },
            "orders": [{"number": "7", "url": "/admin/shop/order/7/change/"}],
        }


class OrderNumberAdapter(DefaultLivechatAdapter):
    """Order "A-1042" was placed by user ``ORDERED_BY`` with email
    ``ORDER_EMAIL``; "666" breaks the adapter."""

    ORDERED_BY = None
    ORDER_EMAIL = "guest@example.com"

    def order_customers(self, word):
        if word == "666":
            raise RuntimeError("the shop's order table is down")
        if word == "A-1042":
            users = [self.ORDERED_BY] if self.ORDERED_BY else []
            return users, [self.ORDER_EMAIL]
        return [], []


class OffersAdapter(DefaultLivechatAdapter):
    """Suggests ``OFFERS`` to every shopper (tests replace the list)."""

    OFFERS = [
        {
            "code": "BOOTS10",
            "title": "10% off the red boots",
            "message": "Here is 10% off the red boots: use BOOTS10 at checkout.",
        },
        {
            "code": "FREESHIP",
            "title": "Free shipping",
            "body": "Shipping is on us: enter FREESHIP at checkout.",
        },
    ]

    def suggest_offers(self, visitor, context=None):
        return self.OFFERS


class BrokenPagesAdapter(DefaultLivechatAdapter):
    def describe_page(self, url):
        raise RuntimeError("the catalogue is down")


class AvoidingAdapter(DefaultLivechatAdapter):
    widget_avoid_selectors = ("#place-order", 'a.btn[href="/checkout/"]', "", 3)
