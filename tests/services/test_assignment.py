"""Routing, transfers, notes, load, housekeeping (the agent workspace's core)."""

import uuid
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import Permission
from django.test import override_settings
from django.utils import timezone

from livechat import services
from livechat.adapter import get_adapter
from livechat.models import (
    AgentProfile,
    Conversation,
    Department,
    InternalNote,
    Message,
    Visitor,
)
from livechat.services import (
    ServiceError,
    assignment,
    housekeeping,
    presence,
    visit_history,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _chat(body="Hi", topic=""):
    visitor = Visitor.objects.create(key=uuid.uuid4())
    message, _ = services.post_visitor_message(visitor, body, uuid.uuid4().hex, topic)
    return Conversation.objects.get(pk=message.conversation_id)


@pytest.fixture
def online(make_agent):
    def make(username, max_chats=None):
        agent = make_agent(username, first_name=username.title())
        presence.agent_connected(agent, f"console-{agent.pk}")
        if max_chats:
            AgentProfile.objects.filter(user=agent).update(
                max_concurrent_chats=max_chats
            )
        return agent

    return make


@override_settings(LIVECHAT_ROUTING="auto")
def test_auto_routing_picks_the_least_busy_and_respects_the_limit(online):
    ann = online("ann", max_chats=2)
    bob = online("bob", max_chats=1)
    chats = [_chat(f"q{i}") for i in range(4)]
    owners = [Conversation.objects.get(pk=c.pk).assigned_agent_id for c in chats]
    assert sorted(filter(None, owners[:3])) == sorted([ann.pk, ann.pk, bob.pk])
    # Everyone is full: the fourth shopper queues.
    last = Conversation.objects.get(pk=chats[3].pk)
    assert last.assigned_agent_id is None and last.status == "waiting"
    # A chat closing frees a slot and the queue moves.
    services.close_conversation(Conversation.objects.get(pk=chats[0].pk))
    assert Conversation.objects.get(pk=chats[3].pk).assigned_agent_id is not None


@override_settings(LIVECHAT_ROUTING="auto")
def test_routing_follows_the_department_of_the_topic(online):
    ann, bob = online("ann"), online("bob")
    orders = Department.objects.create(name="Order help", topics="order")
    orders.agents.add(bob)
    chat = _chat("Where is my parcel?", topic="order")
    assert chat.department == orders
    assert Conversation.objects.get(pk=chat.pk).assigned_agent == bob
    other = _chat("Do you have this in blue?", topic="pre-sales")
    assert Conversation.objects.get(pk=other.pk).assigned_agent == ann


@override_settings(LIVECHAT_ROUTING="auto")
def test_nobody_online_means_the_chat_waits(make_agent):
    make_agent("ann")  # an agent, but with no console open
    chat = _chat()
    assert Conversation.objects.get(pk=chat.pk).assigned_agent_id is None


@override_settings(LIVECHAT_ROUTING="auto", LIVECHAT_AGENT_IDLE_AWAY_SECONDS=60)
def test_idle_agent_counts_as_away(online):
    ann = online("ann")
    AgentProfile.objects.filter(user=ann).update(
        last_active_at=timezone.now() - timedelta(minutes=5)
    )
    chat = _chat()
    assert Conversation.objects.get(pk=chat.pk).assigned_agent_id is None
    presence.agent_heartbeat(ann, f"console-{ann.pk}", active=True)
    assert Conversation.objects.get(pk=chat.pk).assigned_agent == ann


def test_claim_mode_leaves_chats_for_agents_to_take(online):
    online("ann")
    chat = _chat()
    assert Conversation.objects.get(pk=chat.pk).assigned_agent_id is None


def test_transfer_to_an_agent_tells_the_shopper_and_keeps_the_note(online):
    ann, bob = online("ann"), online("bob")
    chat = _chat("My parcel is late")
    services.claim_conversation(chat, ann)
    assignment.transfer_conversation(chat, ann, to_agent=bob, note="VIP, order 42")
    chat.refresh_from_db()
    assert chat.assigned_agent == bob and chat.status == "active"
    line = chat.messages.filter(sender_kind="system").last().body
    assert "Bob" in line and "no need to repeat" in line
    note = InternalNote.objects.get(conversation=chat)
    assert "VIP, order 42" in note.body and note.author == ann
    assert not Message.objects.filter(body__contains="VIP").exists()


def test_transfer_rules(online, make_agent):
    ann, bob = online("ann"), online("bob")
    carl = make_agent("carl")  # not connected
    chat = _chat()
    services.claim_conversation(chat, ann)
    with pytest.raises(ServiceError) as refused:
        assignment.transfer_conversation(chat, bob, to_agent=ann)
    assert refused.value.code == "forbidden"
    with pytest.raises(ServiceError) as refused:
        assignment.transfer_conversation(chat, ann, to_agent=carl)
    assert refused.value.code == "agent_unavailable"
    AgentProfile.objects.filter(user=bob).update(max_concurrent_chats=1)
    services.claim_conversation(_chat(), bob)
    with pytest.raises(ServiceError) as refused:
        assignment.transfer_conversation(chat, ann, to_agent=bob)
    assert refused.value.code == "agent_full"


def test_transfer_to_a_department_requeues_there(online):
    ann = online("ann")
    returns = Department.objects.create(name="Returns")
    chat = _chat()
    services.claim_conversation(chat, ann)
    assignment.transfer_conversation(chat, ann, to_department=returns, note="refund")
    chat.refresh_from_db()
    assert chat.status == "waiting" and chat.assigned_agent is None
    assert chat.department == returns
    assert "Returns" in chat.messages.last().body


def test_notes_are_idempotent_and_never_take_a_sequence_number(online):
    ann = online("ann")
    chat = _chat()
    first, created = assignment.add_note(chat, ann, "Check stock", "n1")
    again, created_again = assignment.add_note(chat, ann, "Check stock", "n1")
    assert created and not created_again and first.pk == again.pk
    chat.refresh_from_db()
    assert chat.last_seq == 1


def test_agents_board_shows_presence_and_load(online, make_agent):
    ann = online("ann")
    make_agent("bob")
    services.claim_conversation(_chat(), ann)
    AgentProfile.objects.get_or_create(user=make_agent("carl", first_name="Carl"))
    board = {row["name"]: row for row in assignment.agents_board()}
    assert board["Ann"]["present"] and board["Ann"]["open_chats"] == 1
    assert board["Carl"]["present"] is False and board["Carl"]["open_chats"] == 0


def test_agents_board_costs_the_same_queries_for_any_number_of_agents(
    make_agent, django_user_model
):
    from django.contrib.auth.models import Group, Permission
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            board = assignment.agents_board()
        return len(captured), {row["id"] for row in board}

    for name in ("ann", "bob"):
        AgentProfile.objects.get_or_create(user=make_agent(name))
    few, _ = queries()
    # Permission through a group, none at all, superusers with and without it
    # granted, an inactive agent.
    team = Group.objects.create(name="Support team")
    team.permissions.add(Permission.objects.get(codename="reply_conversation"))
    grouped = django_user_model.objects.create_user("dee", is_staff=True)
    grouped.groups.add(team)
    plain = django_user_model.objects.create_user("eve", is_staff=True)
    boss = django_user_model.objects.create_superuser("fay", "fay@example.com", "pw")
    answering_boss = django_user_model.objects.create_superuser("hal", "h@x.com", "pw")
    answering_boss.groups.add(team)
    gone = make_agent("gil")
    gone.is_active = False
    gone.save()
    for user in (
        grouped,
        plain,
        boss,
        answering_boss,
        gone,
        *(make_agent(f"a{n}") for n in range(6)),
    ):
        AgentProfile.objects.get_or_create(user=user)
    many, board = queries()
    assert many == few
    assert {grouped.pk, answering_boss.pk} <= board and len(board) == 2 + 2 + 6
    assert not {plain.pk, boss.pk, gone.pk} & board


@override_settings(
    LIVECHAT_MISSED_AFTER_SECONDS=60, LIVECHAT_AUTO_CLOSE_AFTER_SECONDS=600
)
def test_housekeeping_marks_missed_and_closes_inactive():
    chat = _chat()
    later = timezone.now() + timedelta(seconds=90)
    assert housekeeping.run(later) == {"missed": 1, "closed": 0, "followups": 0}
    chat.refresh_from_db()
    assert chat.status == "missed" and chat.is_open
    # The shopper is still there: their next message stays in the same chat.
    message, _ = services.post_visitor_message(chat.visitor, "Hello?", "again")
    assert message.conversation_id == chat.pk
    much_later = timezone.now() + timedelta(seconds=700)
    assert housekeeping.run(much_later)["closed"] == 1
    chat.refresh_from_db()
    assert chat.status == "closed" and chat.close_tag == "inactive"


def test_agent_reply_turns_a_missed_chat_active(online):
    ann = online("ann")
    chat = _chat()
    Conversation.objects.filter(pk=chat.pk).update(status="missed")
    services.post_agent_message(chat, ann, "Sorry for the wait!", "a1")
    chat.refresh_from_db()
    assert chat.status == "active" and chat.assigned_agent == ann


def test_close_with_a_tag():
    chat = _chat()
    services.close_conversation(chat, tag="return")
    chat.refresh_from_db()
    assert chat.close_tag == "return"


async def test_a_close_tells_every_console_the_chats_last_words(
    agent_client, make_agent
):
    """A console not following another agent's chat got none of its messages:
    the close's summary brings its last preview for "Recently closed"."""
    ann = await database_sync_to_async(make_agent)("ann")
    bob = await database_sync_to_async(make_agent)("bob")
    console = await agent_client(bob)
    await console.expect("welcome")
    chat = await database_sync_to_async(_chat)("Is it in stock?")
    await database_sync_to_async(services.claim_conversation)(chat, ann)
    await database_sync_to_async(services.post_agent_message)(
        chat, ann, "Yes, plenty of it.", "a1"
    )
    await database_sync_to_async(services.close_conversation)(chat, ann)
    closed = await console.expect_state("closed")
    assert closed["id"] == chat.pk
    assert closed["preview"] == "Yes, plenty of it."


@pytest.mark.parametrize(
    "user_agent, browser, system, mobile",
    [
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like"
            " Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome 131",
            "Android",
            True,
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) "
            "AppleWebKit/605.1.15"
            " (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
            "Safari 18",
            "iPhone",
            True,
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101"
            " Firefox/133.0",
            "Firefox 133",
            "Windows",
            False,
        ),
        ("", "", "", False),
    ],
)
def test_user_agent_is_described(user_agent, browser, system, mobile):
    assert visit_history.describe_user_agent(user_agent) == {
        "browser": browser,
        "system": system,
        "mobile": mobile,
    }


def test_visit_context_lists_pages_and_past_chats():
    chat = _chat()
    services.close_conversation(chat, tag="order")
    session = {}
    visit_history.record_page(session, "/")
    visit_history.record_page(session, "/checkout/")
    visit_history.record_page(session, "/checkout/")
    context = visit_history.visit_context(chat.visitor, session)
    assert [p["path"] for p in context["pages"]] == ["/", "/checkout/"]
    assert context["past_conversations"][0]["tag"] == "order"


# Who is an agent --------------------------------------------------------------------


@pytest.fixture
def superuser(django_user_model):
    def make(username, granted=False):
        user = django_user_model.objects.create_superuser(
            username, f"{username}@example.com", "pw"
        )
        if granted:
            user.user_permissions.add(
                Permission.objects.get(codename="reply_conversation")
            )
        return django_user_model.objects.get(pk=user.pk)

    return make


def test_a_superuser_is_a_supervisor_but_no_agent_without_the_permission(superuser):
    adapter = get_adapter()
    boss = superuser("boss")
    assert adapter.is_supervisor(boss) and not adapter.is_agent(boss)
    answering_boss = superuser("ann", granted=True)
    assert adapter.is_supervisor(answering_boss) and adapter.is_agent(answering_boss)


@override_settings(LIVECHAT_ROUTING="auto")
def test_a_superuser_at_the_console_is_neither_routed_nor_offered(online, superuser):
    boss = superuser("boss")
    presence.agent_connected(boss, "console-boss")
    chat = _chat()
    assert Conversation.objects.get(pk=chat.pk).assigned_agent_id is None
    assert boss.pk not in {row["id"] for row in assignment.agents_board()}
    with pytest.raises(ServiceError) as refused:
        services.claim_conversation(chat, boss)
    assert refused.value.code == "forbidden"
    ann = online("ann")
    chat.refresh_from_db()
    assert chat.assigned_agent == ann
    with pytest.raises(ServiceError) as refused:
        assignment.transfer_conversation(chat, ann, to_agent=boss)
    assert refused.value.code == "agent_unavailable"
    # Granted the permission explicitly, a superuser answers like anyone.
    boss.user_permissions.add(Permission.objects.get(codename="reply_conversation"))
    boss = type(boss).objects.get(pk=boss.pk)
    assert boss.pk in {row["id"] for row in assignment.agents_board()}
    next_chat = _chat()
    assert Conversation.objects.get(pk=next_chat.pk).assigned_agent == boss


# Each agent's limit ----------------------------------------------------------------


def test_a_claim_past_the_limit_is_refused_unless_overridden(online):
    ann = online("ann", max_chats=1)
    services.claim_conversation(_chat(), ann)
    second = _chat()
    with pytest.raises(ServiceError) as refused:
        services.claim_conversation(second, ann)
    assert refused.value.code == "agent_full"
    assert refused.value.message == "You already have 1 of 1 chats."
    assert Conversation.objects.get(pk=second.pk).assigned_agent_id is None
    services.claim_conversation(second, ann, override=True)
    assert Conversation.objects.get(pk=second.pk).assigned_agent == ann
    row = next(r for r in assignment.agents_board() if r["id"] == ann.pk)
    assert (row["open_chats"], row["max_chats"]) == (2, 1)


def test_a_reply_that_would_take_a_chat_past_the_limit_is_refused(online):
    ann = online("ann", max_chats=1)
    services.claim_conversation(_chat(), ann)
    second = _chat()
    with pytest.raises(ServiceError) as refused:
        services.post_agent_message(second, ann, "Hello!", "r1")
    assert refused.value.code == "agent_full"
    second.refresh_from_db()
    assert second.assigned_agent_id is None
    assert not second.messages.filter(sender_kind="agent").exists()
    services.claim_conversation(second, ann, override=True)
    services.post_agent_message(second, ann, "Hello!", "r1")  # hers now


def test_a_transfer_to_a_full_agent_is_refused(online):
    ann, bob = online("ann"), online("bob", max_chats=1)
    services.claim_conversation(_chat(), bob)
    chat = _chat()
    services.claim_conversation(chat, ann)
    with pytest.raises(ServiceError) as refused:
        assignment.transfer_conversation(chat, ann, to_agent=bob)
    assert refused.value.code == "agent_full"
    assert Conversation.objects.get(pk=chat.pk).assigned_agent == ann


@override_settings(LIVECHAT_ROUTING="auto")
def test_auto_routing_gives_nothing_more_to_an_agent_over_the_limit(online):
    ann = online("ann", max_chats=1)
    routed, waiting = _chat("first"), _chat("second")
    assert Conversation.objects.get(pk=routed.pk).assigned_agent == ann
    with pytest.raises(ServiceError) as refused:
        services.claim_conversation(waiting, ann)
    assert refused.value.code == "agent_full"
    services.claim_conversation(waiting, ann, override=True)
    third = _chat("third")
    services.close_conversation(routed)  # 1 of 1 now: still no room
    assert Conversation.objects.get(pk=third.pk).assigned_agent_id is None


# Who reads a chat for the store ------------------------------------------------------


def test_only_the_assigned_agents_reading_counts(online, superuser):
    ann, bob, boss = online("ann"), online("bob"), superuser("boss")
    chat = _chat("Hello?")
    # Nobody has taken it: looking at it reads nothing for the shopper.
    assert not services.mark_read(chat, "agent", chat.last_seq, user=bob)
    services.claim_conversation(chat, ann)
    chat = Conversation.objects.get(pk=chat.pk)
    read_before = chat.agent_read_seq
    services.post_visitor_message(chat.visitor, "Still there?", "v2")
    chat = Conversation.objects.get(pk=chat.pk)
    for watcher in (bob, boss):
        assert not services.mark_read(chat, "agent", chat.last_seq, user=watcher)
    assert Conversation.objects.get(pk=chat.pk).agent_read_seq == read_before
    assert Message.objects.filter(body="Still there?", read_at__isnull=True).exists()
    assert services.mark_read(chat, "agent", chat.last_seq, user=ann)
    assert Conversation.objects.get(pk=chat.pk).agent_read_seq == chat.last_seq
    assert not Message.objects.filter(body="Still there?", read_at=None).exists()
