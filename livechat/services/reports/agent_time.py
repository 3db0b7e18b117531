"""Agents' time: the hours they were online, and the chats they held in them.

An agent is online for the reports while the widget would count them as
able to answer: online, at their console and not idle
(``availability.present_agents_filter``). Each stretch is an
AgentOnlineSpan; its seconds go to AgentHour as they pass (housekeeping
settles open stretches every minute), so the reports never wait for an agent
to log off.
"""

from django.db import transaction
from django.utils import timezone

from ...adapter import get_adapter
from ...models import AgentOnlineSpan, AgentProfile, ConversationFact
from ..availability import present_agents_filter
from .buckets import split_by_hour
from .rollups import add_agent_time


def is_online(agent, now=None):
    """Does ``agent`` count as online and able to take chats now?"""
    return get_adapter().is_agent(agent) and (
        AgentProfile.objects.filter(user=agent)
        .filter(present_agents_filter(now))
        .exists()
    )


def _flush(span, until):
    """Count ``span``'s seconds not counted yet, up to ``until``."""
    since = max(span.started_at, span.counted_until or span.started_at)
    if until > since:
        add_agent_time(span.agent_id, split_by_hour(since, until), "online_seconds")
        span.counted_until = until


def agent_presence_changed(agent, now=None):
    """Open or close the agent's online stretch to match their presence."""
    now = now or timezone.now()
    online = is_online(agent, now)
    with transaction.atomic():
        spans = list(
            AgentOnlineSpan.objects.select_for_update().filter(
                agent=agent, ended_at=None
            )
        )
        if online and not spans:
            AgentOnlineSpan.objects.create(agent=agent, started_at=now)
        elif not online:
            for span in spans:
                _flush(span, now)
                span.ended_at = now
                span.save(update_fields=["counted_until", "ended_at"])


def settle_online_time(now=None):
    """Count the open stretches' time so far; close those of agents who are no
    longer online (gone idle, or their console died). Returns how many closed."""
    now = now or timezone.now()
    closed = 0
    open_spans = AgentOnlineSpan.objects.filter(ended_at=None).select_related("agent")
    for span_id, agent in [(s.pk, s.agent) for s in open_spans]:
        online = is_online(agent, now)
        with transaction.atomic():
            span = (
                AgentOnlineSpan.objects.select_for_update()
                .filter(pk=span_id, ended_at=None)
                .first()
            )
            if span is None:
                continue
            _flush(span, now)
            if not online:
                span.ended_at = now
                closed += 1
            span.save(update_fields=["counted_until", "ended_at"])
    return closed


def add_held_time(agent_key, since, until):
    """An agent held a chat from ``since`` to ``until``: chat-seconds."""
    if agent_key and since is not None and until > since:
        add_agent_time(agent_key, split_by_hour(since, until), "chat_seconds")


def settle_held_time(now=None):
    """Count the chat-seconds of chats still held, up to ``now``."""
    now = now or timezone.now()
    held = ConversationFact.objects.filter(held_since__lt=now, closed_at=None)
    for fact_id in held.values_list("pk", flat=True):
        with transaction.atomic():
            fact = (
                ConversationFact.objects.select_for_update()
                .filter(pk=fact_id, held_since__lt=now, closed_at=None)
                .first()
            )
            if fact is None:
                continue
            add_held_time(fact.agent_key, fact.held_since, now)
            fact.held_since = now
            fact.save(update_fields=["held_since"])
