from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopConfig(AppConfig):
    """The demo store's catalogue, cart and orders."""

    name = "example_shop.shop"
    label = "shop"
    verbose_name = _("Corner Shop")
    default_auto_field = "django.db.models.BigAutoField"
