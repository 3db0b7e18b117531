from rest_framework import serializers

from .. import presentation
from ..conf import app_settings
from ..models import Conversation, Message


class MessageSerializer(serializers.ModelSerializer):
    """A message in the same shape as the WebSocket protocol's."""

    class Meta:
        model = Message
        fields = ["id"]

    def to_representation(self, instance):
        return presentation.message_data(instance)


class ConversationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Conversation
        fields = ["id"]

    def to_representation(self, instance):
        return presentation.conversation_summary(
            instance, getattr(instance, "preview", "")
        )


class ReplySerializer(serializers.Serializer):
    """An agent's reply: the same rules as the WebSocket ``message`` frame."""

    client_id = serializers.CharField(min_length=1, max_length=64)
    body = serializers.CharField(trim_whitespace=True)

    def validate_body(self, value):
        if len(value) > app_settings.MAX_MESSAGE_LENGTH:
            raise serializers.ValidationError(
                f"The message is longer than {app_settings.MAX_MESSAGE_LENGTH} "
                "characters."
            )
        return value

    def validate_client_id(self, value):
        if not value.isprintable():
            raise serializers.ValidationError("client_id must be printable.")
        return value
