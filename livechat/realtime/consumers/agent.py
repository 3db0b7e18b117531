"""The agent console's endpoint."""

import asyncio
import random
import time

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from ... import presentation, protocol, services
from ...access import Action, check_may_act, staff_role
from ...adapter import get_adapter
from ...conf import app_settings
from ...context_cards import render_context_cards
from ...models import AgentProfile, Conversation, Department
from ...protocol import FrameError
from ...services import assignment, canned, offers, presence
from .. import groups
from ..publishing import db_call
from .base import _LivechatConsumer, _peek_type, _Refused, logger
from .inbox_frames import InboxFrames
from .presence_frames import PresenceFrames
from .staff import forbidden, session_ended, staff_frame
from .workspace_frames import WorkspaceFrames

_clock = time.monotonic  # when an agent was last seen active (tests move it)
# How often the heartbeat reads the console's user again (seconds).
ROLE_RECHECK_SECONDS = 60.0
# Where a console's next activity record falls (tests fix it).
_spread = random.uniform  # noqa: S311 - spreading, not security


def _handshake_language(scope):
    """The language the console page was rendered in, as Django's
    LocaleMiddleware chose it: the language cookie, then Accept-Language."""
    request = HttpRequest()
    request.COOKIES = dict(scope.get("cookies") or {})
    for name, value in scope.get("headers") or ():
        if name == b"accept-language":
            request.META["HTTP_ACCEPT_LANGUAGE"] = value.decode("latin-1")
    return translation.get_language_from_request(request)


class AgentConsumer(PresenceFrames, WorkspaceFrames, InboxFrames, _LivechatConsumer):
    """The agent console's endpoint: staff allowed by the adapter only."""

    endpoint = "agent"
    frame_types = frozenset(
        {
            "hello",
            "open",
            "leave",
            "message",
            "claim",
            "close",
            "fetch",
            "typing",
            "read",
            "ping",
            "presence",
            "transfer",
            "note",
            "preferences",
            "watch",
            "inbox",
            "tag",
            "snooze",
            "reopen",
            "canned_save",
            "canned_delete",
        }
    )
    # Frames that show the agent is at work (an idle agent counts as away).
    activity_types = frozenset(
        {
            "open",
            "message",
            "claim",
            "close",
            "typing",
            "transfer",
            "note",
            "tag",
            "snooze",
            "reopen",
        }
    )
    _last_active = 0.0
    _active_gate = 0.0  # seconds from _last_active to the next record
    _postponed = False  # the record after a quiet spell waits for its moment
    # Set by connect() only for a user the adapter accepts: "agent" (answers
    # chats, counts as present) or "supervisor" (watches, may act on any
    # chat, is never given chats). None: every frame is refused.
    role = None
    supervisor = False
    _role_checked_at = 0.0  # when the heartbeat last read the user again
    language = None  # the console page's language, read from the handshake

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.following = set()  # open chats assigned to this agent
        self.watching = set()  # chats open in the console's tabs

    async def connect(self):
        """Runs on the handshake: refuse anyone who is not an agent or supervisor."""
        self.role = None
        await super().connect()
        if self.refused:
            return
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            await self._refuse(session_ended())
            return
        try:
            role = await self._role_of(self.user)
        except DatabaseError:
            logger.warning("livechat: could not check a console's user", exc_info=True)
            await self._refuse(
                _Refused(
                    "unavailable",
                    _("The chat is briefly unavailable; we will retry."),
                    protocol.CLOSE_UNAVAILABLE,
                )
            )
            return
        if role is None:
            await self._refuse(forbidden())
            return
        self.role = role
        self._role_checked_at = _clock()
        self.language = _handshake_language(self.scope)

    @staff_frame
    async def on_hello(self, data):
        """Join the agents' group, then send the inbox."""
        if self.greeted:
            raise FrameError("bad_frame", _("Already greeted."))
        self._check_version(data)
        self._greeted()
        # Join before reading the inbox so no change falls between the two.
        await self._join(groups.AGENTS_GROUP)
        await self._join(groups.agent_group(self.user.pk))
        welcome, followed = await self._welcome()
        self.supervisor = welcome["supervisor"]
        if self.supervisor:
            await self._join(groups.ACTIVITY_GROUP)
        for conversation_id in followed:
            await self._follow_id(conversation_id)
        self._paged = any(s["next"] for s in welcome["sections"].values())
        await self.send_json(welcome)

    async def livechat_event(self, event):
        """Runs for every published frame: forward it, follow own chats, and
        have the inbox's counts sent again while it has pages not sent."""
        frame = event.get("frame")
        kind = frame.get("type") if frame is not None else None
        if kind in ("conversation", "transferred"):
            await self._follow(frame["conversation"])
        # A snooze changes the counts' "snoozed", not who follows the chat.
        if kind in ("conversation", "transferred", "snooze") and self._paged:
            self._recount_soon()
        await super().livechat_event(event)

    async def _follow(self, summary):
        """Be in the group of every open chat assigned to this agent.

        The console's inbox then shows each new message of its own chats
        from the message itself: no per-message summary to the agent.
        """
        conversation_id = summary.get("id")
        mine = (summary.get("agent") or {}).get("id") == self.user.pk and summary.get(
            "status"
        ) in Conversation.OPEN_STATUSES
        if mine:
            await self._follow_id(conversation_id)
        elif conversation_id in self.following:
            self.following.discard(conversation_id)
            if conversation_id not in self.watching:
                await self._leave(groups.conversation_group(conversation_id))

    async def _follow_id(self, conversation_id):
        if conversation_id not in self.following:
            self.following.add(conversation_id)
            await self._join(groups.conversation_group(conversation_id))

    @staff_frame
    async def on_watch(self, data):
        """Show (or stop showing) other agents' chats live: previews, unread."""
        others = data.get("others")
        if not isinstance(others, bool):
            raise FrameError("bad_frame", _("'others' must be true or false."))
        if others:
            await self._join(groups.ACTIVITY_GROUP)
            # What changed while not watching, then the live stream.
            await self._send_page("others", None)
        elif not self.supervisor:
            await self._leave(groups.ACTIVITY_GROUP)

    async def receive(self, text_data=None, bytes_data=None):
        """Runs for every frame: as for visitors, and notes the agent is active."""
        await super().receive(text_data=text_data, bytes_data=bytes_data)
        now = _clock()
        # At most once a tenth of the idle time per socket: an agent whose
        # socket said so that recently cannot have gone idle meanwhile, and a
        # busy agent's every reply is not a query. The next one somewhere in
        # the second half of that, at random: consoles that go on together
        # (a deploy reconnects them all; a busy minute) would otherwise write
        # together every minute, hundreds of queries in one second.
        if (
            self.role == "agent"
            and self.greeted
            and now - self._last_active > self._active_gate
        ):
            kind = _peek_type(text_data)
            if kind in self.activity_types:
                every = min(60.0, max(5.0, app_settings.AGENT_IDLE_AWAY_SECONDS / 10))
                quiet = now - self._last_active
                # The agent was quiet when the record fell due (a lull, a
                # pause between rushes): it waits for a moment drawn in the
                # next half interval. Consoles that resume together would
                # otherwise all write on their first frame, in the same
                # second. Near the idle limit it is written at once.
                if (
                    self._last_active
                    and not self._postponed
                    and quiet - self._active_gate > every / 10
                    and quiet < app_settings.AGENT_IDLE_AWAY_SECONDS - every
                ):
                    self._postponed = True
                    self._active_gate = quiet + every * _spread(0.0, 0.5)
                    return
                self._postponed = False
                self._last_active = now
                self._active_gate = every * _spread(0.5, 1.0)
                await self._best_effort(presence.agent_active, self.user)

    async def _best_effort(self, func, *args):
        """Presence bookkeeping must never cost the agent their socket."""
        try:
            await db_call(func)(*args)
        except DatabaseError:
            logger.warning("livechat: presence update failed", exc_info=True)
        except Exception:
            logger.exception("livechat: presence update failed")

    @staff_frame
    async def on_open(self, data):
        """Watch a conversation: its summary, context and missed messages."""
        conversation = await self._conversation(data)
        self.watching.add(conversation.pk)
        await self._join(groups.conversation_group(conversation.pk))
        await self.send_json(await self._opened(conversation))
        after = protocol.int_of(data, "last_seq", default=0)
        await self._send_replay(conversation, after)

    @staff_frame
    async def on_leave(self, data):
        """Stop the live frames of a conversation."""
        conversation_id = protocol.int_of(data, "conversation")
        self.watching.discard(conversation_id)
        if conversation_id not in self.following:
            await self._leave(groups.conversation_group(conversation_id))

    @staff_frame
    async def on_message(self, data):
        """Store the agent's reply (idempotent by client id) and ack it; with
        ``offer`` (a coupon code) or ``canned`` (a saved reply's id), what it
        was written from."""
        client_id = protocol.client_id_of(data)
        body = protocol.body_of(data, client_id)
        conversation_id = protocol.int_of(data, "conversation")
        offer = protocol.offer_code_of(data, client_id)
        canned = None
        if data.get("canned") is not None:
            canned = protocol.int_of(data, "canned")
        posted = await services.send_agent_message(
            self.user,
            conversation_id,
            body,
            client_id,
            author=self.author,
            offer=offer,
            canned=canned,
        )
        await self.send_json(posted.ack())

    @staff_frame
    async def on_claim(self, data):
        """Take a waiting conversation (past the agent's limit: with ``override``)."""
        override = data.get("override", False)
        if not isinstance(override, bool):
            raise FrameError("bad_frame", _("'override' must be true or false."))
        conversation = await self._conversation(data)
        await db_call(services.claim_conversation)(
            conversation, self.user, override=override
        )

    @staff_frame
    async def on_close(self, data):
        """Close a conversation, optionally tagged with what it was about."""
        conversation = await self._conversation(data)
        tag = data.get("tag") if isinstance(data.get("tag"), str) else ""
        if tag and tag not in {key for key, _label in app_settings.CLOSE_TAGS}:
            raise FrameError("bad_frame", _("Unknown tag."))
        await db_call(services.close_conversation)(
            conversation, closed_by=self.user, tag=tag
        )

    @staff_frame
    async def on_transfer(self, data):
        """Hand a conversation to another agent or a department, with a note."""
        conversation = await self._conversation(data)
        note = data.get("note") if isinstance(data.get("note"), str) else ""
        if len(note) > app_settings.MAX_MESSAGE_LENGTH:
            raise FrameError("too_large", _("The note is too long."))
        await self._transfer(conversation, data, note)
        await self.send_json({"type": "transfer_done", "conversation": conversation.pk})

    @staff_frame
    async def on_note(self, data):
        """Add an internal note (agents only; never sent to the shopper)."""
        client_id = protocol.client_id_of(data)
        body = protocol.body_of(data, client_id)
        conversation = await self._conversation(data)
        note, _created = await db_call(assignment.add_note)(
            conversation, self.user, body, client_id
        )
        await self.send_json(
            {
                "type": "note_ack",
                "client_id": client_id,
                "id": note.pk,
                "conversation": conversation.pk,
            }
        )

    @staff_frame
    async def on_fetch(self, data):
        """Send a range of messages the console is missing."""
        conversation = await self._conversation(data)
        after = protocol.int_of(data, "after_seq", default=0)
        before = data.get("before_seq")
        before = protocol.int_of(data, "before_seq") if before is not None else None
        await self._send_replay(conversation, after, before)

    @staff_frame
    async def on_typing(self, data):
        """Relay the agent's typing state to the shopper (if theirs to answer)."""
        conversation = await self._conversation(data, Action.TYPE)
        # The name shoppers see on this agent's messages, resolved at hello:
        # the widget says "Anna is typing", and no keystroke asks the adapter.
        await services.publish_typing(
            conversation.pk,
            conversation.visitor_id,
            "agent",
            data.get("active"),
            name=self.author["name"],
        )

    @staff_frame
    async def on_read(self, data):
        """Record how far the agent has read."""
        seq = protocol.int_of(data, "seq")
        conversation = await self._conversation(data)
        await db_call(services.mark_read)(conversation, "agent", seq, user=self.user)

    async def disconnect(self, code):
        """Runs when the console closes: count the agent out after a grace."""
        if self._recount is not None:
            self._recount.cancel()
        await super().disconnect(code)
        if self.greeted and self.role == "agent":
            await self._best_effort(
                presence.agent_disconnected, self.user, self.channel_name
            )
            # The widgets and the board learn the agent left once the grace
            # period is over.
            user = self.user
            asyncio.get_running_loop().call_later(
                app_settings.AGENT_GRACE_SECONDS + 0.5,
                lambda: asyncio.ensure_future(
                    self._best_effort(presence.agent_grace_over, user)
                ),
            )

    @staff_frame
    async def on_ping(self, data):
        """The console's heartbeat: keeps the agent present; runs housekeeping.

        Always answered with ``pong``: the socket is alive even when the
        database is not.
        """
        if _clock() - self._role_checked_at >= ROLE_RECHECK_SECONDS:
            self._role_checked_at = _clock()
            if not await self._still_staff():
                return
        await self._best_effort(self._heartbeat, data.get("active") is True)
        await self.send_json({"type": "pong"})

    @db_call
    def _role_of(self, user):
        return staff_role(user)

    @db_call
    def _welcome(self):
        adapter = get_adapter()
        if self.role == "agent":
            presence.agent_connected(self.user, self.channel_name)
        # A supervisor who answers no chats may have no profile: its defaults.
        profile = AgentProfile.objects.filter(user=self.user).first() or AgentProfile(
            user=self.user
        )
        supervisor = adapter.is_supervisor(self.user)
        # How shoppers see this agent's messages: asked once, not per message.
        self.author = presentation.agent_author(self.user)
        summaries, sections = services.inbox_welcome(self.user)
        return {
            "presence": profile.presence,
            "preferences": {
                "sound": profile.notify_sound,
                "desktop": profile.notify_desktop,
            },
            "routing": app_settings.ROUTING,
            "long_wait_seconds": app_settings.LONG_WAIT_SECONDS,
            "close_tags": [
                {"key": key, "label": str(label)}
                for key, label in app_settings.CLOSE_TAGS
            ],
            "departments": [
                {"id": d.pk, "name": d.name} for d in Department.objects.all()
            ],
            "agents": assignment.agents_board(),
            "canned": canned.replies_for(self.user),
            "type": "welcome",
            "protocol": protocol.PROTOCOL_VERSION,
            "agent": {"id": self.user.pk, "name": adapter.agent_public_name(self.user)},
            "supervisor": supervisor,
            "role": self.role,
            "max_message_length": app_settings.MAX_MESSAGE_LENGTH,
            "inbox": summaries,
            "sections": sections,
        }, services.followed_ids(self.user)

    @db_call
    def _conversation(self, data, action=None):
        """The frame's conversation; with ``action``, only if this user may do it."""
        conversation_id = protocol.int_of(data, "conversation")
        try:
            conversation = Conversation.objects.select_related(
                "visitor__user", "assigned_agent__livechat_profile", "invitation"
            ).get(pk=conversation_id)
        except ObjectDoesNotExist as exc:
            raise FrameError("not_found", _("No such conversation.")) from exc
        if action is not None:
            check_may_act(self.user, conversation, action)
        return conversation

    @db_call
    def _opened(self, conversation):
        context, visit = services.visitor_context(conversation.visitor, conversation.pk)
        preview = services.last_preview(conversation)
        suggested = offers.offers_for_conversation(conversation, context)
        with translation.override(self.language):
            context_html = render_context_cards(context, visit, suggested)
        return {
            "type": "opened",
            "conversation": presentation.conversation_summary(
                conversation, preview, tags=services.tags_of(conversation)
            ),
            "context": context,
            "context_html": context_html,
            "offers": suggested,
            "visit": visit,
            "notes": [
                assignment.note_frame(n)["note"]
                for n in assignment.notes_of(conversation)
            ],
        }

    @db_call
    def _transfer(self, conversation, data, note):
        to_agent = to_department = None
        if data.get("agent") is not None:
            agent_id = protocol.int_of(data, "agent")
            to_agent = get_user_model().objects.filter(pk=agent_id).first()
            if to_agent is None:
                raise FrameError("not_found", _("No such agent."))
        elif data.get("department") is not None:
            department_id = protocol.int_of(data, "department")
            to_department = Department.objects.filter(pk=department_id).first()
            if to_department is None:
                raise FrameError("not_found", _("No such department."))
        return assignment.transfer_conversation(
            conversation, self.user, to_agent, to_department, note
        )
