"""The chat reports in Chromium: from the admin index to a report, with a
range and a department chosen, a chart that says what its table says, and
nothing axe-core objects to."""

import asyncio
import re

import pytest
from playwright.async_api import expect

from tests.e2e.live import run_manage

from .axe import assert_accessible
from .report_data import FIRST_DAY, LAST_DAY, SEED
from .shopper import doc_screenshot, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(90),
]

ADMIN = ("admin", "admin-demo-pass")


def _figure(page, label):
    figure = page.locator(".livechat-reports__figure").filter(
        has=page.locator("dt", has_text=re.compile(f"^{re.escape(label)}$"))
    )
    return figure.locator("dd")


async def _show(page):
    await page.get_by_role("button", name="Show").click()
    await page.wait_for_load_state()


async def test_reports_from_the_admin_index(new_context, live_shop):
    await asyncio.to_thread(run_manage, live_shop.env, "shell", "-c", SEED)
    page = await (await new_context(viewport={"width": 1280, "height": 900})).new_page()
    await log_in(page, *ADMIN, path="/admin/login/")
    await page.goto("/admin/")
    # The admin's content: <main> since Django 5.0, a <div> on 4.2.
    content = page.locator("#content-start")
    await content.get_by_role("link", name="Reports", exact=True).click()
    await expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()

    filters = page.get_by_role("form", name="Range and filters")
    await filters.get_by_label("From").fill(FIRST_DAY.isoformat())
    await filters.get_by_label("To").fill(LAST_DAY.isoformat())
    await _show(page)
    await expect(page).to_have_url(re.compile(f"start={FIRST_DAY.isoformat()}"))
    everyone = int(re.sub(r"\D", "", await _figure(page, "Conversations").inner_text()))
    await filters.get_by_label("Department").select_option(label="Tea")
    await _show(page)
    tea = int(re.sub(r"\D", "", await _figure(page, "Conversations").inner_text()))
    assert 0 < tea < everyone

    reports = page.get_by_role("navigation", name="Reports")
    await reports.get_by_role("link", name="Service").click()
    await expect(page.get_by_role("heading", name="Service", level=1)).to_be_visible()
    # The range and the department stay chosen from page to page.
    await expect(filters.get_by_label("Department")).to_have_value(re.compile(r"^\d+$"))

    # Each bar of chats per day says what its table's row says.
    chart = page.get_by_role("group", name="Chats per day")
    bars = await chart.get_by_role("link").evaluate_all(
        "links => links.map((a) => a.getAttribute('aria-label'))"
    )
    table = page.get_by_role("table", name="Chats per day")
    # Text as written (the admin's style capitalises headers on screen).
    headers = await table.locator("thead th").all_text_contents()
    chats_column = headers.index("Chats")
    rows = await table.locator("tbody tr").evaluate_all(
        "rows => rows.map((r) => [...r.cells].map((c) => c.textContent.trim()))"
    )
    assert len(rows) == 14
    assert bars == [f"{row[0]}, Chats: {row[chats_column]}" for row in rows]
    assert any(row[chats_column] != "0" for row in rows)
    # A bar leads to the conversations it counts.
    first_bar = chart.get_by_role("link").first
    href = await first_bar.get_attribute("href")
    assert href.startswith("/admin/livechat/conversation/?")
    assert f"fact__day__gte={FIRST_DAY.isoformat()}" in href
    assert "fact__department_key=" in href
    await assert_accessible(page, "#content", "the service report")
    await doc_screenshot(page, "reports-service.png", full_page=True)

    await reports.get_by_role("link", name="Demand and staffing").click()
    heatmap = page.get_by_role("group", name="Chat requests and offline messages")
    await expect(heatmap).to_be_visible()
    # Saturday evenings: shoppers ask, nobody is online.
    saturday = page.get_by_role("table", name="Agents online, on average").get_by_role(
        "row", name=re.compile("^Saturday")
    )
    await expect(saturday.get_by_role("cell").nth(20)).to_have_text("0")
    # One heatmap and its table: the other three are drawn the same way.
    await assert_accessible(
        page, "section[aria-labelledby='table-requests']", "the demand heatmap"
    )
    await doc_screenshot(page, "reports-demand.png", full_page=True)
