"""Pages of the shop: catalogue, product, cart, checkout, orders and help."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .cart import MAX_QUANTITY, VIEWED_SESSION_KEY, Cart
from .forms import AddToCartForm, CheckoutForm, CouponForm
from .models import Order, OrderItem, Product
from .orders import OutOfStock, place_order, report_order
from .pricing import FREE_SHIPPING_OVER, SHIPPING_FEE, price

# Orders a guest placed in this session: only they may see the confirmation.
GUEST_ORDERS_KEY = "shop_orders"
LAST_ORDER_KEY = "shop_last_order"
GUEST_ORDERS_KEPT = 20
# Products whose views a session counts (the latest ones).
VIEWED_KEPT = 50


def product_list(request):
    """The catalogue: every product on sale."""
    products = Product.objects.filter(active=True)
    return render(request, "shop/product_list.html", {"products": products})


def help_page(request):
    """How to reach the shop: the chat, phone and email, and common answers."""
    return render(request, "shop/help.html")


def product_detail(request, slug):
    """One product with a quantity picker."""
    product = get_object_or_404(Product, slug=slug, active=True)
    in_cart = Cart(request.session).quantity_of(product)
    _count_view(request.session, product)
    return render(
        request,
        "shop/product_detail.html",
        {
            "product": product,
            "in_cart": in_cart,
            "max_quantity": min(product.stock, MAX_QUANTITY),
        },
    )


def _count_view(session, product):
    """Count a view of ``product`` (the chat may offer a coupon for it)."""
    viewed = session.get(VIEWED_SESSION_KEY)
    viewed = viewed if isinstance(viewed, dict) else {}
    key = str(product.pk)
    count = viewed.pop(key, 0)
    viewed[key] = (count if isinstance(count, int) else 0) + 1
    # The latest products last; the oldest forgotten past VIEWED_KEPT.
    session[VIEWED_SESSION_KEY] = dict(list(viewed.items())[-VIEWED_KEPT:])


def _redirect_back(request, fallback):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


@require_POST
def cart_add(request, slug):
    """Put a product in the cart, then go back where the shopper was."""
    product = get_object_or_404(Product, slug=slug, active=True)
    data = request.POST if "quantity" in request.POST else {"quantity": 1}
    form = AddToCartForm(data)
    if not form.is_valid():
        messages.error(
            request,
            _("Choose a quantity between 1 and %(max)s.") % {"max": MAX_QUANTITY},
        )
        return redirect(product)
    if not product.in_stock:
        messages.error(request, _("Sorry, %(name)s is sold out.") % {"name": product})
        return _redirect_back(request, product.get_absolute_url())

    cart = Cart(request.session)
    wanted = cart.quantity_of(product) + form.cleaned_data["quantity"]
    now = cart.add(product, form.cleaned_data["quantity"])
    if now < wanted:
        messages.warning(
            request,
            _("Only %(count)s of %(name)s available; your cart has %(count)s.")
            % {"count": now, "name": product},
        )
    else:
        messages.success(request, _("Added %(name)s to your cart.") % {"name": product})
    return _redirect_back(request, "shop:cart")


def cart_detail(request):
    """The cart; its form updates quantities or removes a line."""
    cart = Cart(request.session)
    lines = cart.items()
    if request.method == "POST":
        by_id = {str(line.product.pk): line.product for line in lines}
        removed = by_id.get(request.POST.get("remove", ""))
        if removed is not None:
            cart.remove(removed)
            messages.success(
                request, _("Removed %(name)s from your cart.") % {"name": removed}
            )
            return redirect("shop:cart")
        for key, product in by_id.items():
            raw = request.POST.get(f"quantity-{key}", "")
            if raw.strip().isdigit():
                cart.set_quantity(product, int(raw))
        messages.success(request, _("Your cart has been updated."))
        return redirect("shop:cart")
    return render(
        request,
        "shop/cart.html",
        {"lines": lines, "total": Cart.total_of(lines), "max_quantity": MAX_QUANTITY},
    )


def _checkout_initial(user):
    if not user.is_authenticated:
        return {}
    last = Order.objects.filter(user=user).only("address").first()
    return {
        "name": user.get_full_name(),
        "email": user.email,
        "address": last.address if last else "",
    }


def checkout(request):
    """The customer's details; placing the order empties the cart."""
    cart = Cart(request.session)
    lines = cart.items()
    if not lines:
        messages.info(request, _("Your cart is empty: add something first."))
        return redirect("shop:cart")

    if request.method == "POST" and "apply" in request.POST:
        # Only the coupon is checked; the details typed so far are kept.
        form = CheckoutForm(initial=request.POST.dict())
        coupon_form = CouponForm(request.POST, lines=lines)
    else:
        form = CheckoutForm(
            request.POST or None, initial=_checkout_initial(request.user)
        )
        coupon_form = CouponForm(request.POST or None, lines=lines)
    coupon_valid = coupon_form.is_bound and coupon_form.is_valid()
    coupon = coupon_form.cleaned_data.get("coupon") if coupon_valid else None
    if coupon is not None and "apply" in request.POST:
        messages.success(request, _("Coupon %(code)s applied.") % {"code": coupon.code})
    placing = request.method == "POST" and "apply" not in request.POST
    if placing and form.is_valid() and coupon_valid:
        try:
            order = place_order(
                lines, user=request.user, coupon=coupon, **form.cleaned_data
            )
        except OutOfStock as exc:
            names = ", ".join(str(p) for p in exc.products)
            messages.error(
                request,
                _("Not enough stock left of: %(names)s. Please check your cart.")
                % {"names": names},
            )
            return redirect("shop:cart")
        report_order(order, request.session)
        cart.clear()
        if not request.user.is_authenticated:
            guest_orders = request.session.get(GUEST_ORDERS_KEY, [])
            request.session[GUEST_ORDERS_KEY] = (guest_orders + [order.pk])[
                -GUEST_ORDERS_KEPT:
            ]
        request.session[LAST_ORDER_KEY] = order.pk
        return redirect(order)
    return render(
        request,
        "shop/checkout.html",
        {
            "form": form,
            "coupon_form": coupon_form,
            "lines": lines,
            "price": price(lines, coupon),
            "shipping_fee": SHIPPING_FEE,
            "free_shipping_over": FREE_SHIPPING_OVER,
        },
    )


def _may_see(request, order):
    if request.user.is_authenticated and order.user_id == request.user.pk:
        return True
    return order.pk in request.session.get(GUEST_ORDERS_KEY, [])


def order_confirmation(request, pk):
    """An order's summary, for the customer who placed it only."""
    order = get_object_or_404(
        Order.objects.prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.order_by("pk"))
        ),
        pk=pk,
    )
    if not _may_see(request, order):
        # Same answer as a missing order: ids must not reveal other orders.
        raise Http404
    just_placed = request.session.get(LAST_ORDER_KEY) == order.pk
    if just_placed:
        del request.session[LAST_ORDER_KEY]
    return render(
        request,
        "shop/order_confirmation.html",
        {"order": order, "just_placed": just_placed},
    )


@login_required
def order_history(request):
    """The logged-in customer's orders, newest first."""
    orders = (
        Order.objects.filter(user=request.user)
        .annotate(item_count=Sum("items__quantity"))
        # Meta.ordering is not applied to aggregating queries.
        .order_by("-created_at", "-pk")
    )
    return render(request, "shop/order_history.html", {"orders": orders})
