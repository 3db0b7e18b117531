"""Rebuilding the reports from what is stored: after an upgrade that adds
them, a change of the store's time zone or targets, or an import.

A conversation's fact keeps what only the listeners saw (when it was taken,
transfers, when the shopper left); a conversation without one gets a fact
from its row, where the first reply stands for the time it was taken. Then
every rollup of the range is summed again from the facts, the shoppers'
messages and the agents' online stretches. Conversations already deleted
(retention, erasure) are no longer counted by a rebuild.
"""

from collections import defaultdict
from datetime import UTC, datetime, time

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

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
    ReportHour,
    ReportLatency,
    ReportSettings,
    TermDay,
)
from ..availability import store_timezone
from .buckets import split_by_hour
from .facts import contribution, derive, describe, new_fact, target_for
from .orders import record_order
from .terms import conversation_terms

BATCH = 2000
_REFRESHED = (
    "day", "hour", "weekday", "department_key", "agent_key", "first_response_at",
    "closed_at", "missed", "topic", "close_tag", "language", "start_page",
    "page_kind", "product_key", "product_title", "invitation_key", "rating",
    "rating_comment", "target_seconds", "offers_sent", "offers_redeemed",
    "ordered_at", "order_value", "outcome", "first_response_seconds",
    "wait_seconds", "handling_seconds", "met_target", "terms_seq",
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
    for model in (ReportHour, ReportLatency, TermDay, AgentHour):
        rows = model.objects.all()
        if since is not None:
            rows = rows.filter(day__gte=since)
        rows.delete()
    if since is not None:
        facts = facts.filter(day__gte=since)
    hours, latencies = _sum_facts(facts, progress)
    terms = _sum_terms(conversations, progress)
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


def _user(user_id):
    return get_user_model().objects.filter(pk=user_id).first() if user_id else None


def _rebuild_facts(conversations, tz, progress):
    settings_row = ReportSettings.current()
    departments = dict(
        Department.objects.exclude(first_response_target=None).values_list(
            "pk", "first_response_target"
        )
    )
    adapter, pages = get_adapter(), {}
    done = 0
    for ids, total in _batches(conversations):
        rows = Conversation.objects.filter(pk__in=ids)
        existing = ConversationFact.objects.in_bulk(ids)
        offers = dict(
            OfferSent.objects.filter(conversation__in=ids)
            .values("conversation")
            .annotate(n=Count("pk"))
            .values_list("conversation", "n")
        )
        redeemed = dict(
            OfferSent.objects.filter(conversation__in=ids)
            .exclude(redeemed_at=None)
            .values("conversation")
            .annotate(n=Count("pk"))
            .values_list("conversation", "n")
        )
        ordered = {
            row["conversation"]: row
            for row in OrderRecord.objects.filter(conversation__in=ids)
            .values("conversation")
            .annotate(first=Min("placed_at"), value=Sum("total"))
        }
        seqs = dict(
            Message.objects.filter(
                conversation__in=ids, sender_kind=Message.Sender.VISITOR
            )
            .values("conversation")
            .annotate(last=Max("seq"))
            .values_list("conversation", "last")
        )
        created, updated = [], []
        for conversation in rows:
            if conversation.start_page not in pages:
                pages[conversation.start_page] = describe(
                    conversation.start_page, adapter
                )
            target = target_for(conversation.department_id, settings_row, departments)
            fresh = new_fact(conversation, tz, pages[conversation.start_page], target)
            fact = existing.get(conversation.pk)
            if fact is None:
                fact = fresh
                fact.assigned_at = conversation.first_agent_reply_at
                if conversation.closed_at and conversation.first_agent_reply_at:
                    fact.handling_seconds = max(
                        0,
                        int(
                            (
                                conversation.closed_at
                                - conversation.first_agent_reply_at
                            ).total_seconds()
                        ),
                    )
                created.append(fact)
            else:
                _refresh(fact, fresh)
                updated.append(fact)
            fact.offers_sent = offers.get(conversation.pk, 0)
            fact.offers_redeemed = redeemed.get(conversation.pk, 0)
            order = ordered.get(conversation.pk)
            fact.ordered_at = order["first"] if order else None
            fact.order_value = order["value"] if order else None
            # Words count once a chat has ended (an offline message at once),
            # as the listeners count them.
            counted = conversation.closed_at or conversation.source != "chat"
            fact.terms_seq = seqs.get(conversation.pk, 0) if counted else 0
            derive(fact)
        with transaction.atomic():
            ConversationFact.objects.bulk_create(created, batch_size=500)
            ConversationFact.objects.bulk_update(updated, _REFRESHED, batch_size=500)
        done += len(ids)
        _report(progress, "conversations", done, total)


def _refresh(fact, fresh):
    """Take from ``fresh`` what the conversation's row says now."""
    for name in (
        "day", "hour", "weekday", "topic", "close_tag", "language", "start_page",
        "page_kind", "product_key", "product_title", "invitation_key", "rating",
        "rating_comment", "target_seconds", "closed_at",
    ):  # fmt: skip
        setattr(fact, name, getattr(fresh, name))
    fact.first_response_at = fact.first_response_at or fresh.first_response_at
    fact.missed = fact.missed or fresh.missed
    fact.department_key = fact.department_key or fresh.department_key
    fact.agent_key = fresh.agent_key or fact.agent_key


def _sum_facts(facts, progress):
    hours = defaultdict(lambda: defaultdict(int))
    latencies = defaultdict(int)
    total = facts.count()
    for done, fact in enumerate(facts.iterator(chunk_size=BATCH), 1):
        key, counters, fact_latencies = contribution(fact)
        row = hours[key]
        for name, value in counters.items():
            row[name] += value
        for metric, bucket in fact_latencies:
            latencies[(*key, metric, bucket)] += 1
        if done % BATCH == 0:
            _report(progress, "rollups", done, total)
    _report(progress, "rollups", total, total)
    ReportHour.objects.bulk_create(
        (
            ReportHour(
                day=day, hour=hour, department_key=dept, agent_key=agent, **counters
            )
            for (day, hour, dept, agent), counters in hours.items()
        ),
        batch_size=1000,
    )
    ReportLatency.objects.bulk_create(
        (
            ReportLatency(
                day=day,
                hour=hour,
                department_key=dept,
                agent_key=agent,
                metric=metric,
                bucket=bucket,
                count=count,
            )
            for (day, hour, dept, agent, metric, bucket), count in latencies.items()
        ),
        batch_size=1000,
    )
    return len(hours), len(latencies)


def _sum_terms(conversations, progress):
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
    TermDay.objects.bulk_create(
        (
            TermDay(day=day, language=language, term=term, conversations=n)
            for (day, language, term), n in counts.items()
        ),
        batch_size=2000,
    )
    return len(counts)


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
