import datetime
import uuid

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from livechat import presentation, services
from livechat.models import AgentProfile, Conversation, Message, Visitor

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


def _seed_conversations(start, n):
    """``n`` conversations, each with its own visitor (named through their
    user), agent (two in three with a profile) and a last system line."""
    users = User.objects.bulk_create(
        User(username=f"shopper{i}", first_name="Ann", last_name=f"No{i}")
        for i in range(start, start + n)
    )
    visitors = Visitor.objects.bulk_create(Visitor(user=user) for user in users)
    agents = User.objects.bulk_create(
        User(username=f"agent{i}", first_name=f"Agent{i}", is_staff=True)
        for i in range(start, start + n)
    )
    AgentProfile.objects.bulk_create(
        AgentProfile(user=agent, display_name=f"Support {i}")
        for i, agent in enumerate(agents)
        if i % 3
    )
    now = timezone.now()
    conversations = Conversation.objects.bulk_create(
        Conversation(
            visitor=visitor,
            assigned_agent=agent,
            status=("active", "closed")[i % 2],
            created_at=now - datetime.timedelta(minutes=i),
            last_seq=3,
        )
        for i, (visitor, agent) in enumerate(zip(visitors, agents, strict=True), start)
    )
    Message.objects.bulk_create(
        Message(conversation=conversation, seq=seq, sender_kind=kind, body=body)
        for conversation in conversations
        for seq, kind, body in (
            (1, "visitor", f"Where is order {conversation.pk}?"),
            (2, "agent", f"Order {conversation.pk} ships today."),
            (3, "system", "The chat was closed."),
        )
    )


def _query_count(api, url):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_list_queries_do_not_grow_with_rows_or_pages(api):
    _seed_conversations(0, 50)
    api.get("/livechat/api/conversations/")  # the agent's permissions, cached
    small = _query_count(api, "/livechat/api/conversations/?page_size=5")
    _seed_conversations(50, 450)
    first = _query_count(api, "/livechat/api/conversations/?page_size=5")
    last = _query_count(api, "/livechat/api/conversations/?page_size=5&page=100")
    assert small == first == last
    closed = _query_count(
        api, "/livechat/api/conversations/?status=closed&page_size=5&page=50"
    )
    assert closed == small


def test_pages_hold_the_rows_of_the_whole_ordered_list(api):
    _seed_conversations(0, 120)
    expected = [
        presentation.conversation_summary(c, c.preview or "")
        for c in services.conversations_with_preview()
        .filter(status="closed")
        .order_by("-created_at")
    ]
    pages = []
    for number in (1, 2, 3, 4, 5, 6):
        data = api.get(
            f"/livechat/api/conversations/?status=closed&page_size=10&page={number}"
        ).json()
        assert data["count"] == 60
        pages += data["results"]
    assert pages == expected
    assert pages[0]["preview"].startswith("Order ")
    assert pages[0]["visitor"]["name"].startswith("Ann No")
    names = {p["agent"]["name"].split()[0].rstrip("0123456789") for p in pages}
    assert names == {"Agent", "Support"}


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
