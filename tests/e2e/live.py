"""The demo shop under a real daphne process, for end-to-end and browser tests.

``start_live_shop()`` gives each test session a fresh database (PostgreSQL when
it answers, else a SQLite file), migrates and seeds it, and runs
``daphne example_shop.asgi:application`` on a free port, with Redis as the
channel layer when Redis answers. In CI (``CI=true``) a missing PostgreSQL or
Redis fails the session instead of falling back.

Every wait is bounded: nothing here can hang a test run.
"""

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import requests

from tests.services_env import IN_CI, database_url, redis_url

ROOT = Path(__file__).resolve().parents[2]
BOOT_TIMEOUT = 20
COMMAND_TIMEOUT = 120
STOP_TIMEOUT = 5
# Redis pub/sub ignores db numbers, but keys (if the layer ever writes any)
# stay away from a developer's db 0.
REDIS_DB = 5


class LiveShopUnavailable(Exception):
    """A service the live shop needs is missing (message says which)."""


def free_port():
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_path(url, path):
    return urlunparse(urlparse(url)._replace(path=path))


def _loud(message):
    print(f"\n*** {message} ***\n", file=sys.stderr)
    warnings.warn(message, stacklevel=3)


class PostgresDatabase:
    """A throwaway ``livechat_e2e_<random>`` database on the test server."""

    def __init__(self, server_url):
        self.server_url = server_url
        self.name = f"livechat_e2e_{secrets.token_hex(4)}"
        self.url = _with_path(server_url, "/" + self.name)

    def _execute(self, sql):
        import psycopg

        # CREATE/DROP DATABASE cannot run inside a transaction.
        with psycopg.connect(
            _to_libpq(self.server_url), autocommit=True, connect_timeout=5
        ) as connection:
            connection.execute(sql)

    def create(self):
        self._execute(f'CREATE DATABASE "{self.name}"')

    def drop(self):
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def __str__(self):
        return f"PostgreSQL database {self.name}"


def _to_libpq(url):
    # psycopg accepts postgresql:// and postgres:// URIs alike, not pgsql://.
    parts = urlparse(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        parts = parts._replace(scheme="postgresql")
    return urlunparse(parts)


class SqliteDatabase:
    """A SQLite file in the session's temporary directory."""

    def __init__(self, directory):
        self.path = Path(directory) / "livechat_e2e.sqlite3"
        self.url = f"sqlite:///{self.path}"  # absolute path: sqlite:////tmp/...

    def create(self):
        pass

    def drop(self):
        self.path.unlink(missing_ok=True)

    def __str__(self):
        return f"SQLite file {self.path}"


def choose_database(tmp_dir):
    """PostgreSQL when reachable; SQLite when asked or, locally, otherwise.

    In CI a PostgreSQL that does not answer fails the session.
    """
    try:
        url = database_url()
    except RuntimeError as exc:  # raised only in CI
        raise LiveShopUnavailable(str(exc)) from exc
    if os.environ.get("LIVECHAT_TEST_SQLITE") == "1":
        _loud("live shop: LIVECHAT_TEST_SQLITE=1, running daphne on SQLite")
        return SqliteDatabase(tmp_dir)
    if url is None:
        if IN_CI:
            raise LiveShopUnavailable("CI=true but PostgreSQL is not available")
        _loud("live shop: PostgreSQL not reachable, running daphne on SQLite")
        return SqliteDatabase(tmp_dir)
    return PostgresDatabase(url)


def choose_redis():
    """The Redis URL (db REDIS_DB) when reachable; None locally; fail in CI."""
    url = redis_url()
    if url is None:
        if IN_CI:
            raise LiveShopUnavailable(
                "CI=true but Redis is not reachable at "
                + (os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379")
            )
        _loud("live shop: Redis not reachable, daphne uses the in-memory layer")
        return None
    return _with_path(url, f"/{REDIS_DB}")


def shop_environment(database, redis):
    env = dict(os.environ)
    # pytest-django exported tests.settings; the shop must use its own.
    env["DJANGO_SETTINGS_MODULE"] = "example_shop.settings"
    env["DATABASE_URL"] = database
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = redis
        # Redis pub/sub ignores db numbers: without a prefix of its own this
        # server would share group names (conversation ids from a fresh
        # database) with any other shop on the same Redis. Takes effect once
        # example_shop/settings.py reads it into the layer's "prefix".
        env["LIVECHAT_REDIS_PREFIX"] = f"e2e{secrets.token_hex(4)}"
        # The cache on Redis too, as in production (settings_production):
        # rate limits and cached answers shared by the shop's processes, and
        # the paths that read them from the event loop under test. Its own
        # prefix: other shops of the run share this Redis database.
        env["DJANGO_CACHE_URL"] = redis
        env["DJANGO_CACHE_PREFIX"] = env["LIVECHAT_REDIS_PREFIX"]
    else:
        env.pop("DJANGO_CACHE_URL", None)
    # Every test client comes from 127.0.0.1: per-IP limits sized for real
    # shoppers would throttle the suite itself (tests/test_ratelimit.py and the
    # fault tests check the limits).
    env["LIVECHAT_RATE_LIMITS"] = json.dumps(
        {
            "message": "1000/60",
            "conversation": "1000/3600",
            "offline": "1000/3600",
            "upload": "1000/600",
            "transcript": "1000/3600",
            "profile": "1000/600",
        }
    )
    env["DJANGO_DEBUG"] = "0"
    # seed_demo's weeks of past chats take a minute: shops under test start
    # without them (tests/test_demo_history.py plays a short history).
    env["SEED_DEMO_HISTORY"] = "0"
    env["LIVECHAT_DEMO_SERVE_STATIC"] = "1"
    env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    return env


def run_manage(env, *args):
    """Run ``manage.py *args`` with the shop's environment; raise with output."""
    try:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(
            f"manage.py {' '.join(args)} took over {exc.timeout}s"
        ) from None
    if done.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed ({done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
        )
    return done.stdout


_CREATE_USER = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from livechat.models import AgentProfile
spec = json.loads({spec!r})
user, _ = get_user_model().objects.get_or_create(username=spec["username"])
for name, value in spec["fields"].items():
    setattr(user, name, value)
user.set_password(spec["password"])
user.save()
for perm in spec["permissions"]:
    app_label, codename = perm.split(".")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
if spec["display_name"]:
    AgentProfile.objects.update_or_create(
        user=user, defaults={{"display_name": spec["display_name"]}}
    )
"""


def create_user(shop, username, password, *, permissions=(), display_name="", **fields):
    """Create (or reset) a user of the live shop through ``manage.py shell``.

    ``permissions``: "app_label.codename" strings; ``display_name`` gives the
    user an agent profile; ``fields``: User fields (is_staff, email...).
    """
    spec = json.dumps(
        {
            "username": username,
            "password": password,
            "permissions": list(permissions),
            "display_name": display_name,
            "fields": fields,
        }
    )
    run_manage(shop.env, "shell", "-c", _CREATE_USER.format(spec=spec))


@dataclass
class LiveShop:
    """A daphne process serving example_shop; restartable on the same port."""

    port: int
    env: dict = field(repr=False)
    log_path: Path
    database: object = None
    process: subprocess.Popen = field(default=None, repr=False)
    starts: int = 0

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self):
        return f"ws://127.0.0.1:{self.port}"

    @property
    def origin(self):
        """The Origin header AllowedHostsOriginValidator accepts."""
        return self.base_url

    def url(self, path):
        return self.base_url + path

    def _command(self):
        daphne = Path(sys.executable).with_name("daphne")
        prefix = [str(daphne)] if daphne.exists() else [sys.executable, "-m", "daphne"]
        return prefix + [
            "-b",
            "127.0.0.1",
            "-p",
            str(self.port),
            "example_shop.asgi:application",
        ]

    def start(self):
        """Start daphne and wait until it answers HTTP (at most BOOT_TIMEOUT s)."""
        if self.running:
            raise RuntimeError("daphne is already running")
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(f"\n===== daphne start #{self.starts} =====\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self._command(),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # Own process group: a kill reaches nothing of pytest's.
                start_new_session=True,
            )
        self._wait_until_up()

    def _wait_until_up(self):
        deadline = time.monotonic() + BOOT_TIMEOUT
        with requests.Session() as session:
            session.trust_env = False  # never through an HTTP proxy
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"daphne exited with {self.process.returncode} while "
                        f"starting:\n{self.log_tail()}"
                    )
                try:
                    session.get(self.url("/admin/login/"), timeout=1)
                    return
                except requests.RequestException:
                    time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"daphne did not answer on port {self.port} within {BOOT_TIMEOUT}s:\n"
            f"{self.log_tail()}"
        )

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """kill -9 the server: no graceful shutdown, sockets just drop."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):  # died meanwhile
                os.killpg(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=STOP_TIMEOUT)

    def restart(self):
        """kill -9, then start again on the same port and database."""
        self.kill()
        self.start()

    def stop(self):
        """Terminate gracefully; kill when that takes over STOP_TIMEOUT s."""
        if not self.running:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines=80):
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no daphne log)"
        return "\n".join(text.splitlines()[-lines:])


_CHOOSE = object()


def start_live_shops(tmp_dir, count=1, redis=_CHOOSE, extra_env=None):
    """Create the database, migrate, seed and start ``count`` daphne processes.

    They share the database and the channel layer (``redis``: a URL, None for
    the in-memory layer, or chosen by ``choose_redis()``). Raises
    LiveShopUnavailable when a required service is missing, or when several
    processes are asked for without PostgreSQL and Redis to share. The caller
    must call ``stop_live_shops()`` on the result.
    """
    tmp_dir = Path(tmp_dir)
    database = choose_database(tmp_dir)
    redis = choose_redis() if redis is _CHOOSE else redis
    if count > 1 and isinstance(database, SqliteDatabase):
        raise LiveShopUnavailable("several processes need PostgreSQL, not SQLite")
    if count > 1 and redis is None:
        raise LiveShopUnavailable("several processes need Redis to hear each other")
    # One environment for all: the same database and, above all, the same
    # channel-layer prefix, or they would never hear each other.
    env = shop_environment(database.url, redis)
    env.update(extra_env or {})
    shops = [
        LiveShop(
            port=free_port(),
            env=env,
            log_path=tmp_dir / ("daphne.log" if count == 1 else f"daphne-{n}.log"),
            database=database,
        )
        for n in range(count)
    ]
    database.create()
    try:
        run_manage(env, "migrate", "--noinput", "-v0")
        run_manage(env, "seed_demo")
        with ThreadPoolExecutor(count) as pool:
            list(pool.map(LiveShop.start, shops))  # list(): re-raise a failure
    except BaseException:
        stop_live_shops(shops)
        raise
    return shops


def start_live_shop(tmp_dir, **kwargs):
    """``start_live_shops`` for one process: the LiveShop."""
    return start_live_shops(tmp_dir, **kwargs)[0]


def stop_live_shops(shops):
    """Stop every daphne, then drop their database; never raises on cleanup."""
    try:
        for shop in shops:
            shop.stop()
    finally:
        try:
            shops[0].database.drop()
        except Exception as exc:  # a leftover test database is not a failure
            print(f"could not drop {shops[0].database}: {exc}", file=sys.stderr)


def stop_live_shop(shop):
    """Stop daphne and drop the database; never raises on cleanup trouble."""
    stop_live_shops([shop])


# The pytest side --------------------------------------------------------------

_shared = {"shop": None, "users": 0, "error": None}
# The session's tests give chats to the same two demo agents and seldom close
# them: room for them all (limits are tested on agents or shops of their own).
SHARED_SHOP_ENV = {"LIVECHAT_MAX_CONCURRENT_CHATS": "100"}


def shared_live_shop(request, tmp_path_factory):
    """Body of the ``live_shop`` fixtures: one daphne for the whole session.

    ``tests/e2e`` and ``tests/browser`` each declare a session fixture that
    delegates here, so a run of both starts the server once; the last of them
    to be torn down stops it.
    """
    if _shared["shop"] is None:
        if _shared["error"] is not None:
            _give_up(*_shared["error"])
        try:
            _shared["shop"] = start_live_shop(
                tmp_path_factory.mktemp("live_shop"), extra_env=SHARED_SHOP_ENV
            )
        except LiveShopUnavailable as exc:
            _shared["error"] = (True, str(exc))
            _give_up(*_shared["error"])
        except Exception as exc:
            # Remembered so the second fixture does not spend the time again.
            _shared["error"] = (False, f"the live shop did not start: {exc}")
            raise
    shop = _shared["shop"]
    _shared["users"] += 1
    try:
        yield shop
    finally:
        _shared["users"] -= 1
        if _shared["users"] == 0:
            _shared["shop"] = None
            if _live_tests_failed(request):
                _report_log(request.config, shop)
            stop_live_shop(shop)


def _give_up(may_skip, message):
    import pytest

    if may_skip and not IN_CI:
        pytest.skip(f"*** SKIPPED: live shop unavailable: {message} ***")
    pytest.fail(f"live shop: {message}", pytrace=False)


def _live_tests_failed(request):
    """Whether a test that used the live shop failed or errored."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return bool(request.session.testsfailed)
    live = {
        item.nodeid
        for item in request.session.items
        if "live_shop" in getattr(item, "fixturenames", ())
    }
    reports = reporter.stats.get("failed", []) + reporter.stats.get("error", [])
    return any(getattr(report, "nodeid", None) in live for report in reports)


def _report_log(config, shop):
    text = (
        f"daphne log ({shop.log_path}), last lines:\n{shop.log_tail()}\n"
        f"database: {shop.database}"
    )
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(text, file=sys.stderr)
        return
    # Session teardown runs inside the last test's capture: step out of it.
    with capture.global_and_fixture_disabled():
        reporter.ensure_newline()
        reporter.section("live shop (daphne) log tail", sep="-", yellow=True)
        reporter.write_line(text)


def sibling_shop(live_shop, tmp_path_factory, name, **env):
    """A second daphne on ``live_shop``'s database with ``env`` on top of its
    environment, and channel-layer and cache prefixes of its own (so its
    counts and limits are its own); a generator for a pytest fixture."""
    prefix = f"{name}{secrets.token_hex(4)}"
    shop = LiveShop(
        port=free_port(),
        env={
            **live_shop.env,
            **env,
            "LIVECHAT_REDIS_PREFIX": prefix,
            "DJANGO_CACHE_PREFIX": prefix,
        },
        log_path=tmp_path_factory.mktemp(name) / "daphne.log",
        database=live_shop.database,
    )
    shop.start()
    try:
        yield shop
    finally:
        shop.stop()
