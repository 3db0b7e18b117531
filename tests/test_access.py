"""livechat.access: the one rule for who acts on a conversation, on every face."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import Permission

from livechat import services
from livechat.access import Action, may_act, may_chat_as
from livechat.models import Conversation, Message, Visitor

from .conftest import new_token

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


@pytest.fixture
def people(make_agent, django_user_model):
    alice = make_agent("alice", first_name="Alice")
    bob = make_agent("bob", first_name="Bob")
    boss = django_user_model.objects.create_user("boss", password="pw", is_staff=True)
    boss.user_permissions.add(Permission.objects.get(codename="supervise_conversation"))
    boss = django_user_model.objects.get(pk=boss.pk)
    customer = django_user_model.objects.create_user("carol", password="pw")
    return alice, bob, boss, customer


def _chat(agent=None):
    visitor = Visitor.objects.create()
    return Conversation.objects.create(
        visitor=visitor,
        assigned_agent=agent,
        status=Conversation.Status.ACTIVE if agent else Conversation.Status.WAITING,
    )


@pytest.mark.parametrize("action", list(Action))
def test_the_assigned_agent_may_do_everything(people, action):
    alice, *_ = people
    assert may_act(alice, _chat(alice), action)


@pytest.mark.parametrize("action", [a for a in Action if a is not Action.NOTE])
def test_another_agent_may_do_nothing_in_an_assigned_chat(people, action):
    alice, bob, *_ = people
    assert not may_act(bob, _chat(alice), action)


def test_any_agent_may_leave_a_colleague_an_internal_note(people):
    alice, bob, boss, customer = people
    assert may_act(bob, _chat(alice), Action.NOTE)
    assert may_act(boss, _chat(alice), Action.NOTE)
    assert not may_act(customer, _chat(alice), Action.NOTE)


@pytest.mark.parametrize(
    "action, allowed",
    [
        (Action.NOTE, True),
        (Action.TRANSFER, True),
        (Action.CLOSE, True),
        (Action.REPLY, False),
        (Action.TYPE, False),
        (Action.CLAIM, False),
    ],
)
def test_a_supervisor_manages_but_does_not_speak_in_an_agents_chat(
    people, action, allowed
):
    alice, _bob, boss, _customer = people
    assert may_act(boss, _chat(alice), action) is allowed


@pytest.mark.parametrize("action", list(Action))
def test_any_agent_may_act_on_a_waiting_chat(people, action):
    _alice, bob, *_ = people
    assert may_act(bob, _chat(), action)


@pytest.mark.parametrize("action", [Action.CLAIM, Action.REPLY, Action.TYPE])
def test_a_supervisor_who_is_no_agent_cannot_take_a_waiting_chat(people, action):
    *_, boss, _customer = people
    assert not may_act(boss, _chat(), action)


@pytest.mark.parametrize("action", list(Action))
def test_a_customer_may_do_nothing(people, action):
    *_, customer = people
    assert not may_act(customer, _chat(), action)


def test_a_customers_visitor_is_theirs_only(people, django_user_model):
    *_, customer = people
    other = django_user_model.objects.create_user("dave", password="pw")
    anonymous = Visitor.objects.create()
    owned = Visitor.objects.create(user=customer)
    assert may_chat_as(None, anonymous) and may_chat_as(other, anonymous)
    assert may_chat_as(customer, owned)
    assert not may_chat_as(other, owned) and not may_chat_as(None, owned)


def test_services_apply_the_rule_whatever_the_face(people):
    alice, bob, boss, _customer = people
    conversation = _chat(alice)
    with pytest.raises(services.ServiceError) as refused:
        services.close_conversation(conversation, closed_by=bob)
    assert refused.value.code == "forbidden"
    with pytest.raises(services.ServiceError):
        services.post_agent_message(conversation, boss, "Hi, I'm the boss", "c1")
    assert not Message.objects.filter(conversation=conversation).exists()
    services.close_conversation(conversation, closed_by=boss)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.CLOSED


# Over the sockets ---------------------------------------------------------------


async def _claimed_chat(visitor_client, agent_client, agent):
    shopper = await visitor_client(token=new_token()[1])
    await shopper.expect("welcome")
    await shopper.send(type="message", client_id="first", body="Where is my parcel?")
    conv_id = (await shopper.expect("ack"))["conversation"]
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="claim", conversation=conv_id)
    await shopper.expect_state("active")
    return shopper, console, conv_id


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "close"},
        {"type": "typing", "active": True},
        {"type": "message", "client_id": "m1", "body": "Hello from Bob"},
        {"type": "transfer", "agent": "self"},
    ],
    ids=lambda frame: frame["type"],
)
async def test_a_plain_agent_cannot_act_in_another_agents_chat(
    visitor_client, agent_client, people, frame
):
    alice, bob, *_ = people
    shopper, _alice_console, conv_id = await _claimed_chat(
        visitor_client, agent_client, alice
    )
    intruder = await agent_client(bob)
    await intruder.expect("welcome")
    if frame.get("agent") == "self":  # Bob hands Alice's chat to himself
        frame = {**frame, "agent": bob.pk}
    await intruder.send(conversation=conv_id, **frame)
    assert (await intruder.expect("error"))["code"] == "forbidden"
    conversation = await db(Conversation.objects.get)(pk=conv_id)
    assert conversation.status == Conversation.Status.ACTIVE
    assert conversation.assigned_agent_id == alice.pk
    await shopper.drain()
    assert not [f for f in shopper.frames if f["type"] in ("typing", "message")]
    # Reading stays open to every agent.
    await intruder.send(type="open", conversation=conv_id)
    assert (await intruder.expect("opened"))["conversation"]["id"] == conv_id


async def test_a_supervisor_closes_an_agents_chat(visitor_client, agent_client, people):
    alice, _bob, boss, _customer = people
    shopper, _console, conv_id = await _claimed_chat(
        visitor_client, agent_client, alice
    )
    supervisor = await agent_client(boss)
    assert (await supervisor.expect("welcome"))["role"] == "supervisor"
    await supervisor.send(type="close", conversation=conv_id)
    await shopper.expect_state("closed")


async def test_frames_pipelined_behind_a_refused_handshake_do_nothing(
    visitor_client, agent_client, people
):
    *_, customer = people
    shopper = await visitor_client(token=new_token()[1])
    await shopper.expect("welcome")
    await shopper.send(type="message", client_id="first", body="Hello?")
    conv_id = (await shopper.expect("ack"))["conversation"]
    intruder = await agent_client(customer, hello=False)
    # Sent before reading anything: they queue behind connect().
    for frame in (
        {"type": "hello", "v": 1},
        {
            "type": "message",
            "conversation": conv_id,
            "client_id": "x",
            "body": "I am staff",
        },
        {"type": "claim", "conversation": conv_id},
        {"type": "typing", "conversation": conv_id, "active": True},
        {"type": "close", "conversation": conv_id},
    ):
        await intruder.send(**frame)
    assert (await intruder.receive())["code"] == "forbidden"
    assert await intruder.closed_with() == 4403
    conversation = await db(Conversation.objects.get)(pk=conv_id)
    assert conversation.assigned_agent_id is None
    assert conversation.status == Conversation.Status.WAITING
    count = db(Message.objects.filter(sender_kind=Message.Sender.AGENT).count)
    assert await count() == 0
