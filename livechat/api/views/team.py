"""The team: departments, agents' presence and load, and the API's root
(health, version, who is calling)."""

from django.db import connection
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from ... import __version__
from ...access import staff_role
from ...models import Department, Scope
from ...services.assignment import agents_board
from .. import examples
from ..authentication import token_of
from ..base import LivechatAPIView
from ..schema import operation
from ..serializers import AgentSerializer, DepartmentSerializer, RootSerializer


class Root(LivechatAPIView):
    """Any token or staff session may ask: no scope needed."""

    any_token = True

    @operation(
        operation_id="root",
        summary="Health and version",
        description="Answers once the database answers: the version, and who "
        "is calling (the token's user, name and scopes).",
        responses=RootSerializer,
        examples=[examples.ROOT],
    )
    def get(self, request):
        connection.ensure_connection()
        token = token_of(request)
        return Response(
            {
                "status": "ok",
                "version": __version__,
                "api_version": "v1",
                "user": {
                    "id": request.user.pk,
                    "username": request.user.get_username(),
                    "role": staff_role(request.user),
                },
                "token": token
                and {
                    "name": token.name,
                    "prefix": token.prefix,
                    "scopes": list(token.scopes),
                    "expires_at": token.expires_at and token.expires_at.isoformat(),
                },
            }
        )


class DepartmentList(LivechatAPIView):
    scopes = {"GET": Scope.CONVERSATIONS_READ}

    @operation(
        operation_id="departments_list",
        summary="List departments",
        description="Each team, the topics routed to it and its agents' ids.",
        responses=DepartmentSerializer(many=True),
        examples=[examples.DEPARTMENTS],
    )
    def get(self, request):
        rows = Department.objects.order_by("name", "pk").prefetch_related("agents")
        return Response(
            [
                {
                    "id": department.pk,
                    "name": department.name,
                    "topics": department.topic_keys,
                    "agents": sorted(agent.pk for agent in department.agents.all()),
                }
                for department in rows
            ]
        )


class AgentList(LivechatAPIView):
    scopes = {"GET": Scope.CONVERSATIONS_READ}

    @operation(
        operation_id="agents_list",
        summary="Agents' presence and load",
        description="Every agent with a profile: what they chose (`presence`), "
        "whether they answer now (`present`: online, at the console, not "
        "idle), and their open chats against their maximum.",
        responses=AgentSerializer(many=True),
        examples=[examples.AGENTS],
    )
    def get(self, request):
        return Response(agents_board())


class Unknown(LivechatAPIView):
    """Any other URL under the API's root: 404 in the API's error shape (not
    the host's HTML page), whoever asks."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []
    schema = None
    livechat_api = False

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound()
