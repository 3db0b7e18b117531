from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivechatConfig(AppConfig):
    name = "livechat"
    verbose_name = _("Live chat")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """Runs once Django's app registry is ready: checks and receivers."""
        # Registered as they are imported: checks, receivers, the signals'
        # listeners of the domain events.
        from . import branding, checks, signals  # noqa: F401
        from .server_limits import limit_daphne_frames
        from .services import assignment, offline, privacy, queue  # noqa: F401
        from .services.reports import listeners  # noqa: F401
        from .services.webhooks import listeners as _webhooks  # noqa: F401

        limit_daphne_frames()
