"""The Visitor admin's export and erase, and who may use them."""

import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from livechat import services
from livechat.models import Attachment, Conversation, InternalNote, Message, Visitor

from .conftest import new_token, pdf_attachment

CHANGELIST = "admin:livechat_visitor_changelist"


def _data_protection_officer():
    """Staff who may see and erase visitors and their conversations."""
    return _staff(
        "dpo",
        "view_visitor",
        "delete_visitor",
        "view_conversation",
        "delete_conversation",
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _staff(username, *codenames):
    user = User.objects.create_user(username, f"{username}@example.com", "pw")
    user.is_staff = True
    user.save()
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=codenames, content_type__app_label="livechat"
        )
    )
    return user


@pytest.fixture
def shopper(media, settings):
    """Ann: one closed chat with a file and a note, one chat still waiting."""
    settings.LIVECHAT_REOPEN_WINDOW = 0  # her second chat is a chat of its own
    agent = _staff("alice", "reply_conversation")
    ann = Visitor.objects.create(key=uuid.uuid4(), name="Ann", email="ann@example.com")
    message, _ = services.post_visitor_message(ann, "Here is my receipt", "c1")
    closed = message.conversation
    services.post_agent_message(closed, agent, "Thanks, Ann", "a1")
    InternalNote.objects.create(conversation=closed, author=agent, body="VIP")
    pdf_attachment(closed)
    services.close_conversation(closed)
    services.post_visitor_message(ann, "One more question", "c2")
    return ann


@pytest.fixture
def bystander():
    bob = Visitor.objects.create(key=uuid.uuid4(), name="Bob", email="bob@example.com")
    services.post_visitor_message(bob, "not Ann's", "b1")
    return bob


def _action(client, action, *visitors, **extra):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, ACTION_CHECKBOX_NAME: [v.pk for v in visitors], **extra},
    )


# Export -----------------------------------------------------------------------


@pytest.mark.django_db
def test_export_action_downloads_the_selected_visitors_data(client, shopper, bystander):
    client.force_login(_staff("dpo", "view_visitor", "view_conversation"))
    response = _action(client, "export_selected", shopper)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response.streaming
    data = json.loads(b"".join(response.streaming_content))
    assert [v["email"] for v in data["visitors"]] == ["ann@example.com"]
    bodies = [
        m["body"]
        for conversation in data["visitors"][0]["conversations"]
        for m in conversation["messages"]
    ]
    assert "Here is my receipt" in bodies and "One more question" in bodies
    assert "not Ann's" not in bodies
    files = [
        attachment["name"]
        for conversation in data["visitors"][0]["conversations"]
        for attachment in conversation["attachments"]
    ]
    assert files == ["receipt.pdf"]


@pytest.mark.django_db(transaction=True)
async def test_export_under_asgi_is_streamed_as_it_is_read(async_client, media):
    """Served by an ASGI server, the export is an asynchronous iterator:
    Django streams it instead of reading it whole first."""

    def setup():
        ann = Visitor.objects.create(
            key=uuid.uuid4(), name="Ann", email="ann@example.com"
        )
        for number in range(3):
            message, _ = services.post_visitor_message(
                ann, f"Question {number}", f"c{number}"
            )
            services.close_conversation(message.conversation)
        return ann, _staff("dpo", "view_visitor", "view_conversation")

    ann, dpo = await database_sync_to_async(setup)()
    # AsyncClient.aforce_login is Django 5.0's.
    await database_sync_to_async(async_client.force_login)(dpo)
    response = await async_client.post(
        reverse(CHANGELIST),
        {"action": "export_selected", ACTION_CHECKBOX_NAME: [ann.pk]},
    )
    assert response.status_code == 200 and response.is_async
    body = b"".join([chunk async for chunk in response.streaming_content])
    data = json.loads(body)
    bodies = [
        m["body"]
        for conversation in data["visitors"][0]["conversations"]
        for m in conversation["messages"]
        if m["sender"] == "visitor"
    ]
    assert bodies == ["Question 0", "Question 1", "Question 2"]


@pytest.mark.django_db
def test_export_is_listed_only_for_those_who_may_see_the_conversations(client, shopper):
    client.force_login(_staff("clerk", "view_visitor"))
    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200
    assert b"export_selected" not in page.content
    response = _action(client, "export_selected", shopper)
    # The action is not run: the list page again, no download.
    assert response["Content-Type"].startswith("text/html")
    assert not response.has_header("Content-Disposition")


# Erase ------------------------------------------------------------------------


@pytest.mark.django_db
def test_erase_confirmation_shows_what_will_be_erased(client, shopper, bystander):
    client.force_login(_data_protection_officer())
    page = _action(client, "erase_selected", shopper)
    assert page.status_code == 200
    text = page.content.decode()
    assert "ann@example.com" in text and "bob@example.com" not in text
    for count in (
        "2 conversations",
        "1 of them is still open",
        "4 messages",
        "1 internal note",
        "1 attachment",
    ):
        assert count in text, count
    assert Visitor.objects.filter(pk=shopper.pk).exists()

    response = _action(client, "erase_selected", shopper, post="yes")
    assert response.status_code == 302
    assert not Visitor.objects.filter(pk=shopper.pk).exists()
    assert not Message.objects.filter(conversation__visitor=shopper.pk).exists()
    assert not Attachment.objects.exists()
    assert Visitor.objects.filter(pk=bystander.pk).exists()
    assert Conversation.objects.get(visitor=bystander).is_open


@pytest.mark.django_db
def test_delete_button_of_a_visitor_shows_the_same_counts(client, shopper):
    client.force_login(_data_protection_officer())
    url = reverse("admin:livechat_visitor_delete", args=[shopper.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "2 conversations" in page.content.decode()
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Visitor.objects.filter(pk=shopper.pk).exists()
    assert not Conversation.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "codenames",
    [
        ("view_visitor",),
        # Erasing removes the conversations too: deleting visitors is not enough.
        ("view_visitor", "delete_visitor"),
    ],
)
def test_erase_needs_delete_permission_on_visitors_and_conversations(
    client, shopper, codenames
):
    client.force_login(_staff("clerk", *codenames))
    assert b"erase_selected" not in client.get(reverse(CHANGELIST)).content
    _action(client, "erase_selected", shopper, post="yes")
    url = reverse("admin:livechat_visitor_delete", args=[shopper.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Visitor.objects.filter(pk=shopper.pk).exists()
    assert Message.objects.filter(conversation__visitor=shopper).count() == 4


@pytest.mark.django_db
def test_django_delete_selected_is_replaced_by_erase(client, shopper):
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw"))
    content = client.get(reverse(CHANGELIST)).content
    assert b"erase_selected" in content and b"delete_selected" not in content


async def _open_chat_watched_by_a_console(visitor_client, agent_client, agent):
    """A shopper's chat open in an agent's console: (shopper, console, id)."""
    shopper = await visitor_client(token=new_token()[1])
    await shopper.expect("welcome")
    await shopper.send(type="message", client_id="c1", body="my address is secret")
    conversation_id = (await shopper.expect("ack"))["conversation"]
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="open", conversation=conversation_id)
    await console.expect("opened")
    return shopper, console, conversation_id


async def _superuser_logged_in(client):
    boss = await database_sync_to_async(User.objects.create_superuser)(
        "boss", "boss@example.com", "pw"
    )
    await sync_to_async(client.force_login)(boss)


@pytest.mark.django_db(transaction=True)
async def test_erase_from_the_admin_closes_the_open_chat_in_every_console(
    visitor_client, agent_client, agent, client
):
    shopper, console, conversation_id = await _open_chat_watched_by_a_console(
        visitor_client, agent_client, agent
    )
    visitor = await database_sync_to_async(Visitor.objects.get)()
    await _superuser_logged_in(client)
    response = await sync_to_async(_action)(
        client, "erase_selected", visitor, post="yes"
    )
    assert response.status_code == 302

    assert (await console.expect_state("closed"))["id"] == conversation_id
    assert (await shopper.expect_state("closed"))["id"] == conversation_id
    assert not await database_sync_to_async(Conversation.objects.exists)()
    assert not await database_sync_to_async(Visitor.objects.exists)()


@pytest.mark.django_db(transaction=True)
async def test_deleting_an_open_conversation_in_the_admin_closes_it_first(
    visitor_client, agent_client, agent, client
):
    shopper, console, conversation_id = await _open_chat_watched_by_a_console(
        visitor_client, agent_client, agent
    )
    await _superuser_logged_in(client)
    url = reverse("admin:livechat_conversation_delete", args=[conversation_id])
    response = await sync_to_async(client.post)(url, {"post": "yes"})
    assert response.status_code == 302

    assert (await console.expect_state("closed"))["id"] == conversation_id
    assert (await shopper.expect_state("closed"))["id"] == conversation_id
    assert not await database_sync_to_async(Conversation.objects.exists)()
