"""The REST API's documentation page: Swagger UI from local static files,
under the shop's strict Content-Security-Policy (any violation fails the
test, tests/browser/conftest.py) and with no internet."""

import pytest
from playwright.async_api import expect

from .test_csp import _assert_strict, _directives

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(60),
]


async def test_the_docs_render_the_schema_offline_under_the_policy(
    new_context, live_shop
):
    context = await new_context()
    outside = []

    async def local_only(route):
        # Nothing may come from elsewhere (no CDN): it would fail offline.
        if route.request.url.startswith(live_shop.base_url):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    await context.route("**/*", local_only)
    page = await context.new_page()
    response = await page.goto("/livechat/api/v1/docs/")
    _assert_strict(_directives(response), response.url)
    await expect(page.get_by_role("heading", name="livechat API")).to_be_visible()
    operation = page.locator(".opblock-summary-path", has_text="/transfer/")
    await expect(operation.first).to_be_visible()
    await operation.first.click()
    await expect(
        page.get_by_text("Transfer to an agent or a department")
    ).to_be_visible()
    await expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    assert outside == []
