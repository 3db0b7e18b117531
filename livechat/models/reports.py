"""What the reports read: per-conversation facts and their hourly rollups,
kept current by the reporting listeners (``livechat.services.reports``) and
rebuilt by ``manage.py livechat_reports --rebuild``.

Buckets are the store's local day and hour (``availability.store_timezone``)
at the time a fact was written: a store that changes its zone rebuilds.
Department and agent are plain integer keys (0: none) so that a bucket is
unique without NULLs and a deleted agent's history stays.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .agents import CannedReply
from .conversations import Conversation, Message
from .visitors import Visitor
from .widget import InvitationRule

# Upper edges (seconds) of the latency histograms' buckets; the last bucket
# holds everything longer. Percentiles are read from these counts.
LATENCY_EDGES = (
    5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1200,
    1800, 2700, 3600, 7200, 14400, 28800, 86400, 172800,
)  # fmt: skip


class ReportSettings(models.Model):
    """The figures only the store knows: targets and costs (one row)."""

    first_response_target = models.PositiveIntegerField(
        _("first response target (seconds)"),
        default=60,
        help_text=_(
            "A chat meets the target when an agent first answers within this "
            "time. Departments may set their own."
        ),
    )
    agent_hourly_cost = models.DecimalField(
        _("agent cost per hour"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("What an hour of an agent online costs, wages and overheads."),
    )
    phone_call_cost = models.DecimalField(
        _("cost per phone call"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("What a support phone call costs the store, to compare."),
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    conversion_window_days = models.PositiveSmallIntegerField(
        _("conversion window (days)"),
        default=7,
        help_text=_("An order this many days after a chat counts for the chat."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("report settings")
        # The admin index lists the model by this name and links it to the
        # reports themselves (admin/reports).
        verbose_name_plural = _("reports")
        permissions = [("view_reports", _("Can view the chat reports"))]

    def __str__(self):
        return str(_("Report settings"))

    @classmethod
    def current(cls):
        """The store's row, or unsaved defaults."""
        return cls.objects.order_by("pk").first() or cls()


class ConversationFact(models.Model):
    """One conversation as the reports count it, bucketed by when it began."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("Waiting")
        ANSWERED = "answered", _("Answered")
        MISSED = "missed", _("Missed")
        ABANDONED = "abandoned", _("Abandoned")

    conversation = models.OneToOneField(
        Conversation,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="fact",
    )
    visitor_id_key = models.IntegerField(_("visitor"))
    day = models.DateField(_("day"))
    hour = models.PositiveSmallIntegerField(_("hour"))
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # 0 Monday
    department_key = models.IntegerField(default=0)
    agent_key = models.IntegerField(default=0)  # who holds (held) it last
    source = models.CharField(max_length=10, default="chat")
    started_at = models.DateTimeField()
    assigned_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)  # shopper gone, unanswered
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the agent holding it now took it (for concurrency), None when closed.
    held_since = models.DateTimeField(null=True, blank=True)
    # When the open stretch being handled began (first taken, or reopened),
    # None while nobody handles it: handling time adds up the stretches.
    handling_from = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, default=Outcome.OPEN)
    missed = models.BooleanField(default=False)
    first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    wait_seconds = models.PositiveIntegerField(null=True, blank=True)
    handling_seconds = models.PositiveIntegerField(default=0)
    target_seconds = models.PositiveIntegerField(null=True, blank=True)
    met_target = models.BooleanField(null=True)
    transfers = models.PositiveSmallIntegerField(default=0)
    reopens = models.PositiveSmallIntegerField(default=0)
    rating = models.CharField(max_length=4, blank=True)
    rating_comment = models.BooleanField(default=False)
    topic = models.CharField(max_length=50, blank=True)
    close_tag = models.CharField(max_length=50, blank=True)
    language = models.CharField(max_length=8, blank=True)
    start_page = models.CharField(max_length=500, blank=True)
    page_kind = models.CharField(max_length=10, blank=True)  # cart, checkout, product
    product_key = models.CharField(max_length=100, blank=True)
    product_title = models.CharField(max_length=200, blank=True)
    invitation_key = models.IntegerField(default=0)
    offers_sent = models.PositiveSmallIntegerField(default=0)
    offers_redeemed = models.PositiveSmallIntegerField(default=0)
    ordered_at = models.DateTimeField(null=True, blank=True)
    order_value = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    # Shopper messages up to this seq have been counted in TermDay.
    terms_seq = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("conversation fact")
        verbose_name_plural = _("conversation facts")
        indexes = [
            models.Index(fields=["day", "hour"], name="livechat_fact_day"),
            models.Index(fields=["visitor_id_key", "day"], name="livechat_fact_vis"),
            # Unique shoppers and orders of a range, read from the index
            # alone (key columns, not INCLUDE: SQLite has no covering index).
            models.Index(
                fields=["day", "visitor_id_key", "ordered_at"],
                name="livechat_fact_day_vis",
            ),
        ]

    def __str__(self):
        return f"fact {self.conversation_id}"


class ReportHour(models.Model):
    """The sums of the facts of one local hour, department and agent."""

    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    department_key = models.IntegerField(default=0)
    agent_key = models.IntegerField(default=0)
    conversations = models.IntegerField(default=0)
    chats = models.IntegerField(default=0)
    offline_messages = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    missed = models.IntegerField(default=0)
    abandoned = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    transfers = models.IntegerField(default=0)
    transferred = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    first_response_sum = models.BigIntegerField(default=0)
    first_response_count = models.IntegerField(default=0)
    wait_sum = models.BigIntegerField(default=0)
    wait_count = models.IntegerField(default=0)
    handling_sum = models.BigIntegerField(default=0)
    handling_count = models.IntegerField(default=0)
    offline_answer_sum = models.BigIntegerField(default=0)
    offline_answer_count = models.IntegerField(default=0)
    with_target = models.IntegerField(default=0)
    met_target = models.IntegerField(default=0)
    rated_good = models.IntegerField(default=0)
    rated_bad = models.IntegerField(default=0)
    rating_comments = models.IntegerField(default=0)
    offers_sent = models.IntegerField(default=0)
    offers_redeemed = models.IntegerField(default=0)
    ordered = models.IntegerField(default=0)
    order_value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    cart_chats = models.IntegerField(default=0)
    cart_ordered = models.IntegerField(default=0)
    checkout_chats = models.IntegerField(default=0)
    checkout_ordered = models.IntegerField(default=0)
    invited = models.IntegerField(default=0)
    invited_ordered = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("report hour")
        verbose_name_plural = _("report hours")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "hour", "department_key", "agent_key"],
                name="livechat_reporthour_key",
            )
        ]

    def __str__(self):
        return f"{self.day} {self.hour:02d}h d{self.department_key} a{self.agent_key}"


class ReportLatency(models.Model):
    """A histogram bucket of one latency in one ReportHour's key."""

    class Metric(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response time")
        WAIT = "wait", _("Wait time")
        HANDLING = "handling", _("Handling time")
        OFFLINE_ANSWER = "offline_answer", _("Offline message answered after")

    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    department_key = models.IntegerField(default=0)
    agent_key = models.IntegerField(default=0)
    metric = models.CharField(max_length=16, choices=Metric.choices)
    bucket = models.PositiveSmallIntegerField()  # index into LATENCY_EDGES (+1)
    count = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("report latency")
        verbose_name_plural = _("report latencies")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    *("day", "hour", "department_key", "agent_key"),
                    *("metric", "bucket"),
                ],
                name="livechat_reportlatency_key",
            )
        ]
        # A range's histogram of one metric, from the index alone.
        indexes = [
            models.Index(
                fields=["metric", "day", "bucket", "count"],
                name="livechat_latency_metric",
            )
        ]

    def __str__(self):
        return f"{self.day} {self.hour:02d}h {self.metric} #{self.bucket}"


class AgentOnlineSpan(models.Model):
    """A stretch of time an agent was online and able to take chats."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Its seconds up to here are in AgentHour already.
    counted_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("agent online span")
        verbose_name_plural = _("agent online spans")
        indexes = [models.Index(fields=["agent", "ended_at"], name="livechat_span")]

    def __str__(self):
        return f"{self.agent_id} {self.started_at} - {self.ended_at}"


class AgentHour(models.Model):
    """Seconds an agent was online, and chat-seconds they held, in a local hour.

    ``chat_seconds / online_seconds`` is how many chats they held at once.
    """

    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    agent_key = models.IntegerField()
    online_seconds = models.IntegerField(default=0)
    chat_seconds = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("agent hour")
        verbose_name_plural = _("agent hours")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "hour", "agent_key"], name="livechat_agenthour_key"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.hour:02d}h agent {self.agent_key}"


class TermDay(models.Model):
    """How many conversations of a day used a word or two-word phrase."""

    day = models.DateField()
    language = models.CharField(max_length=8, blank=True)
    term = models.CharField(max_length=80)
    conversations = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "language", "term"], name="livechat_termday_key"
            )
        ]
        # The top words of a language over a range, from the index alone.
        indexes = [
            models.Index(
                fields=["language", "day", "term", "conversations"],
                name="livechat_termday_lang",
            )
        ]

    def __str__(self):
        return f"{self.day} {self.term}"


class CannedUse(models.Model):
    """A saved reply sent by an agent, and whether they edited it first."""

    reply = models.ForeignKey(
        CannedReply, null=True, on_delete=models.SET_NULL, related_name="uses"
    )
    title = models.CharField(max_length=100)  # kept if the reply is deleted
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="+"
    )
    message = models.ForeignKey(
        Message, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    edited = models.BooleanField(default=False)
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("saved reply use")
        verbose_name_plural = _("saved reply uses")

    def __str__(self):
        return self.title


class OrderRecord(models.Model):
    """An order the store reported (``services.record_order``), for conversion."""

    number = models.CharField(_("order number"), max_length=64, unique=True)
    placed_at = models.DateTimeField(_("placed"), default=timezone.now, db_index=True)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    email = models.EmailField(_("email"), blank=True)
    visitor = models.ForeignKey(
        Visitor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    coupon_codes = models.CharField(_("coupon codes"), max_length=200, blank=True)
    # The chat it followed within the conversion window, if any.
    conversation = models.ForeignKey(
        Conversation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("reported order")
        verbose_name_plural = _("reported orders")
        ordering = ["-placed_at"]

    def __str__(self):
        return self.number


class OfferSent(models.Model):
    """An offer an agent (or an invitation) gave a shopper in a conversation."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="offers"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    code = models.CharField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=200, blank=True)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now, db_index=True)
    redeemed_at = models.DateTimeField(_("redeemed"), null=True, blank=True)
    order = models.ForeignKey(
        OrderRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("offer sent")
        verbose_name_plural = _("offers sent")
        indexes = [models.Index(fields=["code", "redeemed_at"], name="livechat_offer")]

    def __str__(self):
        return self.code


class InvitationDay(models.Model):
    """How often an invitation rule was shown and accepted on a local day."""

    day = models.DateField()
    rule = models.ForeignKey(InvitationRule, on_delete=models.CASCADE, related_name="+")
    shown = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("invitation day")
        verbose_name_plural = _("invitation days")
        constraints = [
            models.UniqueConstraint(fields=["day", "rule"], name="livechat_invday_key")
        ]

    def __str__(self):
        return f"{self.day} rule {self.rule_id}"
