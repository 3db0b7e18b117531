"""Visitors, conversations, messages and agent profiles.

Models know no transport and no workflow: every state change goes through
``livechat.services``.
"""

import uuid

import django
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Django 5.1 renamed CheckConstraint(check=) to condition=.
_CHECK_KW = "condition" if django.VERSION >= (5, 1) else "check"


class Visitor(models.Model):
    """A shopper, anonymous or logged in, identified by a signed token."""

    key = models.UUIDField(_("key"), default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="livechat_visitors",
    )
    name = models.CharField(_("name"), max_length=150, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    locale = models.CharField(_("locale"), max_length=35, blank=True)
    current_page = models.URLField(_("current page"), max_length=2000, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)
    # Widget sockets open now: zero means the shopper has left (or their
    # phone lost its connection), so replies are followed up by email.
    live_sockets = models.PositiveIntegerField(default=0, editable=False)
    # When live_sockets last fell to zero (None while a widget is connected):
    # a dropped connection that comes back within
    # LIVECHAT_FOLLOWUP_ABSENCE_SECONDS is no absence.
    absent_since = models.DateTimeField(null=True, blank=True, editable=False)
    ip_address = models.GenericIPAddressField(
        _("IP address"),
        null=True,
        blank=True,
        help_text=_("Anonymised (host part zeroed) with LIVECHAT_ANONYMIZE_IP."),
    )
    # The shopper's Django session, so the adapter can read what the store keeps
    # there (a session cart) for the agents. As sensitive as django_session
    # itself: never shown in the admin or sent to any client.
    session_key = models.CharField(max_length=40, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")
        ordering = ["-last_seen_at"]
        # Searching visitors by name or email substring uses trigram indexes
        # on PostgreSQL, created by migration 0010 and not declared here:
        # see the note on Message.Meta.
        indexes = [
            models.Index(fields=["last_seen_at"], name="livechat_visitor_seen"),
            # Search by email, case-insensitively (email__iexact).
            models.Index(Upper("email"), name="livechat_visitor_email"),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        if self.name:
            return self.name
        if self.user_id and self.user.get_full_name():
            return self.user.get_full_name()
        if self.email:
            return self.email
        return _("Visitor %(short)s") % {"short": str(self.key)[:8]}


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


class AgentProfile(models.Model):
    """How an agent appears to shoppers and how much they can take on."""

    class Presence(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="livechat_profile",
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    avatar = models.ImageField(
        _("avatar"), upload_to="livechat/avatars/", null=True, blank=True
    )
    max_concurrent_chats = models.PositiveSmallIntegerField(
        _("maximum concurrent chats"),
        null=True,
        blank=True,
        help_text=_("Leave empty to use LIVECHAT_MAX_CONCURRENT_CHATS."),
    )
    presence = models.CharField(
        _("presence"),
        max_length=10,
        choices=Presence.choices,
        default=Presence.ONLINE,
        help_text=_(
            "What the agent chose; shoppers see them only while their "
            "console is connected."
        ),
    )
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    # Last time the agent did something (typed, clicked, answered): past
    # LIVECHAT_AGENT_IDLE_AWAY_SECONDS an "online" agent counts as away.
    last_active_at = models.DateTimeField(_("last active"), null=True, blank=True)
    notify_sound = models.BooleanField(
        _("sound for new chats and messages"), default=True
    )
    notify_desktop = models.BooleanField(_("browser notifications"), default=True)

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self):
        return self.public_name

    @property
    def public_name(self):
        return (
            self.display_name or self.user.get_short_name() or self.user.get_username()
        )


class LiveConsole(Conversation):
    """The agents' live console, listed in the admin index (see admin.py)."""

    class Meta:
        proxy = True
        verbose_name = _("live console")
        verbose_name_plural = _("live console")
        default_permissions = ()


class WidgetProfile(models.Model):
    """The store's face in the widget, edited in the admin (one row).

    Empty fields fall back to the LIVECHAT_WIDGET_* settings.
    """

    title = models.CharField(_("title"), max_length=80, blank=True)
    greeting = models.CharField(_("greeting"), max_length=300, blank=True)
    color = models.CharField(
        _("accent colour"), max_length=7, blank=True, help_text=_("#rrggbb")
    )
    logo = models.ImageField(_("logo"), upload_to="livechat/logo/", blank=True)
    position = models.CharField(
        _("position"),
        max_length=12,
        blank=True,
        choices=[
            ("bottom-right", _("Bottom right")),
            ("bottom-left", _("Bottom left")),
        ],
    )
    timezone = models.CharField(
        _("time zone of the business hours"),
        max_length=64,
        blank=True,
        help_text=_("For example Europe/Madrid. Empty: LIVECHAT_TIMEZONE."),
    )
    offline_note = models.CharField(
        _("note shown when offline"), max_length=300, blank=True
    )
    # The store's other channels, shown when nobody can chat: chat is one way
    # to reach the store, never the only one it shows.
    contact_phone = models.CharField(
        _("contact phone"),
        max_length=40,
        blank=True,
        help_text=_("As shoppers dial it, for example +34 910 000 000."),
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_note = models.CharField(
        _("contact note"),
        max_length=200,
        blank=True,
        help_text=_("For example: Or call us Mon-Fri 9-17."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("widget profile")
        verbose_name_plural = _("widget profile")

    def __str__(self):
        return str(_("Widget profile"))


class BusinessHours(models.Model):
    """One opening period of the weekly schedule (several per day allowed)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                **{
                    "condition" if _CHECK_KW == "condition" else "check": Q(
                        closes__gt=models.F("opens")
                    )
                },
                name="livechat_hours_closes_after_opens",
            )
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class HolidayException(models.Model):
    """A dated exception to the weekly schedule: closed, or special hours."""

    date = models.DateField(_("date"), unique=True)
    closed = models.BooleanField(_("closed all day"), default=True)
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("holiday or exception")
        verbose_name_plural = _("holidays and exceptions")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.note}".strip()


class InvitationRule(models.Model):
    """When to offer help unasked: a small bubble, never a pop-up or a sound."""

    name = models.CharField(_("name"), max_length=100)
    message = models.CharField(_("message"), max_length=200)
    url_pattern = models.CharField(
        _("page URL pattern"),
        max_length=200,
        default="*",
        help_text=_("Shell-style pattern on the path, e.g. /checkout/*"),
    )
    seconds_on_page = models.PositiveIntegerField(_("seconds on the page"), default=30)
    min_cart_value = models.DecimalField(
        _("cart value at least"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=100, help_text=_("Lower numbers win.")
    )

    class Meta:
        verbose_name = _("invitation rule")
        verbose_name_plural = _("invitation rules")
        ordering = ["priority", "pk"]

    def __str__(self):
        return self.name


def _attachment_path(instance, filename):
    # Random and unrelated to the attachment's public key or the uploader's
    # file name: knowing the download URL tells nothing about the stored path.
    token = uuid.uuid4().hex
    return f"livechat/attachments/{token[:2]}/{token}{instance.extension}"


def _thumbnail_path(instance, filename):
    token = uuid.uuid4().hex
    return f"livechat/attachments/{token[:2]}/{token}-thumb.png"


class Attachment(models.Model):
    """A file sent in a conversation, served only to its participants."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.OneToOneField(
        Message,
        on_delete=models.CASCADE,
        related_name="attachment",
        null=True,
        blank=True,
    )
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=200)
    thumbnail = models.FileField(upload_to=_thumbnail_path, max_length=200, blank=True)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    extension = models.CharField(max_length=10)
    size = models.PositiveIntegerField(_("size in bytes"))
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name

    @property
    def is_image(self):
        return self.content_type.startswith("image/")


class Department(models.Model):
    """A team (pre-sales, order help...) that takes the chats of some topics."""

    name = models.CharField(_("name"), max_length=80)
    topics = models.CharField(
        _("topics"),
        max_length=200,
        blank=True,
        help_text=_("Comma-separated LIVECHAT_TOPICS keys routed here, e.g. order"),
    )
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agents"),
        related_name="livechat_departments",
        blank=True,
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def topic_keys(self):
        return [t.strip() for t in self.topics.split(",") if t.strip()]


class CannedReply(models.Model):
    """A ready answer agents insert by its shortcut, then edit before sending."""

    title = models.CharField(_("title"), max_length=100)
    shortcut = models.SlugField(
        _("shortcut"),
        max_length=40,
        help_text=_("Typed after a slash in the composer, e.g. shipping for /shipping"),
    )
    language = models.CharField(
        _("language"),
        max_length=15,
        blank=True,
        help_text=_("Language code (en, es...); empty for any language."),
    )
    body = models.TextField(
        _("body"),
        help_text=_("Placeholders: {visitor_name}, {agent_name}, {store_name}"),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Empty: offered to every agent."),
    )
    # An agent's own reply, offered to them only; empty: shared with every
    # agent (managed in the admin, or by supervisors from the console).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="livechat_canned_replies",
        help_text=_("Empty: shared with every agent."),
    )

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["shortcut", "language"]
        # A shortcut is unique among the shared replies and among each
        # agent's own: an agent's /shipping may stand beside the shared one.
        constraints = [
            models.UniqueConstraint(
                fields=["shortcut", "language"],
                condition=Q(owner__isnull=True),
                name="livechat_canned_unique",
            ),
            models.UniqueConstraint(
                fields=["owner", "shortcut", "language"],
                condition=Q(owner__isnull=False),
                name="livechat_canned_owner_unique",
            ),
        ]

    def __str__(self):
        return f"/{self.shortcut} {self.title}"


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


class AgentConnection(models.Model):
    """One open console socket of an agent, kept alive by its heartbeats.

    A row per socket rather than a counter: a process that dies without
    saying goodbye leaves rows whose heartbeat simply expires, instead of a
    count that never comes down.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="livechat_connections",
    )
    channel_name = models.CharField(max_length=200, unique=True)
    connected_at = models.DateTimeField(default=timezone.now)
    last_heartbeat_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("agent connection")
        verbose_name_plural = _("agent connections")

    def __str__(self):
        return f"{self.user_id} {self.channel_name}"
