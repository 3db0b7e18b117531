"""Orders the store reports, tied to the chat that came before them."""

import uuid
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ... import events
from ...models import Conversation, OfferSent, OrderRecord, ReportSettings, Visitor
from ...tokens import VISITOR_SESSION_KEY


def _visitor_of_session(session):
    if session is None:
        return None
    try:
        key = uuid.UUID(str(session.get(VISITOR_SESSION_KEY)))
    except (ValueError, TypeError):
        key = None
    if key is not None:
        visitor = Visitor.objects.filter(key=key).first()
        if visitor is not None:
            return visitor
    session_key = getattr(session, "session_key", None)
    if session_key:
        return (
            Visitor.objects.filter(session_key=session_key)
            .order_by("-last_seen_at")
            .first()
        )
    return None


def _shopper(visitor, user, email):
    """Q for the visitors that are this shopper: the one who ordered, the
    customer's account, else (a guest seen nowhere) the email they gave."""
    q = Q(pk=visitor.pk) if visitor is not None else Q(pk__in=[])
    if user is not None and getattr(user, "pk", None):
        q |= Q(user_id=user.pk)
    if visitor is None and (user is None or not getattr(user, "pk", None)) and email:
        q |= Q(email__iexact=email)
    return q


def _total(value):
    try:
        total = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"An order's total must be a number, not {value!r}.") from None
    if not total.is_finite():
        raise ValueError(f"An order's total must be a number, not {value!r}.")
    return total.quantize(Decimal("0.01"))


def record_order(
    number,
    total,
    *,
    placed_at=None,
    currency="",
    user=None,
    email="",
    visitor=None,
    session=None,
    coupon_codes=(),
):
    """Tell livechat about an order, for the reports' conversion and offers.

    Call it from the store's checkout once an order is placed (or from the
    adapter's ``orders_between`` for past ones). ``session`` is the shopper's
    Django session, which names their visitor; ``user`` and ``email`` find
    them otherwise. The order counts for the shopper's latest chat that began
    within the conversion window before it, and redeems the offers sent to
    them within the conversion window whose code is among ``coupon_codes``.
    Reporting the same ``number``
    again changes nothing and returns the stored order.
    """
    number = str(number).strip()[:64]
    if not number:
        raise ValueError("An order needs a number.")
    total = _total(total)
    placed_at = placed_at or timezone.now()
    if visitor is None:
        visitor = _visitor_of_session(session)
    codes = {str(c).strip().upper() for c in coupon_codes or () if str(c).strip()}
    try:
        return _record(number, placed_at, total, currency, email, visitor, user, codes)
    except IntegrityError:
        # The same order reported twice at once: the first one stands.
        return OrderRecord.objects.get(number=number)


def _record(number, placed_at, total, currency, email, visitor, user, codes):
    user_id = getattr(user, "pk", None) if user is not None else None
    with transaction.atomic():
        existing = OrderRecord.objects.filter(number=number).first()
        if existing is not None:
            return existing
        shopper = _shopper(visitor, user, (email or "").strip())
        window = timedelta(days=ReportSettings.current().conversion_window_days)
        conversation = (
            Conversation.objects.filter(
                visitor__in=Visitor.objects.filter(shopper),
                created_at__lte=placed_at,
                created_at__gte=placed_at - window,
            )
            .order_by("-created_at")
            .first()
        )
        order = OrderRecord.objects.create(
            number=number,
            placed_at=placed_at,
            total=total,
            currency=str(currency or "")[:3].upper(),
            user_id=user_id,
            email=(email or "")[:254],
            visitor=visitor,
            coupon_codes=",".join(sorted(codes))[:200],
            conversation=conversation,
        )
        offers = []
        if codes:
            code_q = Q()
            for code in codes:
                code_q |= Q(code__iexact=code)
            offers = list(
                OfferSent.objects.select_for_update()
                .filter(
                    code_q,
                    redeemed_at=None,
                    sent_at__lte=placed_at,
                    # An offer counts for the orders of its conversion window.
                    sent_at__gte=placed_at - window,
                    conversation__visitor__in=Visitor.objects.filter(shopper),
                )
                .order_by("sent_at")
            )
            # One order redeems each code once, the earliest offer of it.
            first = {}
            for offer in offers:
                first.setdefault(offer.code.upper(), offer)
            offers = list(first.values())
            for offer in offers:
                offer.redeemed_at = placed_at
                offer.order = order
                offer.save(update_fields=["redeemed_at", "order"])
        events.emit(events.OrderRecorded(order, tuple(offers)))
    return order
