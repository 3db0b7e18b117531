"""Where the real PostgreSQL and Redis are, and whether tests may skip them.

On a laptop without the servers the tests that need them skip with a loud
reason; in CI (``CI=true``) a missing server fails the run instead.
"""

import os
import socket
from urllib.parse import urlparse

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def reachable(url, default_port):
    parts = urlparse(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1
        ):
            return True
    except OSError:
        return False


def database_url():
    """DATABASE_URL, or the local PostgreSQL when it answers, or None."""
    if os.environ.get("LIVECHAT_TEST_SQLITE") == "1":
        return None
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if reachable(url, 5432):
        return url
    if IN_CI:
        raise RuntimeError(f"CI=true but PostgreSQL at {url} is not reachable")
    print(f"\n*** PostgreSQL not reachable at {url}: running on SQLite ***\n")
    return None


def redis_url():
    """REDIS_URL or the local Redis when it answers, or None."""
    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    return url if reachable(url, 6379) else None
