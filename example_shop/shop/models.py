"""Products, coupons, orders and their lines."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Product(models.Model):
    """Something the shop sells; its picture is an emoji on a coloured tile."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    price = models.DecimalField(_("price"), max_digits=8, decimal_places=2)
    emoji = models.CharField(_("emoji"), max_length=8, blank=True)
    colour = models.CharField(
        _("tile colour"),
        max_length=7,
        default="#f1ede4",
        help_text=_("Background of the product tile, as #rrggbb."),
    )
    stock = models.PositiveIntegerField(_("stock"), default=0)
    active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("shop:product_detail", args=[self.slug])

    @property
    def in_stock(self):
        return self.stock > 0


class Coupon(models.Model):
    """A code a shopper types at checkout: money off, or free shipping.

    A coupon for a product takes its money off that product's lines only;
    one without a product, off the whole order.
    """

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percent off")
        FIXED = "fixed", _("Amount off")
        FREE_SHIPPING = "free_shipping", _("Free shipping")

    code = models.CharField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("What the shopper types, in capitals, without spaces."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=13, choices=Kind.choices)
    amount = models.DecimalField(
        _("amount"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text=_("Percent for percent off; dollars for an amount off."),
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="coupons",
        help_text=_("Only this product's lines are discounted; empty: the order."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["code"]

    def __str__(self):
        return self.code

    def save(self, *args, **kwargs):
        self.code = "".join(self.code.split()).upper()
        super().save(*args, **kwargs)


class Order(models.Model):
    """A placed order, with copies of the customer's details at that time."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shop_orders",
    )
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("email"))
    address = models.TextField(_("delivery address"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    discount = models.DecimalField(
        _("discount"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    shipping = models.DecimalField(
        _("shipping"), max_digits=8, decimal_places=2, default=Decimal("0.00")
    )
    coupon_code = models.CharField(_("coupon"), max_length=40, blank=True)
    total = models.DecimalField(
        _("total"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    created_at = models.DateTimeField(_("placed"), default=timezone.now)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # A customer's order history, newest first (also the agent's view).
            models.Index(fields=["user", "-created_at"], name="shop_order_user"),
        ]

    def __str__(self):
        return _("Order #%(id)s") % {"id": self.pk}

    def get_absolute_url(self):
        return reverse("shop:order_confirmation", args=[self.pk])


class OrderItem(models.Model):
    """One line of an order; name and price are copied so history never changes."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="items"
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=120)
    unit_price = models.DecimalField(_("unit price"), max_digits=8, decimal_places=2)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.quantity} × {self.name}"

    @property
    def line_total(self):
        return self.unit_price * self.quantity
