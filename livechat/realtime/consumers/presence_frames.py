"""The console's presence frames: online, away or offline, notification
switches, and the heartbeat's second look at who the user is.

A mixin of ``AgentConsumer``: what it writes lives in ``services.presence``.
"""

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, get_user_model
from django.db import DatabaseError
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from ...access import staff_role
from ...protocol import FrameError
from ...services import housekeeping, presence
from .. import groups, layer
from ..publishing import db_call
from .base import logger
from .staff import forbidden, session_ended, staff_frame


class PresenceFrames:
    """``presence`` and ``preferences`` frames; the user rechecked."""

    @staff_frame
    async def on_preferences(self, data):
        """Save the agent's notification switches."""
        profile = await db_call(presence.set_preferences)(
            self.user, sound=data.get("sound"), desktop=data.get("desktop")
        )
        await layer.send_to_groups(
            [groups.agent_group(self.user.pk)],
            {
                "type": "preferences",
                "sound": profile.notify_sound,
                "desktop": profile.notify_desktop,
            },
        )

    @staff_frame
    async def on_presence(self, data):
        """The agent sets themselves online, away or offline."""
        status = data.get("status")
        if status not in ("online", "away", "offline"):
            raise FrameError(
                "bad_frame", _("'status' must be online, away or offline.")
            )
        if self.role != "agent":
            # Shoppers are told someone is there by agents' presence only.
            raise FrameError("forbidden", _("Only agents who answer chats go online."))
        await db_call(presence.set_presence)(self.user, status)
        # Every console of this agent (other tabs too) shows the new state.
        await layer.send_to_groups(
            [groups.agent_group(self.user.pk)], {"type": "presence", "status": status}
        )

    async def _still_staff(self):
        """Is the socket's user still who connect() accepted? Else refuse it.

        Someone who logs out, is deactivated or loses the permission keeps
        no console open on the strength of a check made hours ago. A database
        that cannot answer changes nothing (the next heartbeat asks again).
        """
        try:
            user, role = await self._fresh_role()
        except DatabaseError:
            logger.warning(
                "livechat: could not recheck a console's user", exc_info=True
            )
            return True
        if user is None:
            await self._refuse(session_ended())
            return False
        if role is None:
            await self._refuse(forbidden())
            return False
        self.user, self.role = user, role
        return True

    @db_call
    def _fresh_role(self):
        """(user, role) read again, or (None, None) once the session ended."""
        session = self.scope.get("session")
        key = getattr(session, "session_key", None)
        if (
            key
            and not settings.SESSION_ENGINE.endswith("signed_cookies")
            and not session.exists(key)
        ):
            return None, None  # logged out (or the session was cleared)
        user = get_user_model()._default_manager.filter(pk=self.user.pk).first()
        if user is None:
            return None, None
        stored_hash = session.get(HASH_SESSION_KEY) if session is not None else None
        if stored_hash and not constant_time_compare(
            stored_hash, user.get_session_auth_hash()
        ):
            return None, None  # the password changed: Django ends such sessions
        return user, staff_role(user)

    def _heartbeat(self, active):
        if self.role == "agent":
            presence.agent_heartbeat(self.user, self.channel_name, active=active)
        housekeeping.run_if_due()
