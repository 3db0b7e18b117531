"""Every error the API answers, in one shape::

    {"code": "not_found", "detail": "No such conversation.", "fields": {}}

``code`` is stable (clients branch on it), ``detail`` is for people (in the
request's language), ``fields`` maps each invalid input, by name, to its
messages (empty unless ``code`` is ``invalid``). A 401 carries
``WWW-Authenticate: Bearer``, a 429 ``Retry-After``.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from ..errors import ServiceError

# The HTTP status of each refusal the services give; other codes conflict
# with the conversation's state (closed, already assigned, agent full...).
_REFUSAL_STATUS = {
    "forbidden": status.HTTP_403_FORBIDDEN,
    "not_found": status.HTTP_404_NOT_FOUND,
    "invalid": status.HTTP_400_BAD_REQUEST,
    "bad_frame": status.HTTP_400_BAD_REQUEST,
}
# Service codes named for the socket's frames, as the API names them.
_REFUSAL_CODE = {"bad_frame": "invalid"}

# DRF's codes as the API names them.
_CODES = {
    exceptions.ValidationError: "invalid",
    exceptions.ParseError: "parse_error",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    """The one shape of an error."""
    return {"code": code, "detail": str(detail), "fields": fields or {}}


def _flat_fields(detail, prefix=""):
    """A validation error's messages as ``{"field": [messages]}``; nested
    fields are dotted ("tags.0")."""
    flat = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            flat.update(_flat_fields(value, f"{prefix}{key}."))
    elif isinstance(detail, list) and any(isinstance(d, dict | list) for d in detail):
        for index, value in enumerate(detail):
            flat.update(_flat_fields(value, f"{prefix}{index}."))
    else:
        messages = detail if isinstance(detail, list) else [detail]
        flat[prefix.rstrip(".") or "non_field_errors"] = [str(m) for m in messages]
    return flat


def refusal_response(exc: ServiceError) -> Response:
    """A service's refusal: its code, its message, its fields if any."""
    fields = getattr(exc, "fields", None) or {}
    return Response(
        error_body(
            _REFUSAL_CODE.get(exc.code, exc.code),
            exc.message,
            {name: [str(message)] for name, message in fields.items()},
        ),
        status=_REFUSAL_STATUS.get(exc.code, status.HTTP_409_CONFLICT),
    )


def api_exception_handler(exc, context):
    """DRF's exception handler for the API's views (set on their base
    class, never through the host's ``REST_FRAMEWORK`` setting).

    Returns None for anything else, which Django turns into a 500.
    """
    if isinstance(exc, ServiceError):
        return refusal_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    code = next(
        (code for kind, code in _CODES.items() if isinstance(exc, kind)), "error"
    )
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(code, _("Please check the fields."), _flat_fields(exc.detail))
    else:
        body = error_body(code, exc.detail)
    return Response(body, status=exc.status_code, headers=headers)
