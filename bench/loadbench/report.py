"""What the benchmark prints: each step, the headline, the summary."""

import contextlib
import importlib.metadata
import math
import os
import platform
import shlex
import sys
import time
from collections import Counter
from pathlib import Path

from bench.loadbench.machine import (
    cpu_model,
    git_describe,
    loadavg,
    machine_ticks,
    mem_total_mb,
)
from bench.loadbench.shops import REDIS_URL, libpq_url
from tests.services_env import database_url

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
    print_timeline(stack, step, late, limit_s)


# Frames every message brings: the timeline lists the others.
_ROUTINE = frozenset({"message", "ack"})


def print_timeline(stack, step, late, limit_s, most=20):
    """Per 100 ms around the late messages: how many were late each way,
    the worst latency, and the other frames the sockets received meanwhile.

    A stall that a broadcast causes shows as a burst of one frame type to
    every socket of a side; one the disk causes shows as none.
    """
    tenths = sorted({int(offset * 10) for offset, _cid in late})
    shown = []
    for tenth in tenths:  # each late tenth and the one before it
        for t in (tenth - 1, tenth):
            if t >= 0 and t not in shown:
                shown.append(t)
    by_tenth = {}
    for cid, (sent_at, way) in step.sent.items():
        tenth = int((sent_at - step.first_send) * 10)
        if tenth not in shown:
            continue
        received = step.delivered.get(cid)
        took = math.inf if received is None else received - sent_at
        row = by_tenth.setdefault(tenth, {"sent": 0, "worst": 0.0, "late": Counter()})
        row["sent"] += 1
        row["worst"] = max(row["worst"], took)
        if took > limit_s:
            row["late"][way] += 1
    others = {}
    for (tenth, side, kind), count in step.frames.items():
        if tenth in shown and kind not in _ROUTINE:
            others.setdefault(tenth, Counter())[f"{side} {kind}"] += count
    for tenth in shown[:most]:
        row = by_tenth.get(tenth, {"sent": 0, "worst": 0.0, "late": Counter()})
        frames = ", ".join(f"{k} {n}" for k, n in sorted(others.get(tenth, {}).items()))
        print(
            f"  {stack.name:8s}   {tenth / 10:5.1f}s sent {row['sent']:3d} late "
            f"v2a {row['late']['v2a']:3d} a2v {row['late']['a2v']:3d} worst "
            f"{ms(row['worst'])} ms; other frames received: {frames or '-'}",
            flush=True,
        )
    if len(shown) > most:
        print(f"  {stack.name:8s}   ... {len(shown) - most} more tenths", flush=True)


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

        with psycopg.connect(libpq_url(database_url()), connect_timeout=5) as db:
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
