"""The shopper: a visitor of the store, with or without an account."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
