"""widget.min.js and widget.min.css ship: built from the readable sources as they are.

They are committed so that a pip-installed app needs no Node; this test
rebuilds them with the pinned esbuild (package.json, scripts/build-widget.mjs,
``make widget``) and fails when a committed file differs, i.e. a source changed
without ``make widget``.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import livechat
from tests.services_env import IN_CI

ROOT = Path(__file__).resolve().parent.parent
# The app under test: the checkout's, or the installed wheel's (check-package).
STATIC = Path(livechat.__file__).resolve().parent / "static" / "livechat"
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"


@pytest.mark.checkout  # scripts/build-widget.mjs builds the checkout's modules
def test_the_committed_bundle_is_built_from_the_modules(tmp_path):
    if not ESBUILD.exists() or shutil.which("node") is None:
        message = f"{ESBUILD} is missing: run `make widget` (npm ci)"
        if IN_CI:
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(f"*** SKIPPED: {message} ***")
    subprocess.run(
        ["node", str(ROOT / "scripts" / "build-widget.mjs"), str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    )
    for name in ("widget.min.js", "widget.min.css"):
        fresh = (tmp_path / name).read_text(encoding="utf-8")
        committed = (ROOT / "livechat/static/livechat" / name).read_text("utf-8")
        assert fresh == committed, (
            f"livechat/static/livechat/{name} is stale: run `make widget`"
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
