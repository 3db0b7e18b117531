"""``ShopperRequest``: what the adapter is given about a shopper when no
request of theirs is at hand.

Agents open a conversation long after the shopper's page was served, so the
adapter's ``get_visitor_context`` cannot read the shopper's ``HttpRequest``.
It gets a ``ShopperRequest`` instead, with the parts of a request a store's
cart and order code reads: ``user``, ``session`` and ``COOKIES``. The
cookies are only those the adapter names in ``context_cookies``, as the
shopper's browser last sent (or was given) them on a page with the widget:
``LivechatVisitorMiddleware`` copies them into the shopper's session.
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import RAISE_ERROR, HttpRequest

# Where LivechatVisitorMiddleware keeps the adapter's context_cookies.
COOKIES_SESSION_KEY = "livechat_cookies"
# A cookie value longer than this is not kept (a browser caps one at 4096).
MAX_COOKIE_LENGTH = 4096


def wanted_cookies(names, request, response=None):
    """The cookies named in ``names`` as the browser will send them next:
    the response's own ``Set-Cookie`` first (a basket made on this page),
    a deleted one left out, else the request's."""
    kept = {}
    for name in names:
        morsel = response.cookies.get(name) if response is not None else None
        if morsel is not None:
            if morsel["max-age"] == 0 or (morsel.value == "" and morsel["expires"]):
                continue
            value = morsel.value
        else:
            value = request.COOKIES.get(name)
        if isinstance(value, str) and len(value) <= MAX_COOKIE_LENGTH:
            kept[name] = value
    return kept


def keep_cookies(session, names, request, response=None):
    """Store the ``names`` cookies in ``session`` (writes only on a change)."""
    if not names:
        return
    kept = wanted_cookies(names, request, response)
    if session.get(COOKIES_SESSION_KEY, {}) != kept:
        session[COOKIES_SESSION_KEY] = kept


class ShopperRequest:
    """The shopper's side of a request, rebuilt for the adapter.

    ``user`` is the customer account linked to the visitor (an
    ``AnonymousUser`` for a guest), ``session`` their Django session (None
    when they have none, or it expired), ``COOKIES`` the adapter's
    ``context_cookies`` as last seen, ``visitor`` the ``Visitor`` row.
    ``get_signed_cookie`` works as on ``HttpRequest``.
    """

    def __init__(self, visitor, session=None, cookies=None, user=None):
        self.visitor = visitor
        self.session = session
        self.COOKIES = dict(cookies or {})
        self.user = user if user is not None else AnonymousUser()

    @classmethod
    def for_visitor(cls, visitor):
        session = visitor_session(visitor)
        cookies = session.get(COOKIES_SESSION_KEY) if session is not None else None
        user = visitor.user if visitor.user_id else None
        return cls(
            visitor,
            session=session,
            cookies=cookies if isinstance(cookies, dict) else None,
            user=user,
        )

    def get_signed_cookie(self, key, default=RAISE_ERROR, salt="", max_age=None):
        """As ``HttpRequest.get_signed_cookie``, on the kept cookies."""
        return HttpRequest.get_signed_cookie(self, key, default, salt, max_age)

    def __repr__(self):
        return f"<ShopperRequest visitor={self.visitor.pk} user={self.user!r}>"


def visitor_session(visitor):
    """The visitor's Django session (read-only use), or None."""
    if not visitor.session_key:
        return None
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore(session_key=visitor.session_key)
    # exists() rather than load(): load() of a missing key makes a new session.
    return session if session.exists(visitor.session_key) else None
