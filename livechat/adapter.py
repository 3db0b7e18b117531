"""The host project's one extension point.

Subclass ``DefaultLivechatAdapter``, override what your store needs and point
``LIVECHAT_ADAPTER`` at your class. ``get_adapter()`` returns an instance.
"""

from .conf import app_settings


class DefaultLivechatAdapter:
    """Identity, permissions and context for a store with no special needs."""

    def is_agent(self, user):
        """May this user answer chats? Staff with ``livechat.reply_conversation``."""
        return bool(
            user
            and user.is_authenticated
            and user.is_active
            and user.is_staff
            and user.has_perm("livechat.reply_conversation")
        )

    def is_supervisor(self, user):
        """May this user watch every chat and the agents' load, and manage
        (note, transfer, close) any chat? Active staff with
        ``livechat.supervise_conversation`` (superusers have it)."""
        return bool(
            user
            and user.is_authenticated
            and user.is_active
            and user.is_staff
            and user.has_perm("livechat.supervise_conversation")
        )

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

    def get_visitor_context(self, visitor, session=None):
        """Facts about the shopper shown to agents beside the conversation.

        ``session`` is the shopper's Django session (a SessionBase, or None
        when they have none), for stores that keep a cart there. Return a
        JSON-serialisable dict, for example
        ``{"cart": {"items": [...], "total": "59.90"}, "orders": [...]}``.
        Called when an agent opens a conversation, never per message; an
        exception here is logged and the agent sees no context.
        """
        return {}

    def get_cart_value(self, request):
        """The shopper's cart total as a Decimal, or None if unknown.

        Used by invitation rules with a minimum cart value.
        """
        return None

    def max_concurrent_chats(self, user):
        """How many open chats ``user`` may hold at once (read fresh: an
        admin may have just changed it while the agent's console is open)."""
        from .models import AgentProfile

        value = (
            AgentProfile.objects.filter(user=user)
            .values_list("max_concurrent_chats", flat=True)
            .first()
        )
        return value or app_settings.MAX_CONCURRENT_CHATS


def get_adapter():
    """Return an instance of the configured adapter class."""
    return app_settings.ADAPTER()
