"""The OpenAPI 3 schema (drf-spectacular): security schemes, the error
responses every operation may give, and the examples the docs show.

Settings are passed to drf-spectacular's views (``SPECTACULAR``), never
written onto the host's settings. The schema's texts are for developers, in
English like docs/api.md; what the API answers people (errors' ``detail``)
is translated.
"""

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from .. import __version__
from .errors import error_body
from .permissions import required_perms, required_scopes
from .serializers import ErrorSerializer

DESCRIPTION = """\
The live chat's REST API: conversations and their messages, notes, tags,
transfers; visitors (with their data export and erasure); saved replies;
departments; agents' presence and load; the reports' figures.

Authenticate with an API token (`Authorization: Bearer <key>`, created in
the admin, each with scopes) or, from the admin's pages, the session (with
the CSRF token on unsafe methods). Every error has one shape:
`{"code": ..., "detail": ..., "fields": {...}}`. Lists are paged by cursor.
"""

SPECTACULAR = {
    "TITLE": "livechat API",
    "DESCRIPTION": DESCRIPTION,
    "VERSION": f"v1 (livechat {__version__})",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["livechat.api.schema.only_livechat_endpoints"],
    # Choices stay inline where they are used: the tags are the store's
    # setting, not a fixed component.
    "POSTPROCESSING_HOOKS": [],
    "SWAGGER_UI_SETTINGS": {
        "deepLinking": True,
        "persistAuthorization": False,
        "displayOperationId": False,
    },
}


def only_livechat_endpoints(endpoints, **kwargs):
    """drf-spectacular's preprocessing hook: the livechat API's operations
    only, not the host's own API views."""
    return [
        (path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if getattr(getattr(callback, "cls", None), "livechat_api", False)
    ]


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "livechat.api.authentication.BearerTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API token created in the admin (Live chat > API tokens), "
                "shown once. It acts as its user, within its scopes."
            ),
        }


class TagFieldSchema(OpenApiSerializerFieldExtension):
    """A tag field: the tags as configured, inline (one list, not an enum
    component per field name)."""

    target_class = "livechat.api.inputs.TagField"

    def map_serializer_field(self, auto_schema, direction):
        choices = list(self.target.choices)
        if self.target.allow_blank:
            choices.insert(0, "")
        return {"type": "string", "enum": choices}


class LivechatSessionScheme(OpenApiAuthenticationExtension):
    target_class = "livechat.api.authentication.SessionAuthentication"
    name = "sessionAuth"

    def get_security_definition(self, auto_schema):
        from django.conf import settings

        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": (
                "The admin's session; POST, PUT, PATCH and DELETE also need "
                "the X-CSRFToken header."
            ),
        }


_ERROR_DESCRIPTIONS = {
    "400": "Invalid input (code invalid or parse_error; fields says which).",
    "401": "No credentials, or a key that is unknown, revoked or expired.",
    "403": "Not staff, a missing scope or permission, or not yours to act on.",
    "404": "No such object.",
    "429": "Too many requests for this token or user: see Retry-After.",
    "default": (
        "Any other error in the same shape, e.g. 409 conversation_closed, "
        "405 method_not_allowed, 415 unsupported_media_type."
    ),
}

_ERROR_EXAMPLES = {
    "400": error_body(
        "invalid", "Please check the fields.", {"body": ["This field is required."]}
    ),
    "401": error_body("authentication_failed", "Invalid, revoked or expired token."),
    "403": error_body(
        "permission_denied", "This token lacks the scope messages:write."
    ),
    "404": error_body("not_found", "Not found."),
    "429": error_body(
        "throttled", "Request was throttled. Expected available in 12 seconds."
    ),
    "default": error_body("conversation_closed", "This conversation is closed."),
}


_IDS = {
    "conversations": "The conversation's id.",
    "visitors": "The visitor's id.",
    "replies": "The saved reply's id.",
}
_PATH_PARAMETERS = {
    "tag": "A tag: a key of LIVECHAT_CLOSE_TAGS.",
    "name": "The report's slug.",
}


class LivechatAutoSchema(AutoSchema):
    """Every operation also documents the errors it may answer, in the
    one error shape, with an example each, and its path parameters."""

    def get_description(self):
        """Runs for an operation whose ``operation`` gave no description:
        none (not the view's docstring, written for the code's readers)."""
        return ""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        """Runs per operation: its description ends with who may call it."""
        operation = super().get_operation(
            path, path_regex, path_prefix, method, registry
        )
        if operation is None:
            return None
        scopes = required_scopes(self.view, method)
        perms = required_perms(self.view, method)
        needs = []
        if scopes:
            needs.append(
                "Token scope: " + " or ".join(f"`{scope}`" for scope in scopes) + "."
            )
        else:
            needs.append("Any token scope.")
        if perms:
            needs.append(
                "Permissions: " + ", ".join(f"`{perm}`" for perm in perms) + "."
            )
        operation["description"] = "\n\n".join(
            part for part in (operation.get("description", ""), " ".join(needs)) if part
        )
        return operation

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        resource = self.path.split("/v1/", 1)[-1].split("/", 1)[0]
        for parameter in parameters:
            name = parameter["name"]
            text = _IDS[resource] if name == "id" else _PATH_PARAMETERS[name]
            parameter["description"] = text
            if parameter["schema"].get("type") == "integer":
                parameter["schema"]["minimum"] = 1
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "429", "default"]
        if "{" in self.path:
            codes.insert(3, "404")
        for code in codes:
            if code in responses:
                continue
            responses[code] = self._get_response_for_code(
                OpenApiResponse(
                    ErrorSerializer,
                    description=_ERROR_DESCRIPTIONS[code],
                    examples=[
                        OpenApiExample(
                            f"error {code}",
                            value=_ERROR_EXAMPLES[code],
                            response_only=True,
                        )
                    ],
                ),
                code,
                direction=direction,
            )
        return responses


def operation(**kwargs):
    """drf-spectacular's ``extend_schema`` for a method of the API's views,
    based on ``LivechatAutoSchema`` (the views set it, not the host's
    ``DEFAULT_SCHEMA_CLASS``)."""

    def decorator(method):
        method.schema = LivechatAutoSchema
        return extend_schema(**kwargs)(method)

    return decorator
