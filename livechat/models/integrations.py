"""What connects the store's other systems: API tokens and webhooks.

A token is stored hashed (djangorestframework-api-key's scheme: an 8
character prefix finds the row, SHA-512 of the whole key checks it; the key
itself is shown once, when it is made) and acts as one user, narrowed to its
scopes. A webhook endpoint is a URL, the
events it wants and the secret that signs what is sent to it; each event it
wants becomes one delivery, tried by the ``livechat_webhooks`` worker until
it is accepted or its time runs out, every attempt kept.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.crypto import KeyGenerator


class Scope(models.TextChoices):
    """What an API token may do, on top of what its user may do."""

    CONVERSATIONS_READ = "conversations:read", _("Read conversations")
    MESSAGES_WRITE = (
        "messages:write",
        _(
            "Write messages and act on conversations (notes, tags, transfer, close, "
            "reopen)"
        ),
    )
    REPLIES_MANAGE = "replies:manage", _("Manage saved replies")
    REPORTS_READ = "reports:read", _("Read reports")
    VISITORS_MANAGE = "visitors:manage", _("Export and erase visitors' data")


# djangorestframework-api-key's scheme, without its models (importing them
# would need its app installed, with a second, unused key table and admin).
_KEYS = KeyGenerator(prefix_length=8, secret_key_length=40)


class APITokenManager(models.Manager):
    def create_token(self, **fields) -> tuple["APIToken", str]:
        """A new token and its key: the only time the key is known."""
        key, prefix, hashed = _KEYS.generate()
        token = self.create(prefix=prefix, hashed_key=hashed, **fields)
        return token, key

    def from_key(self, key: str) -> "APIToken | None":
        """The usable token this key opens, or None."""
        prefix, dot, _secret = key.partition(".")
        if not dot or len(prefix) != _KEYS.prefix_length:
            return None
        token = (
            self.filter(prefix=prefix, revoked=False)
            .exclude(expires_at__lte=timezone.now())
            .select_related("user")
            .first()
        )
        if token is None or not _KEYS.verify(key, token.hashed_key):
            return None
        return token


class APIToken(models.Model):
    """A key an integration sends as ``Authorization: Bearer <key>``."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=8, unique=True, editable=False)
    hashed_key = models.CharField(max_length=150, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="livechat_api_tokens",
        verbose_name=_("acts as"),
        help_text=_(
            "The token can do what this user may do in the console, and only "
            "within its scopes."
        ),
    )
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(
        _("expires"),
        null=True,
        blank=True,
        help_text=_("Empty: never. An expired token is refused."),
    )
    revoked = models.BooleanField(_("revoked"), default=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = APITokenManager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


def _new_secret():
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A receiver of the events it subscribes to."""

    class Event(models.TextChoices):
        CONVERSATION_OPENED = "conversation.opened", _("Conversation opened")
        CONVERSATION_ASSIGNED = "conversation.assigned", _("Conversation assigned")
        CONVERSATION_TRANSFERRED = (
            "conversation.transferred",
            _("Conversation transferred"),
        )
        CONVERSATION_CLOSED = "conversation.closed", _("Conversation closed")
        CONVERSATION_REOPENED = "conversation.reopened", _("Conversation reopened")
        CONVERSATION_RATED = "conversation.rated", _("Conversation rated")
        CONVERSATION_MISSED = "conversation.missed", _("Conversation missed")
        MESSAGE_CREATED = "message.created", _("Message created")
        OFFLINE_MESSAGE_LEFT = "offline_message.left", _("Offline message left")
        VISITOR_ERASED = "visitor.erased", _("Visitor erased")

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list, blank=True)
    secret = models.CharField(
        _("signing secret"),
        max_length=100,
        default=_new_secret,
        help_text=_(
            "Signs every delivery (HMAC-SHA256). The receiver checks the "
            "signature with this exact value."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Why the worker switched it off, shown in the admin; empty when active
    # or switched off by hand.
    disabled_reason = models.CharField(
        _("disabled because"), max_length=300, blank=True
    )
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self):
        return self.url

    def wants(self, event: str) -> bool:
        return self.is_active and event in self.events


class WebhookDelivery(models.Model):
    """One event for one endpoint: tried until accepted or out of time."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=40)
    # Receivers deduplicate by it: a redelivery keeps it.
    event_id = models.CharField(_("event id"), max_length=40, db_index=True)
    # Deliveries of one conversation go out in the order their events
    # happened: the worker sends one only when no earlier one (by
    # ``occurred_at``, then id) of the same key is still pending.
    ordering_key = models.CharField(max_length=60, blank=True)
    occurred_at = models.DateTimeField(_("occurred"), default=timezone.now)
    payload = models.JSONField()
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Retries stop LIVECHAT_WEBHOOK_RETRY_FOR after this.
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A worker holds the row until then; a worker that died mid-delivery
    # leaves it to the next one after this time.
    locked_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["endpoint", "ordering_key", "occurred_at"]),
        ]

    def __str__(self):
        return f"{self.event} #{self.pk}"


class WebhookAttempt(models.Model):
    """One try of a delivery: what the receiver answered, and how fast."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    started_at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("status"), null=True)
    duration_ms = models.PositiveIntegerField(_("time (ms)"), default=0)
    response_excerpt = models.CharField(_("response"), max_length=500, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["started_at", "pk"]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
