"""Load benchmark: livechat under daphne over real WebSockets, against a bare relay.

Usage (from the repository root):

    .venv/bin/python bench/load.py              # the full run: a few minutes
    .venv/bin/python bench/load.py --quick      # a ~30 s smoke run
    .venv/bin/python bench/load.py --processes 2
    .venv/bin/python bench/load.py --help

What it does, each stack in turn (livechat, then the relay of bench/relay_app.py;
both on daphne with the same Redis pub/sub channel layer):

1. starts the stack: for livechat a fresh PostgreSQL database (migrated and
   seeded), bench agents with sessions and visitor tokens minted by one
   ``manage.py shell``; then ``--processes`` daphne processes;
2. opens ``--conversations`` conversations, each a visitor socket and an agent
   socket (``--agent-sockets console`` instead gives each agent user one socket
   watching all its conversations, like the real console), says hello, opens
   the conversation and exchanges one warm-up message each way;
3. offers ``--rate`` messages per second for ``--seconds`` seconds, open loop,
   round-robin over the conversations, alternating visitor->agent and
   agent->visitor in each; latency is from the ``send`` call to the peer
   socket receiving the ``message`` frame; then drains;
4. steps the rate (``--knee-rates``, ``--knee-seconds`` each) until p99 passes
   ``--p99-limit`` ms (a lost message counts as infinitely late); a step past
   the limit runs again (``--knee-retries``) and the better run counts, so a
   passing stall of the machine (CPU steal on a shared VM) is not taken for
   the knee;
5. on a fresh daphne: resident memory before and after ``--idle`` idle visitor
   sockets (each said hello and got its welcome).

Throughout, bench/disk_probe.py times the disk's ``fdatasync`` every 10 ms;
each step prints the slow ones next to its late messages (a stack that
commits every message waits for the disk, the relay does not).

It prints figures and never asserts. Traffic goes to 127.0.0.1 only; every
wait is bounded and every process it starts is stopped at the end.
"""

import argparse
import asyncio
import contextlib
import gc
import importlib.metadata
import json
import math
import os
import platform
import resource
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

from bench.patch_names import PATCH_NAMES  # noqa: E402
from tests.e2e.live import (  # noqa: E402
    LiveShop,
    PostgresDatabase,
    choose_redis,
    free_port,
    run_manage,
    shop_environment,
)
from tests.services_env import database_url  # noqa: E402

LIVECHAT_PATHS = {"visitor": "/ws/livechat/visitor/", "agent": "/ws/livechat/agent/"}
RELAY_PATH = "/ws/relay/"
# json.dumps puts "type" first in every frame both servers send: the type can
# be read without parsing, and only message/ack/error frames are parsed.
TYPE_PREFIX = '{"type": "'
MESSAGE_PREFIX = '{"type": "message", '
TICKS = os.sysconf("SC_CLK_TCK")
VERSIONS = (
    "Django",
    "channels",
    "channels-redis",
    "daphne",
    "Twisted",
    "asgiref",
    "redis",
    "websockets",
    "psycopg",
)


# Machine and processes -------------------------------------------------------


def cpu_model():
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def mem_total_mb():
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return 0


def proc_status_kb(pid, field="VmRSS"):
    """A ``kB`` field of /proc/<pid>/status (VmRSS: resident memory)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for pid {pid}")


def proc_cpu_seconds(pid):
    """User + system CPU seconds of a process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_ticks():
    """(busy, total, steal) jiffies of all CPUs, from /proc/stat.

    Steal: time the hypervisor gave this VM's CPUs to someone else (counted
    as busy: the machine could not use it).
    """
    values = [
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    ]
    idle = values[3] + values[4]  # idle + iowait
    steal = values[7] if len(values) > 7 else 0
    return sum(values) - idle, sum(values), steal


def service_cpu_seconds():
    """CPU seconds of each PostgreSQL and Redis server process: {pid: (name, s)}."""
    seen = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, _paren, rest = (entry / "stat").read_text().rpartition(")")
        except OSError:
            continue
        name = head.partition("(")[2]
        service = (
            "postgres"
            if name.startswith(("postgres", "postmaster"))
            else "redis"
            if name.startswith("redis-server")
            else None
        )
        if service:
            fields = rest.split()
            seen[entry.name] = (service, (int(fields[11]) + int(fields[12])) / TICKS)
    return seen


def service_cpu_since(before, after, wall):
    """Share of a CPU each service used between two ``service_cpu_seconds``.

    Per process: a backend that ended in between is missed, a new one counts
    from its start.
    """
    totals = {"postgres": 0.0, "redis": 0.0}
    for pid, (service, seconds) in after.items():
        totals[service] += seconds - before.get(pid, (service, 0.0))[1]
    return {name: value / wall for name, value in totals.items()}


PINNING = {"daphne": None, "rest": None}  # CPU sets, with --pin
_SAVED_AFFINITY = {}  # pid -> CPUs before --pin moved it


def service_pids():
    """PIDs of every PostgreSQL and Redis server process."""
    return list(service_cpu_seconds())


def pin_process(pid, cpus):
    """Move every thread of ``pid`` to ``cpus`` (remembering where it was)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            _SAVED_AFFINITY.setdefault(
                int(task.name), os.sched_getaffinity(int(task.name))
            )
            os.sched_setaffinity(int(task.name), cpus)


def start_pinning(processes):
    """--pin: daphne on the last core(s); this process, PostgreSQL, Redis on
    the others. New PostgreSQL backends inherit the postmaster's CPUs."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise SystemExit("--pin needs at least two CPUs")
    daphne = set(cpus[-min(processes, len(cpus) - 1) :])
    rest = set(cpus) - daphne
    PINNING.update(daphne=daphne, rest=rest)
    os.sched_setaffinity(0, rest)
    for pid in service_pids():
        pin_process(int(pid), rest)
    return daphne, rest


def stop_pinning():
    """Give PostgreSQL and Redis (system services) their CPUs back."""
    for pid, cpus in _SAVED_AFFINITY.items():
        with contextlib.suppress(OSError):
            os.sched_setaffinity(pid, cpus)
    _SAVED_AFFINITY.clear()


class DiskProbe:
    """bench/disk_probe.py in a child process: the disk's sync times by window.

    It syncs in the system's temporary directory; ``same_disk`` says whether
    that is PostgreSQL's file system (None: unknown).
    """

    def __init__(self, log_dir, database_url):
        self.directory = tempfile.gettempdir()
        self.same_disk = _same_file_system(self.directory, database_url)
        self.output = Path(log_dir) / "disk-probe.txt"
        self.output.touch()
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "disk_probe.py"),
                self.directory,
                str(self.output),
            ]
        )
        self._read_to = 0
        self._samples = []  # (perf_counter at the start, seconds)

    def between(self, start, end):
        """``(started at, seconds)`` of the samples started in [start, end]."""
        with open(self.output) as out:
            out.seek(self._read_to)
            text = out.read()
        complete = text[: text.rfind("\n") + 1]
        self._read_to += len(complete)
        for line in complete.splitlines():
            at, seconds = line.split()
            self._samples.append((float(at), float(seconds)))
        return [(at, s) for at, s in self._samples if start <= at <= end]

    def stop(self):
        with contextlib.suppress(Exception):
            self.process.terminate()
            self.process.wait(timeout=5)


DISK = {"probe": None}  # the DiskProbe of this run


def _same_file_system(directory, database_url):
    """Is ``directory`` on PostgreSQL's file system? None: cannot tell."""
    if database_url is None:
        return None
    try:
        import psycopg

        with psycopg.connect(_libpq(database_url), connect_timeout=5) as conn:
            data = conn.execute("SHOW data_directory").fetchone()[0]
        return os.stat(data).st_dev == os.stat(directory).st_dev
    except Exception:  # not a superuser, or not this machine's files
        return None


def self_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def git_describe():
    """The commit measured, and whether livechat/ or example_shop/ differ from it."""
    try:
        head = subprocess.run(
            ["git", "log", "-1", "--format=%h %cI %s"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "livechat", "example_shop"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    return head + (" (livechat/ or example_shop/ modified)" if dirty else "")


def loadavg():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def raise_open_file_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else 1 << 20
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


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


# Stacks ------------------------------------------------------------------------


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

        with psycopg.connect(_libpq(self.database.url), connect_timeout=5) as db:
            row = db.execute(
                "SELECT count(*), count(DISTINCT (conversation_id, client_id)) "
                "FROM livechat_message WHERE client_id LIKE %s",
                [tag + ".%"],
            ).fetchone()
        return row[0], row[1]

    def db_stats(self):
        """Cumulative counters of this database in pg_stat_database."""
        import psycopg

        with psycopg.connect(_libpq(self.server_url), connect_timeout=5) as db:
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


def _libpq(url):
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


# Sockets -----------------------------------------------------------------------


class Peer:
    """One client socket and its reader task."""

    def __init__(self, ws, side, bench):
        self.ws = ws
        self.side = side  # "visitor" or "agent": who sends from this socket
        self.bench = bench
        self.types = Counter()
        self.waiters = []
        self.closed = False
        self.task = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, server, path, side, bench, headers=None):
        ws = await connect(
            server.ws_url + path,
            origin=server.origin,
            additional_headers=headers,
            proxy=None,
            open_timeout=30,
            close_timeout=1,
            ping_interval=None,
            compression=None,
            max_size=16 * 2**20,
            max_queue=4096,
        )
        return cls(ws, side, bench)

    async def send(self, frame):
        await self.ws.send(json.dumps(frame))

    async def wait_for(self, test, timeout, what):
        future = asyncio.get_running_loop().create_future()
        waiter = (test, future)
        self.waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise RuntimeError(f"{self.side} socket: no {what} in {timeout}s") from None
        finally:
            with contextlib.suppress(ValueError):
                self.waiters.remove(waiter)

    async def _read(self):
        bench = self.bench
        try:
            async for text in self.ws:
                now = time.perf_counter()
                frame = None
                if text.startswith(MESSAGE_PREFIX):
                    kind = "message"
                    frame = json.loads(text)
                    bench.on_message(self, frame.get("message") or {}, now)
                else:
                    if text.startswith(TYPE_PREFIX):
                        kind = text[10 : text.find('"', 10)]
                    else:  # rare frames whose "type" is not first (agent welcome)
                        frame = json.loads(text)
                        kind = str(frame.get("type"))
                    if kind in ("ack", "error"):
                        frame = json.loads(text)
                        bench.on_reply(self, kind, frame, now)
                self.types[kind] += 1
                if self.waiters:
                    if frame is None:
                        frame = json.loads(text)
                    for waiter in list(self.waiters):
                        test, future = waiter
                        if not future.done() and test(frame):
                            future.set_result(frame)
        except ConnectionClosed:
            pass
        finally:
            self.closed = True

    def abort(self):
        self.task.cancel()
        with contextlib.suppress(Exception):
            self.ws.transport.abort()


async def limited(coroutines, limit):
    """Run coroutines at most ``limit`` at a time; results in order."""
    gate = asyncio.Semaphore(limit)

    async def run(coroutine):
        async with gate:
            return await coroutine

    return await asyncio.gather(*(run(c) for c in coroutines))


# One measured step ---------------------------------------------------------------


class Step:
    """Everything recorded for one offered rate."""

    def __init__(self, tag, rate, seconds):
        self.tag = tag
        self.rate = rate
        self.seconds = seconds
        self.sent = {}  # client_id -> (send time, "v2a" or "a2v")
        self.delivered = {}  # client_id -> first receive time at the peer
        # (socket, client_id) received: the same message twice on one socket
        # is a duplicate; on two sockets of one agent user (their consoles
        # all follow their chats, --agents < --conversations) it is not.
        self.received = set()
        self.acked = {}  # client_id -> ack receive time
        self.duplicated = 0
        self.echoes = 0
        self.errors = Counter()
        self.lag = []  # actual send time - scheduled time, seconds
        self.first_send = self.last_send = self.last_delivery = None

    def latencies(self, direction=None):
        out = []
        for cid, (sent_at, way) in self.sent.items():
            if direction is not None and way != direction:
                continue
            received = self.delivered.get(cid)
            out.append(math.inf if received is None else received - sent_at)
        return sorted(out)


def percentile(sorted_values, fraction):
    if not sorted_values:
        return math.nan
    index = max(0, math.ceil(fraction * len(sorted_values)) - 1)
    return sorted_values[index]


def ms(value):
    if math.isnan(value):
        return "   n/a"
    if math.isinf(value):
        return "  lost"
    return f"{value * 1000:6.1f}"


class Bench:
    """The load generator for one stack: sockets, steps, figures."""

    def __init__(self, stack, args, token_offset=0):
        self.stack = stack
        self.args = args
        self.token_offset = token_offset
        self.steps = {}
        self.conversations = []  # [(conversation id, visitor Peer, agent Peer)]
        self.peers = []
        self.errors_without_id = Counter()

    # Frames from the reader tasks.

    def on_message(self, peer, message, now):
        cid = message.get("client_id")
        if not isinstance(cid, str):
            return
        step = self.steps.get(cid.partition(".")[0])
        if step is None:
            return
        if message.get("sender") == peer.side:
            step.echoes += 1  # the sender's own socket gets it too
        elif (id(peer), cid) in step.received:
            step.duplicated += 1
        else:
            step.received.add((id(peer), cid))
            if cid not in step.delivered:
                step.delivered[cid] = now
                step.last_delivery = now

    def on_reply(self, peer, kind, frame, now):
        cid = frame.get("client_id")
        if not isinstance(cid, str):
            if kind == "error":
                self.errors_without_id[frame.get("code")] += 1
            return
        step = self.steps.get(cid.partition(".")[0])
        if step is None:
            return
        if kind == "ack":
            step.acked.setdefault(cid, now)
        else:
            step.errors[frame.get("code")] += 1

    # Setting up conversations.

    def server_for(self, index, side):
        servers = self.stack.servers
        # With several processes a visitor and its agent are never on the
        # same one: every message crosses processes through Redis.
        shift = 0 if side == "visitor" else 1
        return servers[(index + shift) % len(servers)]

    async def open_conversations(self):
        n = self.args.conversations
        started = time.perf_counter()
        visitors = await limited(
            [self._open_visitor(index) for index in range(n)], limit=32
        )
        opened_visitors = time.perf_counter()
        agents = await self._open_agents(visitors)
        self.conversations = [
            (conversation, visitor, agents[index])
            for index, (conversation, visitor) in enumerate(visitors)
        ]
        # Warm-up: each agent answers once (the first reply assigns the chat),
        # and the visitor must see it; every path is then hot.
        warm = Step("W", 0, 0)
        self.steps["W"] = warm
        for index, (conversation, _visitor, agent) in enumerate(self.conversations):
            cid = f"W.{index}"
            warm.sent[cid] = (time.perf_counter(), "a2v")
            await agent.send(
                {
                    "type": "message",
                    "conversation": conversation,
                    "client_id": cid,
                    "body": "Hello, how can I help?",
                }
            )
        deadline = time.perf_counter() + 60
        while len(warm.delivered) + sum(warm.errors.values()) < n:
            if time.perf_counter() > deadline:
                break
            await asyncio.sleep(0.05)
        done = time.perf_counter()
        print(
            f"  {self.stack.name}: {n} conversations ready in {done - started:.1f}s "
            f"(visitors {opened_visitors - started:.1f}s, agents+warm-up "
            f"{done - opened_visitors:.1f}s); warm-up delivered "
            f"{len(warm.delivered)}/{n}, errors {dict(warm.errors) or 0}",
            flush=True,
        )

    async def _open_visitor(self, index):
        stack = self.stack
        peer = await Peer.open(
            self.server_for(index, "visitor"), stack.visitor_path(), "visitor", self
        )
        self.peers.append(peer)
        await peer.send(stack.visitor_hello(self.token_offset + index))
        await peer.wait_for(lambda f: f["type"] == "welcome", 60, "welcome")
        if isinstance(stack, RelayStack):
            return index, peer
        # The first message opens the conversation; its ack names it.
        cid = f"O.{index}"
        await peer.send({"type": "message", "client_id": cid, "body": "Hi there"})
        ack = await peer.wait_for(
            lambda f: f.get("client_id") == cid and f["type"] in ("ack", "error"),
            60,
            "ack of the first message",
        )
        if ack["type"] != "ack":
            raise RuntimeError(f"first visitor message refused: {ack}")
        return ack["conversation"], peer

    async def _open_agents(self, visitors):
        """One agent Peer per conversation (shared in console mode)."""
        stack = self.stack
        agents_count = max(1, self.args.agents)
        console = self.args.agent_sockets == "console"

        async def open_agent(socket_index):
            peer = await Peer.open(
                self.server_for(socket_index, "agent"),
                stack.agent_path(),
                "agent",
                self,
                headers=stack.agent_headers(socket_index % agents_count),
            )
            self.peers.append(peer)
            await peer.send({"type": "hello", "v": 1})
            await peer.wait_for(lambda f: f["type"] == "welcome", 120, "welcome")
            return peer

        async def watch(peer, conversation):
            await peer.send({"type": "open", "conversation": conversation})
            await peer.wait_for(
                lambda f: (
                    f["type"] == "opened" and f["conversation"]["id"] == conversation
                ),
                120,
                "opened",
            )

        if console:
            sockets = await limited(
                [open_agent(i) for i in range(min(agents_count, len(visitors)))], 8
            )
            chosen = [sockets[i % len(sockets)] for i in range(len(visitors))]
        else:
            chosen = await limited([open_agent(i) for i in range(len(visitors))], 8)
        await limited(
            [
                watch(peer, conv)
                for peer, (conv, _v) in zip(chosen, visitors, strict=True)
            ],
            16,
        )
        return chosen

    async def settle(self, limit=120, quiet=0.10):
        """Wait until every daphne is idle (backlogs delivered); bounded.

        Returns (seconds waited, whether it went quiet).
        """
        started = time.perf_counter()
        servers = self.stack.servers
        while time.perf_counter() - started < limit:
            before = [s.cpu_seconds() for s in servers]
            t0 = time.perf_counter()
            await asyncio.sleep(1)
            elapsed = time.perf_counter() - t0
            busiest = max(
                (s.cpu_seconds() - cpu) / elapsed
                for s, cpu in zip(servers, before, strict=True)
            )
            if busiest < quiet:
                return time.perf_counter() - started, True
        return time.perf_counter() - started, False

    def frames_by_side(self, totals=None):
        """'visitor: message 200, ...; agent: ...' from frame counters."""
        totals = totals if totals is not None else self._frame_totals()
        sides = {}
        for (side, kind), count in sorted(totals.items()):
            sides.setdefault(side, []).append(f"{kind} {count}")
        return "; ".join(f"{side}: {', '.join(kinds)}" for side, kinds in sides.items())

    # Driving load.

    async def run_step(self, tag, rate, seconds, detail=False):
        """Offer ``rate`` msg/s for ``seconds`` s, drain, return the Step."""
        step = Step(tag, rate, seconds)
        self.steps[tag] = step
        conversations = self.conversations
        n = len(conversations)
        total = int(rate * seconds)
        body = ("x" * self.args.body)[: self.args.body]
        snapshot = self._snapshot(database=detail)
        # The instrument must not pause: no garbage collection in this process
        # while a step runs (its heap grows with every step's records, and a
        # full collection would add its pause to the measured latencies).
        gc.collect()
        gc.disable()
        start = time.perf_counter()
        step.first_send = start
        k = 0
        while k < total:
            now = time.perf_counter()
            due = min(total, int((now - start) * rate) + 1)
            while k < due:
                conversation, visitor, agent = conversations[k % n]
                cid = f"{tag}.{k}"
                scheduled = start + k / rate
                # Alternate directions within a round and in each conversation.
                if (k + k // n) % 2 == 0:
                    frame = {"type": "message", "client_id": cid, "body": body}
                    peer, way = visitor, "v2a"
                else:
                    frame = {
                        "type": "message",
                        "conversation": conversation,
                        "client_id": cid,
                        "body": body,
                    }
                    peer, way = agent, "a2v"
                sent_at = time.perf_counter()
                step.sent[cid] = (sent_at, way)
                step.lag.append(sent_at - scheduled)
                try:
                    await peer.ws.send(json.dumps(frame))
                except ConnectionClosed:
                    step.errors["socket_closed"] += 1
                k += 1
            wait = start + k / rate - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
        step.last_send = time.perf_counter()
        # Drain: until everything arrived, or nothing more for a while.
        drain_until = step.last_send + self.args.drain_max
        last_count, last_change = -1, time.perf_counter()
        while True:
            settled = len(step.delivered) + sum(step.errors.values())
            now = time.perf_counter()
            if settled >= total or now > drain_until:
                break
            if settled != last_count:
                last_count, last_change = settled, now
            elif now - last_change > self.args.drain_idle:
                break
            await asyncio.sleep(0.05)
        step.drained_at = time.perf_counter()
        gc.enable()
        step.drained = settled >= total
        # Let the last frames of other types (inbox updates) arrive too.
        await asyncio.sleep(0.2)
        step.resources = self._resources_since(snapshot, step)
        if isinstance(self.stack, LivechatStack):
            step.stored, step.stored_distinct = self.stack.stored(tag)
        else:
            step.stored = step.stored_distinct = None
        return step

    def _snapshot(self, database=False):
        snap = {
            "wall": time.perf_counter(),
            "servers": [s.cpu_seconds() for s in self.stack.servers],
            "self": self_cpu_seconds(),
            "machine": machine_ticks(),
            "services": service_cpu_seconds(),
            "frames": self._frame_totals(),
            "publish": redis_publish_calls(self.stack),
        }
        if database and isinstance(self.stack, LivechatStack):
            snap["db"] = self.stack.db_stats()
        return snap

    def _frame_totals(self):
        totals = Counter()
        for peer in self.peers:
            for kind, count in peer.types.items():
                totals[(peer.side, kind)] += count
        return totals

    def _resources_since(self, before, step):
        wall = time.perf_counter() - before["wall"]
        busy0, total0, steal0 = before["machine"]
        busy1, total1, steal1 = machine_ticks()
        services = service_cpu_seconds()
        servers = [
            (s.cpu_seconds() - cpu) / wall
            for s, cpu in zip(self.stack.servers, before["servers"], strict=True)
        ]
        frames = self._frame_totals()
        frames.subtract(before["frames"])
        out = {
            "servers_cpu": servers,
            "loadgen_cpu": (self_cpu_seconds() - before["self"]) / wall,
            "machine_busy": (busy1 - busy0) / max(1, total1 - total0),
            "steal": (steal1 - steal0) / max(1, total1 - total0),
            "services_cpu": service_cpu_since(before["services"], services, wall),
            "frames": +frames,
            "publish": redis_publish_calls(self.stack) - before["publish"],
        }
        probe = DISK["probe"]
        if probe is not None:
            out["disk"] = probe.between(before["wall"], time.perf_counter())
        if "db" in before:
            # Statistics reach pg_stat_database when a backend ends or at most
            # once a second: approximate for persistent connections.
            time.sleep(1.1)
            after = self.stack.db_stats()
            out["db"] = {key: after[key] - before["db"][key] for key in after}
        return out

    def close(self):
        for peer in self.peers:
            peer.abort()


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


REDIS_URL = "redis://127.0.0.1:6379/5"
CACHE_DB = 7  # livechat's Django cache in the benchmark (--cache redis)


# Reporting -----------------------------------------------------------------------


def step_figures(step):
    lat = {way: step.latencies(way) for way in ("v2a", "a2v", None)}
    sent = len(step.sent)
    delivered = len(step.delivered)
    span = (step.last_delivery or step.last_send) - step.first_send
    return {
        "sent": sent,
        "delivered": delivered,
        "lost": sent - delivered,
        "duplicated": step.duplicated,
        "refused": sum(step.errors.values()),
        "stored": step.stored,
        "achieved": delivered / span if span > 0 else 0.0,
        "sent_rate": sent / max(1e-9, step.last_send - step.first_send),
        "p": {
            way: tuple(percentile(values, f) for f in (0.5, 0.95, 0.99))
            for way, values in lat.items()
        },
        "lag99": percentile(sorted(step.lag), 0.99),
    }


def print_step(stack, step, label):
    f = step_figures(step)
    print_late(stack, step)
    r = step.resources
    p50, p95, p99 = f["p"][None]
    servers = "+".join(f"{c * 100:.0f}%" for c in r["servers_cpu"])
    print(
        f"  {stack.name:8s} {label:9s} offered {step.rate:5d}/s "
        f"delivered {f['achieved']:7.1f}/s  p50 {ms(p50)} p95 {ms(p95)} "
        f"p99 {ms(p99)} ms  sent {f['sent']} lost {f['lost']} dup "
        f"{f['duplicated']} refused {f['refused']}"
        + (f" stored {f['stored']}" if f["stored"] is not None else "")
        + f" | cpu daphne {servers} loadgen {r['loadgen_cpu'] * 100:.0f}% "
        f"postgres {r['services_cpu']['postgres'] * 100:.0f}% "
        f"redis {r['services_cpu']['redis'] * 100:.0f}% "
        f"machine {r['machine_busy'] * 100:.0f}% (steal "
        f"{r['steal'] * 100:.0f}%) | send lag p99 "
        f"{f['lag99'] * 1000:.1f} ms" + disk_figures(r.get("disk")),
        flush=True,
    )
    return f


def disk_figures(samples):
    """The disk's sync times in a step (bench/disk_probe.py), as printed."""
    if not samples:
        return ""
    syncs = sorted(seconds for _at, seconds in samples)
    slow = sum(1 for s in syncs if s > 0.05)
    return (
        f" | disk sync p99 {percentile(syncs, 0.99) * 1000:.1f} max "
        f"{syncs[-1] * 1000:.1f} ms, {slow} over 50 ms"
    )


def print_late(stack, step, limit_s=0.1):
    """When the slow messages were sent, and whether their acks were slow too.

    Clustered in time: a pause somewhere; spread out: a saturated resource.
    Slow acks: the sending side was slow (frame handling, the database); fast
    acks but slow delivery: the publish and the receiving side were.
    """
    late = []
    for cid, (sent_at, _way) in step.sent.items():
        received = step.delivered.get(cid)
        if received is None or received - sent_at > limit_s:
            late.append((sent_at - step.first_send, cid))
    if not late:
        return
    late.sort()
    buckets = Counter(int(offset * 10) / 10 for offset, _cid in late)
    spans = ", ".join(f"{t:.1f}s:{n}" for t, n in sorted(buckets.items())[:12])
    acks = sorted(
        step.acked[cid] - step.sent[cid][0] for _o, cid in late if cid in step.acked
    )
    # The disk's slow syncs in the same step, on the same clock: a stack
    # that commits every message waits for them.
    stalls = ", ".join(
        f"{at - step.first_send:.1f}s:{seconds * 1000:.0f}ms"
        for at, seconds in step.resources.get("disk", ())
        if seconds > 0.05
    )
    print(
        f"  {stack.name:8s} late (> {limit_s * 1000:.0f} ms): {len(late)}, by send "
        f"time [{spans}{', ...' if len(buckets) > 12 else ''}]; their acks p50 "
        f"{ms(percentile(acks, 0.5))} max {ms(acks[-1] if acks else math.nan)} ms"
        + (f"; disk syncs over 50 ms at [{stalls}]" if stalls else ""),
        flush=True,
    )


def print_detail(stack, step):
    """Per-message costs: frames, publishes, database work."""
    sent = max(1, len(step.sent))
    if not step.drained:
        print(
            f"  {stack.name:8s} (step not drained: the figures below count only "
            f"what the server did in time, divided by all {sent} sent)"
        )
    r = step.resources
    frames = r["frames"]
    by_side = {}
    for (side, kind), count in sorted(frames.items()):
        by_side.setdefault(side, []).append(f"{kind} {count / sent:.2f}")
    print(
        f"  {stack.name:8s} per message: frames received by visitor sockets "
        f"[{', '.join(by_side.get('visitor', []))}], by agent sockets "
        f"[{', '.join(by_side.get('agent', []))}]; Redis PUBLISH "
        f"{r['publish'] / sent:.2f} (whole Redis)",
        flush=True,
    )
    if "db" in r:
        db = r["db"]
        if stack.args.conn_max_age:
            print(
                f"  {stack.name:8s} (persistent connections report to "
                "pg_stat_database up to 10 s late: the counts below may include "
                "earlier work; bench/queries.py counts exactly)"
            )
        print(
            f"  {stack.name:8s} per message (PostgreSQL, approx.): connections "
            f"{db['sessions'] / sent:.2f}, commits {db['commits'] / sent:.2f}, "
            f"rollbacks {db['rollbacks'] / sent:.2f}, rows inserted "
            f"{db['inserted'] / sent:.2f}, updated {db['updated'] / sent:.2f}, "
            f"fetched {db['fetched'] / sent:.2f}, scanned {db['returned'] / sent:.1f}",
            flush=True,
        )


def print_profile(path):
    """The per-package summary of a profile written by bench/profiler.py."""
    try:
        text = Path(path).read_text()
    except OSError:
        print(f"  (no profile at {path})")
        return
    print(f"  cProfile of daphne during the headline step (full report: {path}):")
    skipping = False
    for line in text.splitlines():
        if line.startswith("=="):
            skipping = False
        elif line.startswith("  top functions"):
            skipping = True
        if not skipping:
            print("    " + line)


def print_headline(stack, step):
    f = step_figures(step)
    names = {"v2a": "visitor->agent", "a2v": "agent->visitor", None: "both ways"}
    for way in ("v2a", "a2v", None):
        p50, p95, p99 = f["p"][way]
        print(
            f"{stack.name:8s} latency {names[way]:15s} p50 {ms(p50)} ms  "
            f"p95 {ms(p95)} ms  p99 {ms(p99)} ms"
        )
    print(
        f"{stack.name:8s} throughput offered {step.rate}/s for {step.seconds:g}s: "
        f"achieved {f['achieved']:.1f} msg/s delivered (sent {f['sent_rate']:.1f}/s)"
    )
    stored = "n/a (no database)" if f["stored"] is None else f["stored"]
    print(
        f"{stack.name:8s} messages sent {f['sent']} stored {stored} "
        f"delivered {f['delivered']} lost {f['lost']} duplicated {f['duplicated']}"
        f" (refused with an error frame: {f['refused']}"
        + (f" {dict(step.errors)}" if step.errors else "")
        + ")"
    )
    disk = disk_figures(step.resources.get("disk"))
    if disk:
        print(f"{stack.name:8s} {disk[3:]} (during the headline)")
    return f


# Phases ----------------------------------------------------------------------------


async def _ready_bench(stack, args, token_offset=0):
    """Open the conversations and wait until the set-up traffic is delivered."""
    bench = Bench(stack, args, token_offset=token_offset)
    await bench.open_conversations()
    waited, quiet = await bench.settle()
    print(
        f"  {stack.name}: set-up traffic delivered in {waited:.1f}s more"
        + ("" if quiet else " (NOT quiet: measuring anyway)")
        + f"; frames received so far by {bench.frames_by_side()}",
        flush=True,
    )
    return bench


async def _restart(stack, args, bench, why):
    print(
        f"  {stack.name}: {why}; restarting daphne with "
        f"{args.conversations} new conversations",
        flush=True,
    )
    bench.close()
    stack.stop_servers(stack.servers)
    stack.servers = await asyncio.to_thread(
        stack.start_servers, args.processes, "restart"
    )
    return await _ready_bench(stack, args, token_offset=args.conversations)


async def knee_step(stack, bench, args, index, rate):
    """One knee step (run again while past the limit): its figures."""
    step = await bench.run_step(f"K{index}", rate, args.knee_seconds, detail=index == 0)
    f = print_step(stack, step, f"step {index + 1}")
    if index == 0:
        # Costs per message where the stack keeps up: the lowest rate.
        print_detail(stack, step)
    for attempt in range(args.knee_retries):
        # Past the limit: once more at the same rate, to tell a stack that
        # cannot keep up (it fails again) from a passing stall of the machine
        # (a burst of CPU steal on a shared VM). The better run counts; the
        # same rule for every stack.
        if not past_limit(f, args):
            break
        await bench.settle(limit=30)
        again = await bench.run_step(f"K{index}r{attempt + 1}", rate, args.knee_seconds)
        g = print_step(stack, again, f"step {index + 1}+")
        if g["p"][None][2] < f["p"][None][2]:
            f = g
    return f


def past_limit(f, args):
    return f["p"][None][2] > args.p99_limit / 1000


async def headline_phase(stack, args, bench, results):
    """The headline step (after the knee): fills ``results``; the bench used."""
    if results["knee"]:
        waited, quiet = await bench.settle()
        if not quiet:
            bench = await _restart(stack, args, bench, "still busy after the knee")
    sampling = "profile" in getattr(args, "patches", ())
    if sampling and isinstance(stack, LivechatStack):
        for server in stack.servers:
            os.kill(server.pid, signal.SIGUSR1)
    step = await bench.run_step("H", args.rate, args.seconds, detail=True)
    results["headline"] = print_step(stack, step, "headline")
    print_detail(stack, step)
    if sampling and isinstance(stack, LivechatStack):
        for server in stack.servers:
            os.kill(server.pid, signal.SIGUSR2)
        await asyncio.sleep(1)
        for server in stack.servers:
            print_profile(stack.log_dir / f"profile-{server.pid}.txt")
    results["headline_step"] = step
    results["daphne_errors"] = sum(s.error_count() for s in stack.servers)
    return bench


async def load_phases(stacks, args):
    """Knee search (rising rates), then the headline rate, of each stack.

    With several stacks (``--interleave``) all are up at once, each with its
    conversations; each rate runs on one stack, then on the next (first one,
    then the other), so that a stretch of CPU steal on a shared VM falls on
    both sides of the ratio rather than on one stack's whole knee search. A
    stack's search ends at its first step past the limit. Then each
    headline. Returns each stack's results.
    """
    results = [{"stack": stack.name, "knee": []} for stack in stacks]
    benches = []
    try:
        for stack in stacks:
            benches.append(await _ready_bench(stack, args))
        going = set(range(len(stacks)))
        for index, rate in enumerate(args.knee_rates):
            order = sorted(going, reverse=index % 2 == 1)
            for which in order:
                stack, bench = stacks[which], benches[which]
                f = await knee_step(stack, bench, args, index, rate)
                results[which]["knee"].append((rate, f))
                if past_limit(f, args):
                    going.discard(which)
                await bench.settle(limit=30)
            if not going:
                break
        for which, stack in enumerate(stacks):
            benches[which] = await headline_phase(
                stack, args, benches[which], results[which]
            )
    finally:
        for bench in benches:
            bench.close()
    return results


def knee_of(knee, limit_ms):
    """(last rate under the limit, first rate over it, interpolated knee)."""
    last_ok = first_bad = None
    p_ok = p_bad = None
    for rate, f in knee:
        p99 = f["p"][None][2]
        if p99 <= limit_ms / 1000:
            last_ok, p_ok = rate, p99
        else:
            first_bad, p_bad = rate, p99
            break
    if last_ok is None or first_bad is None:
        return last_ok, first_bad, last_ok
    if math.isinf(p_bad):
        return last_ok, first_bad, last_ok
    # Linear between the two steps around the limit.
    fraction = (limit_ms / 1000 - p_ok) / (p_bad - p_ok)
    return last_ok, first_bad, last_ok + fraction * (first_bad - last_ok)


async def idle_phase(stack, args):
    """RSS of one fresh daphne before and after ``--idle`` idle visitor sockets."""
    count = args.idle
    warm = min(50, count)
    env = dict(stack.env)
    if isinstance(stack, LivechatStack) and args.conn_max_age is None:
        # Opening thousands of sockets with a new database connection per
        # query takes minutes; one persistent connection changes the time,
        # not the memory per socket (it is in the baseline either way).
        env["DJANGO_CONN_MAX_AGE"] = "60"
    servers = await asyncio.to_thread(stack.start_servers, 1, "idle", env)
    server = servers[0]
    peers = []
    failures = Counter()
    token_offset = 2 * args.conversations  # the load phase used the first ones

    async def open_idle(index):
        try:
            ws = await connect(
                server.ws_url + stack.visitor_path(),
                origin=server.origin,
                proxy=None,
                open_timeout=60,
                close_timeout=1,
                ping_interval=None,
                compression=None,
            )
        except Exception as exc:
            failures[type(exc).__name__] += 1
            return
        peers.append(ws)
        try:
            await ws.send(json.dumps(stack.visitor_hello(token_offset + index)))
            async with asyncio.timeout(60):
                while True:
                    text = await ws.recv()
                    if text.startswith('{"type": "welcome"'):
                        return
                    if text.startswith('{"type": "error"'):
                        failures["refused"] += 1
                        return
        except Exception as exc:
            failures[type(exc).__name__] += 1

    try:
        await limited([open_idle(i) for i in range(warm)], 32)
        await asyncio.sleep(1 if args.quick else 2)
        before = server.rss_kb()
        started = time.perf_counter()
        async with asyncio.timeout(args.idle_timeout):
            await limited([open_idle(warm + i) for i in range(count)], 64)
        opened_in = time.perf_counter() - started
        await asyncio.sleep(1 if args.quick else 3)
        after = server.rss_kb()
        alive = sum(1 for ws in peers if ws.state.name == "OPEN")
        held = alive - warm
        result = {
            "stack": stack.name,
            "sockets": held,
            "asked": count,
            "before_kb": before,
            "after_kb": after,
            "per_socket_kb": (after - before) / held if held > 0 else math.nan,
            "seconds": opened_in,
            "failures": dict(failures),
            "client_rss_kb": proc_status_kb(os.getpid()),
        }
        print(
            f"  {stack.name:8s} idle sockets: {held}/{count} held (plus {warm} "
            f"warm-up) in {opened_in:.1f}s; daphne RSS {before / 1024:.1f} MB -> "
            f"{after / 1024:.1f} MB; failures {dict(failures) or 0}",
            flush=True,
        )
        return result
    except TimeoutError:
        print(
            f"  {stack.name:8s} idle sockets: gave up after {args.idle_timeout}s "
            f"with {len(peers)} opened",
            flush=True,
        )
        return None
    finally:
        # Clients first: daphne then has no open sockets to wind down.
        for ws in peers:
            with contextlib.suppress(Exception):
                ws.transport.abort()
        await asyncio.sleep(0.5)
        stack.stop_servers(servers)


# Main ------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--rate", type=int, default=400, help="offered msg/s")
    parser.add_argument("--seconds", type=float, default=20, help="at --rate")
    parser.add_argument(
        "--knee-rates",
        type=int,
        nargs="*",
        default=[5, 10, 25, 50, 100, 200, 300, 400, 600, 800, 1200, 1600, 2400, 3200],
        help="rates stepped through until p99 passes --p99-limit (none: skip)",
    )
    parser.add_argument("--knee-seconds", type=float, default=5)
    parser.add_argument(
        "--knee-retries",
        type=int,
        default=1,
        help="a knee step past the limit runs again this many times; the "
        "best run counts (a passing stall of the machine is not the knee)",
    )
    parser.add_argument(
        "--interleave",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="both stacks up at once, their knee steps taken in turns (rate by "
        "rate), so that the VM's passing stalls fall on both sides of the "
        "ratio; --no-interleave: one stack's whole run, then the other's",
    )
    parser.add_argument("--p99-limit", type=float, default=100, help="ms")
    parser.add_argument(
        "--idle", type=int, default=5000, help="idle visitor sockets (0: skip)"
    )
    parser.add_argument("--idle-timeout", type=float, default=300)
    parser.add_argument("--processes", type=int, default=1, help="daphne processes")
    parser.add_argument(
        "--agents",
        type=int,
        default=None,
        help="agent users (default: one per conversation, as each agent socket "
        "is an agent's console; 20 with --agent-sockets console)",
    )
    parser.add_argument(
        "--agent-sockets",
        choices=("conversation", "console"),
        default="conversation",
        help="an agent socket per conversation, or one per agent user",
    )
    parser.add_argument("--body", type=int, default=40, help="message body bytes")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="DJANGO_CONN_MAX_AGE for livechat (default: the shop's, 0)",
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="daphne alone on the last core, everything else (load generator, "
        "PostgreSQL, Redis) on the others; their CPUs are given back at the end",
    )
    parser.add_argument(
        "--cache",
        choices=("redis", "local"),
        default="redis",
        help="livechat's Django cache: Redis as in production (rate limits "
        "shared by processes), or local memory per process",
    )
    parser.add_argument(
        "--patches",
        nargs="*",
        choices=PATCH_NAMES,
        default=[],
        help="bench-only experiments on livechat (see bench/patched_asgi.py)",
    )
    parser.add_argument(
        "--stacks",
        nargs="+",
        choices=("livechat", "relay"),
        default=["livechat", "relay"],
    )
    parser.add_argument("--drain-idle", type=float, default=3)
    parser.add_argument("--drain-max", type=float, default=20)
    parser.add_argument("--log-dir", help="keep daphne logs here")
    parser.add_argument(
        "--quick", action="store_true", help="~30 s smoke run (small figures)"
    )
    args = parser.parse_args(argv)
    given = {
        token[2:].split("=", 1)[0].replace("-", "_")
        for token in (sys.argv[1:] if argv is None else argv)
        if token.startswith("--")
    }
    if args.agents is None and "agents" not in given and not args.quick:
        console = args.agent_sockets == "console"
        args.agents = 20 if console else args.conversations
    if args.quick:
        defaults = {
            "conversations": 20,
            "rate": 100,
            "seconds": 2,
            "knee_rates": [50],
            "knee_seconds": 2,
            "idle": 200,
            "agents": 5,
            "drain_idle": 1,
            "drain_max": 2,
        }
        for name, value in defaults.items():
            if name not in given:
                setattr(args, name, value)
    return args


def print_header(args):
    print("livechat load benchmark (bench/load.py)")
    print(f"command: {shlex.join([sys.executable] + sys.argv)}")
    print(f"code: {git_describe()}")
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} cores, {mem_total_mb()} MB RAM, "
        f"{platform.system()} {platform.release()}; load average {loadavg()}"
    )
    versions = []
    for name in VERSIONS:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} ?")
    print(f"versions: Python {platform.python_version()}, " + ", ".join(versions))
    services = []
    with contextlib.suppress(Exception):
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        with contextlib.closing(client):
            services.append(f"Redis {client.info('server')['redis_version']}")
    with contextlib.suppress(Exception):
        import psycopg

        with psycopg.connect(_libpq(database_url()), connect_timeout=5) as db:
            services.append(db.execute("SHOW server_version").fetchone()[0])
            services[-1] = "PostgreSQL " + services[-1].split()[0]
    print(f"services: {', '.join(services)} (both on 127.0.0.1)")
    print(
        f"load: {args.conversations} conversations, agent sockets per "
        f"{args.agent_sockets} ({args.agents} agent users), {args.rate} msg/s for "
        f"{args.seconds:g}s, knee steps {args.knee_rates} x {args.knee_seconds:g}s "
        f"(retries {args.knee_retries}"
        + (", stacks in turns" if args.interleave and len(args.stacks) > 1 else "")
        + "), "
        f"{args.processes} daphne process(es), {args.idle} idle sockets, "
        f"body {args.body} B, CONN_MAX_AGE "
        f"{args.conn_max_age if args.conn_max_age is not None else 'shop default'}, "
        f"{args.cache} cache"
        + (
            f", EXPERIMENTS {args.patches} (bench/patched_asgi.py)"
            if args.patches
            else ""
        )
    )
    busy0, total0, _steal0 = machine_ticks()
    time.sleep(1)
    busy1, total1, _steal1 = machine_ticks()
    print(
        f"background CPU before the run: "
        f"{(busy1 - busy0) / max(1, total1 - total0) * 100:.0f}% of the machine",
        flush=True,
    )


def ratio(a, b):
    if a is None or b is None or b == 0 or math.isnan(a) or math.isnan(b):
        return "n/a"
    if math.isinf(a) or math.isinf(b):
        return "inf" if math.isinf(a) and not math.isinf(b) else "n/a"
    return f"{a / b:.2f}"


def print_summary(args, loads, idles):
    print()
    print("=" * 78)
    print(
        f"RESULTS ({args.conversations} conversations, {args.rate} msg/s offered "
        f"for {args.seconds:g}s, {args.processes} daphne process(es))"
    )
    heads = {}
    for result in loads:
        stack = result["stack_obj"]
        heads[stack.name] = print_headline(stack, result["headline_step"])
    knees = {}
    below = {}  # stacks already past the limit at the lowest rate tried
    above = set()  # stacks never past it: their knee is only a lower bound
    for result in loads:
        last_ok, first_bad, knee = knee_of(result.get("knee", []), args.p99_limit)
        knees[result["stack"]] = knee
        if last_ok is None and first_bad is not None:
            below[result["stack"]] = first_bad
        if first_bad is None:
            above.add(result["stack"])
        if not result.get("knee"):
            continue
        if first_bad is None:
            text = f"not reached up to {result['knee'][-1][0]}/s"
        elif last_ok is None:
            text = f"already past it at {first_bad}/s"
        else:
            text = f"between {last_ok}/s and {first_bad}/s, about {knee:.0f}/s"
        print(
            f"{result['stack']:8s} rate where p99 passes {args.p99_limit:g} ms: {text}"
        )
    for result in idles:
        if result is None:
            continue
        print(
            f"{result['stack']:8s} memory per idle visitor socket: "
            f"{result['per_socket_kb']:.1f} KB ({result['sockets']} sockets; "
            f"RSS {result['before_kb'] / 1024:.1f} MB -> "
            f"{result['after_kb'] / 1024:.1f} MB)"
        )
    for result in loads:
        if result.get("daphne_errors"):
            print(
                f"{result['stack']:8s} daphne logged {result['daphne_errors']} "
                f"tracebacks (see --log-dir)"
            )
    if "livechat" in heads and "relay" in heads:
        lc, rl = heads["livechat"], heads["relay"]
        knee_ratio = ratio(knees.get("livechat"), knees.get("relay"))
        if "livechat" in below and knees.get("relay"):
            knee_ratio = f"< {below['livechat'] / knees['relay']:.3f}"
        if "relay" in above:
            # The relay never passed the limit: its knee is higher still.
            knee_ratio = "n/a (relay not past the limit)"
            if "livechat" not in above and knees.get("relay"):
                livechat_knee = knees.get("livechat") or below.get("livechat")
                if livechat_knee:
                    knee_ratio = f"< {livechat_knee / knees['relay']:.3f}"
        parts = []
        for index, name in enumerate(("p50", "p95", "p99")):
            parts.append(f"{name} {ratio(lc['p'][None][index], rl['p'][None][index])}")
        print(
            "livechat/relay ratios: latency "
            + ", ".join(parts)
            + f"; achieved msg/s {ratio(lc['achieved'], rl['achieved'])}"
            + f"; p99 knee {knee_ratio}"
            + (
                "; memory per idle socket "
                + ratio(
                    *(
                        next(
                            (
                                r["per_socket_kb"]
                                for r in idles
                                if r and r["stack"] == s
                            ),
                            None,
                        )
                        for s in ("livechat", "relay")
                    )
                )
                if idles
                else ""
            )
        )
    print(f"load average at the end: {loadavg()}")


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


async def main_async(args, log_dir):
    loads, idles = [], []
    stacks = []
    DISK["probe"] = probe = DiskProbe(log_dir, database_url())
    print(
        f"disk probe: fdatasync every 10 ms in {probe.directory} ("
        + {True: "PostgreSQL's file system", False: "NOT PostgreSQL's file system"}.get(
            probe.same_disk, "PostgreSQL's file system: cannot tell"
        )
        + ")",
        flush=True,
    )
    try:
        tokens = 2 * args.conversations + min(50, args.idle) + args.idle
        redis_url = None
        for name in args.stacks:
            if name == "livechat":
                stack = LivechatStack(args, log_dir)
                redis_url = stack.redis_url
            else:
                stack = RelayStack(
                    args, log_dir, redis_url or choose_redis() or REDIS_URL
                )
            stacks.append(stack)
        together = args.interleave and len(stacks) > 1
        for stack in stacks:
            await _start(stack, args, tokens)
            if not together:
                loads += await load_phases([stack], args)
                await _idle_and_close(stack, args, idles)
        if together:
            loads = await load_phases(stacks, args)
            for stack in stacks:
                await _idle_and_close(stack, args, idles)
        for stack, result in zip(stacks, loads, strict=True):
            result["stack_obj"] = stack
        print_summary(args, loads, idles)
    finally:
        probe.stop()
        DISK["probe"] = None
        for stack in stacks:
            stack.close()


async def _start(stack, args, tokens):
    started = time.perf_counter()
    print(f"\n[{stack.name}] starting {args.processes} daphne process(es)", flush=True)
    await asyncio.to_thread(stack.prepare, tokens)
    stack.servers = await asyncio.to_thread(stack.start_servers, args.processes)
    print(
        f"  {stack.name}: ready in {time.perf_counter() - started:.1f}s on "
        f"ports {[s.port for s in stack.servers]}",
        flush=True,
    )


async def _idle_and_close(stack, args, idles):
    stack.stop_servers(stack.servers)
    if args.idle:
        print(f"[{stack.name}] idle sockets on a fresh daphne", flush=True)
        idles.append(await idle_phase(stack, args))
    stack.close()


def main(argv=None):
    args = parse_args(argv)
    limit = raise_open_file_limit()
    needed = args.idle + 2 * args.conversations + 200
    print_header(args)
    if limit < needed:
        print(f"warning: open-file limit {limit} < {needed} sockets needed")
    if args.pin:
        daphne, rest = start_pinning(args.processes)
        print(
            f"pinned: daphne on CPU {sorted(daphne)}; the load generator, "
            f"PostgreSQL and Redis on CPU {sorted(rest)}",
            flush=True,
        )
    try:
        _run_main(args)
    finally:
        stop_pinning()


def _run_main(args):
    if args.log_dir:
        log_dir = Path(args.log_dir)
        log_dir.mkdir(parents=True, exist_ok=True)
        asyncio.run(main_async(args, log_dir))
        print(f"daphne logs: {log_dir}")
    else:
        with tempfile.TemporaryDirectory(prefix="livechat-bench-") as log_dir:
            asyncio.run(main_async(args, log_dir))


if __name__ == "__main__":
    main()
