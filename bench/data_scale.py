"""Does livechat hold up at a big store's data? Pages and commands at two sizes.

Usage (from the repository root):

    .venv/bin/python bench/data_scale.py                  # S and L
    .venv/bin/python bench/data_scale.py --sizes T        # a quick check
    .venv/bin/python bench/data_scale.py --reuse --only console_open search
    .venv/bin/python bench/data_scale.py --help

For each size it seeds its own database ``livechat_scale_<size>`` (S: 10,000
conversations and 100,000 messages, L: ten times that; T: a tenth of S) with
COPY (bench/scale/seed.py; ``--reuse`` keeps a database already seeded at
that size). Then daphne serves every size at once, as in production, and
each operation of ``bench/scale/measure.py`` runs ``--runs`` times after one
warm-up, the sizes taking turns; the table gives the medians. The
statements of each page are counted once more in-process with Django's
test client. It prints a Markdown table; pages over 300 ms at the
largest size and pages more than twice as slow there as at the smallest are
marked. It never asserts.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale import report  # noqa: E402
from bench.scale.measure import OPERATIONS, measure  # noqa: E402
from bench.scale.seed import SIZES, drop, seed, with_database  # noqa: E402
from tests.services_env import database_url  # noqa: E402


def parse_args(argv=None):
    keys = [op.key for op in OPERATIONS]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="S,L",
        help="comma-separated, from "
        + ", ".join(f"{k} ({c:,}/{m:,})" for k, (c, m) in SIZES.items())
        + " (default S,L)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep a livechat_scale_<size> database already seeded at that size",
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs (default 5)")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=keys,
        metavar="ROW",
        help="rows: " + ", ".join(keys),
    )
    parser.add_argument(
        "--drop",
        action="store_true",
        help="drop the seeded databases at the end (by default they stay for --reuse)",
    )
    args = parser.parse_args(argv)
    args.sizes = [size.strip().upper() for size in args.sizes.split(",") if size]
    unknown = [size for size in args.sizes if size not in SIZES]
    if unknown:
        parser.error(f"unknown sizes {unknown}; choose from {sorted(SIZES)}")
    return args


def main(argv=None):
    args = parse_args(argv)
    server = database_url()
    if server is None:
        raise SystemExit("PostgreSQL is not reachable: the benchmark needs it")
    wanted = set(args.only or [op.key for op in OPERATIONS])
    dsns = {
        size: with_database(server, f"livechat_scale_{size.lower()}")
        for size in args.sizes
    }
    for line in report.header(report.server_version(with_database(server, "postgres"))):
        print(line)
    steal = report.Steal()
    seeded = {}
    for size in args.sizes:
        conversations, messages = SIZES[size]
        print(f"{size}: seeding {conversations:,} conversations, {messages:,} messages")
        started = time.monotonic()
        seeded[size] = seed(dsns[size], conversations, messages, reuse=args.reuse)
        print(f"  ready in {time.monotonic() - started:,.1f} s")
    started = time.monotonic()
    print(f"measuring {', '.join(args.sizes)} in turns")
    results = measure(seeded, wanted, args.runs)
    print(f"  measured in {time.monotonic() - started:,.0f} s")
    print(f"\n{steal}\n")
    for line in report.table(args.sizes, results):
        print(line)
    print()
    for size in args.sizes:
        s = seeded[size]
        print(
            f"{size}: {s.conversations:,} conversations, {s.messages:,} messages, "
            f"seeding took {s.seconds:,.1f} s (database {s.name}); search word "
            f"{s.search_word!r}, visitor {s.visitor_email}, long chat "
            f"#{s.long_conversation}"
        )
    if args.drop:
        for dsn in dsns.values():
            drop(dsn)


if __name__ == "__main__":
    main()
