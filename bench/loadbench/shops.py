"""The two stacks under test: example_shop (livechat) and the bare relay."""

import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from bench.loadbench import ROOT
from bench.loadbench.machine import (
    PINNING,
    pin_process,
    proc_cpu_seconds,
    proc_status_kb,
)
from tests.e2e.live import (
    LiveShop,
    PostgresDatabase,
    choose_redis,
    free_port,
    run_manage,
    shop_environment,
)
from tests.services_env import database_url

LIVECHAT_PATHS = {"visitor": "/ws/livechat/visitor/", "agent": "/ws/livechat/agent/"}
RELAY_PATH = "/ws/relay/"
REDIS_URL = "redis://127.0.0.1:6379/5"
CACHE_DB = 7  # livechat's Django cache in the benchmark (--cache redis)


@dataclass
class Daphne(LiveShop):
    """A daphne process serving ``app`` (example_shop unless told otherwise)."""

    app: str = "example_shop.asgi:application"

    def _command(self):
        return super()._command()[:-1] + [self.app]

    @property
    def pid(self):
        return self.process.pid

    def rss_kb(self):
        return proc_status_kb(self.pid)

    def cpu_seconds(self):
        return proc_cpu_seconds(self.pid)

    def error_count(self):
        """Tracebacks in the daphne log so far."""
        try:
            return self.log_path.read_text(errors="replace").count("Traceback")
        except OSError:
            return 0


def _with_path(url, path):
    return urlunparse(urlparse(url)._replace(path=path))


class Stack:
    """A server side the load tool drives: daphne processes and their URLs."""

    name = "?"

    def __init__(self, args, log_dir):
        self.args = args
        self.log_dir = Path(log_dir)
        self.servers = []
        self.env = None
        self.prefix = f"bench{secrets.token_hex(4)}"

    def start_servers(self, count, tag="load", env=None):
        servers = []
        for index in range(count):
            server = Daphne(
                port=free_port(),
                env=env or self.env,
                log_path=self.log_dir / f"{self.name}-{tag}-{index}.log",
                app=self.app,
            )
            server.start()
            if PINNING["daphne"]:
                pin_process(server.pid, PINNING["daphne"])
            servers.append(server)
        return servers

    def stop_servers(self, servers):
        for server in servers:
            with contextlib.suppress(Exception):
                server.stop()

    def close(self):
        self.stop_servers(self.servers)


class LivechatStack(Stack):
    """example_shop on a fresh PostgreSQL database, Redis pub/sub layer."""

    name = "livechat"
    app = "example_shop.asgi:application"

    def __init__(self, args, log_dir):
        super().__init__(args, log_dir)
        if getattr(args, "patches", None):
            # Bench-only experiments (bench/patched_asgi.py), never livechat's code.
            self.app = "bench.patched_asgi:application"
        url = database_url()
        if url is None:
            raise SystemExit("PostgreSQL is not reachable: the benchmark needs it")
        self.database = PostgresDatabase(url)
        self.database.name = f"livechat_bench_{secrets.token_hex(4)}"
        self.database.url = _with_path(url, "/" + self.database.name)
        self.server_url = url
        redis = choose_redis()
        if redis is None:
            raise SystemExit("Redis is not reachable: the benchmark needs it")
        self.redis_url = redis
        env = shop_environment(self.database.url, redis)
        env["LIVECHAT_REDIS_PREFIX"] = self.prefix
        # Every bench socket comes from 127.0.0.1 and sends far faster than a
        # shopper: the limits would measure themselves. Without the "_ip"
        # keys the per-IP limits are off.
        env["LIVECHAT_RATE_LIMITS"] = json.dumps(
            {"message": "10000000/60", "conversation": "10000000/3600"}
        )
        env["LIVECHAT_ROUTING"] = "claim"
        # Thousands of bench sockets share 127.0.0.1: no cap on them (0).
        env["LIVECHAT_MAX_SOCKETS_PER_IP"] = "0"
        # A console agent answers (so takes) every chat it watches.
        env["LIVECHAT_MAX_CONCURRENT_CHATS"] = "1000000"
        if getattr(args, "cache", "redis") == "redis":
            # As in production (settings_production): one cache for every
            # process, so rate limits hold across them.
            env["DJANGO_CACHE_URL"] = _with_path(redis, f"/{CACHE_DB}")
            env["DJANGO_CACHE_PREFIX"] = self.prefix
        else:
            env.pop("DJANGO_CACHE_URL", None)
        if args.conn_max_age is not None:
            env["DJANGO_CONN_MAX_AGE"] = str(args.conn_max_age)
        if getattr(args, "patches", None):
            env["BENCH_PATCHES"] = ",".join(args.patches)
            env["BENCH_PROFILE_OUT"] = str(self.log_dir / "profile-{pid}.txt")
        self.env = env
        self.created = False

    def prepare(self, tokens):
        """Create and seed the database; bench agents, their sessions, tokens."""
        self.database.create()
        self.created = True
        run_manage(self.env, "migrate", "--noinput", "-v0")
        run_manage(self.env, "seed_demo")
        script = SETUP_SCRIPT.format(agents=self.args.agents, tokens=tokens)
        output = run_manage(self.env, "shell", "-c", script)
        data = json.loads(output.strip().splitlines()[-1])
        self.sessions = data["sessions"]
        self.tokens = data["tokens"]

    def close(self):
        super().close()
        if self.created:
            with contextlib.suppress(Exception):
                self.database.drop()

    # How the load tool talks to this stack.

    def visitor_path(self):
        return LIVECHAT_PATHS["visitor"]

    def agent_path(self):
        return LIVECHAT_PATHS["agent"]

    def agent_headers(self, agent_index):
        return {"Cookie": f"sessionid={self.sessions[agent_index]}"}

    def visitor_hello(self, index):
        return {"type": "hello", "v": 1, "token": self.tokens[index]}

    # Figures only livechat has.

    def stored(self, tag):
        """Messages stored with this step's client ids (and distinct ids)."""
        import psycopg

        with psycopg.connect(libpq_url(self.database.url), connect_timeout=5) as db:
            row = db.execute(
                "SELECT count(*), count(DISTINCT (conversation_id, client_id)) "
                "FROM livechat_message WHERE client_id LIKE %s",
                [tag + ".%"],
            ).fetchone()
        return row[0], row[1]

    def db_stats(self):
        """Cumulative counters of this database in pg_stat_database."""
        import psycopg

        with psycopg.connect(libpq_url(self.server_url), connect_timeout=5) as db:
            row = db.execute(
                "SELECT sessions, xact_commit, xact_rollback, tup_returned, "
                "tup_fetched, tup_inserted, tup_updated FROM pg_stat_database "
                "WHERE datname = %s",
                [self.database.name],
            ).fetchone()
        names = ("sessions", "commits", "rollbacks", "returned", "fetched")
        return dict(zip(names + ("inserted", "updated"), row, strict=True))


class RelayStack(Stack):
    """bench/relay_app.py: one group_send per message, nothing else."""

    name = "relay"
    app = "bench.relay_app:application"

    def __init__(self, args, log_dir, redis_url):
        super().__init__(args, log_dir)
        self.redis_url = redis_url
        env = dict(os.environ)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env["REDIS_URL"] = redis_url
        env["LIVECHAT_REDIS_PREFIX"] = self.prefix
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        )
        self.env = env

    def prepare(self, tokens):
        pass

    def visitor_path(self):
        return RELAY_PATH

    def agent_path(self):
        return RELAY_PATH

    def agent_headers(self, agent_index):
        return None

    def visitor_hello(self, index):
        # Joins one group, as a livechat visitor joins its own group.
        return {"type": "hello", "v": 1, "conversation": index}


def libpq_url(url):
    parts = urlparse(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        parts = parts._replace(scheme="postgresql")
    return urlunparse(parts)


SETUP_SCRIPT = """
import json, uuid
from importlib import import_module
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model)
from livechat.models import AgentProfile
from livechat.tokens import make_visitor_token

User = get_user_model()
permissions = list(User.objects.get(username="agent").user_permissions.all())
store = import_module(settings.SESSION_ENGINE).SessionStore
sessions = []
for index in range({agents}):
    user, _ = User.objects.get_or_create(username=f"bench-agent-{{index}}")
    user.is_staff = True
    user.first_name = f"Agent{{index}}"
    user.set_unusable_password()
    user.save()
    user.user_permissions.set(permissions)
    AgentProfile.objects.update_or_create(
        user=user,
        defaults={{"max_concurrent_chats": 30000,
                   "display_name": f"Bench agent {{index}}"}})
    # A logged-in session, as /admin/login/ would make (without the password
    # hashing: the bench does not measure logins).
    session = store()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    sessions.append(session.session_key)
tokens = [make_visitor_token(uuid.uuid4()) for _ in range({tokens})]
print(json.dumps({{"sessions": sessions, "tokens": tokens}}))
"""


def redis_publish_calls(stack):
    """PUBLISH commands Redis has run (all clients: Redis is shared)."""
    import redis

    try:
        client = redis.Redis.from_url(getattr(stack, "redis_url", None) or REDIS_URL)
        with contextlib.closing(client):
            stats = client.info("commandstats")
        return stats.get("cmdstat_publish", {}).get("calls", 0)
    except Exception:
        return 0


def run_child_on_fresh_shop(script, stack_args, variable, payload, timeout):
    """``script --inner`` against a fresh livechat database; its exit code.

    The database is created, migrated and seeded as for the load benchmark
    (``LivechatStack``) and dropped afterwards. The child gets the shop's
    environment plus ``variable``: the JSON of ``payload(stack)``.
    """
    with tempfile.TemporaryDirectory(prefix="livechat-child-") as tmp:
        stack = LivechatStack(stack_args, tmp)
        try:
            stack.prepare(tokens=1)
            env = dict(stack.env)
            env[variable] = json.dumps(payload(stack))
            done = subprocess.run(
                [sys.executable, str(script), "--inner"],
                cwd=ROOT,
                env=env,
                timeout=timeout,
                check=False,
            )
            return done.returncode
        finally:
            stack.close()
