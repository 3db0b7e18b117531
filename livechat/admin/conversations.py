"""Conversations, messages and agents' profiles in the admin.

Conversations are records here: their state changes only through
``livechat.services`` (the "Close" action), never by editing a form.
"""

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .. import services
from ..adapter import get_adapter
from ..conf import app_settings
from ..errors import ServiceError
from ..models import AgentProfile, Conversation, Message
from ..protocol import visitor_emails
from .console import console_link_context
from .links import admin_url, short_datetime
from .paging import EstimatedCountPaginator

# The fields of a conversation's fact the reports' links filter by.
REPORT_LOOKUPS = frozenset(
    (
        "day",
        "hour",
        "weekday",
        "department_key",
        "agent_key",
        "outcome",
        "met_target",
        "page_kind",
        "product_key",
        "close_tag",
        "topic",
        "invitation_key",
        "ordered_at",
        "source",
    )
)


def _close_before_deleting(conversations):
    """Open chats are closed (and consoles and the widget told) first.

    Closed by the store: deleting conversations is its own permission. A
    console would otherwise keep a tab of a chat that no longer exists.
    """
    for conversation in conversations:
        if conversation.is_open:
            services.close_conversation(conversation)


class _AgentFilter(admin.RelatedFieldListFilter):
    """The agents (users with an agent profile) to filter by: read from the
    small profile table, not from every conversation's agent."""

    def field_choices(self, field, request, model_admin):
        return field.get_choices(
            include_blank=False,
            ordering=self.field_admin_ordering(field, request, model_admin),
            limit_choices_to={"livechat_profile__isnull": False},
        )


class _SettingChoicesFilter(admin.SimpleListFilter):
    """Choices from a LIVECHAT_* setting of ``(key, label)`` pairs: a query
    of the small settings, never a DISTINCT over every conversation."""

    setting = ""
    field = ""

    def lookups(self, request, model_admin):
        return [(key, label) for key, label in getattr(app_settings, self.setting)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field: self.value()})
        return queryset


class _TopicFilter(_SettingChoicesFilter):
    title = _("topic")
    parameter_name = "topic"
    setting = "TOPICS"
    field = "topic"


class _CloseTagFilter(_SettingChoicesFilter):
    title = _("closing tag")
    parameter_name = "close_tag"
    setting = "CLOSE_TAGS"
    field = "close_tag"


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "visitor",
        "status",
        "assigned_agent",
        "department",
        "topic",
        "source",
        "rating",
        "created_at",
        "first_agent_reply_at",
        "closed_at",
        "message_count",
    )
    list_display_links = ("id", "visitor")
    list_filter = (
        "status",
        "source",
        "rating",
        ("assigned_agent", _AgentFilter),
        "department",
        _TopicFilter,
        _CloseTagFilter,
        "created_at",
    )
    list_select_related = ("visitor__user", "assigned_agent", "department")
    search_fields = (
        "=id",
        "visitor__name",
        "visitor__email",
        "topic",
        "messages__body",
    )
    # No date_hierarchy: its bar sorts every row's month (and reruns a search
    # twice); the "created" filter's ranges are read from the index.
    show_full_result_count = False
    # Rendering a row costs more than reading it (about 2 ms each in
    # Django's change list): 50 a page keeps a page well under 300 ms.
    list_per_page = 50
    paginator = EstimatedCountPaginator
    actions = ("close_selected",)

    def lookup_allowed(self, lookup, value, request=None):
        """The reports' drill-down filters by a conversation's fact
        (``fact__day__gte``, ``fact__agent_key``...): its own fields only.
        Django 5.0 added ``request``; 4.2 calls with two arguments."""
        field, _sep, operator = lookup.removeprefix("fact__").partition("__")
        if lookup.startswith("fact__"):
            return field in REPORT_LOOKUPS and operator in (
                "",
                "gte",
                "lte",
                "in",
                "isnull",
            )
        if request is None:
            return super().lookup_allowed(lookup, value)
        return super().lookup_allowed(lookup, value, request)

    def get_search_results(self, request, queryset, search_term):
        """Runs on a search: ``search_fields`` shows the box, the search
        service finds the rows through its indexes, each once."""
        return services.matching_conversations(search_term, queryset), False

    def delete_model(self, request, obj):
        _close_before_deleting([obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        _close_before_deleting(queryset.filter(status__in=Conversation.OPEN_STATUSES))
        super().delete_queryset(request, queryset)

    # Only the topic is editable: status, assignment and department change
    # through services (claim, transfer).
    fields = (
        "visitor_link",
        "status",
        "assigned_agent",
        "department",
        "topic",
        "close_tag",
        "created_at",
        "last_message_at",
        "first_agent_reply_at",
        "closed_at",
        "source",
        "rating",
        "rating_comment",
        "message_count",
        "internal_notes",
        "transcript",
    )
    readonly_fields = (
        "visitor_link",
        "status",
        "assigned_agent",
        "department",
        "close_tag",
        "source",
        "rating",
        "rating_comment",
        "created_at",
        "last_message_at",
        "first_agent_reply_at",
        "closed_at",
        "message_count",
        "internal_notes",
        "transcript",
    )

    def has_add_permission(self, request):
        # Conversations are opened by visitors' first message, never by hand.
        return False

    @admin.display(description=_("messages"), ordering="last_seq")
    def message_count(self, conversation):
        return conversation.last_seq

    @admin.display(description=_("visitor"))
    def visitor_link(self, conversation):
        visitor = conversation.visitor
        email, other_email = visitor_emails(visitor)
        return format_html(
            '<a href="{}">{}</a>{}{}',
            admin_url(visitor),
            visitor.display_name,
            format_html(" &lt;{}&gt;", email) if email else "",
            format_html(
                " ({})", gettext("also gave %(email)s") % {"email": other_email}
            )
            if other_email
            else "",
        )

    @admin.display(description=_("internal notes"))
    def internal_notes(self, conversation):
        if conversation.pk is None:
            return "-"
        notes = conversation.notes.select_related("author").order_by("created_at")
        items = format_html_join(
            "\n",
            '<li class="livechat-note"><span class="livechat-note__meta">'
            '<time datetime="{}">{}</time> <strong>{}</strong></span>'
            '<div class="livechat-note__body">{}</div></li>',
            (
                (
                    note.created_at.isoformat(),
                    short_datetime(note.created_at),
                    note.author.get_username() if note.author else gettext("Agent"),
                    note.body,
                )
                for note in notes
            ),
        )
        if not items:
            return gettext("No internal notes.")
        return format_html('<ol class="livechat-notes">{}</ol>', items)

    @admin.display(description=_("transcript"))
    def transcript(self, conversation):
        if conversation.pk is None:
            return "-"
        rows = (
            conversation.messages.select_related("author__livechat_profile")
            .order_by("seq")
            .iterator()
        )
        items = format_html_join(
            "\n",
            '<li class="livechat-transcript__message livechat-transcript__message--{}">'
            '<span class="livechat-transcript__meta">'
            '<span class="livechat-transcript__seq">#{}</span> '
            '<time datetime="{}">{}</time> '
            '<strong class="livechat-transcript__sender">{}</strong></span>'
            '<div class="livechat-transcript__body">{}</div></li>',
            (
                (
                    message.sender_kind,
                    message.seq,
                    message.created_at.isoformat(),
                    short_datetime(message.created_at),
                    self._sender_label(message, conversation),
                    message.body,
                )
                for message in rows
            ),
        )
        if not items:
            return gettext("No messages yet.")
        return format_html('<ol class="livechat-transcript">{}</ol>', items)

    @staticmethod
    def _sender_label(message, conversation):
        if message.sender_kind == Message.Sender.VISITOR:
            return conversation.visitor.display_name
        if message.sender_kind == Message.Sender.AGENT:
            if message.author is None:
                return gettext("Agent")
            public = get_adapter().agent_public_name(message.author)
            username = message.author.get_username()
            return public if public == username else f"{public} ({username})"
        return gettext("System")

    @admin.action(description=_("Close selected conversations"), permissions=["change"])
    def close_selected(self, request, queryset):
        closed = refused = 0
        for conversation in queryset.filter(status__in=Conversation.OPEN_STATUSES):
            try:
                services.close_conversation(conversation, closed_by=request.user)
            except ServiceError:
                refused += 1  # another agent's chat, and not a supervisor
                continue
            closed += 1
        if refused:
            self.message_user(
                request,
                ngettext(
                    "%(count)d conversation was not closed: only its agent or "
                    "a supervisor may close it.",
                    "%(count)d conversations were not closed: only their agents "
                    "or a supervisor may close them.",
                    refused,
                )
                % {"count": refused},
                messages.ERROR,
            )
        self.message_user(
            request,
            ngettext(
                "Closed %(count)d conversation.",
                "Closed %(count)d conversations.",
                closed,
            )
            % {"count": closed},
            messages.SUCCESS if closed else messages.WARNING,
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), **console_link_context(request)}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), **console_link_context(request)}
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Read-only: a transcript is a record, so lines are never added or edited."""

    list_display = (
        "conversation_link",
        "seq",
        "sender_kind",
        "author",
        "excerpt",
        "created_at",
        "read_at",
    )
    list_filter = ("sender_kind", "created_at")
    # The conversation's name is its visitor's, which may be their user's.
    list_select_related = ("conversation__visitor__user", "author")
    search_fields = ("body",)
    # No date_hierarchy: its bar sorts a million rows' months; the "created"
    # filter's ranges are read from the index.
    ordering = ("-pk",)
    show_full_result_count = False
    # Rendering a row costs more than reading it (about 2 ms each in
    # Django's change list): 50 a page keeps a page well under 300 ms.
    list_per_page = 50
    paginator = EstimatedCountPaginator

    def get_search_results(self, request, queryset, search_term):
        """Runs on a search: the search service's full-text match, no join."""
        return services.matching_messages(search_term, queryset), False

    fields = (
        "conversation_link",
        "seq",
        "sender_kind",
        "author",
        "body",
        "client_id",
        "created_at",
        "read_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    @admin.display(description=_("conversation"), ordering="conversation")
    def conversation_link(self, message):
        return format_html(
            '<a href="{}">{}</a>',
            admin_url(message.conversation),
            message.conversation,
        )

    @admin.display(description=_("body"))
    def excerpt(self, message):
        return Truncator(message.body).chars(80)


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "display_name",
        "presence",
        "max_concurrent_chats",
        "last_seen_at",
    )
    list_filter = ("presence",)
    list_select_related = ("user",)
    search_fields = ("display_name", "user__username", "user__email")
    raw_id_fields = ("user",)
    readonly_fields = ("last_seen_at",)
