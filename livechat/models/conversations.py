"""Conversations, their messages, tags and internal notes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .visitors import Visitor


class Conversation(models.Model):
    """One chat between a visitor and the store's agents."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")
        MISSED = "missed", _("Missed")

    # A missed chat stays open: the shopper may still be there, and an agent
    # who arrives later can still answer it.
    OPEN_STATUSES = (Status.WAITING, Status.ACTIVE, Status.MISSED)
    UNANSWERED_STATUSES = (Status.WAITING, Status.MISSED)

    visitor = models.ForeignKey(
        Visitor,
        verbose_name=_("visitor"),
        on_delete=models.CASCADE,
        related_name="conversations",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="livechat_conversations",
    )

    class Source(models.TextChoices):
        CHAT = "chat", _("Live chat")
        OFFLINE = "offline", _("Offline message")

    class Rating(models.TextChoices):
        GOOD = "good", _("Good")
        BAD = "bad", _("Bad")

    topic = models.CharField(_("topic"), max_length=50, blank=True)
    department = models.ForeignKey(
        "Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    close_tag = models.CharField(
        _("closing tag"),
        max_length=50,
        blank=True,
        help_text=_("What the conversation turned out to be about."),
    )
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.CHAT
    )
    rating = models.CharField(
        _("rating"), max_length=4, choices=Rating.choices, blank=True
    )
    rating_comment = models.TextField(_("rating comment"), blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    followup_sent_at = models.DateTimeField(
        _("reply emailed"),
        null=True,
        blank=True,
        help_text=_("When an agent's reply was last emailed to an absent shopper."),
    )
    # The last message seq emailed to the absent shopper: each reply goes once.
    followup_seq = models.PositiveIntegerField(default=0, editable=False)
    # A reply reached no widget of the shopper: housekeeping emails it once
    # they have been away long enough, or forgets it when they come back.
    followup_pending = models.BooleanField(default=False, editable=False)
    # The last allocated per-conversation sequence number; incremented under a
    # row lock by services.post_message, so it doubles as a message counter.
    last_seq = models.PositiveIntegerField(_("last sequence number"), default=0)
    visitor_read_seq = models.PositiveIntegerField(default=0)
    agent_read_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    first_agent_reply_at = models.DateTimeField(
        _("first agent reply"), null=True, blank=True
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The shopper's language when the chat began (the primary subtag of their
    # locale: "es", "zh"), or empty: its messages are indexed for search in it.
    language = models.CharField(_("language"), max_length=8, blank=True)
    # When an agent set the chat aside until the shopper answers (None: not
    # snoozed). The shopper's next message, or the agent, wakes it.
    snoozed_at = models.DateTimeField(_("snoozed"), null=True, blank=True)
    # When the chat was last reopened after being closed: the missed timer
    # counts from here, not from the first message of days ago.
    reopened_at = models.DateTimeField(_("reopened"), null=True, blank=True)
    # Where the shopper was when the chat began (reports: which pages leave
    # questions open, chats started at checkout).
    start_page = models.CharField(_("started on"), max_length=500, blank=True)
    # The proactive invitation the shopper accepted to start it, if any.
    invitation = models.ForeignKey(
        "InvitationRule",
        verbose_name=_("invitation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-created_at"]
        permissions = [
            ("reply_conversation", _("Can answer live chats as an agent")),
            (
                "supervise_conversation",
                _("Can watch every live chat and each agent's load"),
            ),
        ]
        indexes = [
            # The console's inbox: open conversations, oldest first.
            models.Index(fields=["status", "created_at"], name="livechat_conv_status"),
            # Whole-table lists, newest first (the admin, the API).
            models.Index(fields=["created_at"], name="livechat_conv_created"),
            models.Index(fields=["closed_at"], name="livechat_conv_closed"),
            # The console's recently closed chats: the newest few read in
            # index order, not every closed chat sorted. The condition is
            # OPEN_STATUSES in their order: PostgreSQL uses a partial index
            # only for a query whose condition it can prove implies it.
            models.Index(
                fields=["closed_at", "created_at"],
                condition=~Q(status__in=["waiting", "active", "missed"]),
                name="livechat_conv_recent_closed",
            ),
            # A visitor's open conversation, looked up on every connect.
            models.Index(fields=["visitor", "status"], name="livechat_conv_visitor"),
            models.Index(
                fields=["assigned_agent", "status"], name="livechat_conv_agent"
            ),
            # Housekeeping's follow-ups to send: a handful among all chats.
            models.Index(
                fields=["followup_pending"],
                condition=Q(followup_pending=True),
                name="livechat_conv_followup",
            ),
        ]

    def __str__(self):
        return _("Conversation #%(id)s with %(visitor)s") % {
            "id": self.pk,
            "visitor": self.visitor,
        }

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES


class Message(models.Model):
    """A line in a conversation, numbered by ``seq`` within it."""

    class Sender(models.TextChoices):
        VISITOR = "visitor", _("Visitor")
        AGENT = "agent", _("Agent")
        SYSTEM = "system", _("System")

    conversation = models.ForeignKey(
        Conversation,
        verbose_name=_("conversation"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    seq = models.PositiveIntegerField(_("sequence number"))
    sender_kind = models.CharField(_("sender"), max_length=10, choices=Sender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(_("body"))
    client_id = models.CharField(_("client id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # The conversation's language, copied by the same statement that stores
    # the message: the text search configuration its body is indexed in.
    language = models.CharField(max_length=8, blank=True, editable=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["conversation", "seq"]
        # The body's full-text index (GIN over a tsvector) exists on
        # PostgreSQL only, created by migration 0010 and not declared here:
        # an index Django knows is recreated whenever SQLite rebuilds the
        # table, and SQLite has no GIN.
        indexes = [
            models.Index(fields=["created_at"], name="livechat_message_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "seq"], name="livechat_message_seq_unique"
            ),
            # Idempotent sends: a retried client id never stores a second message.
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=~Q(client_id=""),
                name="livechat_message_client_id_unique",
            ),
        ]

    def __str__(self):
        return (
            f"#{self.conversation_id}/{self.seq} {self.sender_kind}: {self.body[:40]}"
        )


class LiveConsole(Conversation):
    """The agents' live console, listed in the admin index (see admin.py)."""

    class Meta:
        proxy = True
        verbose_name = _("live console")
        verbose_name_plural = _("live console")
        default_permissions = ()


class ConversationTag(models.Model):
    """A tag on a conversation (a ``LIVECHAT_CLOSE_TAGS`` key): what it is
    about, put on by agents during the chat or when closing it.

    A row per tag, so lists and reports filter and count by tag with an
    index on every database.
    """

    conversation = models.ForeignKey(
        Conversation,
        verbose_name=_("conversation"),
        on_delete=models.CASCADE,
        related_name="tags",
    )
    tag = models.CharField(_("tag"), max_length=50)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("conversation tag")
        verbose_name_plural = _("conversation tags")
        ordering = ["tag"]
        indexes = [models.Index(fields=["tag"], name="livechat_tag_tag")]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "tag"], name="livechat_tag_unique"
            )
        ]

    def __str__(self):
        return self.tag


class InternalNote(models.Model):
    """A note on a conversation for agents only; never sent to the shopper.

    Kept apart from messages so it never takes a sequence number the shopper
    would see as a gap.
    """

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("note"))
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=~Q(client_id=""),
                name="livechat_note_client_id_unique",
            )
        ]

    def __str__(self):
        return self.body[:60]
