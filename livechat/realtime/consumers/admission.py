"""Who may open a socket at all: the page's origin and how many sockets it holds.

The consumers check these themselves, whatever middleware the host wraps them
in: a host whose ``asgi.py`` forgot an origin validator is still protected.
"""

from collections import Counter
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.utils.http import is_same_domain

from ...conf import app_settings


class _HandshakeRequest(HttpRequest):
    """The WebSocket handshake as Django sees an HTTP request.

    ``get_host()`` and ``is_secure()`` then follow the host's ALLOWED_HOSTS,
    USE_X_FORWARDED_HOST and SECURE_PROXY_SSL_HEADER exactly as its CSRF
    checks do.
    """

    def __init__(self, scope):
        super().__init__()
        self._scope_scheme = (
            "https" if scope.get("scheme") in ("wss", "https") else ("http")
        )
        for raw_name, raw_value in scope.get("headers") or ():
            name = raw_name.decode("latin-1").upper().replace("-", "_")
            key = name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + name
            value = raw_value.decode("latin-1")
            # Repeated headers join with a comma, as WSGI servers do.
            self.META[key] = f"{self.META[key]},{value}" if key in self.META else value
        server = scope.get("server") or ("", "")
        self.META["SERVER_NAME"] = str(server[0] or "")
        self.META["SERVER_PORT"] = str(server[1] or "")

    def _get_scheme(self):
        return self._scope_scheme


def origin_allowed(scope):
    """Does the handshake come from a page of this site?

    The Origin header must name the same scheme, host and port as the
    handshake itself (its Host header, which must be in ALLOWED_HOSTS), or
    be one of CSRF_TRUSTED_ORIGINS: the rule Django applies to unsafe
    requests. Browsers always send Origin with a WebSocket handshake, so a
    handshake without one is refused too.
    """
    request = _HandshakeRequest(scope)
    origin = request.META.get("HTTP_ORIGIN")
    if not origin or origin == "null":
        return False
    try:
        host = request.get_host()
    except DisallowedHost:
        return False
    own = "{}://{}".format("https" if request.is_secure() else "http", host)
    if _same_origin(origin, own):
        return True
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in trusted:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    return any(
        is_same_domain(parsed.netloc, urlsplit(pattern).netloc.lstrip("*"))
        for pattern in trusted
        if "*" in pattern and urlsplit(pattern).scheme == parsed.scheme
    )


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _same_origin(first, second):
    """Equal scheme, host and port (an explicit default port is the default)."""
    try:
        a, b = urlsplit(first), urlsplit(second)
        a_port = a.port or _DEFAULT_PORTS.get(a.scheme)
        b_port = b.port or _DEFAULT_PORTS.get(b.scheme)
    except ValueError:
        return False
    return (a.scheme, (a.hostname or "").lower(), a_port) == (
        b.scheme,
        (b.hostname or "").lower(),
        b_port,
    )


class SocketCounter:
    """Live sockets per key (a client IP, a visitor) in this process.

    Each daphne process protects its own memory; the proxy in front limits
    connections across processes (docs/deployment.md, ``limit_conn``).
    """

    def __init__(self, setting):
        self.setting = setting
        self.counts = Counter()

    def take(self, key):
        """Count one more socket for ``key``; False (nothing counted) at the cap.

        A socket with no key (an ASGI server that gives no client address)
        is counted under None and never capped: all of them would share one
        limit.
        """
        limit = getattr(app_settings, self.setting)
        if limit and key is not None and self.counts[key] >= limit:
            return False
        self.counts[key] += 1
        return True

    def release(self, key):
        if key not in self.counts:
            return
        self.counts[key] -= 1
        if self.counts[key] <= 0:
            del self.counts[key]


sockets_per_ip = SocketCounter("MAX_SOCKETS_PER_IP")
sockets_per_visitor = SocketCounter("MAX_SOCKETS_PER_VISITOR")
