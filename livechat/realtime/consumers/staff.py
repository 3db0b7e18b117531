"""What the console's socket answers a user who is not (or no longer) staff."""

import functools

from django.utils.translation import gettext as _

from ... import protocol
from .base import _Refused


def session_ended():
    return _Refused(
        "login_required",
        _("Your session has ended. Log in again to answer chats."),
        protocol.CLOSE_UNAUTHENTICATED,
    )


def forbidden():
    return _Refused(
        "forbidden",
        _("Only agents can use the live console."),
        protocol.CLOSE_FORBIDDEN,
    )


def staff_frame(handler):
    """Run an agent frame's handler only on a socket whose user was accepted.

    ``connect`` refuses everyone else and the base class then drops their
    frames; each handler checks again, so no path that skips ``connect`` (or
    a frame that raced it) can act as staff.
    """

    @functools.wraps(handler)
    async def checked(self, data):
        if self.role is None:
            raise forbidden()
        return await handler(self, data)

    return checked
