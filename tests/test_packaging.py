"""`pip install .` ships the app whole: templates, static, migrations, locale."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = out.glob("django_store_livechat-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.mark.parametrize(
    "path",
    [
        "livechat/migrations/0001_initial.py",
        "livechat/templates/livechat/widget.html",
        "livechat/templates/admin/livechat/console.html",
        "livechat/static/livechat/widget.min.js",
        "livechat/static/livechat/widget/main.js",
        "livechat/static/livechat/shared/client.js",
        "livechat/static/livechat/widget.css",
        "livechat/static/livechat/console/main.js",
        "livechat/static/livechat/console/layout.css",
        "livechat/templates/admin/livechat/console/strings.html",
        "livechat/templatetags/livechat.py",
        "livechat/locale/es/LC_MESSAGES/django.mo",
        "livechat/locale/ru/LC_MESSAGES/django.mo",
        "livechat/locale/zh_Hans/LC_MESSAGES/django.mo",
        "livechat/contrib/oscar/adapter.py",
        "livechat/contrib/oscar/templates/oscar/partials/extrascripts.html",
    ],
)
def test_wheel_contains(wheel_names, path):
    assert path in wheel_names


def test_wheel_leaves_out_the_demo_and_tests(wheel_names):
    assert not any(name.startswith(("example_shop/", "tests/")) for name in wheel_names)
