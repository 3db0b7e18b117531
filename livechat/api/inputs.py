"""What the API reads: request bodies and query parameters, validated
before any service is called."""

from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from ..conf import app_settings
from ..models import Conversation
from ..services.tags import tag_keys

_MAX_ID = 2**63 - 1
_MAX_SEQ = 2**31


def _id(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=_MAX_ID, **kwargs)


class SearchField(serializers.CharField):
    """Any text: the search service splits it into words, reads the first
    ten and treats characters no stored text holds (NUL, lone surrogates)
    as spaces."""

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(
                validator,
                ProhibitNullCharactersValidator | ProhibitSurrogateCharactersValidator,
            )
        ]


class ConversationFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Conversation.Status.choices, required=False
    )
    agent = _id(required=False, help_text="Assigned agent's user id.")
    department = _id(required=False)
    tag = serializers.CharField(max_length=50, required=False)
    created_after = serializers.DateTimeField(
        required=False, help_text="Opened at or after (ISO 8601)."
    )
    created_before = serializers.DateTimeField(
        required=False, help_text="Opened before (ISO 8601)."
    )
    visitor_email = serializers.CharField(max_length=254, required=False)
    q = SearchField(
        required=False,
        allow_blank=True,
        help_text="Search: each word is a conversation number (#123), a topic, a word "
        "of a message, or part of the visitor's name or email.",
    )


class MessageRangeSerializer(serializers.Serializer):
    after_seq = serializers.IntegerField(
        min_value=0, max_value=_MAX_SEQ, required=False, default=0
    )
    before_seq = serializers.IntegerField(
        min_value=0, max_value=_MAX_SEQ, required=False
    )


class ClientIdField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(min_length=1, max_length=64, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not value.isprintable():
            raise serializers.ValidationError(_("client_id must be printable."))
        return value


class PostMessageSerializer(serializers.Serializer):
    """An agent's reply: the same rules as the WebSocket ``message`` frame."""

    client_id = ClientIdField(
        help_text="Idempotency key: a retry with it returns the same message."
    )
    body = serializers.CharField(trim_whitespace=True)

    def validate_body(self, value):
        if len(value) > app_settings.MAX_MESSAGE_LENGTH:
            raise serializers.ValidationError(
                _("The message is longer than %(max)s characters.")
                % {"max": app_settings.MAX_MESSAGE_LENGTH}
            )
        return value


class PostNoteSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=4000)
    client_id = ClientIdField(
        required=False, help_text="Idempotency key, as for messages."
    )


class TransferSerializer(serializers.Serializer):
    agent = _id(required=False, help_text="To this agent (user id)...")
    department = _id(required=False, help_text="...or to this department.")
    note = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default=""
    )

    def validate(self, attrs):
        if ("agent" in attrs) == ("department" in attrs):
            raise serializers.ValidationError(
                _("Give either an agent or a department.")
            )
        return attrs


class TagField(serializers.ChoiceField):
    """A key of ``LIVECHAT_CLOSE_TAGS``, as the setting is when the field is
    made (each request; the schema shows them as its enum)."""

    def __init__(self, **kwargs):
        super().__init__(choices=sorted(tag_keys()), **kwargs)


class CloseSerializer(serializers.Serializer):
    tag = TagField(
        required=False,
        allow_blank=True,
        default="",
        help_text="What it was about: a key of LIVECHAT_CLOSE_TAGS.",
    )


class ReopenSerializer(serializers.Serializer):
    override = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Take it even past your maximum of open chats.",
    )


class SetTagsSerializer(serializers.Serializer):
    tags = serializers.ListField(child=TagField(), max_length=50)


class AddTagSerializer(serializers.Serializer):
    tag = TagField()


class VisitorLookupSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)


class SavedReplyInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=100, required=False, allow_blank=True)
    shortcut = serializers.CharField(max_length=100)
    language = serializers.CharField(max_length=35, required=False, allow_blank=True)
    body = serializers.CharField(max_length=4000)
    department = _id(required=False, allow_null=True)
    shared = serializers.BooleanField(
        required=False,
        default=False,
        help_text="On creation: shared with every agent (needs the right).",
    )


class ReportFilterSerializer(serializers.Serializer):
    start = serializers.DateField(
        required=False, help_text="First local day (default: 27 days before end)."
    )
    end = serializers.DateField(required=False, help_text="Last day (default: today).")
    department = _id(required=False)
    agent = _id(required=False, help_text="An agent's user id.")
