"""The shopper's Oscar basket and orders, in the shapes livechat's context
cards render (``livechat.context_cards``).

Everything is read through Oscar's ``get_model``/``get_class``, so a shop
that forked Oscar's apps gets its own models, strategy and applicator.
"""

from django.conf import settings
from django.core.signing import BadSignature, Signer
from django.urls import NoReverseMatch, reverse
from oscar.core.loading import get_class, get_model

# Where Oscar's checkout keeps the id of the order a session just placed
# (OrderPlacementMixin.handle_successful_order).
CHECKOUT_ORDER_SESSION_KEY = "checkout_order_id"


def basket_cookie_name():
    """The cookie that holds a guest's open basket (Oscar's setting)."""
    return settings.OSCAR_BASKET_COOKIE_OPEN


def open_basket(user, cookies):
    """The shopper's open basket: a customer's by owner, a guest's by the
    signed id in Oscar's basket cookie; None when they have none.

    A customer who still holds a guest basket cookie has it merged into
    theirs on their next page; until then agents see the customer's own.
    """
    Basket = get_model("basket", "Basket")
    if user is not None and user.is_authenticated:
        # Oscar merges surplus baskets on the next page: the oldest is the one.
        return Basket.open.filter(owner=user).order_by("pk").first()
    signed = cookies.get(basket_cookie_name())
    if not signed:
        return None
    try:
        basket_id = Signer().unsign(signed)
    except BadSignature:
        return None
    if not str(basket_id).isdigit():
        return None
    return Basket.open.filter(pk=int(basket_id), owner=None).first()


def priced(basket, request):
    """``basket`` with Oscar's pricing strategy and offers applied, as the
    shopper's basket page shows it. ``request`` has ``user`` (and, for
    session offers, ``session``)."""
    Selector = get_class("partner.strategy", "Selector")
    Applicator = get_class("offer.applicator", "Applicator")
    try:
        strategy = Selector().strategy(request=request, user=request.user)
    except AttributeError:
        # A shop's selector reading more of a request (META, say) than a
        # ShopperRequest has: priced as for this user alone.
        strategy = Selector().strategy(user=request.user)
    basket.strategy = strategy
    if not basket.is_empty:
        Applicator().apply(basket, request.user, request)
    return basket


def _amount(incl_tax, excl_tax):
    value = incl_tax if incl_tax is not None else excl_tax
    return None if value is None else str(value)


def _basket_total(basket):
    if basket.is_tax_known:
        return str(basket.total_incl_tax)
    return str(basket.total_excl_tax)


def cart_card(basket):
    """The ``cart`` card: each line's product (linked to its page), quantity
    and unit price, the line after discounts, and the basket's total."""
    currency = basket.currency or settings.OSCAR_DEFAULT_CURRENCY
    lines = []
    for line in basket.all_lines():
        product = line.product
        lines.append(
            {
                "title": product.get_title() if product else line.reference,
                "url": product.get_absolute_url() if product else "",
                "quantity": line.quantity,
                "price": _amount(line.unit_price_incl_tax, line.unit_price_excl_tax),
                "total": _amount(
                    line.line_price_incl_tax_incl_discounts,
                    line.line_price_excl_tax_incl_discounts,
                ),
            }
        )
    card = {"currency": currency, "lines": lines, "total": _basket_total(basket)}
    vouchers = [voucher.code for voucher in basket.vouchers.all()]
    if vouchers:
        card["vouchers"] = vouchers
    return card


def dashboard_url(name, **kwargs):
    """A page of Oscar's dashboard, or "" when the shop does not mount it."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def order_row(order):
    """One order of the ``orders`` card, linked to Oscar's dashboard."""
    return {
        "number": order.number,
        "url": dashboard_url("dashboard:order-detail", number=order.number),
        "status": order.status,
        "total": str(order.total_incl_tax),
        "currency": order.currency,
        "placed_at": order.date_placed.isoformat(),
    }


def recent_orders(user, count):
    """The customer's ``count`` latest orders, newest first (one query)."""
    Order = get_model("order", "Order")
    orders = Order.objects.filter(user=user).order_by("-date_placed", "-pk")
    return [order_row(order) for order in orders[:count]]


def session_order(session):
    """The order a guest placed in this very session (Oscar's checkout keeps
    its id there), or None: never one found by an email they typed."""
    if session is None:
        return None
    order_id = session.get(CHECKOUT_ORDER_SESSION_KEY)
    if not isinstance(order_id, int):
        return None
    Order = get_model("order", "Order")
    return Order.objects.filter(pk=order_id, user=None).first()
