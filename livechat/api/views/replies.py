"""Saved replies: the caller's own and the shared ones, managed by the
rules of ``services.canned`` (``may_manage``)."""

from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response

from ...errors import ServiceError
from ...models import Scope
from ...services import canned
from .. import examples
from ..base import LivechatAPIView
from ..inputs import SavedReplyInputSerializer
from ..schema import operation
from ..serializers import SavedReplySerializer

MANAGE = Scope.REPLIES_MANAGE


def _reply_or_404(user, pk):
    for reply in canned.replies_for(user):
        if reply["id"] == pk:
            return reply
    raise ServiceError("not_found", _("No such saved reply."))


def _valid(request, partial):
    data = SavedReplyInputSerializer(data=request.data, partial=partial)
    data.is_valid(raise_exception=True)
    values = dict(data.validated_data)
    if partial:
        values.pop("shared", None)
    return values


class SavedReplyList(LivechatAPIView):
    scopes = {"GET": (Scope.CONVERSATIONS_READ, MANAGE), "POST": MANAGE}

    @operation(
        operation_id="replies_list",
        summary="List saved replies",
        description="The shared replies and the caller's own.",
        responses=SavedReplySerializer(many=True),
        examples=[examples.REPLIES],
    )
    def get(self, request):
        return Response(canned.replies_for(request.user))

    @operation(
        operation_id="replies_create",
        summary="Create a saved reply",
        description="The caller's own, or shared (`shared: true`) for "
        "supervisors and staff with the add saved reply permission. 409 "
        "duplicate when the shortcut and language are taken.",
        request=SavedReplyInputSerializer,
        responses={201: SavedReplySerializer},
        examples=[examples.NEW_REPLY, examples.REPLY],
    )
    def post(self, request):
        reply = canned.save_reply(request.user, _valid(request, partial=False))
        return Response(canned.reply_data(reply), status=status.HTTP_201_CREATED)


class SavedReplyDetail(LivechatAPIView):
    scopes = {
        "GET": (Scope.CONVERSATIONS_READ, MANAGE),
        "PATCH": MANAGE,
        "DELETE": MANAGE,
    }

    @operation(
        operation_id="replies_retrieve",
        summary="Get a saved reply",
        description="A shared reply or one of the caller's own; a colleague's "
        "own is not found.",
        responses=SavedReplySerializer,
        examples=[examples.REPLY],
    )
    def get(self, request, pk):
        return Response(_reply_or_404(request.user, pk))

    @operation(
        operation_id="replies_update",
        summary="Change a saved reply",
        description="Only the fields given change.",
        request=SavedReplyInputSerializer(partial=True),
        responses=SavedReplySerializer,
        examples=[examples.EDIT_REPLY, examples.REPLY],
    )
    def patch(self, request, pk):
        values = _valid(request, partial=True)
        reply = canned.save_reply(request.user, values, reply_id=_pk(pk))
        return Response(canned.reply_data(reply))

    @operation(
        operation_id="replies_destroy",
        summary="Delete a saved reply",
        description="Shared replies: for supervisors and staff with the delete "
        "saved reply permission.",
        responses={204: None},
    )
    def delete(self, request, pk):
        canned.delete_reply(request.user, _pk(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _pk(pk):
    # Larger than any key: no such reply (the service answers not_found).
    return pk if pk < 2**63 else 0
