"""One conversation as the reports count it, and what it adds to the rollups.

A fact holds the moments of a conversation (began, taken, first answered,
shopper gone, closed) and its counts (transfers, reopens, offers); its
figures (outcome, times, target met) are derived from them by ``derive``.
``contribution`` is what one fact adds to its hour's rollup: the listeners
move a fact's rollup by the difference of its contribution before and after
a change, and a rebuild sums them, so both say the same. (Agents' held time
is the exception: the listeners split it at each hand-over as it happens,
while a rebuild, which knows only the last holder, gives it all to them.)
"""

import logging
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ...adapter import get_adapter
from ...models import (
    Conversation,
    ConversationFact,
    Department,
    ReportSettings,
    Visitor,
)
from .buckets import latency_bucket, local_bucket
from .rollups import apply_change

logger = logging.getLogger(__name__)
Outcome = ConversationFact.Outcome

# A shopper whose widgets have all been closed this long has left (a page
# change closes one socket and opens the next within a second or two).
LEFT_AFTER_SECONDS = 20

_CONVERSATION_FIELDS = (
    "id",
    "visitor_id",
    "source",
    "created_at",
    "department_id",
    "assigned_agent_id",
    "topic",
    "close_tag",
    "language",
    "start_page",
    "invitation_id",
    "rating",
    "rating_comment",
    "closed_at",
    "first_agent_reply_at",
    "status",
)


def _seconds(later, earlier):
    if later is None or earlier is None:
        return None
    return max(0, int((later - earlier).total_seconds()))


def target_for(department_id, settings_row=None, departments=None):
    """The first-response target (seconds) of a department's chats."""
    if department_id:
        if departments is not None:
            own = departments.get(department_id)
        else:
            own = (
                Department.objects.filter(pk=department_id)
                .values_list("first_response_target", flat=True)
                .first()
            )
        if own:
            return own
    return (settings_row or ReportSettings.current()).first_response_target


def describe(url, adapter=None):
    """The adapter's ``describe_page``, cleaned; a failure describes nothing."""
    try:
        page = (adapter or get_adapter()).describe_page(url) or {}
    except Exception:
        logger.exception("livechat: the adapter's describe_page failed")
        page = {}
    kind = page.get("kind") or ""
    return {
        "kind": kind if kind in ("cart", "checkout", "product") else "",
        "key": str(page.get("key") or "")[:100],
        "title": str(page.get("title") or "")[:200],
    }


def new_fact(conversation, tz=None, page=None, target=None):
    """An unsaved fact of ``conversation`` as it stands (no moments yet but
    those the conversation itself keeps)."""
    day, hour, weekday = local_bucket(conversation.created_at, tz)
    page = page if page is not None else describe(conversation.start_page)
    fact = ConversationFact(
        conversation_id=conversation.pk,
        visitor_id_key=conversation.visitor_id,
        day=day,
        hour=hour,
        weekday=weekday,
        department_key=conversation.department_id or 0,
        agent_key=conversation.assigned_agent_id or 0,
        source=conversation.source,
        started_at=conversation.created_at,
        first_response_at=conversation.first_agent_reply_at,
        closed_at=conversation.closed_at,
        missed=conversation.status == Conversation.Status.MISSED,
        topic=conversation.topic,
        close_tag=conversation.close_tag,
        language=conversation.language,
        start_page=conversation.start_page[:500],
        page_kind=page["kind"],
        product_key=page["key"],
        product_title=page["title"],
        invitation_key=conversation.invitation_id or 0,
        rating=conversation.rating,
        rating_comment=bool(conversation.rating_comment),
        target_seconds=(
            target if target is not None else target_for(conversation.department_id)
        ),
    )
    return fact


def derive(fact):
    """Set the fact's figures from its moments."""
    chat = fact.source == Conversation.Source.CHAT
    fact.first_response_seconds = _seconds(fact.first_response_at, fact.started_at)
    if fact.assigned_at is not None:
        fact.wait_seconds = _seconds(fact.assigned_at, fact.started_at)
    elif fact.first_response_at is not None:
        fact.wait_seconds = fact.first_response_seconds
    else:
        fact.wait_seconds = None
    if not chat:
        fact.outcome = Outcome.ANSWERED if fact.first_response_at else Outcome.OPEN
        fact.met_target = None
        return fact
    left_first = fact.left_at is not None and (
        fact.first_response_at is None or fact.left_at < fact.first_response_at
    )
    if left_first:
        fact.outcome = Outcome.ABANDONED
    elif fact.first_response_at is not None:
        fact.outcome = Outcome.ANSWERED
    elif fact.missed or fact.closed_at is not None:
        fact.outcome = Outcome.MISSED
    else:
        fact.outcome = Outcome.OPEN
    if fact.outcome == Outcome.ANSWERED and fact.target_seconds:
        fact.met_target = fact.first_response_seconds <= fact.target_seconds
    elif fact.outcome == Outcome.MISSED and fact.target_seconds:
        fact.met_target = False
    else:
        fact.met_target = None
    return fact


def contribution(fact):
    """``(key, counters, latencies)``: what ``fact`` adds to the rollups.

    ``key`` is the ReportHour key; ``latencies`` a list of
    ``(metric, bucket)`` each counting one.
    """
    key = (fact.day, fact.hour, fact.department_key, fact.agent_key)
    chat = fact.source == Conversation.Source.CHAT
    ordered = fact.ordered_at is not None
    counters = {
        "conversations": 1,
        "chats": int(chat),
        "offline_messages": int(not chat),
        "answered": int(chat and fact.outcome == Outcome.ANSWERED),
        "missed": int(chat and fact.outcome == Outcome.MISSED),
        "abandoned": int(chat and fact.outcome == Outcome.ABANDONED),
        "closed": int(fact.closed_at is not None),
        "transfers": fact.transfers,
        "transferred": int(fact.transfers > 0),
        "reopened": int(fact.reopens > 0),
        "rated_good": int(fact.rating == "good"),
        "rated_bad": int(fact.rating == "bad"),
        "rating_comments": int(bool(fact.rating) and fact.rating_comment),
        "offers_sent": fact.offers_sent,
        "offers_redeemed": fact.offers_redeemed,
        "ordered": int(ordered),
        "order_value": fact.order_value or 0,
        "cart_chats": int(fact.page_kind == "cart"),
        "cart_ordered": int(fact.page_kind == "cart" and ordered),
        "checkout_chats": int(fact.page_kind == "checkout"),
        "checkout_ordered": int(fact.page_kind == "checkout" and ordered),
        "invited": int(bool(fact.invitation_key)),
        "invited_ordered": int(bool(fact.invitation_key) and ordered),
        "with_target": int(fact.met_target is not None),
        "met_target": int(bool(fact.met_target)),
    }
    latencies = []

    def add(metric, seconds):
        counters[f"{metric}_sum"] = seconds
        counters[f"{metric}_count"] = 1
        latencies.append((metric, latency_bucket(seconds)))

    if chat:
        if fact.first_response_seconds is not None:
            add("first_response", fact.first_response_seconds)
        if fact.wait_seconds is not None and fact.outcome == Outcome.ANSWERED:
            add("wait", fact.wait_seconds)
        if fact.closed_at is not None and fact.outcome == Outcome.ANSWERED:
            add("handling", fact.handling_seconds)
    elif fact.first_response_seconds is not None:
        add("offline_answer", fact.first_response_seconds)
    return key, counters, latencies


def shopper_left_at(conversation_id, now=None):
    """When the conversation's shopper left, if all their widgets have been
    closed for LEFT_AFTER_SECONDS by ``now``; else None."""
    now = now or timezone.now()
    row = (
        Visitor.objects.filter(conversations=conversation_id)
        .values_list("live_sockets", "absent_since")
        .first()
    )
    if row is None:
        return None
    sockets, absent_since = row
    if sockets or absent_since is None:
        return None
    if now - absent_since < timedelta(seconds=LEFT_AFTER_SECONDS):
        return None
    return absent_since


@contextmanager
def changing(conversation_id):
    """Change a conversation's fact, then move the rollups by the difference.

    Yields ``(fact, conversation)``: the fact locked (made from the
    conversation if it has none yet) and the conversation's current row.
    Yields ``(None, None)`` for a conversation that is gone.
    """
    with transaction.atomic():
        conversation = (
            Conversation.objects.filter(pk=conversation_id)
            .only(*_CONVERSATION_FIELDS)
            .first()
        )
        if conversation is None:
            yield None, None
            return
        fact = ConversationFact.objects.select_for_update().filter(pk=conversation_id)
        fact = fact.first()
        before = None
        if fact is None:
            fact = derive(new_fact(conversation))
            try:
                # Inserted now, so the row is this transaction's (locked) at
                # once; another process's first event for the same chat waits
                # for it rather than inserting a second.
                with transaction.atomic():
                    fact.save(force_insert=True)
            except IntegrityError:
                fact = ConversationFact.objects.select_for_update().get(
                    pk=conversation_id
                )
                before = contribution(fact)
        else:
            before = contribution(fact)
        yield fact, conversation
        derive(fact)
        fact.save()
        apply_change(before, contribution(fact))
