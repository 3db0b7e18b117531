"""The command line."""

import argparse
import sys

from bench import loadbench
from bench.patch_names import PATCH_NAMES


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=loadbench.__doc__.split("\n\n")[0],
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
        help="DJANGO_CONN_MAX_AGE for livechat (default: the shop's, 60)",
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
    parser.add_argument(
        "--lull",
        type=float,
        default=0,
        help="seconds without messages before the headline step (a store's "
        "quiet spell: what sockets do when traffic resumes together)",
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
