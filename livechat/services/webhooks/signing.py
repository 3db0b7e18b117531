"""The signature on every webhook delivery.

``Livechat-Signature: t=<unix seconds>,v1=<hex>`` where ``<hex>`` is
HMAC-SHA256, keyed with the endpoint's secret exactly as the admin shows it
(UTF-8 bytes of the whole string, ``whsec_`` included), over
``"<t>.<raw request body>"``. docs/api.md shows the receiver's side in
Python and JavaScript.
"""

import hashlib
import hmac
import time

HEADER = "Livechat-Signature"
# How old a signed timestamp a receiver should accept (the docs' recipe).
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``secret``."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The value of the ``Livechat-Signature`` header for ``body``."""
    if timestamp is None:
        timestamp = int(time.time())
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str, header: str, body: bytes, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """Does ``header`` sign ``body`` with ``secret``, recently enough?

    The receiver's check, as docs/api.md spells it out; the tests use it to
    prove that what is sent verifies.
    """
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected, parts.get("v1", ""))
