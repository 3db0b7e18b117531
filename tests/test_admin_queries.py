"""Every changelist livechat registers runs as many queries for 500 rows as
for 50: plain, searched, and with each of its list filters applied.

The models are read from the admin site's registry, so a new ModelAdmin is
checked as soon as it is registered; it needs a seeder in ``SEEDERS``.
"""

import datetime
import decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from livechat.models import (
    AgentProfile,
    APIToken,
    Attachment,
    BusinessHours,
    CannedReply,
    Conversation,
    Department,
    HolidayException,
    InvitationRule,
    LiveConsole,
    Message,
    ReportHour,
    ReportSettings,
    Visitor,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WidgetProfile,
)

pytestmark = pytest.mark.django_db

SEARCH_TERM = "shop"


def _users(start, n, prefix):
    """``n`` users whose full names are only reachable through the user row."""
    return User.objects.bulk_create(
        User(
            username=f"{prefix}{i}",
            first_name="Shopper",
            last_name=f"No{i}",
            email=f"{prefix}{i}@shop.example",
            is_staff=prefix == "agent",
        )
        for i in range(start, start + n)
    )


def _visitors(start, n):
    """Visitors without a name: ``display_name`` reads their user."""
    users = _users(start, n, "shopper")
    now = timezone.now()
    return Visitor.objects.bulk_create(
        Visitor(
            user=user,
            locale=("en", "es")[i % 2],
            current_page="https://shop.example/",
            last_seen_at=now - datetime.timedelta(hours=i),
        )
        for i, user in enumerate(users)
    )


def _conversations(start, n):
    visitors = _visitors(start, n)
    agents = _users(start, n, "agent")
    AgentProfile.objects.bulk_create(AgentProfile(user=agent) for agent in agents)
    now = timezone.now()
    return Conversation.objects.bulk_create(
        Conversation(
            visitor=visitor,
            assigned_agent=agent,
            status=Conversation.Status.values[i % len(Conversation.Status.values)],
            topic="order",
            rating=("good", "bad", "")[i % 3],
            created_at=now - datetime.timedelta(hours=i),
            last_seq=1,
        )
        for i, (visitor, agent) in enumerate(zip(visitors, agents, strict=True))
    )


def _messages(start, n):
    conversations = _conversations(start, n)
    return Message.objects.bulk_create(
        Message(
            conversation=conversation,
            seq=1,
            sender_kind=("visitor", "agent")[i % 2],
            author=conversation.assigned_agent if i % 2 else None,
            body=f"Your order from the shop, number {i}",
        )
        for i, conversation in enumerate(conversations)
    )


def _agent_profiles(start, n):
    AgentProfile.objects.bulk_create(
        AgentProfile(user=user, display_name=f"Shop agent {i}")
        for i, user in enumerate(_users(start, n, "agent"))
    )


def _attachments(start, n):
    Attachment.objects.bulk_create(
        Attachment(
            conversation=conversation,
            file=f"livechat/attachments/{i}.png",
            original_name=f"shop-receipt-{i}.png",
            content_type=("image/png", "application/pdf")[i % 2],
            extension=".png",
            size=100,
        )
        for i, conversation in enumerate(_conversations(start, n), start)
    )


def _departments(start, n):
    departments = Department.objects.bulk_create(
        Department(name=f"Shop team {i}", topics="order")
        for i in range(start, start + n)
    )
    agents = _users(start, n, "agent")
    through = Department.agents.through
    through.objects.bulk_create(
        through(department=department, user=agent)
        for department, agent in zip(departments, agents, strict=True)
    )
    return departments


def _canned_replies(start, n):
    CannedReply.objects.bulk_create(
        CannedReply(
            title=f"Shop hours {i}",
            shortcut=f"hours{i}",
            body="We open at nine.",
            department=department,
        )
        for i, department in enumerate(_departments(start, n), start)
    )


def _business_hours(start, n):
    BusinessHours.objects.bulk_create(
        BusinessHours(
            weekday=i % 7,
            opens=datetime.time(i % 12, 0),
            closes=datetime.time(i % 12 + 1, 0),
        )
        for i in range(start, start + n)
    )


def _holidays(start, n):
    first = datetime.date(2000, 1, 1)
    HolidayException.objects.bulk_create(
        HolidayException(date=first + datetime.timedelta(days=i), note="Shop shut")
        for i in range(start, start + n)
    )


def _invitation_rules(start, n):
    InvitationRule.objects.bulk_create(
        InvitationRule(
            name=f"Shop rule {i}",
            message="Need help?",
            min_cart_value=decimal.Decimal("10.00"),
            is_active=bool(i % 2),
        )
        for i in range(start, start + n)
    )


def _report_hours(start, n):
    """Rollup rows of the last days: the reports' overview reads them."""
    today = timezone.now().date()
    ReportHour.objects.bulk_create(
        ReportHour(
            day=today - datetime.timedelta(days=(i // 72) % 20),
            hour=(i // 3) % 24,
            agent_key=i % 3,
            conversations=2,
            chats=2,
            answered=1,
        )
        for i in range(start, start + n)
    )


def _widget_profiles(start, n):
    WidgetProfile.objects.bulk_create(
        WidgetProfile(title=f"Shop {i}") for i in range(start, start + n)
    )


def _api_tokens(start, n):
    """Tokens acting as agents (the list shows who each acts as)."""
    return APIToken.objects.bulk_create(
        APIToken(
            name=f"shop token {i}",
            prefix=f"p{i:07d}",
            hashed_key="sha512$$x",
            user=user,
            scopes=["conversations:read"],
        )
        for i, user in zip(
            range(start, start + n), _users(start, n, "agent"), strict=True
        )
    )


def _webhook_endpoints(start, n):
    return WebhookEndpoint.objects.bulk_create(
        WebhookEndpoint(
            url=f"https://shop.example/hook/{i}",
            events=["message.created"],
            is_active=i % 2 == 0,
            disabled_reason="" if i % 2 == 0 else "HTTP 500",
        )
        for i in range(start, start + n)
    )


def _webhook_deliveries(start, n):
    """Deliveries of several endpoints, each with an attempt."""
    endpoints = _webhook_endpoints(start, 3)
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoints[i % 3],
            event="message.created",
            event_id=f"evt_shop_{i}",
            ordering_key=f"conversation:{i}",
            payload={"id": f"evt_shop_{i}"},
            state=("pending", "delivered", "failed")[i % 3],
        )
        for i in range(start, start + n)
    )
    WebhookAttempt.objects.bulk_create(
        WebhookAttempt(delivery=d, status_code=200) for d in deliveries
    )
    return deliveries


SEEDERS = {
    AgentProfile: _agent_profiles,
    Attachment: _attachments,
    BusinessHours: _business_hours,
    CannedReply: _canned_replies,
    Conversation: _conversations,
    Department: _departments,
    HolidayException: _holidays,
    InvitationRule: _invitation_rules,
    LiveConsole: _conversations,
    Message: _messages,
    ReportSettings: _report_hours,
    APIToken: _api_tokens,
    WebhookEndpoint: _webhook_endpoints,
    WebhookDelivery: _webhook_deliveries,
    Visitor: _visitors,
    WidgetProfile: _widget_profiles,
}

REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "livechat"),
    key=lambda model: model._meta.model_name,
)


def _changelist_url(model):
    return reverse(f"admin:livechat_{model._meta.model_name}_changelist")


def _filter_queries(response):
    """One query string per list filter: its first choice past "All"."""
    context = getattr(response, "context_data", None) or {}
    changelist = context.get("cl")
    if changelist is None:
        return []
    queries = []
    for spec in changelist.filter_specs:
        choices = list(spec.choices(changelist))
        if len(choices) > 1:
            queries.append(choices[1]["query_string"])
    return queries


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code in (200, 302), url
    return len(queries)


def test_every_livechat_model_admin_is_checked():
    assert set(REGISTERED) <= SEEDERS.keys(), "add a seeder to SEEDERS"
    assert {Conversation, Message, Visitor} <= set(REGISTERED)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.model_name)
def test_changelist_queries_do_not_grow_with_rows(client, model):
    seed = SEEDERS.get(model)
    if seed is None:
        pytest.fail(f"{model.__name__} is registered in the admin: add a seeder")
    client.force_login(User.objects.create_superuser("boss", "b@example.com", "pw"))
    base = _changelist_url(model)
    seed(0, 50)
    first = client.get(base)
    urls = [base, f"{base}?q={SEARCH_TERM}"]
    urls += [base + query for query in _filter_queries(first)]
    if model in (Conversation, Message, Visitor, AgentProfile):
        assert len(urls) > 2, "the list filters were not found"
    small = {url: _queries(client, url) for url in urls}
    seed(50, 450)
    large = {url: _queries(client, url) for url in urls}
    assert large == small


def test_visitors_filter_by_the_sites_languages(client):
    client.force_login(User.objects.create_superuser("boss", "b@example.com", "pw"))
    for locale in ("es", "es-MX", "ES-es", "en-GB", "estonian", ""):
        Visitor.objects.create(locale=locale, email=f"{locale or 'none'}@x.example")
    response = client.get(_changelist_url(Visitor) + "?language=es")
    shown = {v.locale for v in response.context_data["cl"].result_list}
    assert shown == {"es", "es-MX", "ES-es"}
    spec = next(
        s
        for s in response.context_data["cl"].filter_specs
        if s.parameter_name == "language"
    )
    assert [c[0] for c in spec.lookup_choices] == ["en", "es", "ru", "zh"]
