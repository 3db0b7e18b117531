"""The experiments ``bench/patched_asgi.py`` knows (``bench/load.py --patches``)."""

PATCH_NAMES = (
    "dispatch",
    "pool",
    "profile",
    "switch",
    "gcwatch",
    "gcfreeze",
    "gcgarbage",
    "asynccommit",
    "slowcallbacks",
    "slowstatements",
    "gatherpublish",
    "nocheck",
    "gcsmall",
    "stages",
)
