"""An offer from the chat, redeemed at the demo shop's checkout: the shopper
keeps looking at the tea, the agent sends them its coupon from the suggested
offers, the checkout takes it off, and livechat counts the offer redeemed."""

import json
import re
import secrets

import pytest

from .clients import (
    HTTP_TIMEOUT,
    VISITOR,
    Socket,
    cookie_header,
    http_session,
    log_in_agent,
    visitor_token,
)
from .live import create_user, run_manage

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

_REDEEMED = """
import json
from livechat.models import OfferSent, OrderRecord
offer = OfferSent.objects.get(conversation_id={conversation})
order = OrderRecord.objects.filter(number="{number}").first()
print(json.dumps({{
    "code": offer.code,
    "redeemed": offer.redeemed_at is not None,
    "order": offer.order.number if offer.order else None,
    "chat": order.conversation_id if order else None,
    "coupons": order.coupon_codes if order else None,
}}))
"""


def _post_form(shop, session, path, data):
    """POST a shop form (with its CSRF token), following the redirect."""
    session.get(shop.url(path), timeout=HTTP_TIMEOUT)
    response = session.post(
        shop.url(path),
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"], **data},
        timeout=HTTP_TIMEOUT,
    )
    response.raise_for_status()
    return response


async def test_a_coupon_sent_in_the_chat_is_redeemed_at_checkout(
    live_shop, open_agent, sockets
):
    shopper = http_session()
    page = live_shop.url("/products/green-tea/")
    for _ in range(2):
        shopper.get(page, timeout=HTTP_TIMEOUT).raise_for_status()
    # The third view of the tea, whose page gives the widget's token.
    token = visitor_token(live_shop, shopper, "/products/green-tea/")
    # With the shop's session cookie, as the widget's socket: the session
    # holds the products viewed.
    visitor = await Socket.open(live_shop, VISITOR, cookies=cookie_header(shopper))
    sockets.append(visitor)
    await visitor.send(type="hello", v=1, token=token, page=page)
    await visitor.expect("welcome")
    ack = await visitor.post("Is the sencha any cheaper this week?")
    conversation = ack["conversation"]

    # An agent of the test's own: other tests count the demo agents' chats.
    username = f"offers{secrets.token_hex(3)}"
    create_user(
        live_shop,
        username,
        "offers-pass",
        permissions=["livechat.reply_conversation"],
        display_name="Olga",
        is_staff=True,
    )
    agent = await open_agent(log_in_agent(live_shop, username, "offers-pass"))
    await agent.send(type="open", conversation=conversation, last_seq=0)
    opened = await agent.expect("opened", timeout=10)
    offers = {offer["code"]: offer for offer in opened["offers"]}
    assert "GREENTEA10" in offers, opened["offers"]
    assert "FREESHIP" not in offers  # nobody asked about shipping
    assert 'data-offer-code="GREENTEA10"' in opened["context_html"]
    text = offers["GREENTEA10"]["message"] + " Enjoy!"
    sent = await agent.post(text, conversation=conversation, offer="GREENTEA10")
    seen = await visitor.expect_where(
        lambda f: f["type"] == "message" and f["message"]["sender"] == "agent",
        what="the offer in the widget",
    )
    assert seen["message"]["body"] == text and seen["message"]["seq"] == sent["seq"]

    # A wrong code is refused by the checkout; the chat's one is taken off.
    _post_form(live_shop, shopper, "/cart/add/green-tea/", {"quantity": 2})
    wrong = _post_form(live_shop, shopper, "/checkout/", {"coupon": "NOPE", "apply": 1})
    assert "This coupon code is not valid." in wrong.text
    applied = _post_form(
        live_shop, shopper, "/checkout/", {"coupon": "greentea10", "apply": "1"}
    )
    assert "Coupon GREENTEA10" in applied.text
    details = {"name": "Tea Lover", "email": "tea@example.com", "address": "1 Leaf St"}
    placed = _post_form(
        live_shop, shopper, "/checkout/", {**details, "coupon": "GREENTEA10"}
    )
    assert "Thank you for your order!" in placed.text
    number = re.search(r"Your order number is #(\d+)", placed.text).group(1)
    # 2 × 8.50 = 17.00, 10% off = 1.70, shipping 5.00: 20.30.
    assert "−$1.70" in placed.text and "$20.30" in placed.text, placed.text

    script = _REDEEMED.format(conversation=conversation, number=number)
    output = run_manage(live_shop.env, "shell", "-c", script)
    facts = json.loads(output.strip().splitlines()[-1])
    assert facts == {
        "code": "GREENTEA10",
        "redeemed": True,
        "order": number,
        "chat": conversation,
        "coupons": "GREENTEA10",
    }
    await agent.send(type="close", conversation=conversation)
