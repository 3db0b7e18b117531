"""A screenshot and a PDF from the shopper: shown, delivered, and kept private."""

import re

import pytest
from PIL import Image, ImageDraw
from playwright.async_api import expect

from .shopper import Agent, open_panel, send, start_chat, token

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(60),
]


def _screenshot_png(path):
    image = Image.new("RGB", (640, 400), "#f4f1ea")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 600, 120), fill="#1f5fbf")
    draw.rectangle((40, 160, 400, 360), outline="#b00020", width=6)
    image.save(path, "PNG")
    return path


def _receipt_pdf(path):
    Image.new("RGB", (200, 280), "white").save(path, "PDF")
    return path


async def test_shopper_sends_a_screenshot_and_a_pdf(
    widget_context, widget_shop, tmp_path
):
    marker = token()
    png = _screenshot_png(tmp_path / "screenshot.png")
    pdf = _receipt_pdf(tmp_path / "receipt.pdf")
    async with Agent(widget_shop) as agent:
        shopper = await widget_context()
        page = await shopper.new_page()
        await page.goto("/")
        widget = await open_panel(page)
        await start_chat(widget, f"ivan-{marker}@example.com")
        await send(widget, f"The payment page shows an error ({marker})")
        summary = await agent.conversation_with(marker)

        async with page.expect_file_chooser() as chooser_info:
            await widget.get_by_role("button", name="Attach a file").click()
        chooser = await chooser_info.value
        await chooser.set_files([png, pdf])

        chat_log = widget.get_by_role("log")
        thumbnail = chat_log.get_by_role("img", name="screenshot.png")
        await expect(thumbnail).to_be_visible()
        await expect(thumbnail).to_have_attribute("src", re.compile(r"\?thumb=1$"))
        # Loaded, and the thumbnail (320 px edge), not the full picture.
        await expect(thumbnail).to_have_js_property("naturalWidth", 320)
        await expect(
            chat_log.get_by_role("link", name=re.compile(r"^receipt\.pdf \(\d+ kB\)$"))
        ).to_be_visible()

        await agent.socket.send(type="open", conversation=summary["id"])
        messages = await agent.socket.replay(summary["id"])
    files = {
        m["attachment"]["name"]: m["attachment"] for m in messages if m["attachment"]
    }
    assert set(files) == {"screenshot.png", "receipt.pdf"}, messages
    assert files["screenshot.png"]["content_type"] == "image/png"
    assert (files["screenshot.png"]["width"], files["screenshot.png"]["height"]) == (
        640,
        400,
    )
    assert files["receipt.pdf"]["content_type"] == "application/pdf"
    assert files["receipt.pdf"]["size"] == pdf.stat().st_size

    # The shopper's own session gets the files...
    image = await shopper.request.get(files["screenshot.png"]["url"])
    assert image.status == 200
    assert image.headers["content-type"] == "image/png"
    assert (await image.body()).startswith(b"\x89PNG")
    document = await shopper.request.get(files["receipt.pdf"]["url"])
    assert document.status == 200
    assert document.headers["content-disposition"].startswith("attachment")
    assert await document.body() == pdf.read_bytes()

    # ...another browser gets nothing, not even a hint that they exist.
    stranger = await widget_context()
    await (await stranger.new_page()).goto("/")
    for attachment in files.values():
        for url in (attachment["url"], attachment["thumbnail"]):
            if url:
                assert (await stranger.request.get(url)).status == 404, url
