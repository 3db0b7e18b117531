"""The adapter's context as the console's HTML cards."""

from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import translation

from livechat.context_cards import label_of, money, render_context_cards, safe_url

pytestmark = pytest.mark.django_db

HOST_TEMPLATES = Path(__file__).parent / "templates_host"

STRUCTURED = {
    "customer": {
        "name": "Ann Lee",
        "email": "ann@example.com",
        "registered": True,
        "url": "/admin/auth/user/3/change/",
        "loyalty_tier": "Gold",
    },
    "cart": {
        "currency": "EUR",
        "lines": [
            {
                "title": "Green tea",
                "url": "/products/green-tea/",
                "quantity": 2,
                "price": "4.50",
            },
        ],
        "total": "9.00",
    },
    "orders": [
        {
            "number": "1042",
            "url": "/admin/shop/order/1042/change/",
            "status": "Shipped",
            "total": "59.90",
            "currency": "EUR",
            "placed_at": "2026-03-02T10:15:00+00:00",
        }
    ],
}


def test_structured_context_shows_money_with_currency_and_links():
    html = render_context_cards(STRUCTURED)
    assert "9.00 EUR" in html and "4.50 EUR each" in html and "59.90 EUR" in html
    assert '<a href="/products/green-tea/"' in html
    assert '<a href="/admin/shop/order/1042/change/"' in html
    assert "Order 1042" in html and "Shipped" in html
    assert "Registered customer" in html
    # An extra key of the customer gets a readable label.
    assert "Loyalty tier" in html and "Gold" in html


def test_money_is_localised():
    with translation.override("es"):
        assert money("1234.5", "EUR") == "1234,50 EUR"
    assert money("n/a", "EUR") == "n/a"
    assert money(None) is None


def test_old_flat_context_renders_through_the_fallback_with_labels():
    html = render_context_cards(
        {
            "orders": [{"id": 3, "item_count": 1, "total": "9.75"}],
            "cart": {"items": [{"name": "Tea"}], "total": "9.75"},
            "vip": True,
        }
    )
    assert "Item count" in html and "ID" in html
    assert "Vip" in html and "Yes" in html
    assert "Order 3" not in html  # not mistaken for the structured orders card


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "\\\\evil.example/x",
    ],
)
def test_only_http_and_relative_urls_reach_an_href(url):
    assert safe_url(url) == ""
    html = render_context_cards(
        {
            "cart": {"lines": [{"title": "Tea", "url": url, "quantity": 1}]},
            "orders": [{"number": "1", "url": url}],
            "extra": {"url": url},
        }
    )
    assert "href" not in html


def test_safe_urls_pass():
    for url in ("https://shop.example/p/1", "http://x.example", "/p/1", "p/1", "?a=1"):
        assert safe_url(url) == url


def test_hostile_strings_are_escaped():
    evil = '<script>alert("x")</script>'
    html = render_context_cards(
        {
            "customer": {"name": evil, "email": evil},
            "cart": {"currency": evil, "lines": [{"title": evil, "price": "1"}]},
            "orders": [{"number": evil, "status": evil}],
            evil: {evil: evil},
        }
    )
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_past_chats_link_to_the_admin():
    visit = {
        "past_conversations": [
            {
                "id": 12,
                "created": "2026-01-05T09:00:00+00:00",
                "topic": "order",
                "tag": "return",
                "rating": "good",
                "status": "closed",
            }
        ]
    }
    html = render_context_cards({}, visit)
    assert '<a href="/admin/livechat/conversation/12/change/"' in html
    assert "Help with an order" in html and "Return or refund" in html
    assert "Rated good" in html
    assert "The store has told us nothing about this shopper." in html


def test_labels():
    assert label_of("item_count") == "Item count"
    assert label_of("id") == "ID"
    assert label_of("lastOrderUrl") == "Last order URL"


def test_a_host_overrides_a_card_and_adds_its_own():
    templates = {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HOST_TEMPLATES],
        "APP_DIRS": True,
    }
    with override_settings(TEMPLATES=[templates]):
        html = render_context_cards(
            {"cart": STRUCTURED["cart"], "loyalty": {"points": 120}}
        )
    assert "HOST CART 9.00 EUR" in html
    assert "HOST LOYALTY 120" in html


def test_a_key_never_selects_a_template_of_the_panel():
    html = render_context_cards({"cards": {"a": 1}, "past_chats": [1]})
    assert html.count('class="livechat-cards"') == 1
    assert "Cards" in html


def test_a_list_of_plain_values_is_one_line():
    html = render_context_cards({"profile": {"tags": ["vip", "wholesale"]}})
    assert "vip, wholesale" in html


def test_a_broken_card_template_leaves_the_panel_empty(caplog, tmp_path):
    broken = tmp_path / "livechat" / "context"
    broken.mkdir(parents=True)
    (broken / "loyalty.html").write_text("{% if %}")
    templates = {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [tmp_path],
        "APP_DIRS": True,
    }
    with override_settings(TEMPLATES=[templates]):
        assert render_context_cards({"loyalty": {"points": 1}}) == ""
    assert "rendering the context cards failed" in caplog.text
