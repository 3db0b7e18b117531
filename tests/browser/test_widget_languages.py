"""Every language of the shop, and a right-to-left layout.

The shopper picks the language in the shop's footer (Django's set_language);
the expected texts come from livechat's own catalogs, so the test follows
the translators rather than copying their words.
"""

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.async_api import expect

from .shopper import (
    TITLE,
    doc_screenshot,
    launcher,
    wait_for_availability,
    widget_corner,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(60),
]

NAMES = {"es": "Español", "ru": "Русский", "zh-hans": "简体中文"}


def _strings(language):
    english = ["Open chat", "Leave a message", "Leave us a message", "Close chat"]
    english += ["Send message", "Message"]
    with translation.override(language):
        return {text: gettext(text) for text in english}


@pytest.mark.parametrize("language", ["es", "ru", "zh-hans"])
async def test_widget_speaks_the_shoppers_language(
    widget_context, widget_shop, language
):
    t = _strings(language)
    assert t["Open chat"] != "Open chat", f"no {language} catalog"
    await wait_for_availability(widget_shop, False)
    page = await (await widget_context()).new_page()
    await page.goto("/")
    await page.get_by_label("Language").select_option(NAMES[language])
    await page.get_by_role("button", name="Change language").click()
    await expect(page.locator("html")).to_have_attribute("lang", language)

    button = launcher(page, t["Open chat"])
    await expect(button).to_have_accessible_name(
        f"{t['Open chat']}, {t['Leave a message']}"
    )
    await button.click()
    widget = page.get_by_role("dialog")
    await expect(widget).to_be_visible()
    await expect(
        widget.get_by_role("heading", name=t["Leave us a message"])
    ).to_be_visible()
    await expect(widget.get_by_role("button", name=t["Close chat"])).to_be_visible()
    await expect(widget.get_by_role("button", name=t["Send message"])).to_be_visible()
    await expect(widget.get_by_role("textbox", name=t["Message"])).to_be_visible()
    if language == "es":
        await doc_screenshot(page, "widget-es.png", clip=widget_corner(page))
    # The panel's title (its accessible name) too, not the English one.
    title = await widget.get_attribute("aria-label")
    assert title and title != TITLE, f"the panel title is {title!r} in {language}"


async def test_widget_mirrors_for_right_to_left(widget_context):
    page = await (await widget_context()).new_page()
    width = page.viewport_size["width"]
    await page.goto("/")
    button = launcher(page)
    await expect(button).to_be_visible()
    box = await button.bounding_box()
    assert abs(width - (box["x"] + box["width"]) - 20) <= 1, box

    # No right-to-left language in LANGUAGES: set the direction the template
    # would render for one. Logical properties put everything on the left.
    await page.evaluate("document.getElementById('livechat').dir = 'rtl'")
    box = await button.bounding_box()
    assert abs(box["x"] - 20) <= 1, box
    await button.click()
    widget = page.get_by_role("dialog")
    await expect(widget).to_be_visible()
    panel_box = await widget.bounding_box()
    assert abs(panel_box["x"] - 20) <= 1, panel_box
    # The close button sits at the inline end: the left in right-to-left.
    close = await widget.get_by_role("button", name="Close chat").bounding_box()
    assert close["x"] < panel_box["x"] + panel_box["width"] / 2, close
    assert await widget.evaluate("e => getComputedStyle(e).textAlign") in {
        "start",
        "right",
    }
