"""The console's frames for tags, snoozing, reopening and saved replies.

A mixin of ``AgentConsumer``: each handler parses its frame, the services
check who may do it (``access``, ``services.canned``) and publish the change.
"""

from django.utils.translation import gettext as _

from ... import protocol, services
from ...errors import ServiceError
from ...protocol import FrameError
from ...services import canned, snooze
from ..publishing import db_call
from .staff import staff_frame


def _flag(data, key, default):
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise FrameError(
            "bad_frame", _("'%(key)s' must be true or false.") % {"key": key}
        )
    return value


def _optional_client_id(data):
    if data.get("client_id") is None:
        return None
    return protocol.client_id_of(data)


class WorkspaceFrames:
    """``tag``, ``snooze``, ``reopen``, ``canned_save`` and ``canned_delete``."""

    @staff_frame
    async def on_tag(self, data):
        """Put a tag on a conversation (``on``) or take it off."""
        tag = data.get("tag")
        if not isinstance(tag, str):
            raise FrameError("bad_frame", _("'tag' must be text."))
        on = _flag(data, "on", True)
        conversation = await self._conversation(data)
        tags, changed = await db_call(services.set_tag)(
            conversation, tag, on, by=self.user
        )
        if not changed:  # nothing published: this console still gets its answer
            await self.send_json(
                {"type": "tags", "conversation": conversation.pk, "tags": tags}
            )

    @staff_frame
    async def on_snooze(self, data):
        """Snooze an open chat until the shopper answers (``on``), or wake it."""
        on = _flag(data, "on", True)
        conversation = await self._conversation(data)
        frame = await self._snoozed(conversation, on)
        if frame is not None:
            await self.send_json(frame)

    @db_call
    def _snoozed(self, conversation, on):
        """The ``snooze`` frame for this console when nothing changed (no
        broadcast went out), else None."""
        conversation, changed = services.snooze_conversation(
            conversation, self.user, on
        )
        return None if changed else snooze.snooze_frame(conversation)

    @staff_frame
    async def on_reopen(self, data):
        """Open a closed conversation again (an agent takes it)."""
        override = _flag(data, "override", False)
        conversation = await self._conversation(data)
        await db_call(services.reopen_conversation)(
            conversation, self.user, override=override
        )

    @staff_frame
    async def on_canned_save(self, data):
        """Create a saved reply (no ``id``) or edit one."""
        client_id = _optional_client_id(data)
        reply_id = data.get("id")
        if reply_id is not None:
            reply_id = protocol.int_of(data, "id")
        fields = {k: data[k] for k in canned.EDITABLE if k in data}
        if reply_id is None and "shared" in data:
            fields["shared"] = _flag(data, "shared", False)
        from_message = data.get("from_message")
        if from_message is not None:
            from_message = protocol.int_of(data, "from_message")
        try:
            reply = await db_call(canned.save_reply)(
                self.user, fields, reply_id, from_message
            )
        except ServiceError as exc:
            await self._refused(exc, client_id)
            return
        await self.send_json(
            {
                "type": "canned_saved",
                "client_id": client_id,
                "reply": canned.reply_data(reply),
            }
        )

    @staff_frame
    async def on_canned_delete(self, data):
        """Delete a saved reply."""
        client_id = _optional_client_id(data)
        reply_id = protocol.int_of(data, "id")
        try:
            await db_call(canned.delete_reply)(self.user, reply_id)
        except ServiceError as exc:
            await self._refused(exc, client_id)
            return
        await self.send_json(
            {"type": "canned_deleted", "client_id": client_id, "id": reply_id}
        )

    async def _refused(self, exc, client_id):
        """A saved reply's refusal, with the frame's ``client_id`` (and the
        wrong field, for ``invalid``)."""
        await self.send_json(
            protocol.error_frame(
                exc.code, exc.message, client_id, fields=getattr(exc, "fields", None)
            )
        )
