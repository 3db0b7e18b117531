"""What shoppers see: the widget's profile, business hours and invitations."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ._compat import _CHECK_KW


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
    offer_code = models.CharField(
        _("offer code"),
        max_length=40,
        blank=True,
        help_text=_("A coupon code the invitation offers; empty: no offer."),
    )
    offer_title = models.CharField(
        _("offer"),
        max_length=120,
        blank=True,
        help_text=_(
            "What the offer gives, in the shopper's words: free delivery today."
        ),
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
