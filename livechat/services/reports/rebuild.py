"""Rebuilding the reports from what is stored: after an upgrade that adds
them, a change of the store's time zone or targets, or an import.

A conversation's fact keeps what only the listeners saw (when it was taken,
transfers, when the shopper left); a conversation without one gets a fact
from its row: the first reply stands for the time it was taken, the transfer
lines the shopper was shown count its transfers, and a shopper gone before
any reply makes it abandoned. Facts are deleted and written again a batch
of conversations per transaction; then the hourly rollups of each week are
summed again from the facts by the database (``sums``), and the words and
agents' hours from the shoppers' messages and the agents' online stretches.
Conversations already deleted (retention, erasure) are no longer counted.
"""

import re
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext

from ...adapter import get_adapter
from ...models import (
    AgentHour,
    AgentOnlineSpan,
    Conversation,
    ConversationFact,
    Department,
    Message,
    OfferSent,
    OrderRecord,
    ReportSettings,
    TermDay,
)
from ..availability import store_timezone
from .buckets import split_by_hour
from .facts import LEFT_AFTER_SECONDS, derive, describe, new_fact, target_for
from .orders import record_order
from .sums import sum_facts
from .terms import conversation_terms

BATCH = 2000
# What only the listeners saw, kept from a conversation's fact when one exists.
_KEPT = (
    "assigned_at", "left_at", "held_since", "handling_from", "handling_seconds",
    "transfers", "reopens", "first_response_at", "missed", "department_key",
    "agent_key",
)  # fmt: skip


def _report(progress, stage, done, total):
    if progress is not None:
        progress(stage, done, total)


def _batches(queryset, size=BATCH):
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), size):
        yield ids[start : start + size], len(ids)


def rebuild(since=None, progress=None, orders=False):
    """Recompute facts and rollups of conversations begun on or after the
    local day ``since`` (a date; None: all). ``progress(stage, done, total)``
    is called as it goes. ``orders``: first read past orders from the
    adapter's ``orders_between``. Returns counts per table."""
    tz = store_timezone()
    start = datetime.combine(since, time.min, tzinfo=tz) if since else None
    if orders:
        _import_orders(start, progress)
    conversations = Conversation.objects.all()
    if start is not None:
        conversations = conversations.filter(created_at__gte=start)
    _rebuild_facts(conversations, tz, progress)
    facts = ConversationFact.objects.all()
    if since is not None:
        facts = facts.filter(day__gte=since)
    hours, latencies = sum_facts(facts, since, progress)
    terms = _sum_terms(conversations, since, progress)
    agent_hours = _sum_agent_time(facts, start, tz, since)
    return {
        "facts": facts.count(),
        "report_hours": hours,
        "latencies": latencies,
        "terms": terms,
        "agent_hours": agent_hours,
    }


def _import_orders(start, progress):
    since = start or datetime(2000, 1, 1, tzinfo=UTC)
    rows = get_adapter().orders_between(since, timezone.now())
    for done, item in enumerate(rows or (), 1):
        row = dict(item)
        if "user_id" in row and "user" not in row:
            row["user"] = _user(row.pop("user_id"))
        record_order(row.pop("number"), row.pop("total"), **row)
        _report(progress, "orders", done, None)


# The lines a transfer shows the shopper (services.assignment), in their
# language: a conversation the listeners never saw counts its transfers so.
_TRANSFER_LINES = (
    "%(name)s joined the chat and has read your conversation, so there is no "
    "need to repeat anything.",
    "We are passing you to our %(team)s team. They will see everything you "
    "have written.",
)


def _transfer_pattern():
    lines = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            lines.update(gettext(line) for line in _TRANSFER_LINES)
    parts = [
        re.sub(r"%\\\((name|team)\\\)s", ".+", re.escape(line))
        for line in sorted(lines)
    ]
    return re.compile("^(?:" + "|".join(parts) + ")$", re.DOTALL)


def transfers_of(conversation_ids):
    """``{conversation id: transfers}`` read from the lines the shoppers
    were shown."""
    if not conversation_ids:
        return {}
    pattern, counts = _transfer_pattern(), defaultdict(int)
    for conversation_id, body in Message.objects.filter(
        conversation__in=conversation_ids, sender_kind=Message.Sender.SYSTEM
    ).values_list("conversation", "body"):
        if pattern.match(body):
            counts[conversation_id] += 1
    return counts


def _user(user_id):
    return get_user_model().objects.filter(pk=user_id).first() if user_id else None


def _per_conversation(queryset, **aggregates):
    """``{conversation id: aggregates}`` of rows of ``queryset``."""
    return {
        row.pop("conversation"): row
        for row in queryset.order_by()
        .values("conversation")
        .annotate(**aggregates)
        .values("conversation", *aggregates)
    }


def _rebuild_facts(conversations, tz, progress):
    """Each batch of conversations: their facts deleted and made again, in
    one transaction."""
    settings_row = ReportSettings.current()
    departments = dict(
        Department.objects.exclude(first_response_target=None).values_list(
            "pk", "first_response_target"
        )
    )
    adapter, pages, now = get_adapter(), {}, timezone.now()
    done = 0
    for ids, total in _batches(conversations):
        kept = {
            row.pop("pk"): row
            for row in ConversationFact.objects.filter(pk__in=ids).values("pk", *_KEPT)
        }
        offers = _per_conversation(
            OfferSent.objects.filter(conversation__in=ids),
            sent=Count("pk"),
            redeemed=Count("pk", filter=Q(redeemed_at__isnull=False)),
        )
        ordered = _per_conversation(
            OrderRecord.objects.filter(conversation__in=ids),
            first=Min("placed_at"),
            value=Sum("total"),
        )
        seqs = _per_conversation(
            Message.objects.filter(
                conversation__in=ids, sender_kind=Message.Sender.VISITOR
            ),
            last=Max("seq"),
        )
        unseen = [pk for pk in ids if pk not in kept]
        transfers = transfers_of(unseen)
        rows = Conversation.objects.filter(pk__in=ids).select_related("visitor")
        facts = []
        for conversation in rows.iterator(chunk_size=BATCH):
            if conversation.start_page not in pages:
                pages[conversation.start_page] = describe(
                    conversation.start_page, adapter
                )
            target = target_for(conversation.department_id, settings_row, departments)
            fact = new_fact(conversation, tz, pages[conversation.start_page], target)
            seen = kept.get(conversation.pk)
            if seen is None:
                _from_the_row(fact, conversation, transfers, now)
            else:
                _keep(fact, seen)
            offer = offers.get(conversation.pk, {})
            fact.offers_sent = offer.get("sent", 0)
            fact.offers_redeemed = offer.get("redeemed", 0)
            order = ordered.get(conversation.pk)
            fact.ordered_at = order["first"] if order else None
            fact.order_value = order["value"] if order else None
            # Words count once a chat has ended (an offline message at once),
            # as the listeners count them.
            counted = conversation.closed_at or conversation.source != "chat"
            last = seqs.get(conversation.pk, {}).get("last", 0)
            fact.terms_seq = last if counted else 0
            facts.append(derive(fact))
        with transaction.atomic():
            ConversationFact.objects.filter(pk__in=ids).delete()
            ConversationFact.objects.bulk_create(facts, batch_size=500)
        done += len(ids)
        _report(progress, "conversations", done, total)


def _keep(fact, seen):
    """Keep what the listeners saw of the conversation over its row."""
    for name in (
        "assigned_at", "left_at", "held_since", "handling_from",
        "handling_seconds", "transfers", "reopens",
    ):  # fmt: skip
        setattr(fact, name, seen[name])
    fact.first_response_at = seen["first_response_at"] or fact.first_response_at
    fact.missed = seen["missed"] or fact.missed
    fact.department_key = seen["department_key"] or fact.department_key
    fact.agent_key = fact.agent_key or seen["agent_key"]
    if fact.closed_at is not None:
        fact.held_since = fact.handling_from = None


def _from_the_row(fact, conversation, transfers, now):
    """What a conversation the listeners never saw tells of itself: its
    first reply stands for when it was taken, the transfer lines the shopper
    was shown for its transfers, its reopening for one reopen, and a shopper
    gone before any reply (and still gone) for an abandoned chat."""
    reply = conversation.first_agent_reply_at
    fact.assigned_at = reply
    if conversation.closed_at and reply:
        fact.handling_seconds = max(
            0, int((conversation.closed_at - reply).total_seconds())
        )
    fact.transfers = transfers.get(conversation.pk, 0)
    fact.reopens = int(conversation.reopened_at is not None)
    fact.left_at = _left_at(conversation, now)


def _left_at(conversation, now):
    visitor = conversation.visitor
    gone = visitor.absent_since
    if (
        conversation.source != Conversation.Source.CHAT
        or gone is None
        or visitor.live_sockets
        or gone < conversation.created_at
    ):
        return None
    end = conversation.first_agent_reply_at or conversation.closed_at or now
    if gone >= end or end - gone < timedelta(seconds=LEFT_AFTER_SECONDS):
        return None
    return gone


def _sum_terms(conversations, since, progress):
    """TermDay again from the shoppers' messages (once per term and chat)."""
    facts = dict(
        ConversationFact.objects.filter(pk__in=conversations.values("pk"))
        .exclude(terms_seq=0)
        .values_list("pk", "day")
    )
    counts = defaultdict(int)
    done = 0
    for ids, total in _batches(conversations):
        bodies = defaultdict(list)
        languages = {}
        for conversation_id, language, body in (
            Message.objects.filter(
                conversation__in=ids, sender_kind=Message.Sender.VISITOR
            )
            .order_by("conversation", "seq")
            .values_list("conversation", "conversation__language", "body")
            .iterator(chunk_size=BATCH * 5)
        ):
            bodies[conversation_id].append(body)
            languages[conversation_id] = language
        for conversation_id, texts in bodies.items():
            day = facts.get(conversation_id)
            if day is None:
                continue
            language = languages[conversation_id]
            for term in conversation_terms(texts, language):
                counts[(day, language, term)] += 1
        done += len(ids)
        _report(progress, "words", done, total)
    with transaction.atomic():
        _in_range(TermDay, since).delete()
        TermDay.objects.bulk_create(
            (
                TermDay(day=day, language=language, term=term, conversations=n)
                for (day, language, term), n in counts.items()
            ),
            batch_size=2000,
        )
    return len(counts)


def _in_range(model, since):
    rows = model.objects.all()
    return rows.filter(day__gte=since) if since is not None else rows


def _sum_agent_time(facts, start, tz, since):
    online = defaultdict(float)
    held = defaultdict(float)
    now = timezone.now()
    spans = AgentOnlineSpan.objects.all()
    if start is not None:
        spans = spans.filter(Q(ended_at=None) | Q(ended_at__gt=start))
    for span in spans.iterator():
        begin = max(span.started_at, start) if start else span.started_at
        end = span.ended_at or now
        for day, hour, seconds in split_by_hour(begin, end, tz):
            online[(day, hour, span.agent_id)] += seconds
        if span.ended_at is None:
            span.counted_until = now
            span.save(update_fields=["counted_until"])
    for agent_key, began, taken, closed, held_since in (
        facts.exclude(agent_key=0)
        .values_list(
            "agent_key", "started_at", "assigned_at", "closed_at", "held_since"
        )
        .iterator()
    ):
        since_taken = taken or began
        end = closed or held_since or now
        for day, hour, seconds in split_by_hour(since_taken, end, tz):
            held[(day, hour, agent_key)] += seconds
    keys = set(online) | set(held)
    if since is not None:
        keys = {key for key in keys if key[0] >= since}
    with transaction.atomic():
        _in_range(AgentHour, since).delete()
        AgentHour.objects.bulk_create(
            (
                AgentHour(
                    day=day,
                    hour=hour,
                    agent_key=agent,
                    online_seconds=round(online.get((day, hour, agent), 0)),
                    chat_seconds=round(held.get((day, hour, agent), 0)),
                )
                for day, hour, agent in keys
            ),
            batch_size=1000,
        )
    return len(keys)
