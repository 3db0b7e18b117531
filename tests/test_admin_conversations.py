"""The conversations' admin: its filters and what the record page shows."""

import uuid

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from livechat.models import (
    AgentProfile,
    Conversation,
    Department,
    InternalNote,
    Visitor,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:livechat_conversation_changelist"


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("boss", "b@example.com", "pw"))
    return client


@pytest.fixture
def agents():
    users = [User.objects.create_user(name, is_staff=True) for name in ("ana", "ben")]
    for user in users:
        AgentProfile.objects.create(user=user)
    return users


def _chat(**fields):
    visitor = Visitor.objects.create(key=uuid.uuid4(), name=f"V{uuid.uuid4().hex[:6]}")
    return Conversation.objects.create(visitor=visitor, **fields)


def _shown(admin_client, query):
    response = admin_client.get(reverse(CHANGELIST) + query)
    assert response.status_code == 200
    return {c.pk for c in response.context_data["cl"].result_list}


def _filter(response, parameter):
    changelist = response.context_data["cl"]
    return next(
        spec
        for spec in changelist.filter_specs
        if parameter in getattr(spec, "parameter_name", "")
        or parameter in getattr(spec, "lookup_kwarg", "")
    )


def test_filters_by_department_topic_closing_tag_and_agent(admin_client, agents):
    sales = Department.objects.create(name="Sales", topics="pre-sales")
    a = _chat(department=sales, topic="pre-sales", assigned_agent=agents[0])
    b = _chat(topic="order", close_tag="return", assigned_agent=agents[1])
    c = _chat(close_tag="complaint")
    assert _shown(admin_client, f"?department__id__exact={sales.pk}") == {a.pk}
    assert _shown(admin_client, "?topic=order") == {b.pk}
    assert _shown(admin_client, "?close_tag=complaint") == {c.pk}
    assert _shown(admin_client, f"?assigned_agent__id__exact={agents[1].pk}") == {b.pk}
    assert _shown(admin_client, "?department__isnull=True") == {b.pk, c.pk}


def test_topic_and_tag_choices_come_from_the_settings(admin_client, settings):
    settings.LIVECHAT_TOPICS = [("billing", "Billing")]
    settings.LIVECHAT_CLOSE_TAGS = [("spam", "Spam")]
    _chat(topic="legacy-topic", close_tag="legacy-tag")
    response = admin_client.get(reverse(CHANGELIST))
    assert [c[0] for c in _filter(response, "topic").lookup_choices] == ["billing"]
    assert [c[0] for c in _filter(response, "close_tag").lookup_choices] == ["spam"]


def test_the_record_shows_department_and_internal_notes(admin_client, agents):
    sales = Department.objects.create(name="Sales team")
    conversation = _chat(department=sales, close_tag="return")
    InternalNote.objects.create(
        conversation=conversation, author=agents[0], body="<b>VIP</b>, be quick"
    )
    url = reverse("admin:livechat_conversation_change", args=[conversation.pk])
    html = admin_client.get(url).content.decode()
    assert "Sales team" in html
    assert "&lt;b&gt;VIP&lt;/b&gt;, be quick" in html and "ana" in html
    assert "<b>VIP</b>" not in html


def test_a_record_without_notes_says_so(admin_client):
    conversation = _chat()
    url = reverse("admin:livechat_conversation_change", args=[conversation.pk])
    assert "No internal notes." in admin_client.get(url).content.decode()
