"""Signals the host project can listen to.

All are sent by ``livechat.services`` after the change is committed to the
database, never for a refused or duplicate request.
"""

from django.dispatch import Signal

#: A message was stored. Arguments: ``message`` (Message), ``conversation``
#: (Conversation). ``sender`` is the Message class.
message_posted = Signal()

#: A visitor started a new conversation. Arguments: ``conversation``.
conversation_opened = Signal()

#: An agent took a conversation (by claiming it or by replying first).
#: Arguments: ``conversation``, ``agent`` (the user).
conversation_assigned = Signal()

#: A conversation was closed. Arguments: ``conversation``, ``closed_by`` (the
#: user, or None when the visitor or the system closed it).
conversation_closed = Signal()
