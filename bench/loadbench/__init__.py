"""Load benchmark: livechat under daphne over real WebSockets, against a bare relay.

Usage (from the repository root):

    .venv/bin/python bench/load.py              # the full run: a few minutes
    .venv/bin/python bench/load.py --quick      # a ~30 s smoke run
    .venv/bin/python bench/load.py --processes 2
    .venv/bin/python bench/load.py --help

(``python -m bench.loadbench`` is the same.) What it does, each stack in turn
(livechat, then the relay of bench/relay_app.py; both on daphne with the same
Redis pub/sub channel layer):

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

The modules: ``args`` (the command line), ``machine`` (/proc readings, CPU
pinning), ``disk`` (the disk probe), ``shops`` (starting the two stacks),
``clients`` (the sockets and their conversations), ``measure`` (one step of
offered load), ``phases`` (the knee search, the headline, idle sockets),
``report`` (what is printed), ``__main__`` (the run).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
