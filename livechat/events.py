"""Domain events: what changed, said once, after the change is committed.

The services ``emit`` an event for every state change of a conversation or a
visitor. It reaches the listeners only once the transaction that made the
change commits (straight away outside a transaction), and never for a request
that was refused, rolled back or a duplicate. Listeners register with
``listen``; ``livechat.signals`` turns each event into its Django signal for
host projects. A failing listener is logged and never affects the others or
the change, which is already stored.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MessageStored:
    """A message was stored (shopper, agent or system line)."""

    message: Any  # Message
    conversation: Any  # Conversation


@dataclass(frozen=True)
class ConversationOpened:
    """A shopper started a conversation (a chat, or an offline message)."""

    conversation: Any


@dataclass(frozen=True)
class ConversationAssigned:
    """An agent took a conversation: claimed it, answered it first, or was
    given it by routing or a transfer."""

    conversation: Any
    agent: Any  # the user


@dataclass(frozen=True)
class ConversationAnswered:
    """An agent's first reply in a conversation was stored."""

    conversation: Any
    message: Any  # the reply
    agent: Any  # the user


@dataclass(frozen=True)
class ConversationTransferred:
    """A conversation was handed to another agent or to a department."""

    conversation: Any
    by: Any  # the user who transferred it
    to_agent: Any = None  # the user, or None for a department
    to_department: Any = None  # the Department, or None for an agent
    note: str = ""


@dataclass(frozen=True)
class ConversationClosed:
    """A conversation was closed."""

    conversation: Any
    closed_by: Any = None  # the user, or None when the store closed it


@dataclass(frozen=True)
class ConversationReopened:
    """A closed conversation was opened again: by a member of staff, or by
    the shopper starting a new chat within LIVECHAT_REOPEN_WINDOW."""

    conversation: Any
    by: Any = None  # the user, or None when the shopper reopened it


@dataclass(frozen=True)
class ConversationTagsChanged:
    """A tag was put on or taken off a conversation."""

    conversation: Any
    tags: tuple = ()  # every tag it has now, sorted
    by: Any = None  # the user, or None when the store changed them


@dataclass(frozen=True)
class ConversationSnoozed:
    """An agent set a conversation aside until the shopper answers, or it
    woke (``snoozed`` False): the shopper wrote, or an agent woke it."""

    conversation: Any
    snoozed: bool
    by: Any = None  # the user, or None when the shopper's message woke it


@dataclass(frozen=True)
class ConversationMissed:
    """Nobody answered a waiting chat in LIVECHAT_MISSED_AFTER_SECONDS."""

    conversation: Any


@dataclass(frozen=True)
class ConversationRated:
    """The shopper rated a conversation."""

    conversation: Any
    rating: str
    comment: str = ""


@dataclass(frozen=True)
class OfflineMessageLeft:
    """A shopper left a message while nobody was there."""

    conversation: Any
    message: Any


@dataclass(frozen=True)
class VisitorProfileChanged:
    """A shopper gave or changed their name, email or phone."""

    visitor: Any
    fields: tuple = ()  # the names of the fields that changed


@dataclass(frozen=True)
class AgentPresenceChanged:
    """An agent came online, chose online, away or offline, or came back from
    being idle: who can answer (and what the widget is told) may change."""

    agent: Any  # the user


@dataclass(frozen=True)
class OfferMade:
    """An agent sent a shopper an offer (a coupon code) in a conversation."""

    offer: Any  # OfferSent
    conversation: Any


@dataclass(frozen=True)
class OrderRecorded:
    """The store reported an order (``services.record_order``); ``offers``
    are the offers it redeemed."""

    order: Any  # OrderRecord
    offers: tuple = ()


@dataclass(frozen=True)
class VisitorsErased:
    """Visitors were erased with everything stored about them."""

    visitor_ids: tuple
    counts: dict = field(default_factory=dict)


EVENT_TYPES = (
    MessageStored,
    ConversationOpened,
    ConversationAssigned,
    ConversationAnswered,
    ConversationTransferred,
    ConversationClosed,
    ConversationReopened,
    ConversationTagsChanged,
    ConversationSnoozed,
    ConversationMissed,
    ConversationRated,
    OfflineMessageLeft,
    VisitorProfileChanged,
    AgentPresenceChanged,
    OfferMade,
    OrderRecorded,
    VisitorsErased,
)


@dataclass(frozen=True)
class _Listener:
    func: Callable
    # Does the listener want this event? (None: every one.) Lets the
    # statement route skip a database thread for an event nobody wants.
    wanted: Callable[[Any], bool] | None = None

    def wants(self, event):
        """Does it want ``event``? A predicate that fails is logged and the
        listener skipped: like a failing listener, it never affects the change
        or the other listeners."""
        if self.wanted is None:
            return True
        try:
            return bool(self.wanted(event))
        except Exception:
            logger.exception(
                "livechat: a listener's wanted() of %s failed", type(event).__name__
            )
            return False


_listeners = defaultdict(list)  # event type -> [_Listener]


def listen(*event_types, wanted=None, first=False):
    """Decorator: call the function with each event of these types.

    ``wanted(event)``, if given, says whether the function wants that event
    (answered without the database: from the event's loaded fields).

    Listeners run in the order they registered; ``first`` puts this one
    before the others (the signals, so that host receivers hear of a change
    before the follow-ups it starts, such as routing, make changes of their
    own).
    """

    def register(func):
        for event_type in event_types:
            listener = _Listener(func, wanted)
            if first:
                _listeners[event_type].insert(0, listener)
            else:
                _listeners[event_type].append(listener)
        return func

    return register


def wanted(event) -> bool:
    """Would ``event`` reach any listener now?"""
    return any(listener.wants(event) for listener in _listeners.get(type(event), ()))


def emit(event) -> None:
    """Deliver ``event`` once the current transaction commits."""
    if wanted(event):
        transaction.on_commit(lambda: deliver(event))


def deliver(event) -> None:
    """Deliver ``event`` now: for changes already committed (the statement route)."""
    for listener in list(_listeners.get(type(event), ())):
        if not listener.wants(event):
            continue
        try:
            listener.func(event)
        except Exception:
            logger.exception("livechat: a listener of %s failed", type(event).__name__)
