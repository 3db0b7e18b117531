"""Visitors: their profile and past chats, found by email; their data
exported or erased (data protection) through ``services.privacy``."""

from rest_framework.response import Response

from ... import services
from ...models import Scope, Visitor
from ...services import privacy
from .. import examples
from ..base import LivechatAPIView, object_or_404
from ..inputs import (
    VisitorLookupSerializer,
)
from ..schema import operation
from ..serializers import (
    ErasureSerializer,
    ExportSerializer,
    VisitorDetailSerializer,
    VisitorListSerializer,
)
from .conversations import listed, summaries

PAST_CHATS = 50


def _profile(visitor) -> dict:
    return {
        "id": visitor.pk,
        "name": visitor.name,
        "email": visitor.email,
        "phone": visitor.phone,
        "locale": visitor.locale,
        "user": visitor.user_id,
        "current_page": visitor.current_page,
        "created": visitor.created_at.isoformat(),
        "last_seen": visitor.last_seen_at.isoformat(),
    }


def _visitor_or_404(pk):
    return object_or_404(Visitor.objects.all(), pk)


class VisitorList(LivechatAPIView):
    scopes = {"GET": Scope.CONVERSATIONS_READ}

    @operation(
        operation_id="visitors_lookup",
        summary="Find visitors by email",
        description="The visitors of the shopper with this email, typed in the "
        "chat or their account's (case-insensitive), at most 100.",
        parameters=[VisitorLookupSerializer],
        responses=VisitorListSerializer,
        examples=[examples.VISITORS],
    )
    def get(self, request):
        query = VisitorLookupSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = privacy.find_visitors(email=query.validated_data["email"])
        return Response({"results": [_profile(v) for v in found.order_by("-pk")[:100]]})


class VisitorDetail(LivechatAPIView):
    scopes = {"GET": Scope.CONVERSATIONS_READ}

    @operation(
        operation_id="visitors_retrieve",
        summary="Get a visitor",
        description="Their profile and their chats, newest first (at most 50).",
        responses=VisitorDetailSerializer,
        examples=[examples.VISITOR],
    )
    def get(self, request, pk):
        visitor = _visitor_or_404(pk)
        chats = listed(services.conversations_with_preview().filter(visitor=visitor))
        chats = chats.order_by("-created_at", "-pk")[:PAST_CHATS]
        return Response({**_profile(visitor), "conversations": summaries(chats)})


class VisitorExport(LivechatAPIView):
    scopes = {"GET": Scope.VISITORS_MANAGE}
    # What the Visitor admin's export asks.
    perms = {"GET": ("livechat.view_visitor", "livechat.view_conversation")}

    @operation(
        operation_id="visitors_export",
        summary="Export a visitor's data",
        description="Everything stored about them (profile, conversations, "
        "messages, files' names, orders), as the admin's export. Needs the "
        "visitors:manage scope and the view visitor and view conversation "
        "permissions.",
        responses=ExportSerializer,
        examples=[examples.EXPORT],
    )
    def get(self, request, pk):
        visitor = _visitor_or_404(pk)
        return Response(privacy.export_visitors(Visitor.objects.filter(pk=visitor.pk)))


class VisitorErase(LivechatAPIView):
    scopes = {"POST": Scope.VISITORS_MANAGE}
    # What the Visitor admin's erasure asks.
    perms = {"POST": ("livechat.delete_visitor", "livechat.delete_conversation")}

    @operation(
        operation_id="visitors_erase",
        summary="Erase a visitor",
        description="Deletes them with their conversations, messages, notes, "
        "files and orders; open chats are closed first. Cannot be undone. "
        "Needs the visitors:manage scope and the delete visitor and delete "
        "conversation permissions.",
        request=None,
        responses=ErasureSerializer,
        examples=[examples.ERASED],
    )
    def post(self, request, pk):
        visitor = _visitor_or_404(pk)
        counts = privacy.erase_visitors(
            Visitor.objects.filter(pk=visitor.pk), erased_by=request.user
        )
        return Response(counts)
