"""Adapters used by tests to exercise the extension points."""

from livechat.adapter import DefaultLivechatAdapter


class SessionCartAdapter(DefaultLivechatAdapter):
    def get_visitor_context(self, visitor, session=None):
        return {"cart": session.get("cart") if session is not None else None}


class BrokenContextAdapter(DefaultLivechatAdapter):
    def get_visitor_context(self, visitor, session=None):
        raise RuntimeError("store database is down")


class StructuredContextAdapter(DefaultLivechatAdapter):
    def get_visitor_context(self, visitor, session=None):
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
