"""Conversations and what staff do in them: read, reply, note, tag,
transfer, close, reopen. Each write is one call of ``livechat.services``,
which applies ``livechat.access`` as the console's socket does."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from rest_framework import status
from rest_framework.response import Response

from ... import presentation, services
from ...models import ConversationTag, Department, Scope
from ...services.assignment import add_note, note_frame, notes_of, transfer_conversation
from .. import examples
from ..base import LivechatAPIView, conversation_or_404, object_or_404
from ..inputs import (
    AddTagSerializer,
    CloseSerializer,
    ConversationFilterSerializer,
    MessageRangeSerializer,
    PostMessageSerializer,
    PostNoteSerializer,
    ReopenSerializer,
    SetTagsSerializer,
    TransferSerializer,
)
from ..pagination import NewestFirstCursorPagination
from ..schema import operation
from ..serializers import (
    ConversationSerializer,
    MessageSerializer,
    NoteSerializer,
    TagsSerializer,
    TranscriptSerializer,
)

READ = Scope.CONVERSATIONS_READ
WRITE = Scope.MESSAGES_WRITE


def _valid(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def summary(conversation) -> dict:
    """A conversation as the API shows it: the inbox's summary, its tags,
    its preview."""
    return presentation.conversation_summary(
        conversation,
        services.last_preview(conversation),
        tags=services.tags_of(conversation),
    )


def summaries(conversations) -> list[dict]:
    """``summary`` of each row of ``conversations_with_preview`` with its
    tags prefetched: no query per row."""
    faces = presentation.AgentFaces()
    return [
        presentation.conversation_summary(c, c.preview or "", faces=faces)
        for c in conversations
    ]


def listed(queryset):
    """Rows of ``conversations_with_preview`` as lists read them: one query,
    their tags in a second."""
    return queryset.prefetch_related("tags")


class ConversationList(LivechatAPIView):
    scopes = {"GET": READ}
    pagination_class = NewestFirstCursorPagination

    @operation(
        operation_id="conversations_list",
        summary="List conversations",
        description="Newest first, paged by cursor. Filters combine (AND); `q` "
        "searches as the admin's search box does.",
        parameters=[ConversationFilterSerializer],
        responses=ConversationSerializer(many=True),
        examples=[examples.CONVERSATION_PAGE],
    )
    def get(self, request):
        filters = _valid(ConversationFilterSerializer, request.query_params)
        queryset = services.conversations_with_preview()
        if "status" in filters:
            queryset = queryset.filter(status=filters["status"])
        if "agent" in filters:
            queryset = queryset.filter(assigned_agent_id=filters["agent"])
        if "department" in filters:
            queryset = queryset.filter(department_id=filters["department"])
        if "tag" in filters:
            queryset = queryset.filter(
                pk__in=ConversationTag.objects.filter(tag=filters["tag"]).values(
                    "conversation_id"
                )
            )
        if "created_after" in filters:
            queryset = queryset.filter(created_at__gte=filters["created_after"])
        if "created_before" in filters:
            queryset = queryset.filter(created_at__lt=filters["created_before"])
        if filters.get("visitor_email"):
            email = filters["visitor_email"]
            queryset = queryset.filter(
                Q(visitor__email__iexact=email) | Q(visitor__user__email__iexact=email)
            )
        if filters.get("q", "").strip():
            queryset = services.matching_conversations(filters["q"], queryset)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(listed(queryset), request, self)
        return paginator.get_paginated_response(summaries(page))


class ConversationDetail(LivechatAPIView):
    scopes = {"GET": READ}

    @operation(
        operation_id="conversations_retrieve",
        summary="Get a conversation",
        description="Its state, visitor, agent, tags and last words.",
        responses=ConversationSerializer,
        examples=[examples.CONVERSATION],
    )
    def get(self, request, pk):
        return Response(summary(conversation_or_404(pk)))


class ConversationMessages(LivechatAPIView):
    scopes = {"GET": READ, "POST": WRITE}

    @operation(
        operation_id="messages_list",
        summary="Read the transcript",
        description="Messages with `after_seq < seq < before_seq`, oldest first, "
        "at most LIVECHAT_REPLAY_BATCH_SIZE (200); `more` says to ask again "
        "with `after_seq` set to the last `seq`.",
        parameters=[MessageRangeSerializer],
        responses=TranscriptSerializer,
        examples=[examples.TRANSCRIPT],
    )
    def get(self, request, pk):
        conversation = conversation_or_404(pk)
        limits = _valid(MessageRangeSerializer, request.query_params)
        messages, more = services.messages_after(
            conversation, limits["after_seq"], limits.get("before_seq")
        )
        return Response(
            {
                "conversation": conversation.pk,
                "messages": presentation.messages_data(messages),
                "more": more,
            }
        )

    @operation(
        operation_id="messages_create",
        summary="Reply as the agent",
        description="Posts as the token's (or session's) user, who must be an "
        "agent allowed to answer this chat; the first reply to a waiting chat "
        "takes it. `client_id` makes it idempotent: a retry with the same one "
        "returns the stored message with 200 instead of 201.",
        request=PostMessageSerializer,
        responses={201: MessageSerializer, 200: MessageSerializer},
        examples=[examples.POST_MESSAGE, examples.MESSAGE],
    )
    def post(self, request, pk):
        conversation = conversation_or_404(pk)
        reply = _valid(PostMessageSerializer, request.data)
        message, created = services.post_agent_message(
            conversation, request.user, reply["body"], reply["client_id"]
        )
        return Response(
            presentation.message_data(message),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ConversationNotes(LivechatAPIView):
    scopes = {"GET": READ, "POST": WRITE}

    @operation(
        operation_id="notes_list",
        summary="Read the internal notes",
        description="Notes for staff only; the shopper never sees them.",
        responses=NoteSerializer(many=True),
        examples=[examples.NOTES],
    )
    def get(self, request, pk):
        conversation = conversation_or_404(pk)
        return Response([note_frame(n)["note"] for n in notes_of(conversation)])

    @operation(
        operation_id="notes_create",
        summary="Add an internal note",
        description="Idempotent by `client_id` like messages (201, then 200).",
        request=PostNoteSerializer,
        responses={201: NoteSerializer, 200: NoteSerializer},
        examples=[examples.POST_NOTE, examples.NOTE],
    )
    def post(self, request, pk):
        conversation = conversation_or_404(pk)
        data = _valid(PostNoteSerializer, request.data)
        note, created = add_note(
            conversation, request.user, data["body"], data.get("client_id", "")
        )
        return Response(
            note_frame(note)["note"],
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ConversationTransfer(LivechatAPIView):
    scopes = {"POST": WRITE}

    @operation(
        operation_id="conversations_transfer",
        summary="Transfer to an agent or a department",
        description="The shopper is told who joined; the note stays internal. "
        "The agent must be present with room (409 agent_unavailable, "
        "agent_full otherwise).",
        request=TransferSerializer,
        responses=ConversationSerializer,
        examples=[examples.TRANSFER, examples.CONVERSATION],
    )
    def post(self, request, pk):
        conversation = conversation_or_404(pk)
        data = _valid(TransferSerializer, request.data)
        to_agent = to_department = None
        if "agent" in data:
            to_agent = object_or_404(get_user_model().objects.all(), data["agent"])
        else:
            to_department = object_or_404(Department.objects.all(), data["department"])
        transferred = transfer_conversation(
            conversation, request.user, to_agent, to_department, data["note"]
        )
        return Response(summary(transferred))


class ConversationClose(LivechatAPIView):
    scopes = {"POST": WRITE}

    @operation(
        operation_id="conversations_close",
        summary="Close a conversation",
        description="Closing a closed conversation changes nothing. `tag` says "
        "what it was about.",
        request=CloseSerializer,
        responses=ConversationSerializer,
        examples=[examples.CLOSE, examples.CONVERSATION],
    )
    def post(self, request, pk):
        conversation = conversation_or_404(pk)
        data = _valid(CloseSerializer, request.data)
        services.close_conversation(
            conversation, closed_by=request.user, tag=data["tag"]
        )
        return Response(summary(conversation_or_404(pk)))


class ConversationReopen(LivechatAPIView):
    scopes = {"POST": WRITE}

    @operation(
        operation_id="conversations_reopen",
        summary="Reopen a closed conversation",
        description="An agent takes it (past their maximum only with "
        "`override`); a supervisor's reopen gives it back to its last agent "
        "if present, else it waits. 409 conversation_open if it is open.",
        request=ReopenSerializer,
        responses=ConversationSerializer,
        examples=[examples.REOPEN, examples.CONVERSATION],
    )
    def post(self, request, pk):
        conversation = conversation_or_404(pk)
        data = _valid(ReopenSerializer, request.data)
        services.reopen_conversation(
            conversation, request.user, override=data["override"]
        )
        return Response(summary(conversation_or_404(pk)))


class ConversationTags(LivechatAPIView):
    scopes = {"GET": READ, "PUT": WRITE, "POST": WRITE}

    @operation(
        operation_id="tags_list",
        summary="Read the tags",
        description="The conversation's tags, sorted.",
        responses=TagsSerializer,
        examples=[examples.TAGS],
    )
    def get(self, request, pk):
        conversation = conversation_or_404(pk)
        return Response({"tags": services.tags_of(conversation)})

    @operation(
        operation_id="tags_set",
        summary="Set the tags",
        description="Replaces the tags with these (keys of LIVECHAT_CLOSE_TAGS).",
        request=SetTagsSerializer,
        responses=TagsSerializer,
        examples=[examples.TAGS],
    )
    def put(self, request, pk):
        conversation = conversation_or_404(pk)
        wanted = set(_valid(SetTagsSerializer, request.data)["tags"])
        tags = services.tags_of(conversation)
        for tag in sorted(set(tags) - wanted):
            tags, _changed = services.set_tag(conversation, tag, False, by=request.user)
        for tag in sorted(wanted - set(tags)):
            tags, _changed = services.set_tag(conversation, tag, True, by=request.user)
        return Response({"tags": tags})

    @operation(
        operation_id="tags_add",
        summary="Add one tag",
        description="Adding a tag it has changes nothing. Answers its tags.",
        request=AddTagSerializer,
        responses={200: TagsSerializer},
        examples=[examples.ADD_TAG, examples.TAGS],
    )
    def post(self, request, pk):
        conversation = conversation_or_404(pk)
        tag = _valid(AddTagSerializer, request.data)["tag"]
        tags, _changed = services.set_tag(conversation, tag, True, by=request.user)
        return Response({"tags": tags})


class ConversationTagRemove(LivechatAPIView):
    scopes = {"DELETE": WRITE}

    @operation(
        operation_id="tags_remove",
        summary="Remove one tag",
        description="Removing a tag it lacks changes nothing. Answers its tags.",
        responses={200: TagsSerializer},
        examples=[examples.TAGS],
    )
    def delete(self, request, pk, tag):
        conversation = conversation_or_404(pk)
        tags, _changed = services.set_tag(conversation, tag, False, by=request.user)
        return Response({"tags": tags})
