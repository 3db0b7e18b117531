"""Oscar vouchers as the offers agents may make in a chat.

Suggested: the vouchers a shopper could enter in their basket right now.
Each is active today, has an open offer, is not one they entered already, and
its usage allows this shopper: a multi-use voucher always; a single-use one
while no order has used it; a once-per-customer one for a logged-in customer
who has not used it. Only vouchers of no voucher set are suggested (a set's
codes are often each meant for one customer or partner), unless
``LIVECHAT_OSCAR_VOUCHER_SET`` names a set: then only that set's.
"""

import re

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from ...conf import app_settings
from ...services.offers import CODE_MAX_LENGTH

_SPACE = re.compile(r"\s")


def voucher_set_name():
    """The voucher set agents offer from (LIVECHAT_OSCAR_VOUCHER_SET), or None."""
    return app_settings.OSCAR_VOUCHER_SET or None


def available_vouchers(user, limit, exclude_codes=()):
    """Up to ``limit`` vouchers this shopper may use now, newest first (one
    query). ``user``: the customer, or None / AnonymousUser for a guest."""
    Voucher = get_model("voucher", "Voucher")
    VoucherApplication = get_model("voucher", "VoucherApplication")
    ConditionalOffer = get_model("offer", "ConditionalOffer")
    now = timezone.now()
    open_offer = ConditionalOffer.objects.filter(
        Q(start_datetime=None) | Q(start_datetime__lte=now),
        Q(end_datetime=None) | Q(end_datetime__gte=now),
        vouchers=OuterRef("pk"),
        status=ConditionalOffer.OPEN,
    )
    used = VoucherApplication.objects.filter(voucher=OuterRef("pk"))
    usable = Q(usage=Voucher.MULTI_USE) | Q(usage=Voucher.SINGLE_USE, used=False)
    if user is not None and user.is_authenticated:
        used_by_user = VoucherApplication.objects.filter(
            voucher=OuterRef("pk"), user=user
        )
        usable |= Q(usage=Voucher.ONCE_PER_CUSTOMER, used_by_user=False)
        vouchers = Voucher.objects.annotate(used_by_user=Exists(used_by_user))
    else:
        vouchers = Voucher.objects.all()
    vouchers = (
        vouchers.annotate(used=Exists(used), has_offer=Exists(open_offer))
        .filter(usable, has_offer=True, start_datetime__lte=now, end_datetime__gte=now)
        .exclude(code__in=[code.upper() for code in exclude_codes])
        .order_by("-date_created", "-pk")
    )
    name = voucher_set_name()
    if name:
        vouchers = vouchers.filter(voucher_set__name=name)
    else:
        vouchers = vouchers.filter(voucher_set=None)
    return [
        voucher
        for voucher in vouchers[: limit * 2]
        if 0 < len(voucher.code) <= CODE_MAX_LENGTH and not _SPACE.search(voucher.code)
    ][:limit]


def voucher_offer(voucher):
    """A voucher as livechat's offer: its code, its name, the agent's text."""
    return {
        "code": voucher.code,
        "title": voucher.name,
        "message": _(
            "Here is a voucher for you: %(name)s. Enter the code %(code)s in "
            "your basket and the discount is taken off your order."
        )
        % {"name": voucher.name, "code": voucher.code},
    }
