from rest_framework.permissions import BasePermission

from ..adapter import get_adapter


class IsAgent(BasePermission):
    """Only users the adapter accepts as agents."""

    message = "Only agents can use the livechat API."

    def has_permission(self, request, view):
        return get_adapter().is_agent(request.user)
