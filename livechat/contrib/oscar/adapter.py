"""``OscarLivechatAdapter``: livechat's adapter for a django-oscar shop.

``LIVECHAT_ADAPTER = "livechat.contrib.oscar.adapter.OscarLivechatAdapter"``.
Agents see the shopper's Oscar basket and orders (linked to Oscar's
dashboard), may offer Oscar vouchers, and the reports know Oscar's basket,
checkout and product pages and its orders. Subclass it to change one part.
"""

import contextlib
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import (
    NoReverseMatch,
    Resolver404,
    get_script_prefix,
    resolve,
    reverse,
)
from oscar.core.loading import get_model

from ...adapter import DefaultLivechatAdapter
from ...conf import app_settings
from ...context_cards import customer_context
from . import shopper, vouchers

# Oscar's URL names (app namespace:name) of the pages the reports count.
CART_PAGES = {"basket:summary"}
PRODUCT_PAGE = "catalogue:detail"
# Every checkout:* page is the checkout, but the thank-you page comes after it.
NOT_CHECKOUT = {"checkout:thank-you"}


class OscarLivechatAdapter(DefaultLivechatAdapter):
    """What agents and the reports know of an Oscar shop's shoppers."""

    #: A customer's latest orders shown to agents.
    recent_orders = 5

    @property
    def widget_avoid_selectors(self):
        """What the widget keeps clear of on Oscar's stock pages: "Add to
        basket", the basket's voucher form (where a shopper enters the code
        an agent just sent) and "Proceed to checkout", and "Place order"."""
        selectors = [
            "#add_to_basket_form [type=submit]",
            "#voucher_form_link",
            "#voucher_form",
            "#place-order",
        ]
        with contextlib.suppress(NoReverseMatch):
            selectors.append(f'a.btn[href="{reverse("checkout:index")}"]')
        return tuple(selectors)

    @property
    def context_cookies(self):
        """Oscar's guest basket cookie (``OSCAR_BASKET_COOKIE_OPEN``)."""
        return (shopper.basket_cookie_name(),)

    def get_visitor_context(self, visitor, request):
        """The customer, their open basket and their orders.

        ``customer`` links a registered customer to Oscar's dashboard;
        ``cart`` is the basket as Oscar prices it for them (strategy and
        offers applied), each line linked to its product; ``orders`` are a
        customer's latest orders, or for a guest only the order placed in
        their own session: never orders found by an email anyone can type.
        The queries are bounded by the basket's lines, not by any history.
        """
        user = request.user if request.user.is_authenticated else None
        basket = shopper.open_basket(user, request.COOKIES)
        if user is not None:
            orders = shopper.recent_orders(user, self.recent_orders)
        else:
            placed = shopper.session_order(request.session)
            orders = [shopper.order_row(placed)] if placed is not None else []
        return {
            "customer": self._customer(visitor, user),
            "cart": shopper.cart_card(shopper.priced(basket, request))
            if basket is not None
            else None,
            "orders": orders,
            "currency": settings.OSCAR_DEFAULT_CURRENCY,
        }

    def _customer(self, visitor, user):
        url = shopper.dashboard_url("dashboard:user-detail", pk=user.pk) if user else ""
        return customer_context(visitor, user, url)

    def suggest_offers(self, visitor, context=None):
        """Oscar vouchers this shopper could use now (``vouchers``), newest
        first, leaving out those already in their basket."""
        cart = (context or {}).get("cart") or {}
        in_basket = cart.get("vouchers") if isinstance(cart, dict) else None
        found = vouchers.available_vouchers(
            visitor.user if visitor.user_id else None,
            app_settings.MAX_SUGGESTED_OFFERS,
            exclude_codes=[c for c in in_basket or () if isinstance(c, str)],
        )
        return [vouchers.voucher_offer(voucher) for voucher in found]

    def get_cart_value(self, request):
        """The total of the basket Oscar's BasketMiddleware loaded for this
        page (``request.basket``), or None without that middleware."""
        basket = getattr(request, "basket", None)
        if basket is None:
            return None
        if basket.is_empty:
            return basket.total_incl_tax  # Decimal("0.00")
        return basket.total_incl_tax if basket.is_tax_known else basket.total_excl_tax

    def describe_page(self, url):
        """Oscar's basket page is the cart, its checkout pages (not the
        thank-you page) the checkout, a product page names its product."""
        path = urlsplit(url or "").path or "/"
        prefix = get_script_prefix()
        if prefix != "/" and path.startswith(prefix):
            path = "/" + path[len(prefix) :]
        try:
            match = resolve(path)
        except Resolver404:
            return super().describe_page(url)
        name = match.view_name
        if name in CART_PAGES:
            return {"kind": "cart", "key": "", "title": ""}
        if name.startswith("checkout:") and name not in NOT_CHECKOUT:
            return {"kind": "checkout", "key": "", "title": ""}
        if name == PRODUCT_PAGE:
            return self._product_page(match.kwargs)
        return {"kind": "", "key": "", "title": ""}

    def _product_page(self, kwargs):
        Product = get_model("catalogue", "Product")
        pk = kwargs.get("pk")
        product = Product.objects.filter(pk=pk).only("title", "parent").first()
        if product is None:
            return {"kind": "product", "key": str(pk)[:100], "title": ""}
        return {"kind": "product", "key": str(pk)[:100], "title": product.get_title()}

    def order_customers(self, word):
        """Who placed the Oscar order numbered ``word``: the customer account,
        and the email given at checkout (a guest's)."""
        Order = get_model("order", "Order")
        order = Order.objects.filter(number=word).select_related("user").first()
        if order is None:
            return [], []
        emails = [order.email] if order.email else []
        return ([order.user_id] if order.user_id else []), emails

    def orders_between(self, start, end):
        """Oscar's orders placed in ``[start, end)``, for the reports."""
        Order = get_model("order", "Order")
        orders = (
            Order.objects.filter(date_placed__gte=start, date_placed__lt=end)
            .select_related("user")
            .prefetch_related("discounts")
            .order_by("date_placed", "pk")
        )
        for order in orders.iterator(chunk_size=500):
            yield order_for_livechat(order)


def voucher_codes(order):
    """The voucher codes the order used (its discounts name them)."""
    return sorted({d.voucher_code for d in order.discounts.all() if d.voucher_code})


def order_for_livechat(order):
    """An Oscar order as the arguments of ``livechat.services.record_order``."""
    return {
        "number": order.number,
        "total": order.total_incl_tax,
        "currency": order.currency,
        "placed_at": order.date_placed,
        "user": order.user,
        "email": order.email or "",
        "coupon_codes": voucher_codes(order),
    }
