"""bench/disk_probe.py run alongside the benchmark: the disk's sync times."""

import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.loadbench import ROOT
from bench.loadbench.shops import libpq_url


class DiskProbe:
    """bench/disk_probe.py in a child process: the disk's sync times by window.

    It syncs in the system's temporary directory; ``same_disk`` says whether
    that is PostgreSQL's file system (None: unknown).
    """

    def __init__(self, log_dir, database_url):
        self.directory = tempfile.gettempdir()
        self.same_disk = _same_file_system(self.directory, database_url)
        self.output = Path(log_dir) / "disk-probe.txt"
        self.output.touch()
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "disk_probe.py"),
                self.directory,
                str(self.output),
            ]
        )
        self._read_to = 0
        self._samples = []  # (perf_counter at the start, seconds)

    def between(self, start, end):
        """``(started at, seconds)`` of the samples started in [start, end]."""
        with open(self.output) as out:
            out.seek(self._read_to)
            text = out.read()
        complete = text[: text.rfind("\n") + 1]
        self._read_to += len(complete)
        for line in complete.splitlines():
            at, seconds = line.split()
            self._samples.append((float(at), float(seconds)))
        return [(at, s) for at, s in self._samples if start <= at <= end]

    def stop(self):
        with contextlib.suppress(Exception):
            self.process.terminate()
            self.process.wait(timeout=5)


DISK = {"probe": None}  # the DiskProbe of this run


def _same_file_system(directory, database_url):
    """Is ``directory`` on PostgreSQL's file system? None: cannot tell."""
    if database_url is None:
        return None
    try:
        import psycopg

        with psycopg.connect(libpq_url(database_url), connect_timeout=5) as conn:
            data = conn.execute("SHOW data_directory").fetchone()[0]
        return os.stat(data).st_dev == os.stat(directory).st_dev
    except Exception:  # not a superuser, or not this machine's files
        return None
