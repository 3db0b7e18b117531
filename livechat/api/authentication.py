"""Who is calling: an API token (``Authorization: Bearer <key>``) or the
admin's browser session (with its CSRF check).

A token acts as its user, narrowed to its scopes (``permissions``). Unknown,
revoked and expired keys, and tokens of users who may no longer sign in, are
all refused the same way: 401 with ``WWW-Authenticate: Bearer``, saying
nothing about which it was.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from ..models import APIToken

# Longest key accepted: a key is an 8-character prefix, a dot and 40
# characters; anything much longer is refused before any work.
_MAX_KEY_LENGTH = 200
# ``last_used_at`` is written at most this often per token.
LAST_USED_EVERY = timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <key>`` → ``(token.user, token)``."""

    keyword = "Bearer"

    def authenticate(self, request):
        """Runs on the first use of ``request.user``: None when the request
        carries no bearer credentials (the session may authenticate it)."""
        header = authentication.get_authorization_header(request)
        scheme, _space, key = header.partition(b" ")
        if scheme.lower() != self.keyword.lower().encode():
            return None
        key = key.strip()
        if not key or b" " in key or len(key) > _MAX_KEY_LENGTH:
            raise exceptions.AuthenticationFailed(_("Malformed bearer token."))
        try:
            text = key.decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(
                _("Malformed bearer token.")
            ) from None
        if not text.isprintable():
            raise exceptions.AuthenticationFailed(_("Malformed bearer token."))
        token = APIToken.objects.from_key(text)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(
                _("Invalid, revoked or expired token.")
            )
        _note_use(token)
        return token.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="livechat"'


def _note_use(token):
    """Record when the token was last used, at most once a minute: one
    conditional UPDATE, which a busy integration mostly skips."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    APIToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_EVERY)
    ).update(last_used_at=now)
    token.last_used_at = now


class SessionAuthentication(authentication.SessionAuthentication):
    """The admin's browser session; unsafe methods need the CSRF token."""


def token_of(request) -> APIToken | None:
    """The API token that authenticated ``request``, None for a session."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, APIToken) else None
