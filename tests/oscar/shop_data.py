"""The Oscar test shop's catalogue, made in code: a country to ship to, a
partner, a product class and a tea with a stock record and a price. Oscar's
default shipping (free) needs nothing more. Used by the tests' fixtures and,
through ``manage.py shell``, by the live shop of the browser test."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from oscar.core.loading import get_model
from oscar.test.factories import create_offer, create_product

TEA = "Sencha green tea"
TEA_PRICE = Decimal("12.50")
CURRENCY = "EUR"


def create_shop():
    """The shop's data; returns the tea (a Product)."""
    Country = get_model("address", "Country")
    Country.objects.update_or_create(
        iso_3166_1_a2="GB",
        defaults={
            "iso_3166_1_a3": "GBR",
            "iso_3166_1_numeric": "826",
            "name": "United Kingdom of Great Britain and Northern Ireland",
            "printable_name": "United Kingdom",
            "is_shipping_country": True,
        },
    )
    return create_product(
        title=TEA,
        product_class="Tea",
        partner_name="Tea House",
        partner_sku="TEA-1",
        price=TEA_PRICE,
        num_in_stock=100,
    )


def create_chat_voucher(code="CHAT20", name="20% off your tea", **fields):
    """A voucher of 20% off every product (the offer of Oscar's factory)."""
    Voucher = get_model("voucher", "Voucher")
    now = timezone.now()
    fields.setdefault("start_datetime", now - timedelta(days=1))
    fields.setdefault("end_datetime", now + timedelta(days=30))
    voucher = Voucher.objects.create(code=code, name=name, **fields)
    voucher.offers.add(create_offer(name=f"Voucher {code}", offer_type="Voucher"))
    return voucher
