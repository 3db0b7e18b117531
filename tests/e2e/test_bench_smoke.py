"""bench/load.py runs end to end, as a newcomer would run it first.

Its speed figures are printed, never asserted (bench/README.md); what is
checked here is that the tool works on a fresh checkout and that no message
is lost or doubled under its load, on both stacks.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.services_env import IN_CI, database_url, redis_url

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def test_the_quick_benchmark_runs_and_loses_nothing(tmp_path):
    if database_url() is None or redis_url() is None:
        message = "the benchmark needs PostgreSQL and Redis"
        if IN_CI:
            pytest.fail(f"CI=true but {message}")
        pytest.skip(f"*** SKIPPED: {message} ***")
    command = [sys.executable, "bench/load.py", "--quick", "--idle", "20"]
    command += ["--log-dir", str(tmp_path)]
    run = subprocess.run(  # noqa: S603 - our own script
        command, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    for stack in ("livechat", "relay"):
        (line,) = [
            line
            for line in run.stdout.splitlines()
            if line.startswith(f"{stack:8s} messages sent")
        ]
        assert "delivered 200 lost 0 duplicated 0 " in line, line
        assert f"{stack:8s} memory per idle visitor socket" in run.stdout
    assert "livechat/relay ratios" in run.stdout
    # The disk probe sampled all along (bench/disk_probe.py).
    assert (tmp_path / "disk-probe.txt").stat().st_size > 0
