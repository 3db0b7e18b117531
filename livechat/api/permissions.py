"""What a caller may do: staff only, a token within its scopes, and the
Django permissions some resources ask on top.

What each may do to a conversation is decided by ``livechat.access``, which
the services apply: the same rule as on the console's socket.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from ..access import staff_role
from .authentication import token_of


def required_scopes(view, method: str) -> tuple[str, ...]:
    """The scopes of which a token needs one for ``method`` on ``view``
    (``view.scopes``: {method: scope or tuple of scopes}); HEAD and OPTIONS
    follow GET."""
    scopes = getattr(view, "scopes", {})
    wanted = scopes.get(method)
    if wanted is None and method in ("HEAD", "OPTIONS"):
        wanted = scopes.get("GET")
    if wanted is None:
        return ()
    return (wanted,) if isinstance(wanted, str) else tuple(wanted)


def required_perms(view, method: str) -> tuple[str, ...]:
    """Django permissions the caller's user needs for ``method``
    (``view.perms``: {method: tuple of "app_label.codename"})."""
    perms = getattr(view, "perms", {})
    return tuple(perms.get(method) or perms.get("GET" if method == "HEAD" else "", ()))


class IsStaffWithinScope(BasePermission):
    """Agents and supervisors (``access.staff_role``; a view with
    ``staff_only = False`` asks only its ``perms``); with a token, only
    within its scopes; plus the view's Django permissions for the method.

    A session user is limited by their own permissions only: scopes narrow
    tokens, not people.
    """

    message = _("Only agents and supervisors can use the livechat API.")

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated or not user.is_active:
            return False
        # The reports are for whoever may view them (``perms``), staff or not.
        if getattr(view, "staff_only", True) and staff_role(user) is None:
            return False
        token = token_of(request)
        if token is not None:
            scopes = required_scopes(view, request.method)
            # A view that names no scope for a method is closed to tokens
            # (but for ``any_token`` views such as the root): a scope
            # forgotten is a door shut, not one left open. A method the view
            # has no handler for goes on to its 405.
            handled = hasattr(view, request.method.lower())
            if handled and not scopes and not getattr(view, "any_token", False):
                self.message = _("You do not have permission to do this.")
                return False
            if scopes and not any(token.allows(scope) for scope in scopes):
                self.message = _("This token lacks the scope %(scope)s.") % {
                    "scope": " or ".join(scopes)
                }
                return False
        perms = required_perms(view, request.method)
        if perms and not user.has_perms(perms):
            self.message = _("You do not have permission to do this.")
            return False
        return True
