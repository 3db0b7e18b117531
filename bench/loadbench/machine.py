"""The machine and its processes: /proc readings, CPU pinning, the code measured."""

import contextlib
import os
import platform
import resource
import subprocess
from pathlib import Path

from bench.loadbench import ROOT

TICKS = os.sysconf("SC_CLK_TCK")


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


def self_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def git_describe():
    """The commit measured, and whether livechat/ or example_shop/ differ from it."""

    def git(*args):
        return subprocess.run(
            ["git", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()

    try:
        head = git("log", "-1", "--format=%h %cI %s")
        dirty = git("status", "--porcelain", "--", "livechat", "example_shop")
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
