"""The reports on a big store: each report's time at 10% and 100% of
100,000 conversations and 1,000,000 messages over 180 days, and the rebuild.

    .venv/bin/python bench/reports.py                 # 10% and 100%
    .venv/bin/python bench/reports.py --scale 10      # only 10%
    .venv/bin/python bench/reports.py --quick         # a tiny store (the test)

For each scale a database of its own (``livechat_bench_reports_<n>``, made
from one migrated template) gets visitors, conversations and messages
(bench/scale/rows.py), agents, their online stretches (mostly 9-17 on
weekdays) and orders after some chats, all by COPY. A child process with
example_shop's settings then rebuilds the facts and rollups from nothing
(``livechat_reports --rebuild``'s function: that is how the rollups are
made, so they are what the listeners would have kept) and rebuilds again
over the facts. Then each report of REPORTS is timed over the last 28 and 90
days, in ``--rounds`` processes per scale, the scales taking turns: one
warm-up, the median of ``--runs``, and the median over the rounds. A report
that reads rollups takes about the same time whatever the store's size; its
ratio (100% over 10%) is printed.
"""

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The timed reports: (label, "module:function", how it is called). "filters":
# livechat's own reports (livechat.services.reports.figures), given
# Filters(first day, last day); "days": the plain queries of
# bench/report_queries.py, given the first and last day. Add a report here
# when livechat gains one.
_FIGURES = "livechat.services.reports.figures"
REPORTS = [
    ("service report", f"{_FIGURES}:service_report", "filters"),
    ("targets report", f"{_FIGURES}:targets_report", "filters"),
    ("demand report", f"{_FIGURES}:demand_report", "filters"),
    ("sales report", f"{_FIGURES}:sales_report", "filters"),
    ("topics report", f"{_FIGURES}:topics_report", "filters"),
    ("saved replies report", f"{_FIGURES}:replies_report", "filters"),
    ("cost report", f"{_FIGURES}:cost_report", "filters"),
    ("q: chats per day", "bench.report_queries:chats_per_day", "days"),
    ("q: first response p50/p90", "bench.report_queries:percentiles", "days"),
    ("q: per agent + online hours", "bench.report_queries:per_agent", "days"),
    ("q: weekday x hour demand", "bench.report_queries:demand_heatmap", "days"),
    ("q: top words", "bench.report_queries:top_terms", "days"),
    ("q: unique shoppers, ordered", "bench.report_queries:unique_shoppers", "days"),
    ("q: drill-down: one cell", "bench.report_queries:drill_down", "days"),
]
RANGES = (28, 90)
FULL = (100_000, 1_000_000)  # conversations, messages at 100%
QUICK = (600, 4_000)
QUICK_DAYS = 21
QUICK_AGENTS = 4
DAYS = 180
PREFIX = "livechat_bench_reports"


def main():
    args = _arguments()
    if args.child == "rebuild":
        return _rebuild_child()
    if args.child == "time":
        return _timing_child(args.runs)
    from bench.scale.seed import drop, with_database
    from tests.services_env import DEFAULT_DATABASE_URL

    base = args.database_url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    conversations, messages = QUICK if args.quick else FULL
    days = QUICK_DAYS if args.quick else args.days
    scales = args.scale or [10, 100]
    from bench.reports_seed import AGENTS, make_template, seed_scale

    count = QUICK_AGENTS if args.quick else AGENTS
    template = with_database(base, f"{PREFIX}_template_{count}")
    started = time.monotonic()
    agents, made = make_template(template, count)
    how = "migrated" if made else "kept from the last run"
    print(f"template: {how}, {len(agents)} agents ({_since(started)})")
    results, dsns = {}, {}
    try:
        for scale in scales:
            dsns[scale] = with_database(base, f"{PREFIX}_{scale}")
            size = (conversations * scale // 100, messages * scale // 100)
            started = time.monotonic()
            seed_scale(template, dsns[scale], agents, *size, days=days)
            print(
                f"{scale}%: seeded {size[0]:,} conversations, {size[1]:,} "
                f"messages over {days} days ({_since(started)})"
            )
            results[scale] = {"rebuild": _in_child(dsns[scale], "rebuild")}
            rebuilt = results[scale]["rebuild"]
            print(
                f"{scale}%: rebuilt from nothing in {rebuilt['nothing']:.1f} s, "
                f"over its facts in {rebuilt['again']:.1f} s"
            )
        # The scales take turns, so a busy spell of a shared machine falls on
        # both sides of the ratio; each report keeps its median over rounds.
        rounds = {scale: [] for scale in scales}
        for round_ in range(args.rounds or (1 if args.quick else 3)):
            for scale in scales if round_ % 2 == 0 else scales[::-1]:
                rounds[scale].append(_in_child(dsns[scale], "time", args.runs))
        for scale in scales:
            results[scale]["reports"] = {
                key: statistics.median(timing[key] for timing in rounds[scale])
                for key in rounds[scale][0]
            }
    finally:
        if not args.keep:
            for dsn in dsns.values():
                drop(dsn)
        if args.drop_template:
            drop(template)
    _print(results, scales)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale",
        type=int,
        nargs="+",
        metavar="PERCENT",
        help="percent of 100,000 conversations / 1,000,000 messages (default 10 100)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a tiny store: {QUICK[0]:,} conversations at 100%%, {QUICK_DAYS} days",
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per report")
    parser.add_argument("--days", type=int, default=DAYS, help="days of history")
    parser.add_argument(
        "--keep", action="store_true", help="keep the databases (see --help)"
    )
    parser.add_argument(
        "--drop-template",
        action="store_true",
        help="drop the migrated template database at the end",
    )
    parser.add_argument("--database-url", help="the server (default DATABASE_URL)")
    parser.add_argument(
        "--rounds",
        type=int,
        help="rounds of timings, the scales taking turns (default 3; --quick 1)",
    )
    parser.add_argument("--child", choices=["rebuild", "time"], help=argparse.SUPPRESS)
    return parser.parse_args()


def _since(started):
    return f"{time.monotonic() - started:.1f} s"


def _in_child(dsn, what, runs=1):
    """Run ``what`` ("rebuild", "time") in a process with the shop's settings."""
    from bench.scale.seed import manage_env

    done = subprocess.run(  # noqa: S603 - this very script
        [sys.executable, __file__, "--child", what, "--runs", str(runs)],
        cwd=ROOT,
        env=manage_env(dsn),
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stdout[-3000:]}{done.stderr[-6000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _analyze():
    from django.db import connection

    with connection.cursor() as cursor:
        for table in _REPORT_TABLES:
            cursor.execute(f"ANALYZE {table}")


def _rebuild_child():
    """The rollups from the copied rows, then again over their facts."""
    import django

    django.setup()
    from livechat.services import reports

    nothing, _counts, stages = _timed_rebuild(reports.rebuild)
    _analyze()
    again, counts, again_stages = _timed_rebuild(reports.rebuild)
    _analyze()
    print(
        json.dumps(
            {
                "nothing": nothing,
                "again": again,
                "counts": counts,
                "stages": stages,
                "again_stages": again_stages,
            }
        )
    )


def _timing_child(runs):
    """Each report over each range: one warm-up, the median of ``runs``."""
    import django

    django.setup()
    from livechat.services.availability import store_timezone

    last = (datetime.now(UTC).astimezone(store_timezone()) - timedelta(days=1)).date()
    from livechat.services.reports.filters import Filters

    timings = {}
    for label, target, call in REPORTS:
        module, name = target.split(":")
        function = getattr(importlib.import_module(module), name)
        for days in RANGES:
            first = last - timedelta(days=days - 1)
            args = (Filters(first, last),) if call == "filters" else (first, last)
            function(*args)  # warm-up
            seconds = []
            for _ in range(runs):
                began = time.perf_counter()
                function(*args)
                seconds.append(time.perf_counter() - began)
            timings[f"{label}|{days}"] = statistics.median(seconds) * 1000
    print(json.dumps(timings))


def _timed_rebuild(rebuild):
    """``(seconds, counts, {stage: seconds})`` of one rebuild; a stage lasts
    from the previous one's last progress call to its own."""
    last = {}
    started = time.monotonic()
    counts = rebuild(
        progress=lambda stage, *_: last.__setitem__(stage, time.monotonic())
    )
    ended = time.monotonic()
    stages, previous = {}, started
    for stage, moment in sorted(last.items(), key=lambda item: item[1]):
        stages[stage] = moment - previous
        previous = moment
    stages["agent hours"] = ended - previous
    return ended - started, counts, stages


_REPORT_TABLES = (
    "livechat_conversationfact",
    "livechat_reporthour",
    "livechat_reportlatency",
    "livechat_agenthour",
    "livechat_termday",
)


def _print(results, scales):
    low, high = (min(scales), max(scales)) if len(scales) > 1 else (None, None)
    header = f"{'report':<30}{'range':>7}" + "".join(f"{f'{s}%':>11}" for s in scales)
    if low is not None:
        header += f"{'ratio':>8}"
    print()
    print(header)
    for label, _target, _call in REPORTS:
        for days in RANGES:
            key = f"{label}|{days}"
            line = f"{label:<30}{f'{days} d':>7}"
            line += "".join(f"{results[s]['reports'][key]:>8.2f} ms" for s in scales)
            if low is not None:
                ratio = results[high]["reports"][key] / results[low]["reports"][key]
                line += f"{ratio:>8.1f}"
            print(line)
    for stage, label in (
        ("nothing", "rebuild from nothing"),
        ("again", "rebuild over its facts"),
    ):
        line = f"{label:<37}" + "".join(
            f"{results[s]['rebuild'][stage]:>9.1f} s" for s in scales
        )
        if low is not None:
            ratio = results[high]["rebuild"][stage] / results[low]["rebuild"][stage]
            line += f"{ratio:>8.1f}"
        print(line)
    for scale in scales:
        for key, label in (("stages", "from nothing"), ("again_stages", "over facts")):
            stages = results[scale]["rebuild"][key]
            line = ", ".join(
                f"{stage} {seconds:.1f} s" for stage, seconds in stages.items()
            )
            print(f"{scale}%: rebuild {label}: {line}")
    for scale in scales:
        counts = results[scale]["rebuild"]["counts"]
        print(
            f"{scale}%: {counts['facts']:,} facts, {counts['report_hours']:,} "
            f"hourly rows, {counts['latencies']:,} latency buckets, "
            f"{counts['terms']:,} words by day, {counts['agent_hours']:,} agent hours"
        )


if __name__ == "__main__":
    main()
