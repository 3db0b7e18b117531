"""The admin: record pages, the close action and the live console page."""

import html
import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import path, reverse

from livechat import services
from livechat.models import AgentProfile, Conversation, Message, Visitor, WidgetProfile

pytestmark = pytest.mark.django_db

CONSOLE_URL = "/admin/livechat/liveconsole/"
# The %(name)s placeholders console/*.js fill in the console's strings.
PLACEHOLDERS = {
    "time",
    "count",
    "name",
    "page",
    "error",
    "limit",
    "message",
    "comment",
    "size",
    "status",
    "n",
    "open",
    "max",
    "to",
    "from",
    "note",
    "tag",  # console/chat-actions.js
    "title",  # console/canned-editor.js
}


def _console_strings(content):
    """The strings console/strings.js reads from the page's template, by key."""
    template = re.search(
        r'<template id="livechat-console-strings">(.*?)</template>', content, re.S
    )
    assert template, "no strings template in the page"
    return {
        key: html.unescape(text)
        for key, text in re.findall(
            r'<span data-string="([\w]+)">(.*?)</span>', template.group(1), re.S
        )
    }


@pytest.fixture
def superuser():
    return User.objects.create_superuser("boss", "boss@example.com", "pw")


@pytest.fixture
def agent():
    user = User.objects.create_user(
        "alice", "alice@example.com", "pw", is_staff=True, first_name="Alice"
    )
    user.user_permissions.add(
        Permission.objects.get(
            codename="reply_conversation", content_type__app_label="livechat"
        )
    )
    AgentProfile.objects.create(user=user, display_name="Alice from Support")
    return user


@pytest.fixture
def staff():
    """Staff, but not an agent: no livechat.reply_conversation."""
    return User.objects.create_user("bob", "bob@example.com", "pw", is_staff=True)


@pytest.fixture
def conversation(agent):
    visitor = Visitor.objects.create(
        name="Ann Shopper",
        email="ann@example.com",
        locale="en",
        current_page="https://shop.example/checkout/",
    )
    message, _ = services.post_visitor_message(
        visitor, "<script>alert('x')</script> where is my order?", "c-1"
    )
    services.post_agent_message(
        message.conversation, agent, "Let me check & see.", "a-1"
    )
    return Conversation.objects.get(pk=message.conversation_id)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.mark.parametrize(
    "model", ["visitor", "conversation", "message", "agentprofile"]
)
def test_changelist_loads(admin_client, conversation, model):
    response = admin_client.get(reverse(f"admin:livechat_{model}_changelist"))
    assert response.status_code == 200


def test_change_pages_load(admin_client, conversation, agent):
    objects = {
        "visitor": conversation.visitor,
        "conversation": conversation,
        "message": conversation.messages.first(),
        "agentprofile": agent.livechat_profile,
    }
    for model, obj in objects.items():
        response = admin_client.get(
            reverse(f"admin:livechat_{model}_change", args=[obj.pk])
        )
        assert response.status_code == 200, model


def test_conversation_search_by_visitor_and_message_body(admin_client, conversation):
    other = Visitor.objects.create(name="Zed", email="zed@example.com")
    services.post_visitor_message(other, "a question about socks", "c-zed")
    url = reverse("admin:livechat_conversation_changelist")

    response = admin_client.get(url, {"q": "ann@example"})
    assert list(response.context["cl"].queryset) == [conversation]

    # Two messages of the same conversation match: it is listed once.
    response = admin_client.get(url, {"q": "order"})
    assert list(response.context["cl"].queryset) == [conversation]

    response = admin_client.get(url, {"q": "socks"})
    assert [c.visitor for c in response.context["cl"].queryset] == [other]


def test_conversation_search_with_a_non_numeric_term_on_id(admin_client, conversation):
    url = reverse("admin:livechat_conversation_changelist")
    response = admin_client.get(url, {"q": str(conversation.pk)})
    assert list(response.context["cl"].queryset) == [conversation]
    response = admin_client.get(url, {"q": "Ann Shopper"})
    assert response.status_code == 200


def test_visitor_and_message_search(admin_client, conversation):
    response = admin_client.get(
        reverse("admin:livechat_visitor_changelist"), {"q": "Ann"}
    )
    assert list(response.context["cl"].queryset) == [conversation.visitor]
    response = admin_client.get(
        reverse("admin:livechat_message_changelist"), {"q": "check"}
    )
    assert [m.body for m in response.context["cl"].queryset] == ["Let me check & see."]


def test_searches_read_the_search_service_without_distinct(admin_client, conversation):
    other = Visitor.objects.create(name="Li", email="li@example.cn", locale="zh")
    services.post_visitor_message(other, "我想买鞋子", "c-li")
    services.post_visitor_message(other, "鞋子多少钱", "c-li-2")
    url = reverse("admin:livechat_conversation_changelist")
    response = admin_client.get(url, {"q": "鞋"})
    changelist = response.context["cl"]
    assert [c.visitor for c in changelist.queryset] == [other]
    assert not changelist.queryset.query.distinct
    response = admin_client.get(url, {"q": "LI@EXAMPLE.CN"})
    assert [c.visitor for c in response.context["cl"].queryset] == [other]
    response = admin_client.get(url, {"q": f"#{conversation.pk}"})
    assert list(response.context["cl"].queryset) == [conversation]
    response = admin_client.get(
        reverse("admin:livechat_message_changelist"), {"q": "鞋子"}
    )
    bodies = {m.body for m in response.context["cl"].queryset}
    assert bodies == {"我想买鞋子", "鞋子多少钱"}
    response = admin_client.get(
        reverse("admin:livechat_visitor_changelist"), {"q": "li@example.cn"}
    )
    assert list(response.context["cl"].queryset) == [other]


def test_transcript_is_shown_escaped(admin_client, conversation):
    response = admin_client.get(
        reverse("admin:livechat_conversation_change", args=[conversation.pk])
    )
    content = response.content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; where is my order?" in (
        content
    )
    assert "<script>alert(" not in content
    assert "Let me check &amp; see." in content
    assert "Alice from Support (alice)" in content
    assert 'class="livechat-transcript"' in content


def test_conversation_form_cannot_change_status(admin_client, conversation):
    url = reverse("admin:livechat_conversation_change", args=[conversation.pk])
    response = admin_client.post(
        url, {"topic": "orders", "status": "closed", "assigned_agent": ""}
    )
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.topic == "orders"
    assert conversation.status == Conversation.Status.ACTIVE
    assert conversation.assigned_agent is not None


def test_conversations_cannot_be_added(admin_client):
    response = admin_client.get(reverse("admin:livechat_conversation_add"))
    assert response.status_code == 403


def test_close_action_goes_through_services(admin_client, conversation):
    before = conversation.last_seq
    response = admin_client.post(
        reverse("admin:livechat_conversation_changelist"),
        {"action": "close_selected", "_selected_action": [conversation.pk]},
        follow=True,
    )
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.CLOSED
    assert conversation.closed_at is not None
    assert conversation.last_seq == before + 1
    last = conversation.messages.get(seq=conversation.last_seq)
    assert last.sender_kind == Message.Sender.SYSTEM
    assert "Closed 1 conversation." in response.content.decode()


def test_close_action_skips_closed_conversations(admin_client, conversation):
    services.close_conversation(conversation)
    conversation.refresh_from_db()
    before = conversation.last_seq
    admin_client.post(
        reverse("admin:livechat_conversation_changelist"),
        {"action": "close_selected", "_selected_action": [conversation.pk]},
    )
    conversation.refresh_from_db()
    assert conversation.last_seq == before


def test_messages_are_not_addable_or_changeable(admin_client, conversation):
    message = conversation.messages.first()
    response = admin_client.get(reverse("admin:livechat_message_add"))
    assert response.status_code == 403
    url = reverse("admin:livechat_message_change", args=[message.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert b'name="body"' not in response.content
    response = admin_client.post(url, {"body": "rewritten"})
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.body.startswith("<script>")


def test_only_superusers_delete_messages(client, conversation, staff):
    message = conversation.messages.first()
    staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_message", "delete_message"],
            content_type__app_label="livechat",
        )
    )
    client.force_login(staff)
    url = reverse("admin:livechat_message_delete", args=[message.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Message.objects.filter(pk=message.pk).exists()


def test_superuser_may_delete_messages(admin_client, conversation):
    message = conversation.messages.first()
    url = reverse("admin:livechat_message_delete", args=[message.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Message.objects.filter(pk=message.pk).exists()


# The live console ------------------------------------------------------------


def test_console_url():
    assert reverse("admin:livechat_console") == CONSOLE_URL
    assert reverse("admin:livechat_liveconsole_changelist") == CONSOLE_URL


def test_console_page_for_an_agent(client, agent):
    client.force_login(agent)
    response = client.get(CONSOLE_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="livechat-console"' in content
    assert 'data-websocket-path="/ws/livechat/agent/"' in content
    assert f'data-agent-id="{agent.pk}"' in content
    assert 'data-agent-name="Alice from Support"' in content
    assert 'data-max-message-length="4000"' in content
    # Where a console whose session ended offers to log in, and come back.
    login = reverse("admin:login") + "?next=%2Fadmin%2Flivechat%2Fliveconsole%2F"
    assert f'data-login-url="{login}"' in content
    assert '<template id="livechat-console-strings">' in content
    assert '<script type="module" src="/static/livechat/console/main.js">' in content
    for part in ("layout", "inbox", "panel", "transcript", "composer", "dialogs"):
        assert f"livechat/console/{part}.css" in content
    assert response.context["title"] == "Live console"
    assert "console_strings" not in response.context
    strings = _console_strings(content)
    assert strings["reply"] == "Reply"
    # Admin chrome: the agent sees the normal admin header and breadcrumbs.
    assert 'class="breadcrumbs"' in content


@override_settings(LIVECHAT_WEBSOCKET_PATH="/chat/ws", LIVECHAT_MAX_MESSAGE_LENGTH=500)
def test_console_follows_settings(client, agent):
    client.force_login(agent)
    content = client.get(CONSOLE_URL).content.decode()
    assert 'data-websocket-path="/chat/ws/agent/"' in content
    assert 'data-max-message-length="500"' in content


def test_console_escapes_the_agent_name(client, agent):
    agent.livechat_profile.display_name = '"><script>x</script>'
    agent.livechat_profile.save()
    client.force_login(agent)
    content = client.get(CONSOLE_URL).content.decode()
    assert "<script>x</script>" not in content


def test_console_forbidden_for_staff_without_permission(client, staff):
    client.force_login(staff)
    response = client.get(CONSOLE_URL)
    assert response.status_code == 403


def test_console_for_a_superuser_who_supervises_without_answering(client, superuser):
    client.force_login(superuser)
    assert client.get(CONSOLE_URL).status_code == 200
    index = client.get(reverse("admin:index")).content.decode()
    assert f'href="{CONSOLE_URL}"' in index


def test_console_redirects_anonymous_to_login(client):
    response = client.get(CONSOLE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_console_has_no_other_admin_views(client, agent, conversation):
    client.force_login(agent)
    assert client.get(CONSOLE_URL + "add/").status_code == 404
    assert client.get(f"{CONSOLE_URL}{conversation.pk}/change/").status_code == 404


def test_admin_index_links_the_console_for_agents(client, agent):
    client.force_login(agent)
    response = client.get(reverse("admin:index"))
    content = response.content.decode()
    assert response.status_code == 200
    assert f'href="{CONSOLE_URL}"' in content
    assert "Live console" in content
    assert "Live chat" in content


def test_admin_index_hides_the_console_from_non_agents(client, staff):
    client.force_login(staff)
    content = client.get(reverse("admin:index")).content.decode()
    assert CONSOLE_URL not in content


def test_conversation_changelist_links_the_console_for_agents(
    admin_client, conversation
):
    response = admin_client.get(reverse("admin:livechat_conversation_changelist"))
    assert f'href="{CONSOLE_URL}"' in response.content.decode()
    response = admin_client.get(
        reverse("admin:livechat_conversation_change", args=[conversation.pk])
    )
    assert f'href="{CONSOLE_URL}#conversation-{conversation.pk}"' in (
        response.content.decode()
    )


def test_console_links_records_only_for_who_may_view_them(client, agent, superuser):
    client.force_login(agent)
    response = client.get(CONSOLE_URL)
    assert response.context["conversation_admin_url"] == ""
    client.force_login(superuser)
    response = client.get(CONSOLE_URL)
    assert (
        response.context["conversation_admin_url"]
        == "/admin/livechat/conversation/{id}/change/"
    )


def test_console_passes_the_upload_url_and_csrf_token(client, agent):
    client.force_login(agent)
    response = client.get(CONSOLE_URL)
    content = response.content.decode()
    upload_url = reverse("livechat:attachment-upload")
    assert f'data-upload-url="{upload_url}"' in content
    token = response.context["upload_csrf_token"]
    assert token
    assert f'data-csrf-token="{token}"' in content
    assert 'data-max-upload-bytes="5242880"' in content
    # The token the page carries is one the upload's CSRF check accepts.
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.cookies = client.cookies
    refused = csrf_client.post(upload_url, {"client_id": "c-csrf"})
    assert refused.status_code == 403
    accepted = csrf_client.post(
        upload_url, {"client_id": "c-csrf"}, headers={"X-CSRFToken": token}
    )
    # Past the CSRF check: refused for the missing file, as JSON.
    assert accepted.status_code == 400
    assert accepted.json()["code"] == "bad_frame"


@override_settings(LIVECHAT_MAX_UPLOAD_BYTES=1024)
def test_console_follows_the_upload_limit(client, agent):
    client.force_login(agent)
    content = client.get(CONSOLE_URL).content.decode()
    assert 'data-max-upload-bytes="1024"' in content


class _AdminOnlyUrls:
    """A host that mounts the admin but not livechat.urls."""

    urlpatterns = [path("admin/", admin.site.urls)]


@override_settings(ROOT_URLCONF=_AdminOnlyUrls)
def test_console_without_livechat_urls_offers_no_upload(client, agent):
    client.force_login(agent)
    response = client.get(CONSOLE_URL)
    assert response.status_code == 200
    assert 'data-upload-url=""' in response.content.decode()


def test_console_presence_control(client, agent):
    client.force_login(agent)
    content = client.get(CONSOLE_URL).content.decode()
    assert "Your status" in content
    assert 'data-role="presence"' in content
    for value in ("online", "away", "offline"):
        assert f'name="livechat-presence" value="{value}"' in content
    assert 'value="online" checked' in content
    assert "Shoppers see “online” only while at least one agent is Online" in content


def test_console_presence_starts_from_the_stored_choice(client, agent):
    agent.livechat_profile.presence = AgentProfile.Presence.AWAY
    agent.livechat_profile.save()
    client.force_login(agent)
    content = client.get(CONSOLE_URL).content.decode()
    assert 'value="away" checked' in content
    assert 'value="online" checked' not in content


def test_console_strings_for_presence_files_offline_and_rating(client, agent):
    client.force_login(agent)
    content = client.get(CONSOLE_URL).content.decode()
    strings = _console_strings(content)
    assert 'data-part="attach">Attach a file</button>' in content
    assert strings["offline_message"] == "Offline message"
    # The panel's markup is a <template> in the page, translated there.
    assert '<template id="livechat-console-panel">' in content
    assert "They may have left — replies are also emailed to them." in content
    assert strings["rating_good"] == "Good"
    assert strings["rating_bad"] == "Bad"
    assert strings["phone"] == "Phone"
    assert strings["presence_is_away"] == "You are away."
    assert strings["upload_failed"] == "Not sent: %(error)s"
    assert '<span data-string="upload_failed">Not sent: %(error)s</span>' in content


@override_settings(LANGUAGE_CODE="es")
def test_console_strings_are_translated_with_their_placeholders(client, agent):
    client.force_login(agent)
    content = client.get(CONSOLE_URL, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    strings = _console_strings(content)
    assert strings["connecting"] != "Connecting…"
    # The placeholders survive translation for console/format.js to fill.
    assert "%(time)s" in strings["waited"]
    assert "%(from)s" in strings["transferred_to_you"]
    assert "%(name)s" in strings["transferred_to_you"]


def test_console_passes_the_store_name_for_canned_replies(client, agent):
    client.force_login(agent)
    with override_settings(LIVECHAT_WIDGET_TITLE="Corner & Co support"):
        cache.delete("livechat:widget-face")
        response = client.get(CONSOLE_URL)
    cache.delete("livechat:widget-face")
    assert response.context["store_name"] == "Corner & Co support"
    # Escaped in the attribute; console.js reads it back as text.
    assert 'data-store-name="Corner &amp; Co support"' in response.content.decode()


def test_console_store_name_follows_the_widget_profile(client, agent):
    WidgetProfile.objects.create(title="Tea Corner help")
    client.force_login(agent)
    response = client.get(CONSOLE_URL)
    assert 'data-store-name="Tea Corner help"' in response.content.decode()


def test_console_workspace_controls(client, agent):
    client.force_login(agent)
    content = client.get(CONSOLE_URL).content.decode()
    # Alerts: saved per agent through the socket, so disabled until welcome.
    assert 'data-role="pref-sound" checked disabled' in content
    assert 'data-role="pref-desktop" checked disabled' in content
    assert 'data-role="enable-notifications" hidden' in content
    # News arrives politely, and never takes the focus.
    assert 'data-role="notices" aria-live="polite"' in content
    assert 'role="status" aria-live="polite" data-role="announcer"' in content
    assert "New chats are assigned automatically." in content
    # The supervisors' board stays hidden until welcome says who is one.
    assert (
        'data-role="agents" aria-labelledby="livechat-agents-title" hidden' in content
    )
    # Native dialogs for transfers and closing.
    assert '<dialog class="livechat-dialog" data-role="transfer-dialog"' in content
    assert '<dialog class="livechat-dialog" data-role="close-dialog"' in content
    assert 'for="livechat-transfer-note"' in content
    assert '<option value="">No tag</option>' in content


def test_console_strings_for_the_agent_workspace(client, agent):
    client.force_login(agent)
    content = client.get(CONSOLE_URL).content.decode()
    strings = _console_strings(content)
    assert 'class="livechat-inbox__heading">Missed <span' in content
    assert 'class="livechat-inbox__heading">Mine <span' in content
    assert 'data-part="toggle">Other active chats <span' in content
    assert strings["waiting_long"] == "waiting long"
    assert "New chats are assigned automatically." in content
    assert 'aria-keyshortcuts="Alt+T" hidden>Transfer</button>' in content
    assert strings["transfer_load"] == "%(open)s/%(max)s chats"
    assert strings["transferred_to_you"] == (
        "%(from)s transferred a chat with %(name)s to you."
    )
    assert strings["note_label"] == "Internal note — only agents see this"
    assert strings["read_only"] == "Read-only: %(name)s is handling this chat."
    assert 'aria-label="Saved replies"' in content
    assert strings["pages_seen"] == "Pages seen"
    assert "hidden>Enable notifications</button>" in content
    assert 'id="livechat-agents-title">Agents</h2>' in content
    # Every placeholder a string uses is one console/*.js fills in.
    for key, value in strings.items():
        for name in re.findall(r"%\((\w+)\)s", value):
            assert name in PLACEHOLDERS, (key, name)
