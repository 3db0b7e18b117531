"""Proactive invitations: which rule, if any, may offer help on this page.

The server only picks the rule; the widget decides when to show it (after the
rule's seconds on the page, only while an agent is available, at most once per
LIVECHAT_INVITATION_COOLDOWN_DAYS, never again once dismissed).
"""

import fnmatch

from .adapter import get_adapter
from .conf import app_settings
from .models import InvitationRule


def invitation_for(request):
    """The best matching active rule for ``request`` as a dict, or None."""
    if not app_settings.INVITATIONS_ENABLED:
        return None
    rules = list(InvitationRule.objects.filter(is_active=True))
    if not rules:
        return None
    cart_value = None
    for rule in rules:
        if not fnmatch.fnmatchcase(request.path, rule.url_pattern or "*"):
            continue
        if rule.min_cart_value is not None:
            if cart_value is None:
                cart_value = get_adapter().get_cart_value(request)
            if cart_value is None or cart_value < rule.min_cart_value:
                continue
        invitation = {
            "id": rule.pk,
            "message": rule.message,
            "delay": rule.seconds_on_page,
            "cooldown_days": app_settings.INVITATION_COOLDOWN_DAYS,
        }
        if rule.offer_code:
            invitation["offer"] = {
                "code": rule.offer_code,
                "title": rule.offer_title or rule.offer_code,
            }
        return invitation
    return None
