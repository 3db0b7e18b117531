"""Proactive invitations as the reports count them: shown, and accepted.

The widget says when it showed an invitation (``invitation_shown``, rate
limited per visitor and address); a chat the shopper starts from it names
the invitation in its first message (honoured for a rule shown to that
visitor in the last day), which links the conversation to the
rule (``Conversation.invitation``), counts it accepted and, when the rule
carries an offer, counts that offer as sent in the new chat.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import InvitationDay, InvitationRule
from ..shared_cache import cache
from .availability import store_timezone
from .offers import record_invitation_offer

# The rules a visitor was shown lately: a chat may say it began from one of
# these only, so a shopper cannot claim another rule's offer by naming it.
_SHOWN_KEY = "livechat:invitations-shown:{}"
_SHOWN_SECONDS = 24 * 3600


def _shown_to(visitor_id) -> set:
    return set(cache.get(_SHOWN_KEY.format(visitor_id)) or ())


def invitation_shown(rule_id, visitor_id) -> bool:
    """Count one showing of the active rule ``rule_id`` to ``visitor_id``
    today (the store's day), and remember it for the visitor's chat; False
    (nothing counted) for a rule that is gone or switched off."""
    if not InvitationRule.objects.filter(pk=rule_id, is_active=True).exists():
        return False
    with transaction.atomic():
        _count(rule_id, "shown")
    cache.set(
        _SHOWN_KEY.format(visitor_id),
        sorted(_shown_to(visitor_id) | {rule_id}),
        _SHOWN_SECONDS,
    )
    return True


def accepted_rule(rule_id, visitor_id):
    """The active rule a new chat says it was started from, if the visitor
    was shown it; else None."""
    if rule_id is None or rule_id not in _shown_to(visitor_id):
        return None
    return InvitationRule.objects.filter(pk=rule_id, is_active=True).first()


def invitation_accepted(conversation, rule) -> None:
    """Inside the transaction that opened ``conversation`` from ``rule``:
    counted accepted today, and the rule's offer counted as sent."""
    _count(rule.pk, "accepted")
    record_invitation_offer(conversation, rule)


def _count(rule_id, field):
    day = timezone.localtime(timezone.now(), store_timezone()).date()
    InvitationDay.objects.get_or_create(day=day, rule_id=rule_id)
    InvitationDay.objects.filter(day=day, rule_id=rule_id).update(
        **{field: F(field) + 1}
    )
