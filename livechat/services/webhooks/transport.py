"""One HTTP POST to a webhook receiver, guarded against server-side request
forgery.

The host is resolved once and every address it resolves to is checked:
private, loopback, link-local, multicast, reserved and unspecified addresses
are refused unless ``LIVECHAT_WEBHOOK_ALLOW_PRIVATE_TARGETS`` is on. The
connection then goes to the checked address (a second lookup could answer
differently: DNS rebinding). Redirects are never followed: a 3xx is a failed
attempt. Proxies from the environment are not used.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from ... import __version__

EXCERPT_CHARS = 500


class DeliveryError(Exception):
    """The request could not be made or was refused before sending."""


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str
    duration_ms: int


def _forbidden(address) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def resolve(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to; DeliveryError if any is forbidden."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DeliveryError(f"cannot resolve {host}: {exc}") from exc
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise DeliveryError(f"cannot resolve {host}")
    if not allow_private:
        for address in addresses:
            if _forbidden(address):
                raise DeliveryError(
                    f"{host} resolves to {address}, a private or local address "
                    "(LIVECHAT_WEBHOOK_ALLOW_PRIVATE_TARGETS is off)"
                )
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(_PinnedHTTP):
    def connect(self):
        super().connect()
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)


def check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of a URL a webhook may target."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError("the URL must be http:// or https:// with a host")
    if parts.username or parts.password:
        raise DeliveryError("the URL may not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise DeliveryError(str(exc)) from exc
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port, path


def post(
    url: str, body: bytes, headers: dict, *, timeout: float, allow_private: bool
) -> Answer:
    """POST ``body`` to ``url``: the receiver's status and the start of its
    answer. Raises DeliveryError when nothing could be sent or nothing came
    back (refused target, no connection, timeout)."""
    scheme, host, port, path = check_url(url)
    address = resolve(host, port, allow_private)
    cls = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = cls(host, port, address, timeout)
    started = time.monotonic()
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": f"livechat-webhooks/{__version__}",
                **headers,
            },
        )
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_CHARS * 4)
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}"[:300]) from exc
    finally:
        connection.close()
    return Answer(
        status=status,
        excerpt=excerpt.decode("utf-8", "replace")[:EXCERPT_CHARS],
        duration_ms=int((time.monotonic() - started) * 1000),
    )
