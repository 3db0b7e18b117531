"""Django signals the host project can listen to: one per domain event.

Each is sent after the change is committed to the database, once, and never
for a refused or duplicate request (``livechat.events``). The keyword
arguments are the event's fields; ``sender`` is the model class named below.
A receiver that raises is logged and affects nothing else.
"""

from django.apps import apps
from django.dispatch import Signal

from . import events

# No model import here: a host may import this module from its own models.py,
# before the app registry is ready. Senders are looked up when sent.

#: A message was stored (shopper, agent or system line). Arguments:
#: ``message`` (Message), ``conversation`` (Conversation). Sender: Message.
message_posted = Signal()

#: A shopper started a conversation (a chat or an offline message).
#: Arguments: ``conversation``. Sender: Conversation.
conversation_opened = Signal()

#: An agent took a conversation (claim, first reply, routing, transfer).
#: Arguments: ``conversation``, ``agent`` (the user). Sender: Conversation.
conversation_assigned = Signal()

#: An agent's first reply in a conversation was stored. Arguments:
#: ``conversation``, ``message`` (the reply), ``agent`` (the user).
#: Sender: Conversation.
conversation_answered = Signal()

#: A conversation was handed on. Arguments: ``conversation``, ``by`` (the
#: user), ``to_agent`` (a user or None), ``to_department`` (a Department or
#: None), ``note`` (str). Sender: Conversation.
conversation_transferred = Signal()

#: A conversation was closed. Arguments: ``conversation``, ``closed_by`` (the
#: user, or None when the store closed it: inactivity, erasure, deletion).
#: Sender: Conversation.
conversation_closed = Signal()

#: A closed conversation was opened again. Arguments: ``conversation``,
#: ``by`` (the user, or None when the shopper's new chat reopened it within
#: LIVECHAT_REOPEN_WINDOW). Sender: Conversation.
conversation_reopened = Signal()

#: A tag was put on or taken off a conversation. Arguments:
#: ``conversation``, ``tags`` (tuple: every tag it has now), ``by`` (the
#: user, or None). Sender: Conversation.
conversation_tags_changed = Signal()

#: A conversation was snoozed until the shopper answers, or woke.
#: Arguments: ``conversation``, ``snoozed`` (bool), ``by`` (the user, or
#: None when the shopper's message woke it). Sender: Conversation.
conversation_snoozed = Signal()

#: Nobody answered a waiting chat in time (LIVECHAT_MISSED_AFTER_SECONDS).
#: Arguments: ``conversation``. Sender: Conversation.
conversation_missed = Signal()

#: The shopper rated a conversation. Arguments: ``conversation``, ``rating``
#: ("good" or "bad"), ``comment`` (str). Sender: Conversation.
conversation_rated = Signal()

#: A shopper left a message while nobody was there. Arguments:
#: ``conversation``, ``message``. Sender: Conversation.
offline_message_left = Signal()

#: A shopper gave or changed their details. Arguments: ``visitor``,
#: ``fields`` (tuple of the changed field names). Sender: Visitor.
visitor_profile_changed = Signal()

#: An agent came online, chose online, away or offline, or came back from
#: being idle. Arguments: ``agent`` (the user). Sender: AgentProfile.
agent_presence_changed = Signal()

#: An agent sent a shopper an offer. Arguments: ``offer`` (OfferSent: its
#: ``code``, ``title``, ``agent``), ``conversation``. Sender: OfferSent.
offer_made = Signal()

#: The store reported an order (``livechat.services.record_order``).
#: Arguments: ``order`` (OrderRecord), ``offers`` (tuple of the OfferSent it
#: redeemed). Sender: OrderRecord.
order_recorded = Signal()

#: Visitors were erased with all their data. Arguments: ``visitor_ids``
#: (tuple), ``counts`` (dict: what was erased). Sender: Visitor.
visitors_erased = Signal()

SIGNALS = {
    events.MessageStored: (message_posted, "Message"),
    events.ConversationOpened: (conversation_opened, "Conversation"),
    events.ConversationAssigned: (conversation_assigned, "Conversation"),
    events.ConversationAnswered: (conversation_answered, "Conversation"),
    events.ConversationTransferred: (conversation_transferred, "Conversation"),
    events.ConversationClosed: (conversation_closed, "Conversation"),
    events.ConversationReopened: (conversation_reopened, "Conversation"),
    events.ConversationTagsChanged: (conversation_tags_changed, "Conversation"),
    events.ConversationSnoozed: (conversation_snoozed, "Conversation"),
    events.ConversationMissed: (conversation_missed, "Conversation"),
    events.ConversationRated: (conversation_rated, "Conversation"),
    events.OfflineMessageLeft: (offline_message_left, "Conversation"),
    events.VisitorProfileChanged: (visitor_profile_changed, "Visitor"),
    events.AgentPresenceChanged: (agent_presence_changed, "AgentProfile"),
    events.OfferMade: (offer_made, "OfferSent"),
    events.OrderRecorded: (order_recorded, "OrderRecord"),
    events.VisitorsErased: (visitors_erased, "Visitor"),
}


def _sender(model_name):
    return apps.get_model("livechat", model_name)


def _send(event):
    # send_robust logs a failing receiver (logger django.dispatch) and goes on.
    signal, model_name = SIGNALS[type(event)]
    signal.send_robust(sender=_sender(model_name), **vars(event))


def _connect_to_events():
    for event_type, (signal, model_name) in SIGNALS.items():
        # Delivered only when a receiver is connected (``events.wanted``).
        events.listen(
            event_type,
            wanted=lambda _event, s=signal, m=model_name: s.has_listeners(_sender(m)),
            first=True,
        )(_send)


_connect_to_events()
