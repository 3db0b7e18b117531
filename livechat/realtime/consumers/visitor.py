"""The shopper widget's endpoint."""

from django.utils.translation import gettext as _

from ... import presentation, protocol, ratelimit, services
from ...conf import app_settings
from ...errors import ServiceError
from ...models import Conversation
from ...protocol import FrameError
from ...services import availability, invitations, offline, queue, visitors
from ...tokens import InvalidToken, read_visitor_token
from .. import groups
from ..publishing import db_call
from . import admission
from .base import _LivechatConsumer, _profile, _Refused, security_logger


class VisitorConsumer(_LivechatConsumer):
    """The shopper widget's endpoint: one visitor, only their conversations."""

    endpoint = "visitor"
    frame_types = frozenset(
        {
            "hello",
            "message",
            "fetch",
            "typing",
            "read",
            "page",
            "ping",
            "profile",
            "offline_message",
            "rate",
            "transcript",
            "invitation_shown",
        }
    )

    _visitor_counted = False

    def _release_counts(self):
        super()._release_counts()
        if self._visitor_counted:
            self._visitor_counted = False
            admission.sockets_per_visitor.release(self._visitor_key)

    async def disconnect(self, code):
        """Runs when the widget's socket closes: one live socket fewer."""
        await super().disconnect(code)
        if self.greeted:
            await db_call(services.visitor_socket_closed)(self.visitor)

    async def on_hello(self, data):
        """Authenticate the token, then send the state and replay what was missed."""
        if self.greeted:
            raise FrameError("bad_frame", _("Already greeted."))
        self._check_version(data)
        try:
            key = read_visitor_token(data.get("token"))
        except InvalidToken as exc:
            raise _Refused(
                "auth_failed",
                _("Your chat session has expired. Reload the page."),
                protocol.CLOSE_UNAUTHENTICATED,
            ) from exc
        # Counted by the token's key before any query: a flood of hellos with
        # one token costs the database nothing.
        if not admission.sockets_per_visitor.take(key):
            raise _Refused(
                "too_many_connections",
                _("This chat is open in too many windows. Close some and reload."),
                protocol.CLOSE_TOO_MANY_CONNECTIONS,
            )
        self._visitor_key, self._visitor_counted = key, True
        try:
            self.visitor = await self._load_visitor(key, self.scope.get("user"), data)
        except ServiceError as exc:
            # Another customer's visitor: nothing of it was read or changed.
            raise _Refused(exc.code, exc.message, protocol.CLOSE_FORBIDDEN) from exc
        self._greeted()
        await db_call(services.visitor_socket_opened)(self.visitor)
        await self._join(groups.visitor_group(self.visitor.pk))
        await self._join(groups.WIDGETS_GROUP)
        asked = data.get("conversation")
        conversation = await self._conversation_for_welcome(asked)
        await self.send_json(await self._welcome(conversation))
        if conversation is not None:
            after = 0
            if asked == conversation.pk:
                after = protocol.int_of(data, "last_seq", default=0)
            await self._send_replay(conversation, after)

    async def on_message(self, data):
        """Store the shopper's message (idempotent by client id) and ack it."""
        client_id = protocol.client_id_of(data)
        body = protocol.body_of(data, client_id)
        topic = visitors.clean_topic(data.get("topic"))
        invitation = None
        if data.get("invitation") is not None:
            invitation = protocol.int_of(data, "invitation")
        posted = await services.send_visitor_message(
            self.visitor, body, client_id, topic, ip=self.ip, invitation=invitation
        )
        await self.send_json(posted.ack())

    async def on_invitation_shown(self, data):
        """The widget showed an invitation: counted for the reports. Past the
        ``invitation`` rate limit, or for a rule switched off, nothing is
        counted and nothing answered (the widget waits for no reply)."""
        rule_id = protocol.int_of(data, "invitation")
        try:
            await ratelimit.atake("invitation", self.visitor.pk, self.ip)
        except ratelimit.RateLimited:
            return
        await db_call(invitations.invitation_shown)(rule_id, self.visitor.pk)

    async def on_profile(self, data):
        """The pre-chat form, or an email left while waiting."""
        enforce = data.get("prechat") is True
        await ratelimit.atake("profile", self.visitor.pk, self.ip)
        visitor = await db_call(visitors.update_profile)(self.visitor, data, enforce)
        await self.send_json({"type": "profile", "visitor": _profile(visitor)})

    async def on_offline_message(self, data):
        """A message left while nobody is there (idempotent by client id)."""
        client_id = protocol.client_id_of(data)
        conversation, _created = await db_call(offline.post_offline_message)(
            self.visitor, data, client_id, self.ip
        )
        state = await db_call(availability.availability)()
        await self.send_json(
            {
                "type": "offline_ack",
                "client_id": client_id,
                "conversation": conversation.pk,
                "next_open": state["next_open"],
            }
        )

    async def on_rate(self, data):
        """The shopper rates a finished conversation."""
        conversation = await self._own_conversation(data)
        await db_call(visitors.rate_conversation)(
            conversation, data.get("rating"), data.get("comment", "")
        )
        await self.send_json(
            {"type": "rated", "conversation": conversation.pk, "rating": data["rating"]}
        )

    async def on_transcript(self, data):
        """Email the shopper their transcript."""
        conversation = await self._own_conversation(data)
        await ratelimit.atake("transcript", self.visitor.pk, self.ip)
        email = data.get("email") or self.visitor.email
        sent_to = await db_call(visitors.email_transcript)(conversation, email)
        await self.send_json(
            {
                "type": "transcript_sent",
                "conversation": conversation.pk,
                "email": sent_to,
            }
        )

    async def on_fetch(self, data):
        """Send a range of messages the client is missing."""
        conversation = await self._own_conversation(data)
        after = protocol.int_of(data, "after_seq", default=0)
        before = data.get("before_seq")
        before = protocol.int_of(data, "before_seq") if before is not None else None
        await self._send_replay(conversation, after, before)

    async def on_typing(self, data):
        """Relay the shopper's typing state to agents watching the chat."""
        conversation = await self._open_conversation()
        if conversation is not None:
            await services.publish_typing(
                conversation.pk,
                self.visitor.pk,
                "visitor",
                data.get("active") is True,
                draft=data.get("draft") is True,
            )

    async def on_read(self, data):
        """Record how far the shopper has read."""
        seq = protocol.int_of(data, "seq")
        conversation = await self._own_conversation(data)
        await db_call(services.mark_read)(conversation, "visitor", seq)

    async def on_page(self, data):
        """Record the page the shopper is looking at now; agents with their
        chat open see it (``visitor_page``, coalesced)."""
        url = data.get("url")
        if not isinstance(url, str):
            raise FrameError("bad_frame", _("'url' must be text."))
        title = data.get("title", "")
        if not isinstance(title, str):
            raise FrameError("bad_frame", _("'title' must be text."))
        await db_call(visitors.record_page)(self.visitor, url, title)

    @db_call
    def _load_visitor(self, key, user, data):
        visitor = services.get_or_create_visitor(key, user)
        headers = dict(self.scope.get("headers") or [])
        user_agent = headers.get(b"user-agent", b"").decode("latin-1")
        page, locale = data.get("page"), data.get("locale")
        session = self.scope.get("session")
        services.touch_visitor(
            visitor,
            page=page,
            locale=locale,
            user_agent=user_agent,
            session_key=getattr(session, "session_key", None),
            ip=self.ip,
        )
        return visitor

    @db_call
    def _conversation_for_welcome(self, asked):
        if isinstance(asked, int) and not isinstance(asked, bool):
            conversation = (
                Conversation.objects.filter(pk=asked, visitor=self.visitor)
                .select_related("assigned_agent__livechat_profile")
                .first()
            )
            if conversation is not None:
                return conversation
        return services.open_conversation_of(self.visitor)

    @db_call
    def _welcome(self, conversation):
        return {
            "type": "welcome",
            "protocol": protocol.PROTOCOL_VERSION,
            "visitor": _profile(self.visitor),
            "conversation": conversation
            and presentation.conversation_state(conversation),
            "queue": queue.queue_frame_for(conversation),
            "availability": availability.availability(),
            "max_message_length": app_settings.MAX_MESSAGE_LENGTH,
        }

    @db_call
    def _open_conversation(self):
        return services.open_conversation_of(self.visitor)

    @db_call
    def _own_conversation(self, data):
        conversation_id = protocol.int_of(data, "conversation")
        conversation = Conversation.objects.filter(pk=conversation_id).first()
        if conversation is None or conversation.visitor_id != self.visitor.pk:
            security_logger.warning(
                "livechat: visitor %s asked for conversation %s",
                self.visitor.pk,
                conversation_id,
            )
            # Same answer for "not yours" and "does not exist": nothing leaks.
            raise FrameError("forbidden", _("That conversation is not yours."))
        return conversation
