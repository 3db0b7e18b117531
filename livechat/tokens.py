"""Signed visitor tokens: how an anonymous shopper proves who they are."""

import uuid

from django.core import signing

from .conf import app_settings

_SALT = "livechat.visitor"
# Where a shopper's session keeps their visitor's key (set by the widget tag).
VISITOR_SESSION_KEY = "livechat_visitor"


class InvalidToken(Exception):
    """The token was tampered with, malformed or expired."""


def make_visitor_token(visitor_key):
    """Return a signed, timestamped token for a visitor key (a UUID)."""
    return signing.dumps(str(visitor_key), salt=_SALT, compress=False)


def read_visitor_token(token):
    """Return the visitor key (UUID) in ``token`` or raise InvalidToken."""
    if not isinstance(token, str) or not token or len(token) > 500:
        raise InvalidToken("missing or malformed token")
    try:
        value = signing.loads(
            token, salt=_SALT, max_age=app_settings.VISITOR_TOKEN_MAX_AGE
        )
        return uuid.UUID(value)
    except signing.SignatureExpired as exc:
        raise InvalidToken("expired token") from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise InvalidToken("invalid token") from exc
