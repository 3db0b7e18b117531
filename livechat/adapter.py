"""The host project's one extension point.

Subclass ``DefaultLivechatAdapter``, override what your store needs and point
``LIVECHAT_ADAPTER`` at your class. ``get_adapter()`` returns an instance.
"""

import fnmatch
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db.models import Q

from .conf import app_settings
from .models import AgentProfile

AGENT_PERMISSION = "livechat.reply_conversation"
SUPERVISOR_PERMISSION = "livechat.supervise_conversation"

# Where load_permissions leaves the permissions granted in the database.
_GRANTED_CACHE = "_livechat_granted_perm_cache"


def _active_staff(user):
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def has_granted_perm(user, perm):
    """``user.has_perm(perm)``, where a superuser's status alone is not enough.

    Django gives superusers every permission implicitly; here a superuser
    needs ``perm`` granted to them or to one of their groups in Django's
    permission tables, like anyone else.
    """
    if not user.is_superuser:
        return user.has_perm(perm)
    granted = getattr(user, _GRANTED_CACHE, None)
    if granted is None:
        app_label, codename = perm.split(".", 1)
        return Permission.objects.filter(
            Q(user=user) | Q(group__user=user),
            content_type__app_label=app_label,
            codename=codename,
        ).exists()
    return perm in granted


def load_permissions(users):
    """Load every user's permissions in two queries, not two per user.

    For lists of agents (the supervisors' board, routing): fills the caches
    Django's ``ModelBackend`` keeps on a user (``has_perm`` reads them; other
    backends still answer per user) and what ``has_granted_perm`` reads.
    """
    users = {user.pk: user for user in users if not hasattr(user, _GRANTED_CACHE)}
    if not users:
        return
    direct = {pk: set() for pk in users}
    grouped = {pk: set() for pk in users}
    for found, lookup in ((direct, "user"), (grouped, "group__user")):
        rows = Permission.objects.filter(**{f"{lookup}__in": list(users)}).values_list(
            lookup, "content_type__app_label", "codename"
        )
        for pk, app_label, codename in rows:
            found[pk].add(f"{app_label}.{codename}")
    model_backend = (
        "django.contrib.auth.backends.ModelBackend" in settings.AUTHENTICATION_BACKENDS
    )
    for pk, user in users.items():
        setattr(user, _GRANTED_CACHE, direct[pk] | grouped[pk])
        if (
            not model_backend
            or not user.is_active
            or user.is_superuser
            or hasattr(user, "_perm_cache")
        ):
            continue  # has_perm decides without (or already has) the caches
        user._user_perm_cache = direct[pk]
        user._group_perm_cache = grouped[pk]
        user._perm_cache = direct[pk] | grouped[pk]


class DefaultLivechatAdapter:
    """Identity, permissions and context for a store with no special needs."""

    def is_agent(self, user):
        """May this user answer chats (and be routed them, or given them by a
        transfer)? Active staff granted ``livechat.reply_conversation``, to
        themselves or a group: superuser status alone does not make an agent.
        """
        return _active_staff(user) and has_granted_perm(user, AGENT_PERMISSION)

    def is_supervisor(self, user):
        """May this user watch every chat and every agent's load, and manage
        (note, transfer, close) any chat? Active staff with
        ``livechat.supervise_conversation``; unlike ``is_agent``, Django's
        superuser status counts (a superuser has every permission). A
        supervisor who is not also an agent is never given chats and never
        speaks in one.
        """
        return _active_staff(user) and user.has_perm(SUPERVISOR_PERMISSION)

    def populate_visitor(self, visitor, user):
        """Fill an empty visitor name and email from a logged-in user.

        Runs when a visitor is linked to ``user``; change the fields in place,
        the caller saves them.
        """
        if not visitor.name:
            visitor.name = user.get_full_name()[:150]
        if not visitor.email:
            visitor.email = getattr(user, "email", "") or ""

    def agent_public_name(self, user):
        """The name shoppers see for an agent: never their username or email."""
        profile = getattr(user, "livechat_profile", None)
        if profile is not None and profile.display_name:
            return profile.display_name
        return user.get_short_name() or user.first_name or "Support"

    def agent_avatar_url(self, user):
        """URL of the agent's avatar, or "" when they have none."""
        profile = getattr(user, "livechat_profile", None)
        if profile is not None and profile.avatar:
            return profile.avatar.url
        return ""

    #: Names of cookies ``get_visitor_context`` reads from ``request.COOKIES``
    #: (a guest basket kept in a cookie, say). ``LivechatVisitorMiddleware``
    #: keeps them, as the shopper's browser last had them on a page with the
    #: widget, in the shopper's session; no other cookie is kept.
    context_cookies = ()

    #: CSS selectors of the elements of the store's pages the widget keeps
    #: clear of, as of elements marked ``data-livechat-avoid`` (docs/widget.md):
    #: for templates you do not edit (a shop framework's). Rendered by
    #: ``{% livechat_widget %}`` on every page; keep them few and simple.
    widget_avoid_selectors = ()

    def get_visitor_context(self, visitor, request):
        """Facts about the shopper shown to agents beside the conversation.

        ``request`` is a ``livechat.shopper.ShopperRequest`` (not an
        ``HttpRequest``: the shopper's page was served long before an agent
        opens the chat): ``request.user`` is the customer account linked to
        the visitor (``AnonymousUser`` for a guest), ``request.session`` the
        shopper's Django session (None when they have none) and
        ``request.COOKIES`` the cookies named in ``context_cookies``. Return
        a JSON-serialisable dict, for example
        ``{"cart": {"lines": [...], "total": "59.90"}, "orders": [...]}``.
        Called when an agent opens a conversation, never per message; an
        exception here is logged and the agent sees no context.
        """
        return {}

    def order_customers(self, word):
        """Who placed the order that ``word`` numbers, for the console's search.

        Return ``(user_ids, emails)``: the search then also lists the
        conversations of visitors linked to those customer accounts or who
        gave one of those emails. Called once for each word of a search (at
        most 10), only for words that could be an order number (letters,
        digits, ``#``, ``-``, ``_``, ``/``); return ``([], [])`` when no
        order has that number. An exception is logged and finds nothing.
        """
        return [], []

    def describe_page(self, url):
        """What kind of page ``url`` (a full URL or a path) is, for the reports.

        Return ``{"kind": ..., "key": ..., "title": ...}`` where ``kind`` is
        ``"cart"``, ``"checkout"``, ``"product"`` or ``""``; for a product,
        ``key`` identifies it (a slug or id, at most 100 characters) and
        ``title`` names it. The default matches the path against
        LIVECHAT_REPORT_CART_PATHS and LIVECHAT_REPORT_CHECKOUT_PATHS and
        knows no products. Called once when a conversation begins (and
        for each conversation when the reports are rebuilt), and by
        ``{% livechat_widget %}`` with the path of every page it renders on:
        a page it calls ``"checkout"`` gets the widget's checkout placement.
        Keep it cheap.
        """
        path = urlsplit(url or "").path or "/"
        for kind, patterns in (
            ("checkout", app_settings.REPORT_CHECKOUT_PATHS),
            ("cart", app_settings.REPORT_CART_PATHS),
        ):
            if any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns):
                return {"kind": kind, "key": "", "title": ""}
        return {"kind": "", "key": "", "title": ""}

    def suggest_offers(self, visitor, context=None):
        """Offers an agent could make this shopper, best first.

        ``context`` is what ``get_visitor_context`` returned for them. Return
        a list of dicts ``{"code": "SAVE10", "title": "10% off the red
        shoes", "message": "Here is 10% off: use SAVE10 at checkout."}``
        (``message`` may be called ``body`` or ``text``): the console shows
        them beside the chat and puts ``message`` in the composer for the
        agent to edit and send. ``code`` is the coupon code the checkout
        accepts; an order reported with it (``services.record_order``)
        counts the offer as redeemed. Called when an agent opens a
        conversation and again when one sends an offer (only a code still
        suggested may be sent); malformed offers are logged and dropped,
        past LIVECHAT_MAX_SUGGESTED_OFFERS they are ignored. Default: no
        offers.
        """
        return []

    def orders_between(self, start, end):
        """Orders placed in ``[start, end)``, for rebuilding the reports.

        An iterable of dicts with the arguments of ``services.record_order``:
        ``number``, ``total``, ``placed_at`` and optionally ``currency``,
        ``user`` (or ``user_id``), ``email`` and ``coupon_codes``.
        ``manage.py livechat_reports --rebuild --orders`` reads them for
        stores that report orders as they are placed only from now on.
        Default: none.
        """
        return []

    def get_cart_value(self, request):
        """The shopper's cart total as a Decimal, or None if unknown.

        ``request`` is the ``HttpRequest`` of the page the widget is rendered
        on. Read by invitation rules with a minimum cart value (only when
        such a rule matches the page).
        """
        return None

    def max_concurrent_chats(self, user):
        """How many open chats ``user`` may hold at once (read fresh: an
        admin may have just changed it while the agent's console is open)."""
        value = (
            AgentProfile.objects.filter(user=user)
            .values_list("max_concurrent_chats", flat=True)
            .first()
        )
        return value or app_settings.MAX_CONCURRENT_CHATS


def get_adapter():
    """Return an instance of the configured adapter class."""
    return app_settings.ADAPTER()
