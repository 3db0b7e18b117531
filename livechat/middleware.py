"""``LivechatVisitorMiddleware``: who the widget's shopper is, kept after the
page has rendered.

The ``{% livechat_widget %}`` tag only reads: it asks ``request.livechat_visit``
for the shopper's visitor key. Once the response is built, and only when a
widget asked, the middleware keeps what the tag showed: an anonymous
shopper's key in their session, a logged-in customer's visitor row (made
theirs, so their chat follows them across devices and an anonymous chat
carries over on login), the page in the visit's history for agents, and the
cookies the adapter names in ``context_cookies``.

List it after ``SessionMiddleware`` and ``AuthenticationMiddleware``: its
work runs on the way out, before the session is saved (``livechat.W006``).
"""

import functools
import uuid

from . import services
from .adapter import get_adapter
from .services.visit_history import record_page
from .shopper import keep_cookies
from .tokens import VISITOR_SESSION_KEY


class WidgetVisit:
    """The shopper of one request, as the widget shows them: read lazily."""

    def __init__(self, request):
        self.request = request

    @functools.cached_property
    def _identity(self):
        """``(key, visitor, stored)``, reading the session and the database."""
        anonymous_key = _session_key(self.request.session)
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated:
            # A chat started before logging in carries over (login keeps the
            # session); the middleware saves the link after the page.
            visitor, stored = services.find_visitor_for_user(user, anonymous_key)
            return str(visitor.key), visitor, stored
        stored = anonymous_key is not None
        return str(anonymous_key if stored else uuid.uuid4()), None, stored

    @property
    def key(self):
        """The visitor key the widget's token carries."""
        return self._identity[0]

    @property
    def visitor(self):
        """The logged-in customer's visitor (maybe not saved yet), else None."""
        return self._identity[1]

    @property
    def shown(self):
        """Whether a widget asked who the shopper is on this request."""
        return "_identity" in self.__dict__

    def keep(self, response=None):
        """Store what the widget showed; write nothing already stored."""
        key, visitor, stored = self._identity
        session = self.request.session
        if not stored:
            if visitor is None:
                session[VISITOR_SESSION_KEY] = key
            else:
                services.visitor_for_user(visitor.user, anonymous_key=uuid.UUID(key))
        # Pages seen this visit, for the agents' context panel.
        record_page(session, self.request.get_full_path())
        # The cookies the adapter reads when an agent opens the chat.
        keep_cookies(session, get_adapter().context_cookies, self.request, response)


def _session_key(session):
    try:
        return uuid.UUID(str(session.get(VISITOR_SESSION_KEY)))
    except ValueError:
        return None


class LivechatVisitorMiddleware:
    """Gives each request a ``WidgetVisit``; keeps it if a widget rendered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        visit = request.livechat_visit = WidgetVisit(request)
        response = self.get_response(request)
        if visit.shown and hasattr(request, "session"):
            visit.keep(response)
        return response
