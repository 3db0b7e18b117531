"""Agents: their profiles, console connections, departments and saved replies."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
    first_response_target = models.PositiveIntegerField(
        _("first response target (seconds)"),
        null=True,
        blank=True,
        help_text=_("Empty: the store's target in the report settings."),
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
