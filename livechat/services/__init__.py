"""The one write path: every message and every change livechat stores.

The faces (the sockets' consumers, the admin, the REST API, uploads, the
management commands) call the functions below for messages, conversations
and shoppers, and the public functions of ``visitors``, ``offline``,
``availability``, ``presence``, ``queue``, ``assignment``, ``housekeeping``,
``privacy`` and ``retention`` for those concerns; never ``lookups``,
``messages``' routes or ``statement_connections`` directly. Each persists
first, inside a transaction, and publishes to the channel layer only once
that transaction has committed: the database is the truth, the channel layer
a notification path that may drop things (clients fill gaps by sequence
number). Every change emits its typed event (``livechat.events``) after
commit.

Modules, from the bottom up (a module imports only those above it):

- ``lookups``: reading conversations and messages;
- ``search``: conversations, messages and visitors matching a search, through
  their indexes (``matching_conversations``, ``matching_messages``,
  ``matching_visitors``), and the language a chat's text is indexed in;
- ``inbox``: the console's inbox, in sections and pages, and its search;
- ``statement_connections``: the event loop's PostgreSQL connections;
- ``tags``: tags on conversations;
- ``snooze``: chats set aside until the shopper answers;
- ``reopening``: closed chats opened again (by staff, or the shopper's new
  chat within ``LIVECHAT_REOPEN_WINDOW``);
- ``offers``: the adapter's suggested offers, checked (reading the shopper's
  session through ``visitors``); what a reply made from an offer or a saved
  reply records (``OfferSent``, ``CannedUse``);
- ``invitations``: invitations shown and accepted, for the reports;
- ``messages``: storing messages, by the statement or the ORM route;
- ``conversations``: claim, close, reopen, read, typing;
- ``canned``: saved replies managed from the console;
- ``visit_history``, ``visitors``: shoppers, their sockets and profile;
- ``offline``: offline messages and answers by email;
- ``availability``: whether anyone answers (what the widget is told);
- ``queue``, ``assignment``: the queue, routing, transfers, notes;
- ``presence``: agents' consoles connecting, beating and leaving;
- ``housekeeping``: timers (missed, inactive, follow-up emails);
- ``privacy``, ``retention``: a shopper's export and erasure; retention;
- ``reports``: the reports' facts and rollups, kept by listeners of the
  events; ``record_order``, the store's orders for conversion and offers.
"""

from ..errors import ServiceError
from .conversations import (
    claim_conversation,
    close_conversation,
    mark_read,
    publish_typing,
    reopen_conversation,
)
from .inbox import (
    followed_ids,
    inbox_counts,
    inbox_page,
    inbox_welcome,
    search_inbox,
)
from .lookups import (
    conversations_with_preview,
    last_preview,
    locked,
    messages_after,
    open_conversation_of,
    visitor_language,
)
from .messages import (
    Posted,
    post_agent_message,
    post_system_message,
    post_visitor_message,
    send_agent_message,
    send_visitor_message,
    store_message,
)
from .reports import record_order
from .search import (
    conversation_language,
    matching_conversations,
    matching_messages,
    matching_visitors,
)
from .snooze import snooze_conversation
from .tags import set_tag, tags_of
from .visitors import (
    find_visitor_for_user,
    get_or_create_visitor,
    touch_visitor,
    visitor_context,
    visitor_for_user,
    visitor_socket_closed,
    visitor_socket_opened,
)

__all__ = [
    "Posted",
    "ServiceError",
    "record_order",
    "claim_conversation",
    "close_conversation",
    "conversation_language",
    "conversations_with_preview",
    "find_visitor_for_user",
    "get_or_create_visitor",
    "followed_ids",
    "inbox_counts",
    "inbox_page",
    "inbox_welcome",
    "search_inbox",
    "last_preview",
    "locked",
    "mark_read",
    "matching_conversations",
    "matching_messages",
    "matching_visitors",
    "messages_after",
    "open_conversation_of",
    "post_agent_message",
    "post_system_message",
    "post_visitor_message",
    "publish_typing",
    "reopen_conversation",
    "set_tag",
    "snooze_conversation",
    "tags_of",
    "send_agent_message",
    "send_visitor_message",
    "store_message",
    "touch_visitor",
    "visitor_context",
    "visitor_for_user",
    "visitor_language",
    "visitor_socket_closed",
    "visitor_socket_opened",
]
