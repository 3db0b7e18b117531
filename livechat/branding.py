"""The store's face in the widget: the admin's WidgetProfile over settings."""

import re

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .conf import DEFAULTS, POSITIONS, app_settings
from .models import WidgetProfile
from .shared_cache import cache

_CACHE_KEY = "livechat:widget-face"
_HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")


def _valid_color(value):
    return isinstance(value, str) and bool(_HEX_COLOR.match(value.strip()))


def _profile_face():
    """The admin's WidgetProfile fields, cached: the tag renders on every page."""
    face = cache.get(_CACHE_KEY)
    if face is None:
        profile = WidgetProfile.objects.first()
        face = {
            "title": profile.title if profile else "",
            "greeting": profile.greeting if profile else "",
            "color": profile.color if profile else "",
            "position": profile.position if profile else "",
            "logo": profile.logo.url if profile and profile.logo else "",
            "contact": {
                key: value
                for key, value in (
                    ("phone", profile.contact_phone if profile else ""),
                    ("email", profile.contact_email if profile else ""),
                    ("note", profile.contact_note if profile else ""),
                )
                if value
            },
        }
        cache.set(_CACHE_KEY, face, 60)
    return face


def widget_face():
    """Title, greeting, colour, position and logo URL for the widget.

    The profile's values win; empty ones fall back to the LIVECHAT_WIDGET_*
    settings, read (and translated, if lazy) on every call, never cached, so
    each shopper gets them in their own language.
    """
    profile = _profile_face()
    face = {
        "title": profile["title"] or str(app_settings.WIDGET_TITLE),
        "greeting": profile["greeting"] or str(app_settings.WIDGET_GREETING),
        "color": profile["color"] or app_settings.WIDGET_COLOR,
        "position": profile["position"] or app_settings.WIDGET_POSITION,
        "logo": profile["logo"],
    }
    if not _valid_color(face["color"]):
        face["color"] = DEFAULTS["WIDGET_COLOR"]
    if face["position"] not in POSITIONS:
        face["position"] = DEFAULTS["WIDGET_POSITION"]
    return face


def widget_contact():
    """The store's other channels from the profile: ``phone``, ``email`` and
    ``note``, each only when set."""
    # .get: a face cached by an older version has no "contact".
    return dict(_profile_face().get("contact") or {})


@receiver([post_save, post_delete], sender=WidgetProfile)
def _forget_face(**kwargs):
    """Runs when the admin edits the profile: the next page shows the change."""
    cache.delete(_CACHE_KEY)
