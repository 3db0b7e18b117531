"""The admin's API tokens and webhooks: the key shown once and stored hashed,
who may make a token for whom, revocation, endpoint URLs checked, the
secret shown, a switched-off endpoint announced and resumed, redelivery."""

import html
import re
import uuid

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from livechat import services
from livechat.models import APIToken, Visitor, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

TOKENS = "/admin/livechat/apitoken/"
ENDPOINTS = "/admin/livechat/webhookendpoint/"
DELIVERIES = "/admin/livechat/webhookdelivery/"


@pytest.fixture
def boss():
    return User.objects.create_superuser("boss", "boss@example.com", "pw")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _staff_with(username, *codenames):
    user = User.objects.create_user(username, password="pw", is_staff=True)
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return User.objects.get(pk=user.pk)


def _shown_key(response):
    text = html.unescape(response.content.decode())
    match = re.search(r"<code>([^<]+)</code>", text)
    assert match, "the key is not shown"
    return match.group(1)


def test_a_new_token_shows_its_key_once_and_stores_it_hashed(boss, agent):
    client = _client(boss)
    response = client.post(
        TOKENS + "add/",
        {"name": "CRM", "user": agent.pk, "scopes": ["conversations:read"]},
        follow=True,
    )
    key = _shown_key(response)
    token = APIToken.objects.get()
    assert APIToken.objects.from_key(key) == token
    assert token.user == agent and token.scopes == ["conversations:read"]
    assert key not in token.hashed_key and token.hashed_key.startswith("sha512$$")
    page = client.get(f"{TOKENS}{token.pk}/change/").content.decode()
    assert key not in page and token.prefix in page


def test_only_a_superuser_makes_a_token_acting_as_someone_else(agent):
    clerk = _staff_with("clerk", "add_apitoken", "view_apitoken", "reply_conversation")
    client = _client(clerk)
    response = client.post(
        TOKENS + "add/",
        {"name": "mine?", "user": agent.pk, "scopes": ["conversations:read"]},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "Only a superuser" in html.unescape(response.content.decode())
    assert not APIToken.objects.exists()
    response = client.post(
        TOKENS + "add/",
        {"name": "own", "user": clerk.pk, "scopes": ["conversations:read"]},
        follow=True,
    )
    assert APIToken.objects.from_key(_shown_key(response)).user == clerk


def test_a_token_acts_only_as_an_agent_or_supervisor(boss, django_user_model):
    shopper = django_user_model.objects.create_user("shopper", password="pw")
    response = _client(boss).post(
        TOKENS + "add/",
        {"name": "x", "user": shopper.pk, "scopes": ["conversations:read"]},
    )
    assert "neither" in html.unescape(response.content.decode())
    assert not APIToken.objects.exists()


def test_revoking_ends_a_token_for_good(boss, agent):
    token, key = services.api_tokens.create_token(
        boss, name="bot", user=agent, scopes=["messages:write"]
    )
    client = _client(boss)
    client.post(TOKENS, {"action": "revoke", "_selected_action": [token.pk]})
    assert APIToken.objects.from_key(key) is None
    token.refresh_from_db()
    assert token.revoked


def test_an_endpoint_url_must_be_http_and_its_secret_is_shown(boss):
    client = _client(boss)
    response = client.post(
        ENDPOINTS + "add/",
        {"url": "ftp://crm.example/hook", "events": ["message.created"]},
    )
    assert response.status_code == 200 and not WebhookEndpoint.objects.exists()
    client.post(
        ENDPOINTS + "add/",
        {
            "url": "https://crm.example/hook",
            "events": ["message.created"],
            "is_active": "on",
        },
    )
    endpoint = WebhookEndpoint.objects.get()
    page = client.get(f"{ENDPOINTS}{endpoint.pk}/change/").content.decode()
    assert endpoint.secret in page and endpoint.secret.startswith("whsec_")


def test_a_switched_off_endpoint_is_announced_and_resumes_when_ticked(boss):
    endpoint = WebhookEndpoint.objects.create(
        url="https://crm.example/hook",
        events=["message.created"],
        is_active=False,
        disabled_reason="Every delivery failed; last: HTTP 500",
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event="message.created", event_id="evt_1", payload={}
    )
    client = _client(boss)
    page = client.get(ENDPOINTS, follow=True).content.decode()
    assert "switched off" in html.unescape(page)
    client.post(
        f"{ENDPOINTS}{endpoint.pk}/change/",
        {
            "url": endpoint.url,
            "events": ["message.created"],
            "is_active": "on",
        },
    )
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.disabled_reason == ""
    delivery.refresh_from_db()
    assert delivery.state == "pending"


def test_redelivery_needs_the_right_to_edit_endpoints(
    boss, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpoint.objects.create(
        url="https://crm.example/hook", events=["conversation.opened"]
    )
    visitor = Visitor.objects.create(key=uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=True):
        services.post_visitor_message(visitor, "hi", "c1")
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    viewer = _staff_with("viewer", "view_webhookdelivery")
    _client(viewer).post(
        DELIVERIES, {"action": "redeliver", "_selected_action": [delivery.pk]}
    )
    assert WebhookDelivery.objects.count() == 1
    _client(boss).post(
        DELIVERIES, {"action": "redeliver", "_selected_action": [delivery.pk]}
    )
    copies = WebhookDelivery.objects.order_by("pk")
    assert copies.count() == 2
    assert copies[1].event_id == delivery.event_id
    assert copies[1].payload == delivery.payload


def test_the_secret_is_shown_only_to_who_may_change_the_endpoint():
    endpoint = WebhookEndpoint.objects.create(
        url="https://crm.example/hook", events=["message.created"]
    )
    viewer = _staff_with("viewer", "view_webhookendpoint")
    page = _client(viewer).get(f"{ENDPOINTS}{endpoint.pk}/change/")
    assert page.status_code == 200
    assert endpoint.secret not in page.content.decode()
