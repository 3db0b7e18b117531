from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivechatOscarConfig(AppConfig):
    name = "livechat.contrib.oscar"
    label = "livechat_oscar"
    verbose_name = _("Live chat for Oscar")

    def ready(self):
        """Runs once Django's app registry is ready: checks and receivers."""
        # Registered as they are imported.
        from . import checks, receivers  # noqa: F401
