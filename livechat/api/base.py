"""The base of every view of the API: how it authenticates, authorises,
throttles, parses, renders, pages and answers errors.

All of it is set here, on the views, never through the host's
``REST_FRAMEWORK`` setting, which stays the host's own.
"""

from django.shortcuts import get_object_or_404
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from ..models import Conversation
from .authentication import BearerTokenAuthentication, SessionAuthentication
from .errors import api_exception_handler
from .permissions import IsStaffWithinScope
from .schema import LivechatAutoSchema
from .throttling import TokenOrUserThrottle

# Primary keys are 64-bit: a larger number in a URL names nothing.
_MAX_PK = 2**63 - 1


class LivechatAPIView(APIView):
    """A view of the livechat API. Subclasses say which token scopes each
    method needs (``scopes``) and any Django permissions (``perms``)."""

    # The bearer token first: a request without credentials is answered 401
    # with ``WWW-Authenticate: Bearer``. No HTTP Basic, which would let
    # passwords be tried outside the admin's login form (and skip CSRF).
    authentication_classes = [BearerTokenAuthentication, SessionAuthentication]
    permission_classes = [IsStaffWithinScope]
    throttle_classes = [TokenOrUserThrottle]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = DefaultContentNegotiation
    versioning_class = None
    pagination_class = None
    schema = LivechatAutoSchema()
    # What the schema's preprocessing hook keeps (``schema``).
    livechat_api = True
    scopes: dict = {}
    perms: dict = {}

    def get_exception_handler(self):
        return api_exception_handler


def object_or_404(queryset, pk):
    """``get_object_or_404`` for a primary key from the URL."""
    if pk > _MAX_PK:
        get_object_or_404(queryset.none())
    return get_object_or_404(queryset, pk=pk)


def conversation_or_404(pk) -> Conversation:
    return object_or_404(
        Conversation.objects.select_related(
            "visitor__user", "assigned_agent__livechat_profile"
        ),
        pk,
    )
