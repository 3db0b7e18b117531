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


def _png_bytes():
    from io import BytesIO

    image = Image.new("RGB", (120, 80), "#1f5fbf")
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# A paste of a picture: the clipboard's file, as Chromium hands it to the page.
PASTE = """(input, bytes) => {
  const data = new DataTransfer();
  data.items.add(new File([new Uint8Array(bytes)], "image.png", {type: "image/png"}));
  const options = {clipboardData: data, bubbles: true, cancelable: true};
  input.dispatchEvent(new ClipboardEvent("paste", options));
}"""


async def test_a_pasted_picture_is_uploaded(widget_context, widget_shop):
    marker = token()
    async with Agent(widget_shop) as agent:
        page = await (await widget_context()).new_page()
        await page.goto("/")
        widget = await open_panel(page)
        composer = await start_chat(widget, f"paste-{marker}@example.com")
        await send(widget, f"Look at this ({marker})")
        summary = await agent.conversation_with(marker)
        await composer.evaluate(PASTE, list(_png_bytes()))
        picture = widget.get_by_role("log").get_by_role("img", name="image.png")
        await expect(picture).to_be_visible()
        await agent.socket.send(type="open", conversation=summary["id"])
        messages = await agent.socket.replay(summary["id"])
    assert [m["attachment"]["content_type"] for m in messages if m["attachment"]] == [
        "image/png"
    ]


async def test_a_refused_file_can_be_removed_or_retried(
    widget_context, widget_shop, tmp_path
):
    marker = token()
    fake = tmp_path / "fake-exe.png"
    fake.write_bytes(b"MZ\x90\x00" + b"\x00" * 200)
    async with Agent(widget_shop) as agent:
        page = await (await widget_context()).new_page()
        await page.goto("/")
        widget = await open_panel(page)
        await start_chat(widget, f"refused-{marker}@example.com")
        await send(widget, f"Here is my file ({marker})")
        await agent.conversation_with(marker)
        async with page.expect_file_chooser() as chooser_info:
            await widget.get_by_role("button", name="Attach a file").click()
        await (await chooser_info.value).set_files(fake)

        log = widget.get_by_role("log")
        failed = log.locator(".lc-failed").filter(has_text="fake-exe.png")
        await expect(failed.get_by_role("alert")).to_be_visible()
        retry = failed.get_by_role("button", name="Retry")
        remove = failed.get_by_role("button", name="Remove")
        await expect(retry).to_be_visible()
        await expect(remove).to_be_visible()

        # Retrying sends the same file again: refused again, still removable.
        uploads = []
        page.on(
            "request",
            lambda r: uploads.append(r.url) if r.method == "POST" else None,
        )
        await retry.click()
        await expect(failed.get_by_role("button", name="Remove")).to_be_visible()
        assert len(uploads) == 1
        await failed.get_by_role("button", name="Remove").click()
        await expect(log.get_by_text("fake-exe.png")).to_have_count(0)
        await expect(
            widget.get_by_role("textbox", name="Type your message")
        ).to_be_focused()
