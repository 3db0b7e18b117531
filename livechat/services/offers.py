"""Offers an agent can make a shopper, and what the console's sends record.

The adapter's ``suggest_offers`` proposes offers from what the store knows of
the shopper (products viewed, cart, past orders, what they asked); this
module checks their shape and caps them at LIVECHAT_MAX_SUGGESTED_OFFERS.
An agent's reply sent with ``offer`` (a code the adapter suggests for that
shopper, or the one the chat's invitation carried) or ``canned`` (a saved
reply's id) is stored by ``messages`` like any reply; inside its transaction
``record_offer`` and ``record_canned_use`` note what it was. An offer counts
as sent (``OfferSent``, then ``OfferMade`` after commit) only when its code
is still in the text the agent sent: an agent may edit the text first.
"""

import logging
import re

from django.utils.translation import gettext as _

from .. import events
from ..adapter import get_adapter
from ..conf import app_settings
from ..errors import ServiceError
from ..models import CannedReply, CannedUse, Conversation, OfferSent
from .lookups import shopper_language
from .visitors import store_context

logger = logging.getLogger(__name__)

CODE_MAX_LENGTH = OfferSent._meta.get_field("code").max_length
TITLE_MAX_LENGTH = OfferSent._meta.get_field("title").max_length
# Where an adapter's offer may keep its text (the first one present wins).
_TEXT_KEYS = ("message", "body", "text")
_WHITE = re.compile(r"\s+")
# The problems with adapters' output already logged (each once per process).
_logged = set()


def suggested_offers(visitor, context=None) -> list[dict]:
    """The offers the adapter suggests for ``visitor``, checked, best first.

    ``context``: what ``get_visitor_context`` returned for them. Each offer
    is ``{"code", "title", "message"}`` (the adapter may name the text
    ``body`` or ``text``); at most LIVECHAT_MAX_SUGGESTED_OFFERS, one per
    code. An adapter that fails or returns something else is logged (once
    per kind of problem) and what is wrong is dropped.
    """
    try:
        # An offer's message is written to the shopper: in their language.
        with shopper_language(visitor):
            found = get_adapter().suggest_offers(visitor, context=context)
    except Exception:
        logger.exception("livechat: the adapter's suggest_offers failed")
        return []
    if found is None:
        return []
    if not isinstance(found, list | tuple):
        _log_once("not_list", "suggest_offers must return a list, not %s", found)
        return []
    offers, codes = [], set()
    for item in found:
        offer = _checked(item)
        if offer is None or offer["code"].upper() in codes:
            continue
        codes.add(offer["code"].upper())
        offers.append(offer)
        if len(offers) >= app_settings.MAX_SUGGESTED_OFFERS:
            break
    return offers


def _checked(item):
    """The offer as the console sees it, or None (logged once) when malformed."""
    if not isinstance(item, dict):
        _log_once("not_dict", "an offer must be a dict, not %s", item)
        return None
    code, title = item.get("code"), item.get("title")
    text = next((item[key] for key in _TEXT_KEYS if item.get(key)), None)
    if (
        not isinstance(code, str)
        or not code.strip()
        or len(code.strip()) > CODE_MAX_LENGTH
        or any(ch.isspace() for ch in code.strip())
    ):
        _log_once("code", "an offer needs a 'code' of 1 to 40 letters: %s", item)
        return None
    if not isinstance(title, str) or not title.strip():
        _log_once("title", "an offer needs a text 'title': %s", item)
        return None
    if (
        not isinstance(text, str)
        or not text.strip()
        or len(text.strip()) > app_settings.MAX_MESSAGE_LENGTH
    ):
        _log_once("text", "an offer needs a 'message' the chat can send: %s", item)
        return None
    return {
        "code": code.strip(),
        "title": title.strip()[:TITLE_MAX_LENGTH],
        "message": text.strip(),
    }


def _log_once(problem, text, value):
    if problem in _logged:
        return
    _logged.add(problem)
    logger.warning("livechat: dropped from suggest_offers: " + text, repr(value)[:200])


def offers_for_conversation(conversation, context=None) -> list[dict]:
    """The offers an agent may send in ``conversation``: the adapter's for
    its shopper, then the offer of the invitation that started it."""
    offers = suggested_offers(conversation.visitor, context)
    rule = conversation.invitation
    if (
        rule is not None
        and rule.offer_code
        and all(o["code"].upper() != rule.offer_code.upper() for o in offers)
    ):
        title = rule.offer_title or rule.offer_code
        offers.append(
            {
                "code": rule.offer_code,
                "title": title[:TITLE_MAX_LENGTH],
                "message": _("%(title)s: use %(code)s at checkout.")
                % {"title": title, "code": rule.offer_code},
            }
        )
    return offers


def find_offer(conversation_id, code) -> dict:
    """The offer ``code`` an agent may send in the conversation, or
    ``unknown_offer`` when neither the adapter nor the chat's invitation
    offers it to this shopper (now)."""
    conversation = (
        Conversation.objects.select_related("visitor", "invitation")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise ServiceError("not_found", _("No such conversation."))
    visitor = conversation.visitor
    context = store_context(visitor)
    for offer in offers_for_conversation(conversation, context):
        if offer["code"].upper() == code.strip().upper():
            return offer
    raise ServiceError(
        "unknown_offer", _("This offer is not available to this shopper.")
    )


def record_offer(conversation, message, agent, offer) -> OfferSent | None:
    """Inside the reply's transaction: the ``OfferSent`` of ``offer`` when its
    code is still in the message (``OfferMade`` follows on commit), else None."""
    if offer["code"].upper() not in message.body.upper():
        return None
    sent = OfferSent.objects.create(
        conversation_id=conversation.pk,
        agent=agent,
        message=message,
        code=offer["code"][:CODE_MAX_LENGTH],
        title=offer["title"][:TITLE_MAX_LENGTH],
        sent_at=message.created_at,
    )
    events.emit(events.OfferMade(sent, conversation))
    return sent


def record_invitation_offer(conversation, rule) -> OfferSent | None:
    """Inside the transaction that opens a chat from an invitation carrying an
    offer: that offer counts as sent (by nobody) in the new chat."""
    if rule is None or not rule.offer_code:
        return None
    sent = OfferSent.objects.create(
        conversation_id=conversation.pk,
        code=rule.offer_code[:CODE_MAX_LENGTH],
        title=(rule.offer_title or "")[:TITLE_MAX_LENGTH],
    )
    events.emit(events.OfferMade(sent, conversation))
    return sent


def record_canned_use(conversation, message, agent, reply_id, author=None):
    """Inside the reply's transaction: the ``CannedUse`` of saved reply
    ``reply_id``, ``edited`` when the text sent is not the reply as the
    console fills it in (runs of white space aside). A reply the agent may
    not see (deleted since, a colleague's own) records nothing: the message
    itself is sent."""
    reply = CannedReply.objects.filter(pk=reply_id).first()
    if reply is None or (reply.owner_id is not None and reply.owner_id != agent.pk):
        return None
    return CannedUse.objects.create(
        reply=reply,
        title=(reply.title or reply.shortcut)[:100],
        agent=agent,
        conversation_id=conversation.pk,
        message=message,
        edited=not _as_filled(reply.body, message.body, conversation, agent, author),
        used_at=message.created_at,
    )


def _as_filled(template, body, conversation, agent, author):
    """Is ``body`` the saved reply ``template`` as the console fills it in
    (``saved-replies.js``), runs of white space aside? ``{store_name}`` is the
    widget's title in the console's language, which may be a translation of
    it: any text stands for it."""
    agent_name = (author or {}).get("name") or get_adapter().agent_public_name(agent)
    visitor = conversation.visitor
    text = template.replace("{visitor_name}", (visitor.name if visitor else "") or "")
    text = text.replace("{agent_name}", agent_name).strip()
    parts = [re.escape(_WHITE.sub(" ", part)) for part in text.split("{store_name}")]
    return re.fullmatch(".*?".join(parts), _WHITE.sub(" ", body.strip())) is not None
