"""A small REST API for agents and integrations (bots, CRMs, dashboards).

Reads conversations and transcripts and posts replies through the same
``livechat.services`` write path as the console.
"""

from django.shortcuts import get_object_or_404
from rest_framework import generics, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from .. import presentation, protocol, services
from ..errors import ServiceError
from ..models import Conversation
from .permissions import IsAgentOrSupervisor
from .serializers import ConversationSerializer, MessageSerializer, ReplySerializer


def _non_negative_int(request, name):
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 10:
        raise ValidationError({name: "must be a non-negative whole number."})
    return int(raw)


# The HTTP status of each refusal the services give; other codes conflict
# with the conversation's state (closed, already assigned...).
_REFUSAL_STATUS = {
    "forbidden": status.HTTP_403_FORBIDDEN,
    "not_found": status.HTTP_404_NOT_FOUND,
}


def _refused(exc):
    """A service's refusal as the API answers it: ``{"code", "detail"}``."""
    return Response(
        {"code": exc.code, "detail": exc.message},
        status=_REFUSAL_STATUS.get(exc.code, status.HTTP_409_CONFLICT),
    )


class _Pages(PageNumberPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


class ConversationList(generics.ListAPIView):
    """GET conversations, newest first; ``?status=waiting`` filters, ``?q=``
    searches (as the admin's search box: number, visitor, message text)."""

    # The admin's session only: no HTTP Basic, which would let passwords be
    # tried outside the admin's login form (and skip CSRF).
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAgentOrSupervisor]
    pagination_class = _Pages
    serializer_class = ConversationSerializer

    def get_queryset(self):
        # The rows without their preview: paging reads no message, not even
        # for the rows an OFFSET skips. The id breaks ties between chats
        # opened in the same microsecond, so no row is on two pages.
        queryset = Conversation.objects.order_by("-created_at", "-pk")
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in Conversation.Status.values:
                raise ValidationError({"status": "unknown status."})
            queryset = queryset.filter(status=wanted)
        text = self.request.query_params.get("q", "").strip()
        if text:
            queryset = services.matching_conversations(text, queryset)
        return queryset

    def list(self, request, *args, **kwargs):
        """Runs on GET: pages the ids, then reads the page's rows with their
        visitor, agent and preview in one query."""
        ids = self.paginate_queryset(self.get_queryset().values_list("pk", flat=True))
        rows = services.conversations_with_preview().in_bulk(ids)
        page = [rows[pk] for pk in ids if pk in rows]  # one deleted meanwhile: gone
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ConversationDetail(generics.RetrieveAPIView):
    """GET one conversation's summary."""

    # The admin's session only: no HTTP Basic, which would let passwords be
    # tried outside the admin's login form (and skip CSRF).
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAgentOrSupervisor]
    serializer_class = ConversationSerializer
    queryset = Conversation.objects.select_related(
        "visitor__user", "assigned_agent__livechat_profile"
    )


class ConversationMessages(generics.GenericAPIView):
    """GET the transcript after ``?after_seq=``; POST an agent reply."""

    # The admin's session only: no HTTP Basic, which would let passwords be
    # tried outside the admin's login form (and skip CSRF).
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAgentOrSupervisor]
    serializer_class = ReplySerializer

    def get(self, request, pk):
        conversation = get_object_or_404(Conversation, pk=pk)
        after = _non_negative_int(request, "after_seq") or 0
        before = _non_negative_int(request, "before_seq")
        messages, more = services.messages_after(conversation, after, before)
        return Response(
            {
                "conversation": conversation.pk,
                "messages": MessageSerializer(messages, many=True).data,
                "more": more,
            }
        )

    def post(self, request, pk):
        conversation = get_object_or_404(Conversation, pk=pk)
        reply = self.get_serializer(data=request.data)
        reply.is_valid(raise_exception=True)
        try:
            message, created = services.post_agent_message(
                conversation,
                request.user,
                reply.validated_data["body"],
                reply.validated_data["client_id"],
            )
        except ServiceError as exc:
            return _refused(exc)
        return Response(
            protocol.ack_frame(
                presentation.message_data(message), duplicate=not created
            ),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ConversationClose(generics.GenericAPIView):
    """POST to close a conversation."""

    # The admin's session only: no HTTP Basic, which would let passwords be
    # tried outside the admin's login form (and skip CSRF).
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAgentOrSupervisor]

    def post(self, request, pk):
        conversation = get_object_or_404(Conversation, pk=pk)
        try:
            services.close_conversation(conversation, closed_by=request.user)
        except ServiceError as exc:
            return _refused(exc)
        conversation.refresh_from_db()
        return Response(ConversationSerializer(conversation).data)
