"""Oscar's orders feed livechat's reports and redeem the offers sent in chat.

Every order Oscar places (``order_placed``, sent by ``OrderCreator``) is
reported to ``livechat.services.record_order`` with the voucher codes it
used. An order placed by Oscar's checkout also names the shopper's session,
hence their visitor: a guest's order then counts for their chat even when
they gave the chat no email.
"""

import contextvars
import logging

from django.db import transaction
from django.dispatch import receiver
from oscar.apps.checkout.signals import pre_payment
from oscar.apps.order.signals import order_placed

from ...services import record_order
from .adapter import order_for_livechat

logger = logging.getLogger(__name__)

# The checkout submitting a basket on this thread: (basket id, session). Set
# before payment, read by the order_placed receiver of the same request.
_submitting = contextvars.ContextVar("livechat_oscar_submitting", default=None)


@receiver(pre_payment, dispatch_uid="livechat_oscar_pre_payment")
def remember_checkout_session(sender, view, **kwargs):
    """Runs when Oscar's checkout is about to take payment for a basket:
    remembers whose session submits it, for the order about to be placed."""
    basket_id = view.checkout_session.get_submitted_basket_id()
    _submitting.set((basket_id, getattr(view.request, "session", None)))


@receiver(order_placed, dispatch_uid="livechat_oscar_order_placed")
def record_placed_order(sender, order, **kwargs):
    """Runs when Oscar has placed an order: reports it to livechat. A failure
    is logged; it never fails the shopper's checkout."""
    submitting = _submitting.get()
    _submitting.set(None)
    session = None
    if submitting is not None and submitting[0] == order.basket_id:
        session = submitting[1]
    try:
        # Its own atomic block: a failure rolls back livechat's writes only
        # (a savepoint when the checkout runs inside a transaction).
        with transaction.atomic():
            record_order(**order_for_livechat(order), session=session)
    except Exception:
        logger.exception("livechat: reporting Oscar order %s failed", order.number)
