"""`manage.py check --deploy` is clean for the example shop's production settings."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _check(settings_module, **env):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        **env,
    }
    environment.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = _check("example_shop.settings_production")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_demo_settings_are_flagged_by_the_deploy_check():
    # The demo runs with DEBUG and the in-memory layer: the checks must say so.
    result = _check("example_shop.settings", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "livechat.W001" in result.stdout + result.stderr
