"""bench/reports.py runs on a tiny store and prints every report's figures.

Its times are printed, never asserted (bench/README.md); what is checked is
that the tool works: it seeds both scales, rebuilds the rollups from the
copied rows and times each report of its table over both ranges.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services_env import IN_CI, database_url

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]


def test_the_quick_reports_bench_prints_each_report_at_both_scales():
    url = database_url()
    if url is None:
        if IN_CI:
            pytest.fail("CI=true but the bench needs PostgreSQL")
        pytest.skip("*** SKIPPED: the bench needs PostgreSQL ***")
    from bench.reports import RANGES, REPORTS

    run = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "bench/reports.py", "--quick", "--runs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
        env={**os.environ, "DATABASE_URL": url},
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    figure = r"\s+[\d.]+ ms\s+[\d.]+ ms\s+[\d.]+$"
    for label, _target, _call in REPORTS:
        for days in RANGES:
            pattern = rf"^{re.escape(label)}\s+{days} d{figure}"
            assert re.search(pattern, run.stdout, re.MULTILINE), output[-3000:]
    assert re.search(r"^rebuild from nothing\s+[\d.]+ s\s+[\d.]+ s", run.stdout, re.M)
    # The rollups were rebuilt from the copied rows: 60 and 600 conversations.
    assert "10%: 60 facts" in run.stdout and "100%: 600 facts" in run.stdout
