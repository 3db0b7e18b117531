"""API tokens: made (the key shown once), narrowed and revoked.

A token acts as its user; the REST API (livechat.api) lets it do what that
user may do, within its scopes. Only a superuser makes a token that acts as
someone else, so a staff member cannot mint a key for more power than their
own.
"""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from ..access import staff_role
from ..errors import ServiceError
from ..models import APIToken, Scope


def check_token_fields(made_by, user, scopes) -> None:
    """Refuse a token ``made_by`` could not hand to ``user`` with ``scopes``."""
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        raise ServiceError(
            "bad_scope", _("Unknown scopes: %s") % ", ".join(sorted(unknown))
        )
    if not scopes:
        raise ServiceError("bad_scope", _("Choose at least one scope."))
    if staff_role(user) is None:
        raise ServiceError(
            "forbidden",
            _("A token acts as an agent or supervisor; this user is neither."),
        )
    if user.pk != made_by.pk and not made_by.is_superuser:
        raise ServiceError(
            "forbidden", _("Only a superuser makes tokens that act as someone else.")
        )


def create_token(
    made_by, *, name: str, user, scopes, expires_at: datetime | None = None
) -> tuple[APIToken, str]:
    """A new token and its key: the only moment the key is known."""
    check_token_fields(made_by, user, scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise ServiceError("bad_expiry", _("The expiry date has passed."))
    return APIToken.objects.create_token(
        name=name, user=user, scopes=sorted(set(scopes)), expires_at=expires_at
    )


def revoke_tokens(tokens) -> int:
    """Revoke these tokens for good; how many were still usable."""
    return APIToken.objects.filter(pk__in=[t.pk for t in tokens], revoked=False).update(
        revoked=True
    )
