"""How long the disk takes to make a write durable, sampled while a benchmark runs.

Usage (bench/load.py starts it by itself):

    python bench/disk_probe.py DIRECTORY OUTPUT [--every 0.01]

Every ``--every`` seconds, writes 8 KB into a file of DIRECTORY and waits for
``fdatasync``, as PostgreSQL does for every commit's WAL; appends one line
``<time.perf_counter()> <seconds>`` per sample to OUTPUT (CLOCK_MONOTONIC on
Linux: the same clock as the benchmark's). Stops when its parent is gone, or
on SIGTERM, and removes its file.

A shared VM's disk sometimes takes 100 ms or more for one sync: every commit
waits meanwhile, and so does every message of a stack that stores them
(bench/NOTES.md, "The disk's sync stalls"). bench/load.py prints the
figures of each step's window next to its latencies.
"""

import argparse
import os
import signal
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory")
    parser.add_argument("output")
    parser.add_argument("--every", type=float, default=0.01)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    path = os.path.join(args.directory, f".disk-probe-{os.getpid()}")
    parent = os.getppid()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    block = b"\0" * 8192
    try:
        with open(args.output, "a", buffering=1) as out:
            while os.getppid() == parent:
                started = time.perf_counter()
                os.pwrite(fd, block, 0)
                os.fdatasync(fd)
                out.write(f"{started:.6f} {time.perf_counter() - started:.6f}\n")
                time.sleep(args.every)
    finally:
        os.close(fd)
        os.unlink(path)


if __name__ == "__main__":
    main()
