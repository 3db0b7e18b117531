"""The REST API against its own OpenAPI schema (livechat/api/schema.py).

The schema is valid OpenAPI 3 with no generator warning, and schemathesis
sends property-based requests to every operation, in process (WSGI), with
a token holding every scope: no answer may be a 500, and every answer must
match the schema (status code, content type, body).
"""

import json

import pytest
import schemathesis
from django.contrib.auth.models import Permission
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from livechat import services
from livechat.models import (
    AgentProfile,
    APIToken,
    CannedReply,
    Department,
    Scope,
    Visitor,
)

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/livechat/api/v1/schema/?format=json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 12


def test_the_schema_is_valid_openapi_without_warnings(client):
    GENERATOR_STATS.reset()
    response = client.get(SCHEMA_URL)
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate_schema(schema)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["tokenAuth"][
            "description"
        ],
    }
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) >= 25
    for path, method, operation in operations:
        label = f"{method.upper()} {path}"
        assert path.startswith("/livechat/api/v1/"), label
        assert operation.get("summary"), label
        # What it does, then who may call it.
        description = operation["description"]
        assert "A view of the livechat API" not in description, label
        assert description.split("\n\n")[0], label
        assert "scope" in description.split("\n\n")[-1], label
        assert {"401", "403", "429", "default"} <= set(operation["responses"]), label
        error = operation["responses"]["401"]["content"]["application/json"]
        assert error["schema"] == {"$ref": "#/components/schemas/Error"}, label
        assert error.get("examples"), label
        success = [code for code in operation["responses"] if code.startswith("2")]
        assert success, label
        documented = operation["responses"][success[0]]
        if success[0] != "204":
            assert documented["content"]["application/json"].get("examples"), label


@pytest.fixture
def world(django_user_model):
    """A user who may do everything, their token, and one of each object."""
    user = django_user_model.objects.create_user(
        "owner", password="pw", is_staff=True, is_superuser=True
    )
    user.user_permissions.add(Permission.objects.get(codename="reply_conversation"))
    AgentProfile.objects.create(user=user, display_name="Owner")
    department = Department.objects.create(name="Orders", topics="order")
    department.agents.add(user)
    visitor = Visitor.objects.create(name="Ann", email="ann@example.com")
    conversation = services.post_visitor_message(visitor, "Where is it?", "c1")[
        0
    ].conversation
    services.set_tag(conversation, "order", True)
    reply = CannedReply.objects.create(
        owner=user, title="Hi", shortcut="hi", body="Hello!"
    )
    _token, key = APIToken.objects.create_token(
        name="all", user=user, scopes=[scope.value for scope in Scope]
    )
    return {
        "key": key,
        "ids": {
            "conversations": conversation.pk,
            "visitors": visitor.pk,
            "replies": reply.pk,
        },
    }


def _known_object(operation, ids):
    """Path parameters naming objects that exist, for ``operation``."""
    path = operation.path
    if "{id}" not in path:
        return None
    resource = path.split("/api/v1/")[1].split("/")[0]
    known = {"id": ids[resource]}
    if "{tag}" in path:
        known["tag"] = "order"
    return known


def _strategy(operation, ids):
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    known = _known_object(operation, ids)
    if known is not None:
        strategies.append(
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known)
        )
    return st.one_of(strategies)


def _destroys(operation):
    # Erasing or deleting goes last, so the other operations still find
    # the objects.
    return operation.method.upper() == "DELETE" or operation.path.endswith("/erase/")


@pytest.fixture
def wsgi_app():
    """Django's WSGI application on the test's database connection: it must
    not close it at the end of each request (Django's test client does the
    same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_every_operation_answers_as_its_schema_says(world, wsgi_app, settings):
    settings.LIVECHAT_API_THROTTLE_RATE = "100000/minute"
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    operations.sort(key=_destroys)
    headers = {"Authorization": f"Bearer {world['key']}"}
    for operation in operations:

        @settings_for_fuzzing
        @given(case=_strategy(operation, world["ids"]))
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()


settings_for_fuzzing = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def test_an_answer_off_the_schema_fails_the_check(world, wsgi_app, monkeypatch):
    """The check above can fail: an agents list whose rows lack fields and
    hold a string id does not pass."""
    from livechat.api.views import team

    monkeypatch.setattr(team, "agents_board", lambda: [{"id": "seven"}])
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, wsgi_app)
    operation = schema["/livechat/api/v1/agents/"]["GET"]
    headers = {"Authorization": f"Bearer {world['key']}"}

    @settings_for_fuzzing
    @given(case=operation.as_strategy())
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    with pytest.raises(BaseException) as failure:
        check()
    found = getattr(failure.value, "exceptions", [failure.value])
    assert any("Response violates schema" in str(error) for error in found), found
