"""The patches ``bench/patched_asgi.py`` knows (``bench/load.py --patches``)."""

PATCH_NAMES = (
    # Diagnostics.
    "stages",
    "profile",
    "gcwatch",
    "gcgarbage",
    "slowcallbacks",
    "slowstatements",
    # Experiments not shipped.
    "asynccommit",
    "gatherpublish",
    "nocheck",
    "switch",
    "gcsmall",
)
