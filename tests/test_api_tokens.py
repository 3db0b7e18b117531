"""API tokens on the REST API: authentication, scopes, throttling, errors
(livechat/api/authentication.py, permissions.py, throttling.py, errors.py)."""

import datetime
import uuid

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient

from livechat import services
from livechat.models import APIToken, Message, Scope, Visitor

pytestmark = pytest.mark.django_db

API = "/livechat/api/v1"
ALL_SCOPES = [scope.value for scope in Scope]


@pytest.fixture
def conversation():
    visitor = Visitor.objects.create(key=uuid.uuid4(), name="Ann")
    return services.post_visitor_message(visitor, "Hello?", "c1")[0].conversation


def _client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def _token(user, scopes=ALL_SCOPES, **fields):
    return APIToken.objects.create_token(
        name="CRM", user=user, scopes=list(scopes), **fields
    )


def _assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    assert body["code"] == code and body["detail"]
    return body


def test_a_valid_token_acts_as_its_user(agent, conversation):
    token, key = _token(agent)
    client = _client(key)
    root = client.get(f"{API}/").json()
    assert root["user"]["id"] == agent.pk
    assert root["token"] == {
        "name": "CRM",
        "prefix": token.prefix,
        "scopes": ALL_SCOPES,
        "expires_at": None,
    }
    response = client.post(
        f"{API}/conversations/{conversation.pk}/messages/",
        {"client_id": "crm-1", "body": "Hi from the CRM"},
        format="json",
    )
    assert response.status_code == 201
    message = Message.objects.get(pk=response.json()["id"])
    assert message.author == agent and message.sender_kind == "agent"
    # No CSRF for a token: it is not a cookie a browser sends by itself.
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.post(
        f"{API}/conversations/{conversation.pk}/notes/", {"body": "ok"}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize("case", ["revoked", "expired", "wrong secret", "unknown"])
def test_unusable_keys_are_refused_alike(agent, case):
    token, key = _token(agent)
    if case == "revoked":
        APIToken.objects.filter(pk=token.pk).update(revoked=True)
    elif case == "expired":
        APIToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - datetime.timedelta(seconds=1)
        )
    elif case == "wrong secret":
        prefix, _dot, secret = key.partition(".")
        key = f"{prefix}.{'A' * len(secret)}"
    else:
        key = "ZZZZZZZZ." + "A" * 40
    response = _client(key).get(f"{API}/conversations/")
    body = _assert_error(response, 401, "authentication_failed")
    assert body["detail"] == "Invalid, revoked or expired token."
    assert response["WWW-Authenticate"] == 'Bearer realm="livechat"'


def test_a_token_with_a_future_expiry_works(agent):
    _token_row, key = _token(
        agent, expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    assert _client(key).get(f"{API}/conversations/").status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer a b",
        "Bearer " + "x" * 5000,
        "Bearer abc\u00e9def",
        "bearer nodot",
        "Bearer \x01\x02",
    ],
)
def test_malformed_authorization_headers_are_401(header):
    client = APIClient()
    response = client.get(f"{API}/", HTTP_AUTHORIZATION=header)
    _assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_of_a_user_who_may_no_longer_sign_in_is_refused(agent):
    _row, key = _token(agent)
    agent.is_active = False
    agent.save()
    _assert_error(_client(key).get(f"{API}/"), 401, "authentication_failed")


def test_a_token_of_a_user_no_longer_staff_is_forbidden(agent):
    _row, key = _token(agent)
    agent.is_staff = False
    agent.save()
    _assert_error(_client(key).get(f"{API}/"), 403, "permission_denied")


def test_a_read_only_token_cannot_write(agent, conversation):
    _row, key = _token(agent, scopes=[Scope.CONVERSATIONS_READ])
    client = _client(key)
    url = f"{API}/conversations/{conversation.pk}/messages/"
    assert client.get(url).status_code == 200
    for path, payload in (
        ("messages/", {"client_id": "x", "body": "hi"}),
        ("notes/", {"body": "hi"}),
        ("close/", {}),
        ("tags/", {"tag": "order"}),
    ):
        response = client.post(
            f"{API}/conversations/{conversation.pk}/{path}", payload, format="json"
        )
        body = _assert_error(response, 403, "permission_denied")
        assert body["detail"] == "This token lacks the scope messages:write."
    assert Message.objects.count() == 1
    assert conversation.notes.count() == 0


def test_scopes_narrow_tokens_not_people(agent, conversation):
    _row, key = _token(agent, scopes=[Scope.MESSAGES_WRITE])
    _assert_error(_client(key).get(f"{API}/conversations/"), 403, "permission_denied")
    assert _client(key).get(f"{API}/").status_code == 200  # no scope needed
    session = APIClient()
    session.force_login(agent)
    assert session.get(f"{API}/conversations/").status_code == 200


def test_a_token_cannot_act_beyond_its_user(agent, make_agent, conversation):
    """All scopes on a plain agent's token: still no erasure, no shared
    replies, nothing in a colleague's chat."""
    bob = make_agent("bob")
    services.claim_conversation(conversation, bob)
    _row, key = _token(agent)
    client = _client(key)
    response = client.post(
        f"{API}/conversations/{conversation.pk}/messages/",
        {"client_id": "x", "body": "hi"},
        format="json",
    )
    _assert_error(response, 403, "forbidden")
    response = client.post(f"{API}/visitors/{conversation.visitor_id}/erase/")
    _assert_error(response, 403, "permission_denied")
    response = client.post(
        f"{API}/replies/", {"shortcut": "s", "body": "b", "shared": True}, format="json"
    )
    _assert_error(response, 403, "forbidden")
    assert Visitor.objects.exists() and Message.objects.count() == 2


def test_erasure_needs_the_scope_as_well_as_the_permission(agent, conversation):
    agent.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["delete_visitor", "delete_conversation"]
        )
    )
    _row, key = _token(agent, scopes=[Scope.CONVERSATIONS_READ, Scope.MESSAGES_WRITE])
    url = f"{API}/visitors/{conversation.visitor_id}/erase/"
    body = _assert_error(_client(key).post(url), 403, "permission_denied")
    assert "visitors:manage" in body["detail"]
    _row, key = _token(agent, scopes=[Scope.VISITORS_MANAGE])
    assert _client(key).post(url).status_code == 200
    assert not Visitor.objects.exists()


def test_last_used_is_written_at_most_once_a_minute(agent):
    token, key = _token(agent)
    client = _client(key)
    with time_machine.travel("2026-12-03 09:00:00Z", tick=False):
        client.get(f"{API}/")
        token.refresh_from_db()
        assert token.last_used_at.isoformat() == "2026-12-03T09:00:00+00:00"
    with time_machine.travel("2026-12-03 09:00:59Z", tick=False):
        client.get(f"{API}/")
        token.refresh_from_db()
        assert token.last_used_at.isoformat() == "2026-12-03T09:00:00+00:00"
    with time_machine.travel("2026-12-03 09:01:01Z", tick=False):
        client.get(f"{API}/")
        token.refresh_from_db()
        assert token.last_used_at.isoformat() == "2026-12-03T09:01:01+00:00"


def test_throttling_is_per_token(agent, settings):
    settings.LIVECHAT_API_THROTTLE_RATE = "3/minute"
    _row, first_key = _token(agent)
    _row, second_key = _token(agent)
    first, second = _client(first_key), _client(second_key)
    assert [first.get(f"{API}/").status_code for _ in range(3)] == [200] * 3
    response = first.get(f"{API}/")
    body = _assert_error(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "throttled" in body["detail"]
    # Another token of the same user has its own budget; so has the session.
    assert second.get(f"{API}/").status_code == 200
    session = APIClient()
    session.force_login(agent)
    assert session.get(f"{API}/").status_code == 200


def test_every_error_has_the_one_shape(agent, conversation):
    _row, key = _token(agent)
    client = _client(key)
    _assert_error(APIClient().get(f"{API}/"), 401, "not_authenticated")
    _assert_error(client.get(f"{API}/conversations/0/"), 404, "not_found")
    _assert_error(client.delete(f"{API}/conversations/"), 405, "method_not_allowed")
    _assert_error(client.get(f"{API}/", HTTP_ACCEPT="text/html"), 406, "not_acceptable")
    body = _assert_error(
        client.post(f"{API}/replies/", {"body": "x"}, format="json"), 400, "invalid"
    )
    assert body["fields"] == {"shortcut": ["This field is required."]}
    services.close_conversation(conversation)
    response = client.post(
        f"{API}/conversations/{conversation.pk}/messages/",
        {"client_id": "late", "body": "hi"},
        format="json",
    )
    _assert_error(response, 409, "conversation_closed")


def test_a_view_that_names_no_scope_for_a_method_is_closed_to_tokens(agent):
    from livechat.api.views.team import DepartmentList as Departments

    _row, key = _token(agent)
    scopes = Departments.scopes
    try:
        Departments.scopes = {}
        response = _client(key).get(f"{API}/departments/")
        _assert_error(response, 403, "permission_denied")
    finally:
        Departments.scopes = scopes
