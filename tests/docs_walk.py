"""Following a page of ``docs/`` literally: its files and its commands.

The installation pages are written so that a program can follow them the way
a reader does. A file is a MyST ``{code-block}`` whose ``:caption:`` names
it, relative to the project's directory, and says what to do with it::

    :caption: mysite/settings.py (add to the end)
    :caption: mysite/urls.py (whole file)
    :caption: mysite/settings.py (add to the end, with Redis)

A command is a ``$ `` line of a ``console`` block; the lines after one that
opens a here-document (``<<'EOF'``) are its input. ``Walk`` applies the
files and runs the commands in the order of the page.
"""

import os
import re
import secrets
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.e2e.clients import HTTP_TIMEOUT, http_session
from tests.e2e.live import free_port
from tests.services_env import IN_CI, redis_url

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
COMMAND_TIMEOUT = 180
BOOT_TIMEOUT = 30
STOP_TIMEOUT = 5

_FENCE = re.compile(r"^(?P<ticks>`{3,})(?P<info>.*)$")
_HEADING = re.compile(r"^(?P<level>#{1,6}) (?P<title>.+?)\s*$")
_OPTION = re.compile(r"^:(?P<name>[\w-]+):\s*(?P<value>.*)$")
# The widget's signed visitor token in a page.
WIDGET_TOKEN = re.compile(r'\bdata-token="([^"]+)"')
CAPTION = re.compile(
    r"^(?P<path>[\w./-]+) \((?P<how>whole file|add to the end)(?:, (?P<when>[^)]+))?\)$"
)


@dataclass
class Block:
    """One fenced block of a page: where it is and what it holds."""

    headings: tuple  # the titles of the sections it is in, outermost first
    info: str  # "console", "python", "{code-block} python"...
    options: dict  # a directive's options (":caption: ...")
    text: str
    line: int  # where the fence opens, 1-based

    @property
    def caption(self):
        return self.options.get("caption")

    @property
    def file(self):
        """The caption's ``(path, how, when)``, or None for another block."""
        match = CAPTION.match(self.caption or "")
        if match is None:
            return None
        return match["path"], match["how"], match["when"]

    def commands(self):
        """The ``$ `` commands of a console block, each with its input lines."""
        if self.info.strip() != "console":
            return []
        commands = []
        for line in self.text.splitlines():
            if line.startswith("$ "):
                commands.append(line[2:])
            elif commands and "<<" in commands[-1].split("\n", 1)[0]:
                commands[-1] += "\n" + line
        return commands


def read_blocks(path):
    """Every fenced block of the Markdown page at ``path``."""
    blocks = []
    headings = [""] * 6
    lines = Path(path).read_text().splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        heading = _HEADING.match(line)
        fence = _FENCE.match(line)
        if heading:
            level = len(heading["level"])
            headings = headings[: level - 1] + [heading["title"]] + [""] * (6 - level)
        elif fence:
            start = index
            ticks, info = fence["ticks"], fence["info"].strip()
            body = []
            index += 1
            while index < len(lines) and lines[index].rstrip() != ticks:
                body.append(lines[index])
                index += 1
            options = {}
            if info.startswith("{"):
                while body and (option := _OPTION.match(body[0])):
                    options[option["name"]] = option["value"].strip()
                    body.pop(0)
                if body and not body[0].strip():
                    body.pop(0)
            blocks.append(
                Block(
                    headings=tuple(h for h in headings if h),
                    info=info,
                    options=options,
                    text="\n".join(body) + "\n",
                    line=start + 1,
                )
            )
        index += 1
    return blocks


def in_section(blocks, title):
    """The blocks under the heading ``title`` (any level), in page order."""
    found = [block for block in blocks if title in block.headings]
    assert found, f"no blocks under a heading {title!r}"
    return found


def redis_blocks():
    """``Walk.follow``'s ``when`` for this machine: the "with Redis" files are
    applied when Redis answers (always in CI, where its absence fails)."""
    if redis_url() is not None:
        return {"with Redis"}
    message = "Redis is not reachable: the docs' Redis layer blocks are left out"
    if IN_CI:
        pytest.fail(f"CI=true and {message}")
    print(f"\n*** {message} ***\n", file=sys.stderr)
    return set()


def unique_redis_prefix(path, text):
    """``Walk.follow``'s ``rewrite``: a Redis layer's ``prefix`` made this
    run's own, so two runs on one Redis never hear each other."""
    return re.sub(r'("prefix": "\w+)"', rf'\g<1>{secrets.token_hex(4)}"', text)


def admin_login(server, username, password):
    """A requests session logged in through the admin's login form."""
    session = http_session()
    login = server.url("/admin/login/")
    session.get(login, timeout=HTTP_TIMEOUT).raise_for_status()
    response = session.post(
        login,
        data={
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "username": username,
            "password": password,
            "next": "/admin/",
        },
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 302, f"{username} could not log in"
    return session


def doc_environment():
    """The environment a reader's shell has: this venv's tools first on PATH,
    livechat importable from this checkout, no test settings."""
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Walk:
    """A reader following the page in ``cwd``, keeping what they did."""

    cwd: Path
    env: dict = field(default_factory=doc_environment)
    done: list = field(default_factory=list)  # what was applied or run, in order
    servers: list = field(default_factory=list)  # long-running commands, not run
    skipped: list = field(default_factory=list)
    outputs: dict = field(default_factory=dict)  # command: its stdout and stderr

    def follow(self, blocks, *, when=frozenset(), rewrite=None):
        """Apply the files and run the commands of ``blocks`` in order.

        A file whose caption says "with X" is applied when X is in ``when``.
        ``rewrite(path, text)`` may change a file's text before it is
        written (the test says why it does). Installing packages is left
        out (the test runs with this environment's packages) and servers are
        kept in ``servers`` for the test to start.
        """
        for block in blocks:
            if block.file is not None:
                path, how, condition = block.file
                if condition and condition not in when:
                    self.skipped.append(block.caption)
                    continue
                text = rewrite(path, block.text) if rewrite else block.text
                self._write(path, how, text, block)
            for command in block.commands():
                self.run(command, line=block.line)

    def _write(self, path, how, text, block):
        target = self.cwd / path
        if how == "whole file":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        else:
            assert target.exists(), (
                f"line {block.line}: {path} should exist to add to its end"
            )
            with target.open("a") as file:
                file.write("\n" + text)
        self.done.append(f"{how}: {path}")

    def run(self, command, line=None):
        """Run one command of the page (``line``: where the page has it)."""
        words = shlex.split(command.split("\n", 1)[0])
        if words[0] == "cd":
            self.cwd = self.cwd / words[1]
            assert self.cwd.is_dir(), f"line {line}: no directory {self.cwd}"
            return
        if words[0] == "pip" or words[:3] == ["python", "-m", "pip"]:
            self.skipped.append(command)
            return
        if "runserver" in words or words[0] == "daphne":
            self.servers.append(command)
            return
        self.done.append(command)
        try:
            done = subprocess.run(
                ["bash", "-e", "-c", command],
                cwd=self.cwd,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"line {line}: `{command}` took over {COMMAND_TIMEOUT}s"
            ) from None
        assert done.returncode == 0, (
            f"line {line}: `{command}` failed ({done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
        )
        self.outputs[command] = done.stdout + done.stderr

    def manage(self, *args, stdin=None):
        """``python manage.py *args`` in the project (the test's own steps):
        its stdout and stderr."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=self.cwd,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )
        assert done.returncode == 0, (
            f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        )
        return done.stdout + done.stderr

    def superuser(self):
        """The username and password of the page's ``createsuperuser``."""
        [command] = [c for c in self.done if "createsuperuser" in c]
        password = re.search(r"DJANGO_SUPERUSER_PASSWORD=(\S+)", command)[1]
        username = re.search(r"--username[= ](\S+)", command)[1]
        return username, password

    def runserver(self):
        """The page's ``runserver``, started on a free port (no reloader: no
        file watcher on a shared machine); stop() it when done."""
        argv = shlex.split(self.server_command("runserver"))
        if argv[0] == "python":
            argv[0] = sys.executable
        port = free_port()
        return Server(
            argv=argv + [f"127.0.0.1:{port}", "--noreload"],
            cwd=self.cwd,
            env=self.env,
            port=port,
            log_path=self.cwd.parent / "runserver.log",
        ).start()

    def server_command(self, program):
        """The page's command that starts ``program`` ("runserver", "daphne")."""
        for command in self.servers:
            if program in shlex.split(command):
                return command
        raise AssertionError(f"the page never runs {program}: {self.servers}")


@dataclass
class Server:
    """A server command of the page, run in the background on ``port``."""

    argv: list
    cwd: Path
    env: dict
    port: int
    log_path: Path
    process: subprocess.Popen = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self):
        return f"ws://127.0.0.1:{self.port}"

    @property
    def origin(self):
        return self.base_url

    def url(self, path):
        return self.base_url + path

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own group: stop() reaches all of it
            )
        deadline = time.monotonic() + BOOT_TIMEOUT
        with requests.Session() as session:
            session.trust_env = False
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise AssertionError(
                        f"{self.argv} exited with {self.process.returncode}:\n"
                        f"{self.log_tail()}"
                    )
                try:
                    session.get(self.url("/admin/login/"), timeout=1)
                    return self
                except requests.RequestException:
                    time.sleep(0.2)
        self.stop()
        raise AssertionError(
            f"{self.argv} did not answer within {BOOT_TIMEOUT}s:\n{self.log_tail()}"
        )

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, 15)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=STOP_TIMEOUT)

    def log_tail(self, lines=60):
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"
