"""axe-core in the page: accessibility violations of a part of it.

axe-core comes from the npm registry, pinned by tests/browser/package-lock.json
(``npm ci --prefix tests/browser``); it is injected from that file, never
fetched by the page.
"""

from pathlib import Path

import pytest

from tests.services_env import IN_CI

AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def _require_axe():
    if AXE_JS.exists():
        return
    message = f"{AXE_JS} is missing: run `npm ci --prefix tests/browser`"
    if IN_CI:
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(f"*** SKIPPED accessibility check: {message} ***")


async def violations(page, selector, impacts=SERIOUS):
    """axe-core's violations inside ``selector`` of at least ``impacts``."""
    _require_axe()
    if not await page.evaluate("typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol: the shop's
        # Content-Security-Policy refuses an added <script>, as it should.
        await page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    results = await page.evaluate(
        """selector => axe.run({include: [selector]}, {resultTypes: ["violations"]})""",
        selector,
    )
    return [v for v in results["violations"] if v["impact"] in impacts]


def describe(found):
    lines = []
    for violation in found:
        lines.append(
            f"{violation['impact']}: {violation['id']}: {violation['help']} "
            f"({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(map(str, node['target']))}")
            lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


async def assert_accessible(page, selector, state):
    """Fail with axe-core's explanation when ``selector`` has serious problems."""
    found = await violations(page, selector)
    assert not found, f"axe-core, {state}:\n{describe(found)}"
