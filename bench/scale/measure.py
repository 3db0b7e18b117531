"""Each operation of bench/data_scale.py, timed against one seeded database.

The interactive ones go to daphne serving example_shop as in production
(DEBUG off, the Redis channel layer and cache when Redis answers), over
HTTP with a logged-in session or over the agents' WebSocket; the commands
run as ``manage.py`` subprocesses. Each is timed ``runs`` times after one
warm-up and the median kept.
"""

import asyncio
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
import requests
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bench.loadbench import ROOT
from bench.scale.seed import add_waiting, copy_database, drop, manage_env, remove_added
from tests.e2e.live import (
    COMMAND_TIMEOUT,
    LiveShop,
    choose_redis,
    free_port,
    run_manage,
    shop_environment,
)

WELCOME_TIMEOUT = 10
COMMAND_LIMIT = 1800  # seconds a command may take before it counts as failed
SURGE = 3000


@dataclass
class Operation:
    key: str  # the name --only takes
    label: str
    kind: str  # "http", "console", "command"
    interactive: bool = True


OPERATIONS = [
    Operation(
        "console_waiting",
        f"live console, {SURGE:,} waiting chats (+ the 600 open)",
        "console",
    ),
    Operation("console_open", "console connect, 600 open chats", "console"),
    Operation("search", "admin Conversation search, 1% word", "http"),
    Operation("search_closed", "same, status=closed", "http"),
    Operation("messages", "admin Message list", "http"),
    Operation("visitor_search", "admin Visitor search by email", "http"),
    Operation("conversations", "admin Conversation list", "http"),
    Operation("api", "API conversations, page 1", "http"),
    Operation("api_closed", "API ?status=closed&page=100", "http"),
    Operation("change", "conversation change page, 200 messages", "http"),
    Operation("api_messages", "one conversation's messages, API", "http"),
    Operation("retention", "livechat_retention --days 30 --apply", "command", False),
    Operation("export", "livechat_export, visitor with 50 chats", "command", False),
]


def paths(seeded):
    word, long = seeded.search_word, seeded.long_conversation
    admin = "/admin/livechat/"
    return {
        "search": f"{admin}conversation/?q={word}",
        "search_closed": f"{admin}conversation/?q={word}&status__exact=closed",
        "messages": f"{admin}message/",
        "visitor_search": f"{admin}visitor/?q={quote(seeded.visitor_email)}",
        "conversations": f"{admin}conversation/",
        "api": "/livechat/api/conversations/",
        "api_closed": "/livechat/api/conversations/?status=closed&page=100",
        "change": f"{admin}conversation/{long}/change/",
        "api_messages": f"/livechat/api/conversations/{long}/messages/",
    }


@dataclass
class Result:
    ms: float | None = None  # the median
    failure: str = ""
    queries: int | None = None
    note: str = ""  # size of the frame, peak memory...
    samples: list = field(default_factory=list)


def measure(seeded, wanted, runs, log=print):
    """Results of the ``wanted`` operation keys on one seeded database."""
    results = {}
    redis = choose_redis()
    env = shop_environment(seeded.dsn, redis)
    sessions = _sessions(env)
    web = [op.key for op in OPERATIONS if op.key in wanted and op.kind != "command"]
    if web:
        with tempfile.TemporaryDirectory(prefix="livechat-scale-") as tmp:
            server = LiveShop(free_port(), env, Path(tmp) / "daphne.log")
            server.start()
            try:
                _measure_web(seeded, server, sessions, wanted, runs, results, log)
            finally:
                server.stop()
                remove_added(seeded)
        _count_queries(seeded, results)
    if "retention" in wanted:
        log("  livechat_retention on a copy of the database")
        results["retention"] = _retention(seeded)
    if "export" in wanted:
        log("  livechat_export")
        results["export"] = _timed_command(
            manage_env(seeded.dsn),
            ["livechat_export", "--email", seeded.export_email],
            runs,
        )
    return results


def _measure_web(seeded, server, sessions, wanted, runs, results, log):
    if "console_open" in wanted:
        log("  console, the seed's open chats")
        results["console_open"] = _console(seeded, server, sessions["agent"], runs)
    if "console_waiting" in wanted:
        log(f"  console, {SURGE:,} more waiting chats")
        add_waiting(seeded, SURGE)
        try:
            results["console_waiting"] = _console(
                seeded, server, sessions["agent"], runs
            )
        finally:
            remove_added(seeded)
    with requests.Session() as http:
        http.trust_env = False
        http.cookies.set("sessionid", sessions["admin"])
        for key, path in paths(seeded).items():
            if key in wanted:
                log(f"  GET {path}")
                results[key] = _http(http, server.url(path), runs)


def _http(http, url, runs):
    result = Result()
    for index in range(runs + 1):
        started = time.perf_counter()
        try:
            response = http.get(url, timeout=120, allow_redirects=False)
        except requests.RequestException as exc:
            return Result(failure=f"{type(exc).__name__}")
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            return Result(failure=f"HTTP {response.status_code}")
        if index:  # the first is the warm-up
            result.samples.append(elapsed)
        result.note = f"{len(response.content) / 1024:,.0f} KB"
    result.ms = statistics.median(result.samples)
    return result


def _console(seeded, server, session, runs):
    result = Result()
    with psycopg.connect(seeded.dsn) as db:
        opened = db.execute(
            "SELECT count(*) FROM livechat_conversation WHERE status = ANY(%s)",
            [["waiting", "active", "missed"]],
        ).fetchone()[0]
    for index in range(runs + 1):
        log_size = server.log_path.stat().st_size
        try:
            elapsed, size = asyncio.run(_welcome(server, session))
        except Exception as exc:  # noqa: BLE001 - the reason is the result
            reason = str(exc) or type(exc).__name__
            return Result(
                failure=f"{reason}{_server_error(server, log_size)} ({opened:,} open)"
            )
        if index:
            result.samples.append(elapsed)
        result.note = f"{opened:,} open, welcome {size / 2**20:.2f} MiB"
    result.ms = statistics.median(result.samples)
    return result


async def _welcome(server, session):
    """Milliseconds from ``hello`` to the whole ``welcome``, and its bytes."""
    try:
        ws = await connect(
            server.ws_url + "/ws/livechat/agent/",
            origin=server.origin,
            additional_headers={"Cookie": f"sessionid={session}"},
            proxy=None,
            open_timeout=10,
            close_timeout=1,
            ping_interval=None,
            compression=None,
            max_size=None,
        )
    except InvalidStatus as exc:
        raise RuntimeError(f"handshake refused: {exc}") from None
    try:
        started = time.perf_counter()
        await ws.send(json.dumps({"type": "hello", "v": 1}))
        async with asyncio.timeout(WELCOME_TIMEOUT):
            while True:
                raw = await ws.recv()
                if json.loads(raw).get("type") == "welcome":
                    elapsed = (time.perf_counter() - started) * 1000
                    return elapsed, len(raw.encode())
    except TimeoutError:
        raise RuntimeError(f"no welcome in {WELCOME_TIMEOUT} s") from None
    except ConnectionClosed as exc:
        raise RuntimeError(f"closed before the welcome ({exc})") from None
    finally:
        await ws.close()


def _server_error(server, since):
    """The last line of a traceback daphne logged since ``since`` bytes."""
    with open(server.log_path, "rb") as log:
        log.seek(since)
        lines = log.read().decode(errors="replace").splitlines()
    errors = [line for line in lines if "Error" in line or "Exception" in line]
    if not errors:
        return ""
    too_big = re.search(r"size (\d+) exceeding payload limit of (\d+)", errors[-1])
    if too_big:
        size, limit = (int(n) for n in too_big.groups())
        return (
            f": daphne refused to send the {size:,}-byte welcome "
            f"(PayloadExceededError, limit {limit:,})"
        )
    return f": daphne logged {errors[-1].strip()[:160]}"


def _count_queries(seeded, results):
    wanted = {key: path for key, path in paths(seeded).items() if key in results}
    if not wanted:
        return
    script = str(ROOT / "bench" / "scale" / "count_queries.py")
    done = subprocess.run(
        [sys.executable, script, "admin", *wanted.values()],
        cwd=ROOT,
        env=manage_env(seeded.dsn),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT * 5,
        check=True,
    )
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    for key, path in wanted.items():
        results[key].queries = counts[path][0]


def _timed_command(env, args, runs, once=False):
    """Median wall time and the largest peak RSS of ``manage.py args``."""
    result = Result()
    peaks = []
    for index in range(1 if once else runs + 1):
        with tempfile.NamedTemporaryFile(mode="r") as rss:
            started = time.perf_counter()
            try:
                done = subprocess.run(
                    [
                        "/usr/bin/time",
                        "-f",
                        "%M",
                        "-o",
                        rss.name,
                        sys.executable,
                        "manage.py",
                        *args,
                    ],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=COMMAND_LIMIT,
                )
            except subprocess.TimeoutExpired:
                return Result(failure=f"over {COMMAND_LIMIT} s")
            elapsed = (time.perf_counter() - started) * 1000
            if done.returncode:
                tail = (done.stderr.strip().splitlines() or ["?"])[-1]
                return Result(failure=f"exit {done.returncode}: {tail[:160]}")
            peaks.append(int(rss.read().split()[-1]))
        if index or once:
            result.samples.append(elapsed)
        result.output = done.stdout
    result.ms = statistics.median(result.samples)
    result.note = f"peak RSS {max(peaks) / 1024:,.0f} MB"
    return result


def _retention(seeded):
    """One run on a copy: deleting is not repeatable on the same rows."""
    copy = copy_database(seeded, seeded.name + "_retention")
    try:
        result = _timed_command(
            manage_env(copy),
            ["livechat_retention", "--days", "30", "--apply"],
            1,
            once=True,
        )
        deleted = [
            line.strip()
            for line in getattr(result, "output", "").splitlines()
            if line.strip().startswith(("conversations:", "messages:"))
        ]
        if deleted:
            result.note += "; " + ", ".join(deleted)
        return result
    finally:
        drop(copy)


def _sessions(env):
    """Logged-in sessions of the demo's agent and superuser (no password hashing)."""
    output = run_manage(env, "shell", "-c", _SESSIONS)
    return json.loads(output.strip().splitlines()[-1])


_SESSIONS = """
import json
from importlib import import_module
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model)
store = import_module(settings.SESSION_ENGINE).SessionStore
sessions = {}
for username in ("agent", "admin"):
    user = get_user_model().objects.get(username=username)
    session = store()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    sessions[username] = session.session_key
print(json.dumps(sessions))
"""
