"""Offers: the adapter's suggestions checked and capped, and replies that make
an offer or use a saved reply, recorded through the one reply path."""

import logging
import uuid

import pytest
from django.test import override_settings

from livechat import services, signals
from livechat.errors import ServiceError
from livechat.models import (
    CannedReply,
    CannedUse,
    Conversation,
    ConversationFact,
    InvitationRule,
    Message,
    OfferSent,
    Visitor,
)
from livechat.services import offers
from tests.adapters import OffersAdapter

pytestmark = pytest.mark.django_db(transaction=True)

BOOTS = OffersAdapter.OFFERS[0]


@pytest.fixture(autouse=True)
def offers_adapter(settings):
    settings.LIVECHAT_ADAPTER = "tests.adapters.OffersAdapter"
    offers._logged.clear()
    yield
    offers._logged.clear()


@pytest.fixture
def made():
    """The offer_made signals sent (after commit)."""
    heard = []

    def receiver(sender, offer, conversation, **kwargs):
        heard.append((offer.code, conversation.pk))

    signals.offer_made.connect(receiver)
    yield heard
    signals.offer_made.disconnect(receiver)


def _chat(name="Ann"):
    visitor = Visitor.objects.create(key=uuid.uuid4(), name=name)
    message, _ = services.post_visitor_message(visitor, "Any discount?", "v1")
    return Conversation.objects.get(pk=message.conversation_id)


def test_suggestions_are_checked_capped_and_bad_ones_logged_once(caplog):
    valid = [
        {"code": f"CODE{n}", "title": f"Offer {n}", "text": f"Use CODE{n}."}
        for n in range(5)
    ]
    OffersAdapter.OFFERS, saved = (
        [
            {"code": "TWO WORDS", "title": "x", "message": "y"},
            "not a dict",
            {"code": "NOTITLE", "message": "Use NOTITLE"},
            valid[0],
            {**valid[0], "title": "the same code again"},
            *valid[1:],
        ],
        OffersAdapter.OFFERS,
    )
    try:
        with caplog.at_level(logging.WARNING, logger="livechat.services.offers"):
            first = offers.suggested_offers(Visitor(key=uuid.uuid4()))
            again = offers.suggested_offers(Visitor(key=uuid.uuid4()))
        with override_settings(LIVECHAT_MAX_SUGGESTED_OFFERS=1):
            one = offers.suggested_offers(Visitor(key=uuid.uuid4()))
    finally:
        OffersAdapter.OFFERS = saved
    assert (
        first
        == again
        == [
            {"code": "CODE0", "title": "Offer 0", "message": "Use CODE0."},
            {"code": "CODE1", "title": "Offer 1", "message": "Use CODE1."},
            {"code": "CODE2", "title": "Offer 2", "message": "Use CODE2."},
        ]
    )
    assert [o["code"] for o in one] == ["CODE0"]
    # One line per kind of problem (code, dict, title), not one per call.
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3


def test_a_failing_or_odd_adapter_suggests_nothing(settings, caplog):
    settings.LIVECHAT_ADAPTER = "tests.adapters.BrokenContextAdapter"
    assert offers.suggested_offers(Visitor(key=uuid.uuid4())) == []
    OffersAdapter.OFFERS, saved = "SAVE10", OffersAdapter.OFFERS
    settings.LIVECHAT_ADAPTER = "tests.adapters.OffersAdapter"
    try:
        assert offers.suggested_offers(Visitor(key=uuid.uuid4())) == []
    finally:
        OffersAdapter.OFFERS = saved
    assert "must return a list" in caplog.text


def test_a_reply_making_an_offer_records_it_once(agent, made):
    chat = _chat()
    message, created = services.post_agent_message(
        chat, agent, BOOTS["message"], "c1", offer="boots10"
    )
    assert created
    sent = OfferSent.objects.get()
    assert (sent.code, sent.title, sent.agent, sent.message) == (
        "BOOTS10",
        "10% off the red boots",
        agent,
        message,
    )
    assert made == [("BOOTS10", chat.pk)]
    assert ConversationFact.objects.get(pk=chat.pk).offers_sent == 1
    # A retry is the stored reply: no second offer, no second event.
    again, created = services.post_agent_message(
        chat, agent, BOOTS["message"], "c1", offer="BOOTS10"
    )
    assert (again.pk, created) == (message.pk, False)
    assert OfferSent.objects.count() == 1 and len(made) == 1
    # An order with the code redeems it.
    services.record_order("A1", "50", visitor=chat.visitor, coupon_codes=["boots10"])
    assert OfferSent.objects.get().redeemed_at is not None
    assert ConversationFact.objects.get(pk=chat.pk).offers_redeemed == 1


def test_an_edited_offer_without_its_code_is_a_plain_reply(agent, made):
    chat = _chat()
    message, created = services.post_agent_message(
        chat, agent, "Ask me again tomorrow about the boots.", "c1", offer="BOOTS10"
    )
    assert created and message.body.startswith("Ask me again")
    assert not OfferSent.objects.exists() and made == []
    assert ConversationFact.objects.get(pk=chat.pk).offers_sent == 0


def test_an_unknown_offer_is_refused_and_nothing_stored(agent, made):
    chat = _chat()
    with pytest.raises(ServiceError) as refused:
        services.post_agent_message(chat, agent, "Use GOLD50 now", "c1", offer="GOLD50")
    assert refused.value.code == "unknown_offer"
    assert not Message.objects.filter(conversation=chat, sender_kind="agent").exists()
    assert not OfferSent.objects.exists() and made == []


def test_the_offer_of_the_invitation_that_started_the_chat_may_be_sent(agent):
    chat = _chat()
    rule = InvitationRule.objects.create(
        message="Need help?", offer_code="WELCOME5", offer_title="$5 off"
    )
    Conversation.objects.filter(pk=chat.pk).update(invitation=rule)
    services.post_agent_message(
        chat, agent, "Take WELCOME5 off.", "c1", offer="welcome5"
    )
    assert OfferSent.objects.get().title == "$5 off"


def test_a_saved_reply_use_says_whether_it_was_edited(agent):
    chat = _chat(name="Ann")
    reply = CannedReply.objects.create(
        title="Shipping", shortcut="shipping", body="Hi {visitor_name}, we ship fast."
    )
    author = {"name": "Alice", "avatar": ""}
    services.post_agent_message(
        chat, agent, "Hi Ann, we ship fast.", "c1", author=author, canned=reply.pk
    )
    services.post_agent_message(
        chat, agent, "Hi Ann, we ship in 2 days.", "c2", author=author, canned=reply.pk
    )
    gone = CannedReply.objects.create(title="Gone", shortcut="gone", body="x")
    gone.delete()
    services.post_agent_message(chat, agent, "x", "c3", canned=gone.pk)
    # The store's name, as the console filled it in its own language.
    thanks = CannedReply.objects.create(
        title="Thanks", shortcut="thanks", body="Thanks for  shopping at {store_name}!"
    )
    for n, body in enumerate(["Thanks for shopping at La Tienda!", "Thanks!"]):
        services.post_agent_message(chat, agent, body, f"t{n}", canned=thanks.pk)
    uses = list(CannedUse.objects.order_by("pk").values_list("title", "edited"))
    assert uses == [
        ("Shipping", False),
        ("Shipping", True),
        ("Thanks", False),
        ("Thanks", True),
    ]
    assert CannedUse.objects.first().message.body == "Hi Ann, we ship fast."


def test_a_colleagues_own_reply_is_not_recorded(agent, make_agent):
    chat = _chat()
    bob = make_agent("bob")
    theirs = CannedReply.objects.create(
        title="Bob's", shortcut="b", body="Hi", owner=bob
    )
    message, _ = services.post_agent_message(chat, agent, "Hi", "c1", canned=theirs.pk)
    assert message.pk and not CannedUse.objects.exists()
