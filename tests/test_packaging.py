"""`pip install .` ships the app whole: templates, static, migrations, locale.

The slow test runs scripts/check-package: the sdist and the wheels as users
get them, installed in a new virtualenv and tested there.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import livechat

ROOT = Path(__file__).resolve().parent.parent


def _source_copy(target):
    """The checkout's tracked files, copied: a build writes build/ and
    *.egg-info beside its sources, and never into the checkout's own."""
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    source = _source_copy(tmp_path_factory.mktemp("source"))
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
            str(source),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = out.glob("django_store_livechat-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.mark.checkout
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


@pytest.mark.checkout
def test_wheel_leaves_out_the_demo_and_tests(wheel_names):
    assert not any(name.startswith(("example_shop/", "tests/")) for name in wheel_names)


def _collect(env_value):
    """Collects one small file with LIVECHAT_TEST_INSTALLED_IN=env_value."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["LIVECHAT_TEST_INSTALLED_IN"] = str(env_value)
    command = [sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider"]
    return subprocess.run(
        [*command, "tests/test_tokens.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_suite_refuses_a_livechat_from_elsewhere(tmp_path):
    """check-package's guard: a run told to test the app installed in one
    place stops before any test when livechat is imported from another."""
    refused = _collect(tmp_path)
    assert refused.returncode == pytest.ExitCode.USAGE_ERROR, refused.stdout
    assert f"LIVECHAT_TEST_INSTALLED_IN={tmp_path} but livechat is" in refused.stderr
    accepted = _collect(Path(livechat.__file__).resolve().parent.parent)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


# What make test runs against the installed wheel, on Django 4.2: the tests of
# the faces, which read the shipped files (templates, static, catalogs,
# migrations) and call the Django and DRF APIs that change between releases,
# plus the [redis] extra's channel layer and the widget's socket. A small
# share of the quick subset's time: the whole quick subset there would double
# the second process's share of make test. `tox -e package` runs everything
# installed; `tox -e py311-django42` the whole suite on 4.2.
INSTALLED_SUBSET = [
    "tests/test_admin.py",
    "tests/test_admin_conversations.py",
    "tests/test_admin_widget.py",
    "tests/test_api.py",
    "tests/test_attachments.py",
    "tests/test_checks.py",
    "tests/test_context_cards.py",
    "tests/test_integration_redis.py",
    "tests/test_layout.py",
    "tests/test_locale.py",
    "tests/test_templatetags.py",
    "tests/test_widget_bundle.py",
    "tests/consumers/test_widget.py",
]


@pytest.mark.slow
@pytest.mark.packaging
@pytest.mark.checkout
@pytest.mark.timeout(900)
def test_the_built_package_installs_and_passes(tmp_path):
    """scripts/check-package on the oldest Django supported: the sdist and
    wheels build, pass ``twine check --strict`` and hold the app whole; the
    wheel with [redis,test] goes into a new virtualenv with Django 4.2, and
    INSTALLED_SUBSET's quick tests pass there against the installed app."""
    run = subprocess.run(  # noqa: S603 - our own script
        [
            sys.executable,
            str(ROOT / "scripts" / "check-package"),
            "--django",
            "4.2",
            "--tests",
            "quick",
            "--workdir",
            str(tmp_path),
            "--",
            "-q",
            "--tb=short",
            *INSTALLED_SUBSET,
        ],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
        capture_output=True,
        text=True,
        timeout=880,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-12000:]
    assert "check-package: OK" in run.stdout
    assert '"django": "4.2.' in run.stdout
    # The times of each step, shown by pytest -rP.
    print(*(line for line in run.stdout.splitlines() if "times:" in line))
