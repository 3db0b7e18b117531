"""Fixtures of the browser tests: the live shop and Debian's Chromium."""

import os
import sys
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e.live import (
    LiveShop,
    LiveShopUnavailable,
    choose_database,
    choose_redis,
    free_port,
    run_manage,
    shared_live_shop,
    shop_environment,
    stop_live_shop,
)
from tests.services_env import IN_CI

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
]
DESKTOP = {"width": 1280, "height": 800}
ACTION_TIMEOUT_MS = 10_000

# The shop sends a Content-Security-Policy (example_shop/settings.py): every
# page of every test reports what that policy blocks, and a test during which
# anything was blocked fails, so the whole suite shows that the widget, the
# console and the admin work under it. The page's securitypolicyviolation
# events say what was blocked where; Chromium's console messages also cover
# what no page listens to (a worker). Their wording changed over versions.
CSP_VIOLATION_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "?"}`
    + ` at ${event.sourceFile || location.href}:${event.lineNumber}`
    + (event.sample ? ` (${event.sample})` : "")
  );
}, true);
"""
_csp_violations = []


class CspWatchedBrowser:
    """The launched browser; every context it opens reports CSP violations."""

    def __init__(self, browser):
        self._browser = browser

    def __getattr__(self, name):
        return getattr(self._browser, name)

    async def new_context(self, **options):
        context = await self._browser.new_context(**options)
        await context.expose_function(
            "__reportCspViolation", lambda text: _csp_violations.append(text)
        )
        await context.add_init_script(CSP_VIOLATION_LISTENER)

        def refused(message):
            text = message.text
            if text.startswith("Refused to") or "Content Security Policy" in text:
                where = message.location
                _csp_violations.append(f"{where['url']}:{where['lineNumber']}: {text}")

        context.on("console", refused)
        return context


@pytest.fixture(autouse=True)
def csp_violations():
    """What the Content-Security-Policy blocked during the test: must be nothing.

    Runs around every browser test; a test that provokes a violation on
    purpose reads the list and empties it.
    """
    _csp_violations.clear()
    yield _csp_violations
    if _csp_violations:
        pytest.fail(
            "the Content-Security-Policy blocked:\n" + "\n".join(_csp_violations),
            pytrace=False,
        )


@pytest.fixture(scope="session")
def live_shop(request, tmp_path_factory):
    """example_shop under daphne, shared with tests/e2e (see tests/e2e/live.py)."""
    yield from shared_live_shop(request, tmp_path_factory)


# Async Playwright on the session's loop: the sync API would leave its loop
# marked as running on this thread, breaking every asyncio test after it.
@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser():
    """Debian's Chromium, launched once per session through Playwright."""
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(f"*** SKIPPED browser tests: {message} ***")
    # Imported here: a missing browser must not break collection of other tests.
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            yield CspWatchedBrowser(chromium)
        finally:
            await chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest_asyncio.fixture(loop_scope="session")
async def new_context(request, browser, live_shop, tmp_path):
    """Open a browser context on the live shop; screenshots its pages on failure."""
    from playwright.async_api import expect

    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    contexts = []

    async def new_context(**options):
        options.setdefault("viewport", DESKTOP)
        context = await browser.new_context(base_url=live_shop.base_url, **options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield new_context
    report = getattr(request.node, "report_call", None)
    for number, context in enumerate(contexts):
        if report is not None and report.failed:
            for page_number, page in enumerate(context.pages):
                path = Path(tmp_path) / f"failure-{number}-{page_number}.png"
                try:
                    await page.screenshot(path=path, full_page=True)
                    print(f"screenshot of {page.url}: {path}")
                except Exception as exc:  # the page may be what broke
                    print(f"no screenshot of {page.url}: {exc}")
        await context.close()


# The shopper widget's tests ----------------------------------------------------

# Short timers, so the widget's time-based promises fit in a test: an agent
# counts as gone 1 s after their console closed, the "sorry for the wait"
# notice comes after 3 s, widgets poll /livechat/status/ every second and the
# seeded checkout invitation shows after 1 s. Emails land in files to read.
WIDGET_SHOP_ENV = {
    "LIVECHAT_AGENT_GRACE_SECONDS": "1",
    "LIVECHAT_NO_REPLY_TIMEOUT": "3",
    "LIVECHAT_STATUS_POLL_SECONDS": "1",
    "LIVECHAT_INVITATION_DELAY": "1",
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
}


def _shop_of_its_own(request, tmp_path_factory, name, extra_env):
    """example_shop under a daphne of its own, on a database of its own
    (migrated and seeded), with ``extra_env``; a generator for a fixture."""
    tmp_dir = tmp_path_factory.mktemp(name)
    try:
        database, redis = choose_database(tmp_dir), choose_redis()
    except LiveShopUnavailable as exc:
        if IN_CI:
            pytest.fail(f"{name}: {exc}", pytrace=False)
        pytest.skip(f"*** SKIPPED: {name} unavailable: {exc} ***")
    database.create()
    env = shop_environment(database.url, redis)
    env.update(extra_env)
    shop = LiveShop(
        port=free_port(), env=env, log_path=tmp_dir / "daphne.log", database=database
    )
    try:
        run_manage(env, "migrate", "--noinput", "-v0")
        run_manage(env, "seed_demo")
        shop.start()
    except BaseException:
        stop_live_shop(shop)
        raise
    failed_before = request.session.testsfailed
    yield shop
    if request.session.testsfailed > failed_before:
        print(
            f"\n{name} daphne log ({shop.log_path}):\n{shop.log_tail()}",
            file=sys.stderr,
        )
    stop_live_shop(shop)


@pytest.fixture(scope="session")
def widget_shop(request, tmp_path_factory):
    """example_shop under a daphne of its own, with WIDGET_SHOP_ENV.

    Separate from ``live_shop`` so that the short timers and the agents coming
    and going in these tests touch nobody else's. ``widget_shop.mail_dir``
    holds the emails the shop sent.
    """
    mail_dir = tmp_path_factory.mktemp("widget_shop_mail")
    env = dict(WIDGET_SHOP_ENV, DJANGO_EMAIL_FILE_PATH=str(mail_dir))
    for shop in _shop_of_its_own(request, tmp_path_factory, "widget_shop", env):
        shop.mail_dir = mail_dir
        yield shop


@pytest.fixture(scope="session")
def empty_shop(request, tmp_path_factory):
    """example_shop on a database nobody chats in: a console with an empty
    inbox (every other shop of the run carries other tests' chats)."""
    yield from _shop_of_its_own(request, tmp_path_factory, "empty_shop", {})


@pytest_asyncio.fixture(loop_scope="session")
async def widget_context(request, browser, widget_shop, tmp_path):
    """Open a browser context on ``widget_shop``.

    Uncaught errors of its pages fail the test; on failure every page is
    screenshotted into the test's tmp_path.
    """
    from playwright.async_api import expect

    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    contexts, errors = [], []

    def watch(page):
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))

    async def widget_context(**options):
        options.setdefault("viewport", DESKTOP)
        context = await browser.new_context(base_url=widget_shop.base_url, **options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.on("page", watch)
        contexts.append(context)
        return context

    yield widget_context
    report = getattr(request.node, "report_call", None)
    for number, context in enumerate(contexts):
        if report is not None and report.failed:
            for page_number, page in enumerate(context.pages):
                path = Path(tmp_path) / f"failure-{number}-{page_number}.png"
                try:
                    await page.screenshot(path=path, full_page=True)
                    print(f"screenshot of {page.url}: {path}")
                except Exception as exc:  # the page may be what broke
                    print(f"no screenshot of {page.url}: {exc}")
        await context.close()
    if errors and report is not None and report.passed:
        pytest.fail("errors in the page:\n" + "\n".join(errors), pytrace=False)
