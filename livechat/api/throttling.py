"""Requests per API token, or per signed-in user: ``LIVECHAT_API_THROTTLE_RATE``."""

from rest_framework.throttling import SimpleRateThrottle

from ..conf import app_settings
from .authentication import token_of


class TokenOrUserThrottle(SimpleRateThrottle):
    """One budget per token (its prefix) and one per user's session, kept in
    the default cache; an anonymous request is refused before it counts."""

    scope = "livechat_api"

    def get_rate(self):
        """Runs per request: the rate is read live (``override_settings``)."""
        return app_settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view):
        token = token_of(request)
        if token is not None:
            ident = f"token:{token.prefix}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ReportsThrottle(TokenOrUserThrottle):
    """The reports' own, smaller budget (``LIVECHAT_API_REPORTS_THROTTLE_RATE``)."""

    scope = "livechat_api_reports"

    def get_rate(self):
        """Runs per request: the rate is read live (``override_settings``)."""
        return app_settings.API_REPORTS_THROTTLE_RATE
