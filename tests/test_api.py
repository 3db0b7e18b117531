import uuid

import pytest
from rest_framework.test import APIClient

from livechat import services
from livechat.models import Message, Visitor

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation():
    visitor = Visitor.objects.create(key=uuid.uuid4(), name="Ann")
    message, _ = services.post_visitor_message(
        visitor, "Where is <b>my</b> order?", "c1"
    )
    return message.conversation


@pytest.fixture
def api(agent):
    client = APIClient()
    client.force_authenticate(agent)
    return client


def test_anonymous_and_non_agents_are_refused(conversation, django_user_model):
    client = APIClient()
    assert client.get("/livechat/api/conversations/").status_code in (401, 403)
    staff = django_user_model.objects.create_user("s", password="pw", is_staff=True)
    client.force_authenticate(staff)
    assert client.get("/livechat/api/conversations/").status_code == 403
    response = client.post(
        f"/livechat/api/conversations/{conversation.pk}/messages/",
        {"client_id": "x", "body": "hi"},
    )
    assert response.status_code == 403
    assert Message.objects.count() == 1


def test_list_and_filter(api, conversation):
    data = api.get("/livechat/api/conversations/").json()
    assert data["count"] == 1
    assert data["results"][0]["preview"] == "Where is <b>my</b> order?"
    assert api.get("/livechat/api/conversations/?status=closed").json()["count"] == 0
    assert api.get("/livechat/api/conversations/?status=bogus").status_code == 400


def test_transcript_and_reply_are_idempotent(api, conversation):
    url = f"/livechat/api/conversations/{conversation.pk}/messages/"
    first = api.post(url, {"client_id": "r1", "body": "On its way"}, format="json")
    assert first.status_code == 201 and first.json()["seq"] == 2
    again = api.post(url, {"client_id": "r1", "body": "On its way"}, format="json")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    transcript = api.get(url + "?after_seq=1").json()
    assert [m["body"] for m in transcript["messages"]] == ["On its way"]
    assert api.get(url + "?after_seq=-1").status_code == 400


def test_bad_reply_is_refused_and_stores_nothing(api, conversation, settings):
    settings.LIVECHAT_MAX_MESSAGE_LENGTH = 5
    url = f"/livechat/api/conversations/{conversation.pk}/messages/"
    for payload in (
        {"body": "hi"},
        {"client_id": "a", "body": "   "},
        {"client_id": "a", "body": "too long"},
    ):
        assert api.post(url, payload, format="json").status_code == 400
    assert Message.objects.count() == 1


def test_close_and_reply_to_closed(api, conversation):
    response = api.post(f"/livechat/api/conversations/{conversation.pk}/close/")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    response = api.post(
        f"/livechat/api/conversations/{conversation.pk}/messages/",
        {"client_id": "late", "body": "hello"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conversation_closed"


def test_unknown_conversation_is_404(api):
    assert api.get("/livechat/api/conversations/999/messages/").status_code == 404


def test_http_basic_auth_is_not_accepted(conversation, agent):
    import base64

    agent.set_password("pw")
    agent.save()
    credentials = base64.b64encode(b"agent:pw").decode()
    client = APIClient()
    response = client.get(
        "/livechat/api/conversations/", HTTP_AUTHORIZATION=f"Basic {credentials}"
    )
    assert response.status_code in (401, 403)


def test_session_posts_need_csrf(conversation, agent):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post(
        f"/livechat/api/conversations/{conversation.pk}/messages/",
        {"client_id": "x", "body": "hi"},
        format="json",
    )
    assert response.status_code == 403
    assert Message.objects.count() == 1


def test_list_searches_with_q(api, conversation):
    other = Visitor.objects.create(key=uuid.uuid4(), name="Li", locale="zh-Hans")
    services.post_visitor_message(other, "我想买鞋子", "c2")
    url = "/livechat/api/conversations/"

    def ids(query):
        return [c["id"] for c in api.get(url, {"q": query}).json()["results"]]

    assert ids("order") == [conversation.pk]
    assert ids("鞋") == [other.conversations.get().pk]
    assert ids(f"#{conversation.pk}") == [conversation.pk]
    assert ids("Ann order") == [conversation.pk]
    assert ids("nothing-like-this") == []
    assert len(ids("")) == 2
    assert ids("order") == [
        c["id"]
        for c in api.get(url, {"q": "order", "status": "waiting"}).json()["results"]
    ]
