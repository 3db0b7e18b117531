"""Each operation of bench/data_scale.py, timed against one seeded database.

The interactive ones go to daphne serving example_shop as in production
(DEBUG off, the Redis channel layer and cache when Redis answers), over
HTTP with a logged-in session or over the agents' WebSocket; the commands
run as ``manage.py`` subprocesses. Each is timed ``runs`` times after one
warm-up and the median kept.
"""

import asyncio
import functools
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
    Operation("api_closed", "API ?status=closed&page_size=200", "http"),
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
        "api": "/livechat/api/v1/conversations/",
        "api_closed": "/livechat/api/v1/conversations/?status=closed&page_size=200",
        "change": f"{admin}conversation/{long}/change/",
        "api_messages": f"/livechat/api/v1/conversations/{long}/messages/",
    }


@dataclass
class Result:
    ms: float | None = None  # the median
    failure: str = ""
    queries: int | None = None
    note: str = ""  # size of the frame, peak memory...
    samples: list = field(default_factory=list)


class Failed(Exception):
    """An operation that did not complete: its reason is the result."""


@dataclass
class Site:
    """One size as the browser sees it: daphne on its database, two sessions."""

    seeded: object
    server: LiveShop
    sessions: dict
    http: requests.Session


def measure(seeded, wanted, runs, log=print):
    """``{size: {operation key: Result}}`` for ``seeded`` (``{size: Seeded}``).

    Every size is served at once and each operation's runs alternate between
    them (S, L, then L, S...): a busy spell of a shared machine then falls on
    both sides of a ratio rather than on one size's whole series.
    """
    results = {size: {} for size in seeded}
    web = [op for op in OPERATIONS if op.key in wanted and op.kind != "command"]
    if web:
        with tempfile.TemporaryDirectory(prefix="livechat-scale-") as tmp:
            sites = {}
            try:
                for size, one in seeded.items():
                    sites[size] = _start_site(one, Path(tmp) / f"daphne-{size}.log")
                for op in web:
                    _measure_web(op, sites, runs, results, log)
            finally:
                for site in sites.values():
                    site.http.close()
                    site.server.stop()
                for one in seeded.values():
                    remove_added(one)
        for size, one in seeded.items():
            _count_queries(one, results[size])
    if "retention" in wanted:
        for size, one in seeded.items():
            log(f"  {size}: livechat_retention on a copy of the database")
            results[size]["retention"] = _retention(one)
    if "export" in wanted:
        log("  livechat_export")
        samplers = {
            size: functools.partial(
                _without_output,
                manage_env(one.dsn),
                ["livechat_export", "--email", one.export_email],
            )
            for size, one in seeded.items()
        }
        for size, result in _interleaved(samplers, runs).items():
            results[size]["export"] = result
    return results


def _start_site(seeded, log_path):
    env = shop_environment(seeded.dsn, choose_redis())
    sessions = _sessions(env)
    server = LiveShop(free_port(), env, log_path)
    server.start()
    http = requests.Session()
    http.trust_env = False
    http.cookies.set("sessionid", sessions["admin"])
    return Site(seeded, server, sessions, http)


def _measure_web(op, sites, runs, results, log):
    if op.kind == "console":
        log(f"  {op.label}")
        if op.key == "console_waiting":
            for site in sites.values():
                add_waiting(site.seeded, SURGE)
        try:
            samplers = {
                size: functools.partial(_console, site) for size, site in sites.items()
            }
            measured = _interleaved(samplers, runs)
        finally:
            for site in sites.values():
                remove_added(site.seeded)
    else:
        log(f"  GET {paths(next(iter(sites.values())).seeded)[op.key]}")
        samplers = {
            size: functools.partial(
                _http, site.http, site.server.url(paths(site.seeded)[op.key])
            )
            for size, site in sites.items()
        }
        measured = _interleaved(samplers, runs)
    for size, result in measured.items():
        results[size][op.key] = result


def _interleaved(samplers, runs):
    """Each sampler ``runs`` times after a warm-up, sizes taking turns."""
    results = {size: Result() for size in samplers}
    order = list(samplers)
    for index in range(runs + 1):
        for size in order if index % 2 == 0 else order[::-1]:
            result = results[size]
            if result.failure:
                continue
            try:
                elapsed, result.note = samplers[size]()
            except Failed as exc:
                result.failure = str(exc)
                continue
            if index:  # the first is the warm-up
                result.samples.append(elapsed)
    for result in results.values():
        if result.samples:
            result.ms = statistics.median(result.samples)
    return results


def _http(http, url):
    started = time.perf_counter()
    try:
        response = http.get(url, timeout=120, allow_redirects=False)
    except requests.RequestException as exc:
        raise Failed(type(exc).__name__) from None
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise Failed(f"HTTP {response.status_code}")
    return elapsed, f"{len(response.content) / 1024:,.0f} KB"


def _open_chats(seeded):
    with psycopg.connect(seeded.dsn) as db:
        return db.execute(
            "SELECT count(*) FROM livechat_conversation WHERE status = ANY(%s)",
            [["waiting", "active", "missed"]],
        ).fetchone()[0]


def _console(site):
    opened = _open_chats(site.seeded)
    log_size = site.server.log_path.stat().st_size
    try:
        elapsed, size = asyncio.run(_welcome(site.server, site.sessions["agent"]))
    except Exception as exc:  # noqa: BLE001 - the reason is the result
        reason = str(exc) or type(exc).__name__
        error = _server_error(site.server, log_size)
        raise Failed(f"{reason}{error} ({opened:,} open)") from None
    return elapsed, f"{opened:,} open, welcome {size / 2**20:.2f} MiB"


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


def _command(env, args):
    """Milliseconds of ``manage.py args``, its peak RSS, and its output."""
    with tempfile.NamedTemporaryFile(mode="r") as rss:
        started = time.perf_counter()
        try:
            done = subprocess.run(
                ["/usr/bin/time", "-f", "%M", "-o", rss.name, sys.executable]
                + ["manage.py", *args],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=COMMAND_LIMIT,
            )
        except subprocess.TimeoutExpired:
            raise Failed(f"over {COMMAND_LIMIT} s") from None
        elapsed = (time.perf_counter() - started) * 1000
        if done.returncode:
            tail = (done.stderr.strip().splitlines() or ["?"])[-1]
            raise Failed(f"exit {done.returncode}: {tail[:160]}")
        peak = int(rss.read().split()[-1])
    return elapsed, f"peak RSS {peak / 1024:,.0f} MB", done.stdout


def _without_output(env, args):
    return _command(env, args)[:2]


def _retention(seeded):
    """One run on a copy: deleting is not repeatable on the same rows."""
    copy = copy_database(seeded, seeded.name + "_retention")
    try:
        elapsed, note, output = _command(
            manage_env(copy), ["livechat_retention", "--days", "30", "--apply"]
        )
    except Failed as exc:
        return Result(failure=str(exc))
    finally:
        drop(copy)
    deleted = [
        line.strip()
        for line in output.splitlines()
        if line.strip().startswith(("conversations:", "messages:"))
    ]
    return Result(ms=elapsed, note="; ".join([note, *deleted]), samples=[elapsed])


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
