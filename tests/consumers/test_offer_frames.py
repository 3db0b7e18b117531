"""Offers over the sockets, as raw frames: a reply with ``offer``, an unknown
offer refused, an offer edited until its code is gone; an invitation with an
offer shown (rate limited) and accepted."""

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings

from livechat.models import (
    CannedReply,
    CannedUse,
    Conversation,
    ConversationFact,
    InvitationDay,
    InvitationRule,
    Message,
    OfferSent,
)
from livechat.services import offers
from tests.adapters import OffersAdapter

from ..conftest import new_token

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async
BOOTS = OffersAdapter.OFFERS[0]


@pytest.fixture(autouse=True)
def offers_adapter(settings):
    settings.LIVECHAT_ADAPTER = "tests.adapters.OffersAdapter"
    offers._logged.clear()


async def _opened_chat(visitor_client, agent_client, agent):
    shopper = await visitor_client(token=new_token()[1])
    await shopper.expect("welcome")
    await shopper.send(type="message", client_id="first", body="Any discount?")
    conv_id = (await shopper.expect("ack"))["conversation"]
    console = await agent_client(agent)
    await console.expect("welcome")
    await console.send(type="open", conversation=conv_id)
    return shopper, console, conv_id, await console.expect("opened")


async def test_the_console_is_offered_and_sends_an_offer(
    visitor_client, agent_client, agent
):
    shopper, console, conv_id, opened = await _opened_chat(
        visitor_client, agent_client, agent
    )
    assert [o["code"] for o in opened["offers"]] == ["BOOTS10", "FREESHIP"]
    assert opened["offers"][1]["message"].startswith("Shipping is on us")
    assert 'data-offer-code="BOOTS10"' in opened["context_html"]
    await console.send(
        type="message",
        conversation=conv_id,
        client_id="offer-1",
        body=BOOTS["message"],
        offer="BOOTS10",
    )
    ack = await console.expect("ack", client_id="offer-1")
    seen = await shopper.expect_message("agent")
    assert seen["body"] == BOOTS["message"] and seen["seq"] == ack["seq"]
    sent = await db(OfferSent.objects.get)()
    assert (sent.code, sent.agent_id) == ("BOOTS10", agent.pk)
    # A saved reply's use is recorded with the reply it came from.
    reply = await db(CannedReply.objects.create)(
        title="Sizes", shortcut="sizes", body="The boots run small."
    )
    await console.send(
        type="message",
        conversation=conv_id,
        client_id="canned-1",
        body="The boots run small.",
        canned=reply.pk,
    )
    await console.expect("ack", client_id="canned-1")
    use = await db(CannedUse.objects.select_related("message").get)()
    assert (use.reply_id, use.edited, use.message.client_id) == (
        reply.pk,
        False,
        "canned-1",
    )
    await console.send(
        type="message", conversation=conv_id, client_id="c2", body="x", canned="7"
    )
    assert (await console.expect("error", client_id="c2"))["code"] == "bad_frame"


async def test_an_unknown_offer_is_refused_with_its_client_id(
    visitor_client, agent_client, agent
):
    _shopper, console, conv_id, _opened = await _opened_chat(
        visitor_client, agent_client, agent
    )
    await console.send(
        type="message",
        conversation=conv_id,
        client_id="offer-2",
        body="Use GOLD50 for half off",
        offer="GOLD50",
    )
    error = await console.expect("error", client_id="offer-2")
    assert (error["code"], error["for"]) == ("unknown_offer", "message")
    assert not error.get("retriable")
    await console.send(
        type="message", conversation=conv_id, client_id="offer-3", body="x", offer=7
    )
    assert (await console.expect("error", client_id="offer-3"))["code"] == "bad_frame"
    assert not await db(Message.objects.filter(sender_kind="agent").exists)()


async def test_an_offer_edited_without_its_code_is_sent_not_counted(
    visitor_client, agent_client, agent
):
    shopper, console, conv_id, _opened = await _opened_chat(
        visitor_client, agent_client, agent
    )
    await console.send(
        type="message",
        conversation=conv_id,
        client_id="offer-4",
        body="Let me check the boots' stock first.",
        offer="BOOTS10",
    )
    await console.expect("ack", client_id="offer-4")
    seen = await shopper.expect_message("agent")
    assert seen["body"] == "Let me check the boots' stock first."
    assert not await db(OfferSent.objects.exists)()


async def test_a_chat_cannot_claim_an_invitation_it_was_never_shown(visitor_client):
    rule = await db(InvitationRule.objects.create)(
        message="Staff only", offer_code="STAFF50", offer_title="50% off"
    )
    shopper = await visitor_client(token=new_token()[1])
    await shopper.expect("welcome")
    await shopper.send(type="message", client_id="m1", body="Hi!", invitation=rule.pk)
    conv_id = (await shopper.expect("ack"))["conversation"]
    conversation = await db(Conversation.objects.get)(pk=conv_id)
    assert conversation.invitation_id is None
    assert not await db(OfferSent.objects.exists)()
    assert not await db(InvitationDay.objects.exists)()


async def test_an_invitation_shown_is_counted_within_its_rate_limit(visitor_client):
    rule = await db(InvitationRule.objects.create)(
        message="Need help?", offer_code="WELCOME5", offer_title="$5 off"
    )
    shopper = await visitor_client(token=new_token()[1])
    await shopper.expect("welcome")
    limits = {"invitation": "2/3600", "invitation_ip": "100/3600"}
    with override_settings(LIVECHAT_RATE_LIMITS=limits):
        for _ in range(3):
            await shopper.send(type="invitation_shown", invitation=rule.pk)
        await shopper.send(type="invitation_shown", invitation=rule.pk + 99)
        await shopper.send(type="ping")
        await shopper.expect("pong")
    day = await db(InvitationDay.objects.get)()
    assert (day.rule_id, day.shown, day.accepted) == (rule.pk, 2, 0)
    # The widget waits for no answer: none came, not even past the limit.
    assert not [f for f in shopper.frames + shopper.seen if f["type"] == "error"]
    await shopper.send(type="invitation_shown", invitation="one")
    assert (await shopper.expect("error"))["code"] == "bad_frame"


async def test_a_chat_started_from_an_invitation_counts_it_and_its_offer(
    visitor_client,
):
    rule = await db(InvitationRule.objects.create)(
        message="Need help?", offer_code="WELCOME5", offer_title="$5 off"
    )
    shopper = await visitor_client(token=new_token()[1])
    await shopper.expect("welcome")
    await shopper.send(type="invitation_shown", invitation=rule.pk)
    await shopper.send(type="message", client_id="m1", body="Hi!", invitation=rule.pk)
    conv_id = (await shopper.expect("ack"))["conversation"]
    # A later message naming it again counts nothing more.
    await shopper.send(
        type="message", client_id="m2", body="Hello?", invitation=rule.pk
    )
    await shopper.expect("ack", client_id="m2")
    conversation = await db(Conversation.objects.get)(pk=conv_id)
    assert conversation.invitation_id == rule.pk
    day = await db(InvitationDay.objects.get)()
    assert (day.shown, day.accepted) == (1, 1)
    offer = await db(OfferSent.objects.get)()
    assert (offer.conversation_id, offer.code, offer.agent_id) == (
        conv_id,
        "WELCOME5",
        None,
    )
    fact = await db(ConversationFact.objects.get)(pk=conv_id)
    assert (fact.invitation_key, fact.offers_sent) == (rule.pk, 1)
