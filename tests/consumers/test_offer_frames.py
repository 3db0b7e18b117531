"""Offers over the agent socket, as raw frames: a reply with ``offer``, an
unknown offer refused, an offer edited until its code is gone."""

import pytest
from channels.db import database_sync_to_async

from livechat.models import Message, OfferSent
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
