from rest_framework.permissions import BasePermission

from ..adapter import get_adapter


class IsAgentOrSupervisor(BasePermission):
    """Only users the adapter accepts as agents or supervisors.

    What each may do to a conversation is decided by ``livechat.access``,
    which the services apply: the same rule as on the console's socket.
    """

    message = "Only agents and supervisors can use the livechat API."

    def has_permission(self, request, view):
        adapter = get_adapter()
        return adapter.is_agent(request.user) or adapter.is_supervisor(request.user)
