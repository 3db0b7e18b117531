"""OscarLivechatAdapter against a real django-oscar shop: baskets made by
Oscar's own views, orders placed by Oscar's OrderCreator, Oscar vouchers."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.checks import run_checks
from django.core.signing import Signer
from django.db import connection
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from oscar.apps.basket.middleware import BasketMiddleware
from oscar.core.loading import get_class, get_model
from oscar.test.factories import create_order, create_product

from livechat import services
from livechat.adapter import get_adapter
from livechat.checks import _check_adapter_signatures
from livechat.contrib.oscar.adapter import OscarLivechatAdapter
from livechat.models import OrderRecord
from livechat.services.offers import suggested_offers
from livechat.services.visitors import touch_visitor, visitor_context
from livechat.shopper import ShopperRequest
from livechat.tokens import VISITOR_SESSION_KEY

from .shop_data import TEA, create_chat_voucher

pytestmark = [pytest.mark.oscar, pytest.mark.django_db]

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")
Voucher = get_model("voucher", "Voucher")
VoucherSet = get_model("voucher", "VoucherSet")
Selector = get_class("partner.strategy", "Selector")
Applicator = get_class("offer.applicator", "Applicator")


def add_to_basket(client, product, quantity=1):
    """Put ``product`` in the basket through Oscar's own view, as a shopper."""
    response = client.post(
        reverse("basket:add", kwargs={"pk": product.pk}), {"quantity": quantity}
    )
    assert response.status_code == 302, response.content[:500]


def visitor_of(client, user=None):
    """The visitor the widget's socket would load for this browser."""
    session = client.session
    key = uuid.UUID(session[VISITOR_SESSION_KEY])
    visitor = services.get_or_create_visitor(key, user)
    touch_visitor(visitor, session_key=session.session_key)
    return visitor


def customer_basket(customer, *products):
    basket = Basket.objects.create(owner=customer)
    basket.strategy = Selector().strategy(user=customer)
    for product in products:
        basket.add_product(product)
    return basket


def test_the_adapter_has_livechats_signatures():
    assert _check_adapter_signatures(OscarLivechatAdapter, "oscar") == []


def test_the_shop_passes_the_checks():
    """The Oscar shop of docs/oscar.md raises no livechat warning: the
    widget is on Oscar's pages (livechat_oscar.W001) and the adapter fits."""
    ids = {message.id for message in run_checks()}
    assert not {i for i in ids if i and i.startswith("livechat")}, ids


def test_the_widget_is_on_oscars_pages(client, tea):
    html = client.get(tea.get_absolute_url()).content.decode()
    assert 'id="livechat"' in html
    assert "data-livechat-checkout" not in html


def _templates(**sources):
    """Oscar's templates, with ``sources`` (name: text) found first, as a
    project's templates directory is."""
    return [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [],
            "APP_DIRS": False,
            "OPTIONS": {
                "context_processors": settings.TEMPLATES[0]["OPTIONS"][
                    "context_processors"
                ],
                "loaders": [
                    ("django.template.loaders.locmem.Loader", sources),
                    "django.template.loaders.app_directories.Loader",
                ],
            },
        }
    ]


# Oscar's own partial, empty but for a comment.
OSCARS_PARTIAL = "{# a shop's own scripts #}"
# docs/oscar.md: the widget in the project's own oscar/layout.html.
LAYOUT_RECIPE = """{% extends "oscar/layout.html" %}
{% load livechat %}

{% block extrascripts %}
    {{ block.super }}
    {% livechat_widget %}
{% endblock %}
"""


def test_a_shop_without_the_widget_is_warned():
    """A project overriding Oscar's extrascripts partial without the tag."""
    with override_settings(
        TEMPLATES=_templates(**{"oscar/partials/extrascripts.html": OSCARS_PARTIAL})
    ):
        ids = [message.id for message in run_checks()]
    assert "livechat_oscar.W001" in ids


def test_the_layout_recipe_puts_the_widget_once_on_oscars_pages(client, tea):
    """docs/oscar.md's own oscar/layout.html, with Oscar's partial used."""
    with override_settings(
        TEMPLATES=_templates(
            **{
                "oscar/layout.html": LAYOUT_RECIPE,
                "oscar/partials/extrascripts.html": OSCARS_PARTIAL,
            }
        )
    ):
        assert not [m for m in run_checks() if m.id == "livechat_oscar.W001"]
        html = client.get(tea.get_absolute_url()).content.decode()
    assert html.count('id="livechat"') == 1
    assert "Add to basket" in html  # Oscar's page, whole


def test_a_guest_basket_comes_from_oscars_signed_cookie(client, tea):
    add_to_basket(client, tea, quantity=2)
    cookie = client.cookies["oscar_open_basket"].value
    assert cookie.split(":")[0].isdigit()  # Oscar's Signer().sign(basket id)
    client.get(reverse("basket:summary"))  # a page with the widget
    visitor = visitor_of(client)

    context, _visit = visitor_context(visitor)

    cart = context["cart"]
    assert cart["currency"] == "EUR"
    assert cart["lines"] == [
        {
            "title": TEA,
            "url": tea.get_absolute_url(),
            "quantity": 2,
            "price": "12.50",
            "total": "25.00",
        }
    ]
    assert cart["total"] == "25.00"
    assert context["customer"]["registered"] is False
    assert context["orders"] == []


def test_only_a_guest_basket_with_oscars_signature_is_shown(tea, customer):
    guest = customer_basket(None, tea)
    owned = customer_basket(customer, tea)
    visitor = services.get_or_create_visitor(uuid.uuid4())
    adapter = get_adapter()
    for cookie in (f"{guest.pk}:forged", Signer().sign(owned.pk), "", "x"):
        shopper = ShopperRequest(visitor, cookies={"oscar_open_basket": cookie})
        assert adapter.get_visitor_context(visitor, shopper)["cart"] is None, cookie
    signed = {"oscar_open_basket": Signer().sign(guest.pk)}
    shopper = ShopperRequest(visitor, cookies=signed)
    assert adapter.get_visitor_context(visitor, shopper)["cart"]["total"] == "12.50"


def test_the_basket_shows_oscars_discounts(client, tea):
    create_chat_voucher()
    add_to_basket(client, tea, quantity=2)
    response = client.post(reverse("basket:vouchers-add"), {"code": "chat20"})
    assert response.status_code == 302
    client.get(reverse("basket:summary"))
    context, _visit = visitor_context(visitor_of(client))
    cart = context["cart"]
    assert cart["vouchers"] == ["CHAT20"]
    assert cart["lines"][0]["price"] == "12.50"
    assert cart["lines"][0]["total"] == "20.00"
    assert cart["total"] == "20.00"


def test_a_customer_sees_their_basket_and_orders(tea, customer):
    earlier = create_order(basket=customer_basket(customer, tea), user=customer)
    customer_basket(customer, tea)
    other = create_order(basket=customer_basket(None, tea))  # a guest's
    visitor = services.visitor_for_user(customer)
    shopper = ShopperRequest(visitor, user=customer)

    context = get_adapter().get_visitor_context(visitor, shopper)

    assert context["customer"] == {
        "name": "Ann Lee",
        "email": "ann@example.com",
        "registered": True,
        "url": reverse("dashboard:user-detail", kwargs={"pk": customer.pk}),
    }
    assert [line["title"] for line in context["cart"]["lines"]] == [TEA]
    assert context["orders"] == [
        {
            "number": str(earlier.number),
            "url": reverse("dashboard:order-detail", kwargs={"number": earlier.number}),
            "status": earlier.status,
            "total": str(earlier.total_incl_tax),
            "currency": "EUR",
            "placed_at": earlier.date_placed.isoformat(),
        }
    ]
    assert str(other.number) not in str(context)


def test_a_guest_never_sees_orders_of_the_email_they_typed(client, tea, customer):
    create_order(basket=customer_basket(customer, tea), user=customer)
    create_order(basket=customer_basket(None, tea), guest_email="ann@example.com")
    add_to_basket(client, tea)
    client.get(reverse("basket:summary"))
    visitor = visitor_of(client)
    visitor.email = "ann@example.com"
    visitor.save()
    context, _visit = visitor_context(visitor)
    assert context["orders"] == []


def test_a_guest_sees_the_order_placed_in_their_own_session(client, tea):
    add_to_basket(client, tea)
    client.get(reverse("basket:summary"))
    order = create_order(basket=customer_basket(None, tea), guest_email="g@example.com")
    session = client.session
    session["checkout_order_id"] = order.pk  # as Oscar's checkout leaves it
    session.save()
    context, _visit = visitor_context(visitor_of(client))
    assert [row["number"] for row in context["orders"]] == [str(order.number)]


def _context_queries(customer):
    visitor = services.visitor_for_user(customer)
    shopper = ShopperRequest(visitor, user=customer)
    with CaptureQueriesContext(connection) as queries:
        context = get_adapter().get_visitor_context(visitor, shopper)
    return len(queries), context


def test_the_context_costs_queries_by_basket_lines_not_history(tea, customer):
    create_order(basket=customer_basket(customer, tea), user=customer)
    basket = customer_basket(customer, tea)
    few, _context = _context_queries(customer)
    for _ in range(7):
        create_order(basket=customer_basket(customer, tea), user=customer)
    assert _context_queries(customer)[0] == few
    basket.add_product(
        create_product(title="Oolong", price=Decimal("8"), num_in_stock=5)
    )
    more, context = _context_queries(customer)
    assert len(context["orders"]) == 5
    assert len(context["cart"]["lines"]) == 2
    assert more <= few + 2  # Oscar's strategy prices each line
    assert few <= 12


def test_vouchers_are_offered(tea, customer):
    create_chat_voucher(code="CHAT20", name="20% off your tea")
    now = timezone.now()
    create_chat_voucher(
        code="OLD",
        name="Expired",
        start_datetime=now - datetime.timedelta(days=9),
        end_datetime=now - datetime.timedelta(days=1),
    )
    used = create_chat_voucher(code="ONCE", name="Once", usage=Voucher.SINGLE_USE)
    create_order(basket=customer_basket(customer, tea), user=customer)
    used.applications.create(order=Order.objects.get(), user=customer)
    create_chat_voucher(code="MINE", name="Once each", usage=Voucher.ONCE_PER_CUSTOMER)
    guest = services.get_or_create_visitor(uuid.uuid4())
    member = services.visitor_for_user(customer)
    adapter = get_adapter()

    offers = adapter.suggest_offers(guest, {})
    assert [offer["code"] for offer in offers] == ["CHAT20"]
    assert offers[0]["title"] == "20% off your tea"
    assert "CHAT20" in offers[0]["message"]
    assert [o["code"] for o in adapter.suggest_offers(member, {})] == [
        "MINE",
        "CHAT20",
    ]
    # Not the voucher the shopper already entered in their basket.
    in_basket = {"cart": {"lines": [], "vouchers": ["CHAT20"]}}
    assert [o["code"] for o in adapter.suggest_offers(member, in_basket)] == ["MINE"]


def test_offers_come_from_the_voucher_set_the_setting_names(tea):
    create_chat_voucher(code="CHAT20")
    now = timezone.now()
    chat_set = VoucherSet.objects.create(
        name="Live chat",
        count=0,
        code_length=8,
        start_datetime=now - datetime.timedelta(days=1),
        end_datetime=now + datetime.timedelta(days=9),
    )
    create_chat_voucher(code="LIVE10", name="10% off", voucher_set=chat_set)
    guest = services.get_or_create_visitor(uuid.uuid4())
    with override_settings(LIVECHAT_OSCAR_VOUCHER_SET="Live chat"):
        codes = [o["code"] for o in get_adapter().suggest_offers(guest, {})]
    assert codes == ["LIVE10"]
    # Unset, a set's codes (often each meant for someone) are never offered.
    codes = [o["code"] for o in get_adapter().suggest_offers(guest, {})]
    assert codes == ["CHAT20"]


def test_a_voucher_offer_is_written_in_the_shoppers_language(tea):
    create_chat_voucher(code="CHAT20")
    guest = services.get_or_create_visitor(uuid.uuid4())
    touch_visitor(guest, locale="es")
    (offer,) = suggested_offers(guest, {})
    assert offer["message"].startswith("Aquí tiene un cupón"), offer
    assert "CHAT20" in offer["message"]


def test_an_order_placed_reports_its_vouchers_and_redeems_the_offer(tea, customer):
    voucher = create_chat_voucher()
    visitor = services.visitor_for_user(customer)
    message, _created = services.post_visitor_message(visitor, "Any discount?", "c1")
    conversation = message.conversation
    conversation.offers.create(code="CHAT20", title=voucher.name)
    basket = customer_basket(customer, tea)
    basket.vouchers.add(voucher)
    Applicator().apply(basket, customer)

    order = create_order(basket=basket, user=customer)

    record = OrderRecord.objects.get(number=str(order.number))
    assert record.total == order.total_incl_tax == Decimal("10.00")
    assert record.currency == "EUR"
    assert record.user_id == customer.pk
    assert record.coupon_codes == "CHAT20"
    assert record.conversation == conversation
    offer = conversation.offers.get()
    assert offer.order == record and offer.redeemed_at is not None


def test_reporting_an_order_failing_never_fails_the_order(tea, monkeypatch, caplog):
    from livechat.contrib.oscar import receivers

    def broken(**kwargs):
        raise RuntimeError("reports database is down")

    monkeypatch.setattr(receivers, "record_order", broken)
    order = create_order(basket=customer_basket(None, tea))
    assert Order.objects.filter(pk=order.pk).exists()
    assert "reporting Oscar order" in caplog.text


def test_orders_between_and_order_customers(tea, customer):
    mine = create_order(basket=customer_basket(customer, tea), user=customer)
    guest = create_order(basket=customer_basket(None, tea), guest_email="g@example.com")
    adapter = get_adapter()
    start = mine.date_placed - datetime.timedelta(seconds=1)
    rows = list(adapter.orders_between(start, timezone.now()))
    assert [row["number"] for row in rows] == [str(mine.number), str(guest.number)]
    assert rows[0]["user"] == customer and rows[0]["email"] == "ann@example.com"
    assert rows[1]["user"] is None and rows[1]["email"] == "g@example.com"
    assert adapter.order_customers(str(mine.number)) == (
        [customer.pk],
        ["ann@example.com"],
    )
    assert adapter.order_customers(str(guest.number)) == ([], ["g@example.com"])
    assert adapter.order_customers("nope") == ([], [])


def test_describe_page(tea):
    adapter = get_adapter()
    assert adapter.describe_page(reverse("basket:summary"))["kind"] == "cart"
    for name in ("checkout:index", "checkout:shipping-address", "checkout:preview"):
        assert adapter.describe_page(reverse(name))["kind"] == "checkout", name
    assert adapter.describe_page(reverse("checkout:thank-you"))["kind"] == ""
    assert adapter.describe_page("http://shop.test" + tea.get_absolute_url()) == {
        "kind": "product",
        "key": str(tea.pk),
        "title": TEA,
    }
    assert adapter.describe_page("/")["kind"] == ""
    assert adapter.describe_page("/no/such/page/")["kind"] == ""


def test_the_widget_knows_oscars_checkout_pages(client, tea):
    add_to_basket(client, tea)
    html = client.get(reverse("checkout:index")).content.decode()
    assert "data-livechat-checkout" in html
    html = client.get(reverse("basket:summary")).content.decode()
    assert "data-livechat-checkout" not in html


def test_cart_value_for_invitations(tea, client):
    add_to_basket(client, tea, quantity=3)
    request = RequestFactory().get("/")
    request.COOKIES["oscar_open_basket"] = client.cookies["oscar_open_basket"].value
    request.user = AnonymousUser()
    request.session = client.session
    BasketMiddleware(lambda r: None)(request)
    assert get_adapter().get_cart_value(request) == Decimal("37.50")
    assert get_adapter().get_cart_value(RequestFactory().get("/")) is None
