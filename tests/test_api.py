"""The REST API's resources under /livechat/api/v1/ (livechat/api/views/)."""

import datetime
import uuid

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from livechat import presentation, services
from livechat.models import (
    AgentProfile,
    CannedReply,
    Conversation,
    Department,
    InternalNote,
    Message,
    Visitor,
)

pytestmark = pytest.mark.django_db

API = "/livechat/api/v1"


@pytest.fixture
def conversation():
    visitor = Visitor.objects.create(
        key=uuid.uuid4(), name="Ann", email="Ann@Example.com"
    )
    message, _ = services.post_visitor_message(
        visitor, "Where is <b>my</b> order?", "c1"
    )
    return message.conversation


@pytest.fixture
def api(agent):
    client = APIClient()
    client.force_authenticate(agent)
    return client


def _grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return type(user).objects.get(pk=user.pk)


def test_anonymous_and_non_agents_are_refused(conversation, django_user_model):
    client = APIClient()
    response = client.get(f"{API}/conversations/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")
    staff = django_user_model.objects.create_user("s", password="pw", is_staff=True)
    client.force_authenticate(staff)
    assert client.get(f"{API}/conversations/").status_code == 403
    response = client.post(
        f"{API}/conversations/{conversation.pk}/messages/",
        {"client_id": "x", "body": "hi"},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert Message.objects.count() == 1


def test_the_unversioned_endpoints_are_gone(api, conversation):
    assert api.get("/livechat/api/conversations/").status_code == 404


def test_root_says_version_and_caller(api, agent):
    data = api.get(f"{API}/").json()
    assert data["status"] == "ok" and data["api_version"] == "v1"
    assert data["user"] == {"id": agent.pk, "username": "agent", "role": "agent"}
    assert data["token"] is None


def test_list_filters(api, conversation, make_agent):
    other_visitor = Visitor.objects.create(key=uuid.uuid4(), email="bo@example.com")
    other = services.post_visitor_message(other_visitor, "Returns?", "c2")[
        0
    ].conversation
    bob = make_agent("bob")
    department = Department.objects.create(name="Returns", topics="return")
    Conversation.objects.filter(pk=other.pk).update(
        assigned_agent=bob,
        status="active",
        department=department,
        created_at=timezone.now() - datetime.timedelta(days=3),
    )
    services.set_tag(other, "return", True)

    def ids(**query):
        response = api.get(f"{API}/conversations/", query)
        assert response.status_code == 200, response.json()
        return [c["id"] for c in response.json()["results"]]

    assert ids() == [conversation.pk, other.pk]
    assert ids(status="active") == [other.pk]
    assert ids(agent=bob.pk) == [other.pk]
    assert ids(department=department.pk) == [other.pk]
    assert ids(tag="return") == [other.pk]
    yesterday = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    assert ids(created_after=yesterday) == [conversation.pk]
    assert ids(created_before=yesterday) == [other.pk]
    assert ids(visitor_email="ann@example.com") == [conversation.pk]
    assert ids(q="returns") == [other.pk]
    assert ids(status="active", tag="order") == []
    first = api.get(f"{API}/conversations/").json()["results"][0]
    assert first["preview"] == "Where is <b>my</b> order?"
    assert first["tags"] == []
    for bad in ({"status": "bogus"}, {"agent": "x"}, {"created_after": "monday"}):
        response = api.get(f"{API}/conversations/", bad)
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid" and list(body["fields"]) == list(bad)


def test_detail_and_404(api, conversation):
    data = api.get(f"{API}/conversations/{conversation.pk}/").json()
    assert data["id"] == conversation.pk and data["visitor"]["name"] == "Ann"
    assert data["tags"] == [] and data["status"] == "waiting"
    for url in (
        f"{API}/conversations/999/",
        f"{API}/conversations/999/messages/",
        f"{API}/conversations/{2**70}/",
    ):
        response = api.get(url)
        assert response.status_code == 404
        assert response.json() == {
            "code": "not_found",
            "detail": "Not found.",
            "fields": {},
        }


def test_transcript_and_reply_are_idempotent(api, conversation):
    url = f"{API}/conversations/{conversation.pk}/messages/"
    first = api.post(url, {"client_id": "r1", "body": "On its way"}, format="json")
    assert first.status_code == 201
    assert first.json()["seq"] == 2 and first.json()["sender"] == "agent"
    again = api.post(url, {"client_id": "r1", "body": "On its way"}, format="json")
    assert again.status_code == 200 and again.json() == first.json()
    transcript = api.get(url + "?after_seq=1").json()
    assert [m["body"] for m in transcript["messages"]] == ["On its way"]
    assert transcript["more"] is False
    before = api.get(url + "?before_seq=2").json()
    assert [m["seq"] for m in before["messages"]] == [1]
    response = api.get(url + "?after_seq=-1")
    assert response.status_code == 400 and "after_seq" in response.json()["fields"]


def test_bad_reply_is_refused_and_stores_nothing(api, conversation, settings):
    settings.LIVECHAT_MAX_MESSAGE_LENGTH = 5
    url = f"{API}/conversations/{conversation.pk}/messages/"
    for payload, field in (
        ({"body": "hi"}, "client_id"),
        ({"client_id": "a", "body": "   "}, "body"),
        ({"client_id": "a", "body": "too long"}, "body"),
        ({"client_id": "a\x00", "body": "hi"}, "client_id"),
    ):
        response = api.post(url, payload, format="json")
        assert response.status_code == 400
        assert field in response.json()["fields"]
    response = api.post(url, "[1, 2]", content_type="application/json")
    assert response.json()["fields"] == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }
    response = api.post(url, "{nope", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    form = "application/x-www-form-urlencoded"
    response = api.post(url, "body=hi", content_type=form)
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert Message.objects.count() == 1


def test_close_and_reply_to_closed(api, conversation):
    response = api.post(
        f"{API}/conversations/{conversation.pk}/close/", {"tag": "order"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert response.json()["tags"] == ["order"]
    response = api.post(
        f"{API}/conversations/{conversation.pk}/messages/",
        {"client_id": "late", "body": "hello"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json() == {
        "code": "conversation_closed",
        "detail": "This conversation is closed.",
        "fields": {},
    }
    response = api.post(
        f"{API}/conversations/{conversation.pk}/close/", {"tag": "nope"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_reopen(api, conversation):
    url = f"{API}/conversations/{conversation.pk}/reopen/"
    response = api.post(url)
    assert response.status_code == 409
    assert response.json()["code"] == "conversation_open"
    services.close_conversation(conversation)
    response = api.post(url, {}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] in ("active", "waiting")


def test_notes_are_idempotent_and_internal(api, conversation, agent):
    url = f"{API}/conversations/{conversation.pk}/notes/"
    first = api.post(url, {"body": "VIP", "client_id": "n1"}, format="json")
    assert first.status_code == 201
    assert first.json()["author"] == {"id": agent.pk, "name": "Alice"}
    again = api.post(url, {"body": "VIP", "client_id": "n1"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert [n["body"] for n in api.get(url).json()] == ["VIP"]
    assert InternalNote.objects.count() == 1
    assert Message.objects.count() == 1


def test_transfer_to_a_department_and_to_an_absent_agent(api, conversation, make_agent):
    department = Department.objects.create(name="Returns")
    url = f"{API}/conversations/{conversation.pk}/transfer/"
    response = api.post(url, {"agent": 1, "department": 2}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "non_field_errors": ["Give either an agent or a department."]
    }
    bob = make_agent("bob")
    response = api.post(url, {"agent": bob.pk}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "agent_unavailable"
    response = api.post(url, {"agent": 10**9}, format="json")
    assert response.status_code == 404
    response = api.post(
        url, {"department": department.pk, "note": "Refund"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["department"] == department.pk
    assert InternalNote.objects.get().body.endswith("Refund")


def test_tags(api, conversation):
    url = f"{API}/conversations/{conversation.pk}/tags/"
    assert api.get(url).json() == {"tags": []}
    assert api.post(url, {"tag": "order"}, format="json").json() == {"tags": ["order"]}
    response = api.put(url, {"tags": ["return", "question"]}, format="json")
    assert response.json() == {"tags": ["question", "return"]}
    assert api.delete(url + "return/").json() == {"tags": ["question"]}
    response = api.put(url, {"tags": ["question", "bogus"]}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert services.tags_of(conversation) == ["question"]


def test_another_agents_chat_is_read_only(api, conversation, make_agent):
    bob = make_agent("bob")
    services.claim_conversation(conversation, bob)
    assert api.get(f"{API}/conversations/{conversation.pk}/").status_code == 200
    for path, payload in (
        ("messages/", {"client_id": "x", "body": "hi"}),
        ("close/", {}),
        ("tags/", {"tag": "order"}),
    ):
        response = api.post(
            f"{API}/conversations/{conversation.pk}/{path}", payload, format="json"
        )
        assert response.status_code == 403, path
        assert response.json()["code"] == "forbidden"
    assert Conversation.objects.get().status == "active"


def test_visitors_lookup_detail_export_and_erase(api, agent, conversation):
    response = api.get(f"{API}/visitors/", {"email": "ann@EXAMPLE.com"})
    assert [v["name"] for v in response.json()["results"]] == ["Ann"]
    assert api.get(f"{API}/visitors/").status_code == 400
    visitor = conversation.visitor
    data = api.get(f"{API}/visitors/{visitor.pk}/").json()
    assert data["email"] == "Ann@Example.com"
    assert [c["id"] for c in data["conversations"]] == [conversation.pk]
    export_url = f"{API}/visitors/{visitor.pk}/export/"
    erase_url = f"{API}/visitors/{visitor.pk}/erase/"
    # An agent has neither the admin's export nor its erase permission.
    assert api.get(export_url).status_code == 403
    assert api.post(erase_url).status_code == 403
    manager = _grant(agent, "view_visitor", "view_conversation", "delete_visitor")
    api.force_authenticate(manager)
    export = api.get(export_url).json()
    messages = export["visitors"][0]["conversations"][0]["messages"]
    assert [m["body"] for m in messages] == ["Where is <b>my</b> order?"]
    assert api.post(erase_url).status_code == 403  # no delete_conversation
    api.force_authenticate(_grant(manager, "delete_conversation"))
    counts = api.post(erase_url).json()
    assert counts["visitors"] == 1 and counts["messages"] >= 1
    assert not Visitor.objects.exists()


def test_saved_replies_follow_the_consoles_rules(api, agent, make_agent):
    own = api.post(
        f"{API}/replies/", {"shortcut": "/Hi There", "body": "Hello!"}, format="json"
    )
    assert own.status_code == 201
    assert own.json()["shortcut"] == "hi-there" and own.json()["owner"] == agent.pk
    shared = api.post(
        f"{API}/replies/",
        {"shortcut": "ship", "body": "Soon", "shared": True},
        format="json",
    )
    assert shared.status_code == 403 and shared.json()["code"] == "forbidden"
    again = api.post(
        f"{API}/replies/", {"shortcut": "hi-there", "body": "Yo"}, format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    pk = own.json()["id"]
    response = api.patch(f"{API}/replies/{pk}/", {"body": "Hey!"}, format="json")
    assert response.json()["body"] == "Hey!"
    assert api.get(f"{API}/replies/{pk}/").json()["body"] == "Hey!"
    # A colleague's own reply does not exist for them.
    colleague = APIClient()
    colleague.force_authenticate(make_agent("bob"))
    assert colleague.get(f"{API}/replies/{pk}/").status_code == 404
    assert colleague.delete(f"{API}/replies/{pk}/").status_code == 404
    assert colleague.get(f"{API}/replies/").json() == []
    assert api.delete(f"{API}/replies/{pk}/").status_code == 204
    assert not CannedReply.objects.exists()


def test_departments_and_agents(api, agent):
    department = Department.objects.create(name="Orders", topics="order, other")
    department.agents.add(agent)
    assert api.get(f"{API}/departments/").json() == [
        {
            "id": department.pk,
            "name": "Orders",
            "topics": ["order", "other"],
            "agents": [agent.pk],
        }
    ]
    AgentProfile.objects.create(user=agent, display_name="Alice S.")
    services.claim_conversation(
        services.post_visitor_message(Visitor.objects.create(), "hi", "c")[
            0
        ].conversation,
        agent,
    )
    [row] = api.get(f"{API}/agents/").json()
    assert row["id"] == agent.pk and row["name"] == "Alice S."
    assert row["open_chats"] == 1 and row["max_chats"] == 4


def test_http_basic_auth_is_not_accepted(conversation, agent):
    import base64

    agent.set_password("pw")
    agent.save()
    credentials = base64.b64encode(b"agent:pw").decode()
    client = APIClient()
    response = client.get(
        f"{API}/conversations/", HTTP_AUTHORIZATION=f"Basic {credentials}"
    )
    assert response.status_code == 401


def test_session_posts_need_csrf(conversation, agent):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.get(f"{API}/conversations/").status_code == 200
    response = client.post(
        f"{API}/conversations/{conversation.pk}/messages/",
        {"client_id": "x", "body": "hi"},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "CSRF" in response.json()["detail"]
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
            # Pairs opened in the same microsecond: the id breaks the tie.
            created_at=now - datetime.timedelta(minutes=i // 2),
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
    return len(queries), response.json()


def test_list_queries_do_not_grow_with_rows_or_pages(api):
    _seed_conversations(0, 50)
    api.get(f"{API}/conversations/")  # the agent's permissions, cached
    small, _page = _query_count(api, f"{API}/conversations/?page_size=5")
    _seed_conversations(50, 450)
    first, page = _query_count(api, f"{API}/conversations/?page_size=5")
    for _ in range(40):
        page = api.get(page["next"]).json()
    later, _page = _query_count(api, page["next"])
    assert small == first == later


def test_pages_follow_the_whole_ordered_list_and_survive_inserts(api):
    _seed_conversations(0, 120)
    expected = [
        presentation.conversation_summary(c, c.preview or "", tags=[])
        for c in services.conversations_with_preview()
        .filter(status="closed")
        .order_by("-created_at", "-pk")
    ]
    pages = []
    url = f"{API}/conversations/?status=closed&page_size=7"
    while url:
        data = api.get(url).json()
        pages += data["results"]
        url = data["next"]
        if len(pages) == 14:
            # Newer chats arriving meanwhile do not shift the next pages.
            last = Conversation.objects.order_by("-pk").first().pk
            _seed_conversations(1000, 10)
            Conversation.objects.filter(pk__gt=last).update(
                created_at=timezone.now() + datetime.timedelta(hours=1)
            )
    assert pages == expected
    assert len(pages) == 60
    assert pages[0]["preview"].startswith("Order ")
    names = {p["agent"]["name"].split()[0].rstrip("0123456789") for p in pages}
    assert names == {"Agent", "Support"}
    for cursor in ("nope", "W10", "x" * 300):
        response = api.get(f"{API}/conversations/", {"cursor": cursor})
        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["cursor"]
    assert api.get(f"{API}/conversations/?page_size=0").status_code == 400


def test_list_searches_with_q(api, conversation):
    other = Visitor.objects.create(key=uuid.uuid4(), name="Li", locale="zh-Hans")
    services.post_visitor_message(other, "我想买鞋子", "c2")
    url = f"{API}/conversations/"

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


def test_schema_and_docs_are_served_without_signing_in(client):
    schema = client.get(f"{API}/schema/?format=json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "livechat API"
    docs = client.get(f"{API}/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert f'data-schema-url="{API}/schema/?format=json"' in page
    assert "<script>" not in page and "<style" not in page
    policy = docs["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy


def test_the_docs_say_what_is_missing_without_the_sidecar_app(client, settings):
    settings.INSTALLED_APPS = [
        app for app in settings.INSTALLED_APPS if app != "drf_spectacular_sidecar"
    ]
    page = client.get(f"{API}/docs/").content.decode()
    assert "swagger-ui-bundle.js" not in page
    assert "drf_spectacular_sidecar" in page and f"{API}/schema/" in page
