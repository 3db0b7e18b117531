"""widget.min.js is what ships: it must be built from the readable modules as they are.

The bundle is committed so that a pip-installed app needs no Node; this test
rebuilds it with the pinned esbuild (package.json, ``make widget``) and fails
when the committed file differs, i.e. a module changed without ``make widget``.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.services_env import IN_CI

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "livechat" / "static" / "livechat"
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"


def _build_command(outfile):
    """The command of package.json's "widget" script, writing to ``outfile``."""
    script = json.loads((ROOT / "package.json").read_text())["scripts"]["widget"]
    args = script.split()
    assert args[0] == "esbuild"
    args = [str(ESBUILD)] + [a for a in args[1:] if not a.startswith("--outfile=")]
    return args + [f"--outfile={outfile}"]


def test_the_committed_bundle_is_built_from_the_modules(tmp_path):
    if not ESBUILD.exists() or shutil.which("node") is None:
        message = f"{ESBUILD} is missing: run `make widget` (npm ci)"
        if IN_CI:
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(f"*** SKIPPED: {message} ***")
    fresh = tmp_path / "widget.min.js"
    subprocess.run(
        _build_command(fresh), cwd=ROOT, check=True, capture_output=True, timeout=60
    )
    committed = (STATIC / "widget.min.js").read_text(encoding="utf-8")
    assert fresh.read_text(encoding="utf-8") == committed, (
        "livechat/static/livechat/widget.min.js is stale: run `make widget`"
    )


def test_every_module_says_what_it_holds():
    """A one-line header comment opens every JavaScript module of the widget."""
    modules = sorted((STATIC / "widget").rglob("*.js")) + sorted(
        (STATIC / "shared").rglob("*.js")
    )
    assert modules
    for path in modules:
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0]
        assert re.fullmatch(r"/\* .+ \*/", first), f"{path}: {first!r}"
        assert len(text.splitlines()) < 400, path
