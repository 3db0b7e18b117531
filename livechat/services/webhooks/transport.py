"""One HTTP POST to a webhook receiver, guarded against server-side request
forgery.

The host is resolved once and every address it resolves to is checked:
anything but a public unicast address (private, carrier-grade NAT, loopback,
link-local, multicast, reserved, unspecified, and IPv6 addresses carrying
such an IPv4 address) is refused unless
``LIVECHAT_WEBHOOK_ALLOW_PRIVATE_TARGETS`` is on. The
connection then goes to the checked address (a second lookup could answer
differently: DNS rebinding). Redirects are never followed: a 3xx is a failed
attempt. Proxies from the environment are not used.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
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


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(ip):
    """The IPv4 addresses an IPv6 address carries (mapped, NAT64, 6to4,
    Teredo): each must pass on its own."""
    found = [ip.ipv4_mapped, ip.sixtofour]
    if ip.teredo:
        found.extend(ip.teredo)
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [address for address in found if address is not None]


def _forbidden(address) -> bool:
    """Anything but a public unicast address: private, shared (carrier NAT),
    loopback, link-local, multicast, reserved, unspecified."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and any(
        _forbidden(str(v4)) for v4 in _embedded_ipv4(ip)
    ):
        return True
    return not ip.is_global or ip.is_multicast


def _lookup(host, port, timeout):
    """getaddrinfo with a time limit (it has none of its own)."""
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        try:
            return future.result(timeout=timeout)
        except TimeoutError as exc:
            raise DeliveryError(f"cannot resolve {host}: no answer in time") from exc
        finally:
            pool.shutdown(wait=False)


def resolve(host: str, port: int, allow_private: bool, timeout: float = 5) -> str:
    """The address to connect to; DeliveryError if any is forbidden."""
    try:
        infos = _lookup(host, port, timeout)
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


def _read_excerpt(sock, response, deadline) -> bytes:
    """Up to the excerpt's bytes of the answer, by the deadline: a receiver
    that trickles its answer is cut off, not waited for."""
    chunks, size = [], 0
    while size < EXCERPT_CHARS * 4:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the answer took too long")
        sock.settimeout(left)
        chunk = response.read1(EXCERPT_CHARS * 4 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def post(
    url: str, body: bytes, headers: dict, *, timeout: float, allow_private: bool
) -> Answer:
    """POST ``body`` to ``url``: the receiver's status and the start of its
    answer, all within ``timeout`` seconds from the lookup to the last byte
    read. Raises DeliveryError when nothing could be sent or nothing came
    back in time (refused target, no connection, timeout)."""
    started = time.monotonic()
    deadline = started + timeout
    scheme, host, port, path = check_url(url)
    address = resolve(host, port, allow_private, timeout)
    cls = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = cls(host, port, address, max(deadline - time.monotonic(), 0.1))
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
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("sending took too long")
        # Kept: getresponse() drops the connection's own reference when the
        # receiver closes after answering; the response still reads from it.
        sock = connection.sock
        sock.settimeout(left)
        response = connection.getresponse()
        excerpt = _read_excerpt(sock, response, deadline)
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
