"""The reports' listeners: each domain event moves one conversation's fact,
and with it the rollups (``facts.changing``)."""

from django.db.models import Count, Min, Sum
from django.utils import timezone

from ... import events
from ...models import Message, OfferSent, OrderRecord
from .agent_time import add_held_time, agent_presence_changed
from .facts import changing, shopper_left_at
from .rollups import add_terms
from .terms import conversation_terms


def _hand_over(fact, agent_key, now):
    """The chat passes to ``agent_key`` (0: to nobody) at ``now``."""
    if fact.held_since is not None and fact.agent_key != agent_key:
        add_held_time(fact.agent_key, fact.held_since, now)
        fact.held_since = None
    if agent_key:
        fact.agent_key = agent_key
        if fact.held_since is None and fact.closed_at is None:
            fact.held_since = now


def _note_if_left(fact, now):
    if fact.first_response_at is None and fact.left_at is None:
        fact.left_at = shopper_left_at(fact.pk, now)


def _count_terms(fact):
    """Count the terms of shopper messages not counted yet (once per term)."""
    rows = list(
        Message.objects.filter(
            conversation_id=fact.pk, sender_kind=Message.Sender.VISITOR
        )
        .order_by("seq")
        .values_list("seq", "body")
    )
    if not rows or rows[-1][0] <= fact.terms_seq:
        return
    counted = conversation_terms(
        [body for seq, body in rows if seq <= fact.terms_seq], fact.language
    )
    now_terms = conversation_terms([body for _seq, body in rows], fact.language)
    add_terms(fact.day, fact.language, now_terms - counted, 1)
    fact.terms_seq = rows[-1][0]


@events.listen(events.ConversationOpened)
def _opened(event):
    with changing(event.conversation.pk):
        pass


@events.listen(events.OfflineMessageLeft)
def _offline_left(event):
    with changing(event.conversation.pk) as (fact, _conversation):
        if fact is not None:
            _count_terms(fact)


@events.listen(events.ConversationAssigned)
def _assigned(event):
    now = timezone.now()
    with changing(event.conversation.pk) as (fact, conversation):
        if fact is None:
            return
        fact.assigned_at = fact.assigned_at or now
        fact.handling_from = fact.handling_from or now
        fact.department_key = conversation.department_id or 0
        _hand_over(fact, conversation.assigned_agent_id or event.agent.pk, now)


@events.listen(events.ConversationAnswered)
def _answered(event):
    with changing(event.conversation.pk) as (fact, conversation):
        if fact is None:
            return
        answered_at = conversation.first_agent_reply_at or event.message.created_at
        _note_if_left(fact, answered_at)
        fact.first_response_at = fact.first_response_at or answered_at
        fact.handling_from = fact.handling_from or answered_at
        if not fact.agent_key:
            _hand_over(fact, event.agent.pk, answered_at)


@events.listen(events.ConversationTransferred)
def _transferred(event):
    now = timezone.now()
    with changing(event.conversation.pk) as (fact, conversation):
        if fact is None:
            return
        fact.transfers += 1
        fact.department_key = conversation.department_id or 0
        _hand_over(fact, conversation.assigned_agent_id or 0, now)


@events.listen(events.ConversationClosed)
def _closed(event):
    with changing(event.conversation.pk) as (fact, conversation):
        if fact is None:
            return
        closed_at = conversation.closed_at or timezone.now()
        _note_if_left(fact, closed_at)
        fact.closed_at = closed_at
        fact.close_tag = conversation.close_tag
        if fact.handling_from is not None:
            fact.handling_seconds += max(
                0, int((closed_at - fact.handling_from).total_seconds())
            )
            fact.handling_from = None
        _hand_over(fact, 0, closed_at)
        _count_terms(fact)


@events.listen(events.ConversationReopened)
def _reopened(event):
    now = timezone.now()
    with changing(event.conversation.pk) as (fact, conversation):
        if fact is None:
            return
        fact.reopens += 1
        fact.closed_at = None
        if conversation.assigned_agent_id:
            fact.handling_from = now
            _hand_over(fact, conversation.assigned_agent_id, now)


@events.listen(events.ConversationMissed)
def _missed(event):
    now = timezone.now()
    with changing(event.conversation.pk) as (fact, _conversation):
        if fact is None:
            return
        fact.missed = True
        _note_if_left(fact, now)


@events.listen(events.ConversationRated)
def _rated(event):
    with changing(event.conversation.pk) as (fact, conversation):
        if fact is None:
            return
        fact.rating = conversation.rating
        fact.rating_comment = bool(conversation.rating_comment)


@events.listen(events.OfferMade)
def _offer_made(event):
    with changing(event.conversation.pk) as (fact, _conversation):
        if fact is not None:
            fact.offers_sent = OfferSent.objects.filter(conversation_id=fact.pk).count()


def _count_orders(conversation_id):
    with changing(conversation_id) as (fact, _conversation):
        if fact is None:
            return
        orders = OrderRecord.objects.filter(conversation_id=fact.pk).aggregate(
            first=Min("placed_at"), value=Sum("total")
        )
        fact.ordered_at = orders["first"]
        fact.order_value = orders["value"]
        fact.offers_redeemed = (
            OfferSent.objects.filter(conversation_id=fact.pk)
            .exclude(redeemed_at=None)
            .aggregate(n=Count("pk"))["n"]
        )


@events.listen(events.OrderRecorded)
def _order_recorded(event):
    conversations = {offer.conversation_id for offer in event.offers}
    if event.order.conversation_id:
        conversations.add(event.order.conversation_id)
    for conversation_id in sorted(conversations):
        _count_orders(conversation_id)


@events.listen(events.AgentPresenceChanged)
def _presence_changed(event):
    agent_presence_changed(event.agent)
