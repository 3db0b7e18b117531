"""The Content-Security-Policy sources the widget and the console need.

Directives map to lists of sources, the shape of django-csp 4's
``CONTENT_SECURITY_POLICY["DIRECTIVES"]`` and of Django 6's ``SECURE_CSP``
(docs/security-headers.md). ``'self'`` assumes that ``STATIC_URL`` and
``MEDIA_URL`` are on the site's own origin; a CDN's origin goes next to it.
"""

from collections.abc import Mapping, Sequence

SELF = "'self'"
NONE = "'none'"

SOURCES: Mapping[str, tuple[str, ...]] = {
    # widget.js, console.js and the admin's scripts, from STATIC_URL.
    "script-src": (SELF,),
    # widget.css and console.css; neither needs an inline style.
    "style-src": (SELF,),
    # Avatars and the logo (MEDIA_URL), attachments (livechat's download
    # view); blob: for the console's preview of a file before it is sent.
    "img-src": (SELF, "blob:"),
    # The WebSockets (CSP 3 browsers count ws:/wss: to the page's host as
    # 'self'), the availability poll and uploads.
    "connect-src": (SELF,),
    # The console's heartbeat runs in a worker made from a blob, so that a
    # background tab keeps its pace; without it, plain timers take over.
    "worker-src": ("blob:",),
}

# Where a browser looks when a directive is missing (CSP 3).
_FALLBACKS = {
    "worker-src": ("child-src", "script-src", "default-src"),
}


def with_livechat_sources(
    directives: Mapping[str, Sequence[str] | None],
) -> dict[str, list[str]]:
    """Return a copy of ``directives`` that also allows what livechat needs.

    A directive the policy leaves out is copied from the one the browser
    would fall back to, then extended, so that adding livechat's sources
    never loosens or tightens anything else. A resource type the policy does
    not restrict at all stays unrestricted.
    """
    merged = {
        name: list(sources) if isinstance(sources, list | tuple) else sources
        for name, sources in directives.items()
    }
    for name, needed in SOURCES.items():
        sources = merged.get(name)
        if sources is None:
            for fallback in _FALLBACKS.get(name, ("default-src",)):
                if merged.get(fallback) is not None:
                    sources = list(merged[fallback])
                    break
            else:
                continue
        # 'none' stands alone: with other sources it would be ignored anyway.
        sources = [source for source in sources if source != NONE]
        merged[name] = sources + [s for s in needed if s not in sources]
    return merged
