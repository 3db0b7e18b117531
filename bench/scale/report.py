"""The table bench/data_scale.py prints, and its header."""

import os

import psycopg

from bench.loadbench.machine import cpu_model, git_describe, machine_ticks, mem_total_mb
from bench.scale.measure import OPERATIONS

SLOW_MS = 300  # every interactive page under this at the largest size
RATIO = 2  # ... and at most this many times slower than at the smallest
MARK = "⚠"


def header(server_version):
    return [
        f"machine: {cpu_model()}, {os.cpu_count()} cores, "
        f"{mem_total_mb():,} MB; PostgreSQL {server_version}",
        f"code: {git_describe()}",
        f"load average at start: {_loadavg()}",
    ]


def _loadavg():
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


class Steal:
    """The machine's busy and stolen share over the run (a shared VM's noise)."""

    def __init__(self):
        self.before = machine_ticks()

    def __str__(self):
        busy, total, steal = (
            after - before
            for after, before in zip(machine_ticks(), self.before, strict=True)
        )
        total = total or 1
        return f"machine busy {busy / total:.0%}, CPU steal {steal / total:.1%}"


def _time(ms):
    if ms < 10:
        return f"{ms:.1f} ms"
    if ms < 10_000:
        return f"{ms:,.0f} ms"
    return f"{ms / 1000:,.1f} s"


def _cell(result, slow):
    if result is None:
        return "-"
    if result.failure:
        return f"fails: {result.failure}"
    text = _time(result.ms)
    if slow:
        text = f"**{text}** {MARK}"
    return f"{text} ({result.note})" if result.note else text


def table(sizes, results):
    """Markdown: one row per operation, a column per size, L/S, query counts."""
    first, last = sizes[0], sizes[-1]
    two = len(sizes) > 1
    head = ["operation", *sizes]
    if two:
        head.append(f"{last}/{first}")
    head += [f"queries {size}" for size in sizes]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for op in OPERATIONS:
        row = [results[size].get(op.key) for size in sizes]
        if all(result is None for result in row):
            continue
        cells = [op.label]
        for size, result in zip(sizes, row, strict=True):
            slow = (
                op.interactive
                and size == last
                and result is not None
                and result.ms is not None
                and result.ms > SLOW_MS
            )
            cells.append(_cell(result, slow))
        if two:
            a, b = row[0], row[-1]
            if a and b and a.ms and b.ms:
                ratio = b.ms / a.ms
                mark = f" {MARK}" if op.interactive and ratio > RATIO else ""
                cells.append(f"{ratio:.1f}{mark}")
            else:
                cells.append("-")
        for result in row:
            count = result.queries if result is not None else None
            cells.append("-" if count is None else str(count))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def server_version(dsn):
    with psycopg.connect(dsn, connect_timeout=5) as db:
        return db.execute("SHOW server_version").fetchone()[0].split(" ")[0]
