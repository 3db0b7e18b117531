"""What the API answers (what it reads: ``inputs``).

These serializers document, for the OpenAPI schema, the shapes the
services' presentation gives (``presentation``, ``protocol``,
``canned.reply_data``...): the views answer those dicts as they are, the
same as the console's socket sees them, and the schema test checks every
answer against these.
"""

from rest_framework import serializers

from ..models import AgentProfile, Conversation, Message


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable error code, e.g. not_found.")
    detail = serializers.CharField(help_text="Explanation for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Invalid inputs by name, each with its messages.",
    )


class AuthorSerializer(serializers.Serializer):
    name = serializers.CharField()
    avatar = serializers.CharField(allow_null=True)


class AgentRefSerializer(AuthorSerializer):
    id = serializers.IntegerField()


class AttachmentSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Download URL; checks who asks.")
    thumbnail = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    conversation = serializers.IntegerField()
    seq = serializers.IntegerField(help_text="Position in its conversation.")
    sender = serializers.ChoiceField(choices=Message.Sender.choices)
    author = AuthorSerializer(allow_null=True, help_text="An agent's face.")
    body = serializers.CharField(allow_blank=True)
    client_id = serializers.CharField(allow_null=True)
    created = serializers.DateTimeField()
    attachment = AttachmentSerializer(allow_null=True)


class TranscriptSerializer(serializers.Serializer):
    conversation = serializers.IntegerField()
    messages = MessageSerializer(many=True)
    more = serializers.BooleanField(help_text="More follow: ask again after_seq.")


class VisitorBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    given_name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    other_email = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    current_page = serializers.CharField(allow_blank=True)
    locale = serializers.CharField(allow_blank=True)


class ConversationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Conversation.Status.choices)
    topic = serializers.CharField(allow_blank=True)
    department = serializers.IntegerField(allow_null=True)
    close_tag = serializers.CharField(allow_blank=True)
    source = serializers.ChoiceField(choices=Conversation.Source.choices)
    rating = serializers.ChoiceField(
        choices=Conversation.Rating.choices, allow_null=True
    )
    rating_comment = serializers.CharField(allow_blank=True)
    visitor = VisitorBriefSerializer()
    agent = AgentRefSerializer(allow_null=True)
    last_seq = serializers.IntegerField()
    agent_read_seq = serializers.IntegerField()
    visitor_read_seq = serializers.IntegerField()
    preview = serializers.CharField(allow_blank=True)
    created = serializers.DateTimeField()
    last_message_at = serializers.DateTimeField(allow_null=True)
    first_agent_reply_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    snoozed = serializers.BooleanField()
    reopened_at = serializers.DateTimeField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())


class NoteAuthorSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(allow_blank=True)


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    conversation = serializers.IntegerField()
    author = NoteAuthorSerializer()
    body = serializers.CharField()
    client_id = serializers.CharField(allow_null=True)
    created = serializers.DateTimeField()


class TagsSerializer(serializers.Serializer):
    tags = serializers.ListField(
        child=serializers.CharField(), help_text="Keys of LIVECHAT_CLOSE_TAGS."
    )


class VisitorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    locale = serializers.CharField(allow_blank=True)
    user = serializers.IntegerField(allow_null=True, help_text="Customer account.")
    current_page = serializers.CharField(allow_blank=True)
    created = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()


class VisitorDetailSerializer(VisitorSerializer):
    conversations = ConversationSerializer(
        many=True, help_text="Their chats, newest first (at most 50)."
    )


class VisitorListSerializer(serializers.Serializer):
    results = VisitorSerializer(many=True)


class ExportSerializer(serializers.Serializer):
    exported_at = serializers.DateTimeField()
    visitors = serializers.ListField(
        child=serializers.DictField(),
        help_text="Each visitor with their conversations, messages and orders.",
    )


class ErasureSerializer(serializers.Serializer):
    visitors = serializers.IntegerField()
    conversations = serializers.IntegerField()
    open_conversations = serializers.IntegerField()
    messages = serializers.IntegerField()
    notes = serializers.IntegerField()
    attachments = serializers.IntegerField()
    orders = serializers.IntegerField()


class SavedReplySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(allow_blank=True)
    shortcut = serializers.CharField()
    language = serializers.CharField(allow_blank=True)
    body = serializers.CharField()
    department = serializers.IntegerField(allow_null=True)
    owner = serializers.IntegerField(
        allow_null=True, help_text="Its agent; null: shared with everyone."
    )


class DepartmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    topics = serializers.ListField(child=serializers.CharField())
    agents = serializers.ListField(child=serializers.IntegerField())


class AgentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    presence = serializers.ChoiceField(choices=AgentProfile.Presence.choices)
    present = serializers.BooleanField(help_text="Answering now.")
    connected = serializers.BooleanField(help_text="At the console.")
    idle = serializers.BooleanField()
    open_chats = serializers.IntegerField()
    max_chats = serializers.IntegerField()


class CallerTokenSerializer(serializers.Serializer):
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField(allow_null=True)


class CallerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=["agent", "supervisor"])


class RootSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok"])
    version = serializers.CharField(help_text="livechat's version.")
    api_version = serializers.ChoiceField(choices=["v1"])
    user = CallerSerializer()
    token = CallerTokenSerializer(allow_null=True)


# Reports ------------------------------------------------------------------------


class ReportSummarySerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()


class ReportFigureSerializer(serializers.Serializer):
    key = serializers.CharField(allow_blank=True)
    label = serializers.CharField()
    value = serializers.JSONField(
        allow_null=True,
        help_text='A number, a day (ISO 8601), text, "inf", or null for none.',
    )
    unit = serializers.CharField(
        help_text="text, day, count, seconds, percent, ratio, money or hours."
    )
    note = serializers.CharField(allow_blank=True)


class ReportColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()


class ReportTableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    columns = ReportColumnSerializer(many=True)
    rows = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField(allow_null=True)),
        help_text="One list per row, a value per column, as figures' values.",
    )


class ReportSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    department = serializers.IntegerField(allow_null=True)
    agent = serializers.IntegerField(allow_null=True)
    currency = serializers.CharField(allow_blank=True)
    figures = ReportFigureSerializer(many=True)
    tables = ReportTableSerializer(many=True)
