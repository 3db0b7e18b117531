"""The shopper's context as HTML cards for the console, rendered on the server.

The adapter's ``get_visitor_context`` returns data (docs/adapter.md has
its shape); this module checks and formats it (URLs, money, dates) and renders
it through templates under ``livechat/context/`` that a host project can
override, the way django-debug-toolbar renders its panels. Everything the
adapter returns is text to the templates: autoescaped, never marked safe, and
a URL reaches an ``href`` only when it is http(s) or relative.
"""

import logging
import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.template.loader import render_to_string, select_template
from django.urls import NoReverseMatch, reverse
from django.utils import dateparse, formats, timezone
from django.utils.translation import gettext as _

from .conf import app_settings
from .services.availability import store_timezone

logger = logging.getLogger(__name__)

# How deep the fallback card follows nested dicts and lists.
_MAX_DEPTH = 3
# Entries of a list shown by the fallback card; the rest are counted.
_MAX_ITEMS = 20
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Templates of this module that no key of the context may select as its card.
_RESERVED = {"cards", "generic", "past_chats", "offers"}
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
# Labels a plain humanised key would get wrong.
_LABELS = {"id": "ID", "url": "URL", "sku": "SKU", "vat": "VAT"}


def safe_url(value):
    """``value`` when it is an http(s) or relative URL, else ``""``.

    Browsers ignore tabs and newlines inside a scheme ("java\\tscript:"), so a
    URL holding any control character or space is refused outright.
    """
    if not isinstance(value, str) or not value or _CONTROL.search(value):
        return ""
    if value.startswith("\\") or value.startswith("/\\"):
        return ""
    try:
        scheme = urlsplit(value).scheme
    except ValueError:
        return ""
    return value if scheme in ("", "http", "https") else ""


def label_of(key):
    """A readable label for a dict key: ``item_count`` -> "Item count"."""
    words = re.sub(r"[_\-]+", " ", str(key)).strip()
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", words)
    if not words:
        return ""
    first, *rest = words.split(" ")
    first = _LABELS.get(first.lower(), first[:1].upper() + first[1:])
    return " ".join([first, *(_LABELS.get(w.lower(), w.lower()) for w in rest)])


def money(amount, currency=""):
    """``amount`` as the agent reads a price: localised, with its currency.

    An amount that is not a number is shown as given; None stays None.
    """
    if amount is None or amount == "" or isinstance(amount, bool):
        return None
    try:
        number = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    if not number.is_finite():
        return str(amount)
    text = formats.number_format(number, decimal_pos=2, use_l10n=True)
    currency = currency.strip()[:10] if isinstance(currency, str) else ""
    if not currency:
        return text
    return _("%(amount)s %(currency)s") % {"amount": text, "currency": currency}


def when(value):
    """An ISO 8601 date or datetime in the store's time zone, as the admin
    shows dates; other text as given."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dateparse.parse_datetime(value)
        day = None if moment else dateparse.parse_date(value)
    except ValueError:
        return value
    if day is not None:
        return formats.date_format(day, "SHORT_DATE_FORMAT")
    if moment is None:
        return value
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, store_timezone())
    local = timezone.localtime(moment, store_timezone())
    return formats.date_format(local, "SHORT_DATETIME_FORMAT")


def _text(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _rows(data, depth=0):
    """The fallback card's rows for any JSON value: ``label``, ``text``,
    ``url`` (when the key says it is one) and nested ``rows``."""
    if isinstance(data, dict):
        items = [(label_of(key), value) for key, value in data.items()]
    elif isinstance(data, list):
        items = [(str(i), value) for i, value in enumerate(data[:_MAX_ITEMS], 1)]
        if len(data) > _MAX_ITEMS:
            more = len(data) - _MAX_ITEMS
            items.append(("…", _("%(count)s more") % {"count": more}))
    else:
        return [{"label": "", "text": _text(data), "url": "", "rows": []}]
    rows = []
    for label, value in items:
        if isinstance(value, list) and not any(
            isinstance(item, dict | list) for item in value
        ):
            # Tags, names...: one line, not a numbered list.
            value = ", ".join(t for t in map(_text, value[:_MAX_ITEMS]) if t) or None
        nested = isinstance(value, dict | list)
        if nested and depth >= _MAX_DEPTH:
            continue
        if nested:
            rows.append(
                {
                    "label": label,
                    "text": None,
                    "url": "",
                    "rows": _rows(value, depth + 1),
                }
            )
            continue
        is_link = label.lower() in ("url", "link") or label.lower().endswith(" url")
        rows.append(
            {
                "label": label,
                "text": _text(value),
                "url": safe_url(value) if is_link else "",
                "rows": [],
            }
        )
    return rows


def customer_context(visitor, user=None, url=""):
    """The ``customer`` entry of an adapter's context, in the shape the
    Customer card reads: the account's name and email (``url`` links to it),
    or for a guest the name and email they gave the chat."""
    if user is None:
        return {"name": visitor.name, "email": visitor.email, "registered": False}
    return {
        "name": user.get_full_name() or user.get_username(),
        "email": user.email,
        "registered": True,
        "url": url,
    }


def _customer(data):
    known = ("name", "email", "phone", "url", "registered")
    return {
        "name": _text(data.get("name")),
        "email": _text(data.get("email")),
        "phone": _text(data.get("phone")),
        "url": safe_url(data.get("url")),
        "registered": data.get("registered")
        if isinstance(data.get("registered"), bool)
        else None,
        "rows": _rows({k: v for k, v in data.items() if k not in known}, 1),
    }


def _cart(data, currency):
    currency = data.get("currency") or currency
    lines = []
    for line in data["lines"][:_MAX_ITEMS]:
        if not isinstance(line, dict):
            continue
        quantity = _int(line.get("quantity"))
        price = line.get("price")
        line_total = line.get("total")
        if line_total is None and quantity is not None and price is not None:
            try:
                line_total = Decimal(str(price)) * quantity
            except InvalidOperation:
                line_total = None
        lines.append(
            {
                "title": _text(line.get("title")) or _("(untitled)"),
                "url": safe_url(line.get("url")),
                "quantity": quantity,
                "price": money(price, currency),
                "total": money(line_total, currency),
            }
        )
    return {
        "lines": lines,
        "more": max(0, len(data["lines"]) - _MAX_ITEMS),
        "total": money(data.get("total"), currency),
        "url": safe_url(data.get("url")),
    }


def _orders(data, currency):
    return [
        {
            "number": _text(order.get("number")),
            "url": safe_url(order.get("url")),
            "status": _text(order.get("status")),
            "total": money(order.get("total"), order.get("currency") or currency),
            "placed_at": when(order.get("placed_at")),
        }
        for order in data[:_MAX_ITEMS]
    ]


def _is_orders(value):
    return isinstance(value, list) and all(
        isinstance(order, dict) and "number" in order for order in value
    )


def _past_chats(visit):
    past = (visit or {}).get("past_conversations") or []
    topics = {key: str(label) for key, label in app_settings.TOPICS}
    tags = {key: str(label) for key, label in app_settings.CLOSE_TAGS}
    chats = []
    for chat in past:
        try:
            url = reverse("admin:livechat_conversation_change", args=[chat["id"]])
        except NoReverseMatch:
            url = ""
        chats.append(
            {
                "id": chat["id"],
                "url": url,
                "created": when(chat.get("created")),
                "status": chat.get("status"),
                "topic": topics.get(chat.get("topic"), chat.get("topic")),
                "tag": tags.get(chat.get("tag"), chat.get("tag")),
                "rating": chat.get("rating"),
            }
        )
    return chats


def _card(key, value, currency):
    """``(template names, context)`` of the card for one key of the context."""
    own = []
    if _KEY.match(key) and key not in _RESERVED:
        own = [f"livechat/context/{key}.html"]
    generic = ["livechat/context/generic.html"]
    if key == "customer" and isinstance(value, dict):
        return own, {"customer": _customer(value)}
    if (
        key == "cart"
        and isinstance(value, dict)
        and isinstance(value.get("lines"), list)
    ):
        return own, {"cart": _cart(value, currency)}
    if key == "orders" and _is_orders(value):
        return own, {"orders": _orders(value, currency)}
    if key in ("customer", "cart", "orders"):
        # An older or free-form shape under a known key: shown as it is.
        own = []
    return own + generic, {"value": value, "rows": _rows(value)}


def render_context_cards(store, visit=None, offers=()):
    """The console's context panel as HTML: the offers an agent may make
    (``services.offers``, checked already), one card per key of ``store``
    (the adapter's context) in its order, then the shopper's past chats.

    A card template that fails is logged and the panel is left empty: like a
    failing adapter, it must not stop agents from opening the chat.
    """
    try:
        return _render_cards(store, visit, offers)
    except Exception:
        logger.exception("livechat: rendering the context cards failed")
        return ""


def _render_cards(store, visit, offers=()):
    store = store if isinstance(store, dict) else {}
    currency = store.get("currency") if isinstance(store.get("currency"), str) else ""
    cards = []
    for key, value in store.items():
        if key == "currency" or value is None:
            continue
        names, context = _card(str(key), value, currency)
        template = select_template(names)
        context.update({"key": key, "title": label_of(key)})
        cards.append(template.render(context))
    if offers:
        cards.insert(
            0, render_to_string("livechat/context/offers.html", {"offers": offers})
        )
    return render_to_string(
        "livechat/context/cards.html",
        {"cards": cards, "past_chats": _past_chats(visit), "empty": not cards},
    )
