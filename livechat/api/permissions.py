from rest_framework.permissions import BasePermission

from ..access import staff_role


class IsAgentOrSupervisor(BasePermission):
    """Only users the adapter accepts as agents or supervisors.

    What each may do to a conversation is decided by ``livechat.access``,
    which the services apply: the same rule as on the console's socket.
    """

    message = "Only agents and supervisors can use the livechat API."

    def has_permission(self, request, view):
        return staff_role(request.user) is not None
