"""How the Corner Shop plugs into livechat: what agents see about a shopper,
the offers they may make, and the pages and orders the reports count."""

import re
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from livechat.adapter import DefaultLivechatAdapter
from livechat.context_cards import customer_context
from livechat.models import Message

from .cart import VIEWED_SESSION_KEY, Cart
from .models import Coupon, Order, Product
from .orders import order_for_livechat

RECENT_ORDERS = 5
# A product viewed this often in a session earns the shopper its coupon.
VIEWS_FOR_COUPON = 3
# Words of a shopper asking what delivery costs (the shop's languages).
SHIPPING_QUESTION = re.compile(
    r"shipping|delivery|deliver|postage|envío|envio|доставк|运费|邮费|配送",
    re.IGNORECASE,
)
# The shopper's latest messages read for it.
MESSAGES_READ = 50
# Prices in the shop are dollars (shop_tags.money shows them with "$").
CURRENCY = "USD"


class ShopLivechatAdapter(DefaultLivechatAdapter):
    """Shows agents the shopper's account, recent orders and cart."""

    def get_visitor_context(self, visitor, request):
        """Facts for the agent beside the conversation, in livechat's shape.

        ``customer`` holds the account's name and email with a link to it in
        the admin, ``orders`` its ``RECENT_ORDERS`` latest orders linked to
        the admin, ``cart`` the cart in the shopper's session with product
        links when livechat knows it (else ``None``). A guest's orders are
        never looked up by the email they typed: anyone can type an email.
        At most three queries whatever the history: user, orders, cart.
        """
        user = visitor.user if visitor.user_id else None
        session = request.session
        return {
            "customer": self._customer(visitor, user),
            "cart": self._cart(session),
            "orders": self._recent_orders(user) if user is not None else [],
            "viewed": self._viewed(session),
        }

    def _viewed(self, session):
        """Products this session opened more than once, most viewed first
        (None, and no card, when there are none). The shop's own template
        ``livechat/context/viewed.html`` shows them."""
        viewed = session.get(VIEWED_SESSION_KEY) if session is not None else None
        if not isinstance(viewed, dict):
            return None
        counts = {
            int(key): n
            for key, n in viewed.items()
            if key.isdigit() and isinstance(n, int) and n > 1
        }
        if not counts:
            return None
        products = Product.objects.filter(pk__in=counts, active=True)
        return [
            {
                "product": product.name,
                "url": product.get_absolute_url(),
                "views": counts[product.pk],
            }
            for product in sorted(products, key=lambda p: (-counts[p.pk], p.name))
        ] or None

    def suggest_offers(self, visitor, context=None):
        """A product's coupon for a shopper who viewed it VIEWS_FOR_COUPON
        times or more; free shipping for one who asked about delivery."""
        context = context or {}
        offers = []
        for seen in context.get("viewed") or []:
            if not isinstance(seen, dict) or seen.get("views", 0) < VIEWS_FOR_COUPON:
                continue
            slug = _product_slug(seen.get("url"))
            coupon = (
                Coupon.objects.filter(active=True, product__slug=slug)
                .exclude(kind=Coupon.Kind.FREE_SHIPPING)
                .select_related("product")
                .first()
            )
            if coupon is not None:
                offers.append(_offer(coupon))
        if self._asked_about_shipping(visitor):
            coupon = Coupon.objects.filter(
                active=True, kind=Coupon.Kind.FREE_SHIPPING, product=None
            ).first()
            if coupon is not None:
                offers.append(_offer(coupon))
        return offers

    def _asked_about_shipping(self, visitor):
        bodies = Message.objects.filter(
            conversation__visitor=visitor, sender_kind=Message.Sender.VISITOR
        ).order_by("-pk")[:MESSAGES_READ]
        return any(
            SHIPPING_QUESTION.search(body)
            for body in bodies.values_list("body", flat=True)
        )

    def describe_page(self, url):
        """Product pages by slug and name; the cart and checkout by URL name."""
        path = urlsplit(url or "").path or "/"
        try:
            match = resolve(path)
        except Resolver404:
            return super().describe_page(url)
        if match.view_name == "shop:product_detail":
            slug = match.kwargs["slug"]
            name = (
                Product.objects.filter(slug=slug).values_list("name", flat=True).first()
            )
            return {"kind": "product", "key": slug[:100], "title": name or slug}
        kinds = {"shop:cart": "cart", "shop:checkout": "checkout"}
        return {"kind": kinds.get(match.view_name, ""), "key": "", "title": ""}

    def orders_between(self, start, end):
        """The shop's orders placed in ``[start, end)``, for the reports."""
        orders = Order.objects.filter(created_at__gte=start, created_at__lt=end)
        for order in orders.select_related("user").order_by("created_at", "pk"):
            yield order_for_livechat(order)

    def _customer(self, visitor, user):
        return customer_context(visitor, user, _admin_url(user) if user else "")

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


def _product_slug(url):
    """The slug of a product page's URL, or None."""
    try:
        match = resolve(urlsplit(url or "").path)
    except Resolver404:
        return None
    if match.view_name != "shop:product_detail":
        return None
    return match.kwargs.get("slug")


def _offer(coupon):
    """A coupon as livechat's offer: its code, a title and the agent's text."""
    if coupon.kind == Coupon.Kind.FREE_SHIPPING:
        return {
            "code": coupon.code,
            "title": _("Free shipping"),
            "message": _(
                "Shipping is on us: enter %(code)s at checkout and your order "
                "ships free."
            )
            % {"code": coupon.code},
        }
    off = (
        f"{coupon.amount.normalize():f}%"
        if coupon.kind == Coupon.Kind.PERCENT
        else f"${coupon.amount}"
    )
    name = coupon.product.name if coupon.product_id else _("your order")
    return {
        "code": coupon.code,
        "title": _("%(off)s off %(name)s") % {"off": off, "name": name},
        "message": _("Here is %(off)s off %(name)s: enter %(code)s at checkout.")
        % {"off": off, "name": name, "code": coupon.code},
    }


def _admin_url(obj):
    """The object's page in the shop's admin: where agents look an order up."""
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
