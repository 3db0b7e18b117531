"""Hostile text stays text: XSS payloads in every field a shopper or agent fills.

The payloads set ``window.__xss`` (or open a dialog) if they ever run. They go
through the real widget and console (and over the sockets and the upload
endpoint, for the admin's records) into every page that shows them: the
shopper's widget, the agent console and the Django admin. Each page must show
the payload literally (rendered as text, not dropped), have no ``__xss``, no
dialog, no element with an injected handler or ``javascript:`` link.
"""

import asyncio
import io
import re
import secrets

import pytest
from PIL import Image
from playwright.async_api import expect
from websockets.asyncio.client import connect

from tests.e2e.clients import (
    RECEIVE_TIMEOUT,
    Socket,
    client_id,
    http_session,
    visitor_token,
)
from tests.e2e.live import run_manage

from .shopper import (
    ONLINE,
    Agent,
    launcher,
    log_in,
    open_panel,
    send,
    start_chat,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(60),
]

IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=1</script>"
SVG = '"><svg onload=window.__xss=1>'
JS_URL = "javascript:window.__xss=1"
PAYLOADS = (IMG, SCRIPT, SVG, JS_URL)

# A hostile name, and an email Django's validator accepts (a quoted local part).
NAME = f"{SVG}{IMG}"
USER_AGENT = f"{IMG} Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0"

# Hostile file names and what livechat.attachments.clean_file_name keeps of
# them ("<>:" become "_"); still shown, still inert.
FILE_NAMES = {
    "<img src=x onerror=window.__xss=1>.png": "_img src=x onerror=window.__xss=1_.png",
    "'><svg onload=window.__xss=1>.png": "'__svg onload=window.__xss=1_.png",
}

# One saved reply with a hostile title and body, made as a store would.
CANNED_MARK = secrets.token_hex(3)
CANNED_SHORTCUT = f"xss{CANNED_MARK}"
CANNED_TITLE = f"{SVG} Hostile reply {CANNED_MARK}"
CANNED_TEXT = f"{SCRIPT}{IMG} ({CANNED_MARK})"
CANNED_BODY = "Hi {visitor_name}, " + CANNED_TEXT
CANNED_SETUP = f"""
from livechat.models import CannedReply
CannedReply.objects.update_or_create(
    shortcut={CANNED_SHORTCUT!r}, language="",
    defaults={{"title": {CANNED_TITLE!r}, "body": {CANNED_BODY!r}}})
"""
CANNED_TEARDOWN = f"""
from livechat.models import CannedReply
CannedReply.objects.filter(shortcut={CANNED_SHORTCUT!r}).delete()
"""

CONSOLE = "/admin/livechat/liveconsole/"
ALICE = ("agent", "agent-demo-pass")
BOB = ("agent2", "agent2-demo-pass")
CUSTOMER = ("customer", "customer-demo-pass")
CUSTOMER_NAME, CUSTOMER_EMAIL = "Carla Díaz", "carla@example.com"  # seed_demo

# Run in each page: what a payload that ran, or could run, leaves behind.
FIND_INJECTIONS = """() => {
  const found = [];
  const urlAttributes = ["href", "src", "action", "formaction", "xlink:href", "srcdoc"];
  for (const e of document.querySelectorAll("*")) {
    for (const a of e.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith("on") && a.value.includes("__xss")) {
        found.push(`<${e.localName} ${name}="${a.value}">`);
      }
      if (urlAttributes.includes(name) && /^\\s*javascript:/i.test(a.value)) {
        found.push(`<${e.localName} ${name}="${a.value}">`);
      }
    }
    const type = (e.getAttribute("type") || "").toLowerCase();
    const runs = type === "" || /javascript|module|ecmascript/.test(type);
    if (e.localName == "script" && runs && e.textContent.includes("__xss")) {
      found.push(`<script>${e.textContent}</script>`);
    }
  }
  const xss = typeof window.__xss === "undefined" ? null : String(window.__xss);
  return { xss, found };
}"""


def marker():
    return secrets.token_hex(3)


def hostile_email(mark):
    return f'"\\"><svg/onload=window.__xss=1>"@x-{mark}.example.com'


def png():
    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), "#1f5fbf").save(buffer, "PNG")
    return buffer.getvalue()


class Watch:
    """Dialogs and uncaught errors of every page opened through it."""

    def __init__(self):
        self.dialogs, self.errors = [], []

    async def page(self, context):
        page = await context.new_page()

        def on_dialog(dialog):
            self.dialogs.append(f"{page.url}: {dialog.type}({dialog.message!r})")
            asyncio.ensure_future(dialog.dismiss())

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        return page

    async def assert_clean(self, page, where):
        """No payload ran or sits ready to run in ``page``; no dialog anywhere."""
        # Give an image's onerror (a failed load of "x") time to fire.
        await page.wait_for_timeout(150)
        result = await page.evaluate(FIND_INJECTIONS)
        assert result["xss"] is None, f"{where}: a payload ran (window.__xss set)"
        assert result["found"] == [], f"{where}: injected markup: {result['found']}"
        assert self.dialogs == [], f"a payload opened a dialog: {self.dialogs}"
        assert self.errors == [], f"errors in the pages: {self.errors}"


@pytest.fixture(scope="module")
def hostile_canned_reply(live_shop):
    """The store saved a reply whose title and body are payloads.

    Deleted afterwards: the shop is shared, and other tests count the replies
    the console offers.
    """
    run_manage(live_shop.env, "shell", "-c", CANNED_SETUP)
    yield
    run_manage(live_shop.env, "shell", "-c", CANNED_TEARDOWN)


async def _log_in(page, username, password):
    await page.goto("/admin/login/")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(re.compile(r"/admin/$"))


async def _console(watch, context, credentials):
    page = await watch.page(context)
    await _log_in(page, *credentials)
    await page.goto(CONSOLE)
    # The welcome frame enables the alert switches (agents and supervisors).
    await expect(page.get_by_role("checkbox", name="Sound")).to_be_enabled()
    return page


def _entry(page, text):
    inbox = page.get_by_role("navigation", name="Inbox")
    return inbox.get_by_role("button", name=re.compile(re.escape(text)))


async def _open_hostile_socket(shop, token, cookies=None, **hello):
    """The shopper's visitor, over a socket whose User-Agent is a payload."""
    connection = await connect(
        shop.ws_url + "/ws/livechat/visitor/",
        origin=shop.origin,
        additional_headers={"Cookie": cookies} if cookies else None,
        user_agent_header=USER_AGENT,
        proxy=None,
        open_timeout=RECEIVE_TIMEOUT,
        close_timeout=2,
        ping_interval=None,
    )
    socket = Socket(connection)
    await socket.send(type="hello", v=1, token=token, **hello)
    socket.welcome = await socket.expect("welcome")
    return socket


async def _set_topic(page, conversation, topic):
    """Edit the conversation's topic in the admin, and see it saved."""
    await page.goto(f"/admin/livechat/conversation/{conversation}/change/")
    await page.get_by_label("Topic").fill(topic)
    await page.get_by_role("button", name="Save and continue editing").click()
    await expect(page.locator(".messagelist")).to_contain_text("changed successfully")
    await expect(page.get_by_label("Topic")).to_have_value(topic)


# The live pages: widget and console ---------------------------------------------


async def test_payloads_stay_text_in_the_widget_and_the_console(
    new_context, live_shop, hostile_canned_reply
):
    mark = marker()
    email = hostile_email(mark)
    topic = f"{IMG} {mark}"
    shopper_says = [f"{payload} ({mark})" for payload in PAYLOADS]
    agent_says = [f"{IMG} {JS_URL} ({mark})", f"{SCRIPT}{SVG} ({mark})"]
    note = f"{IMG}{SCRIPT} internal note ({mark})"
    handover = f"{SVG}{IMG} handover ({mark})"
    comment = f"{SCRIPT}{IMG} comment ({mark})"
    watch = Watch()

    bob = await _console(watch, await new_context(), BOB)
    alice_context = await new_context()
    alice = await _console(watch, alice_context, ALICE)

    # The shopper: a hostile name in the pre-chat form, then hostile messages.
    shopper = await watch.page(await new_context())
    await shopper.goto("/")
    await expect(launcher(shopper)).to_have_accessible_name(f"Open chat, {ONLINE}")
    widget = await open_panel(shopper)
    await start_chat(widget, f"shopper-{mark}@example.com", name=NAME)
    for text in shopper_says:
        await send(widget, text)
    widget_log = widget.get_by_role("log")
    # A sent message shows at once; the conversation is known once it is acked.
    for _ in range(50):
        conversation = await shopper.evaluate("window.livechat.state().conv")
        if conversation is not None:
            break
        await shopper.wait_for_timeout(100)
    assert isinstance(conversation, int)

    # Over the socket, as a script would: a hostile email (the browser's own
    # validation would stop it), page URL and User-Agent.
    token = await shopper.locator("#livechat").get_attribute("data-token")
    side = await _open_hostile_socket(live_shop, token, page=JS_URL)
    try:
        await side.send(type="profile", email=email)
        profile = await side.expect("profile")
        assert profile["visitor"]["email"] == email
    finally:
        await side.close()
    # And a hostile topic, typed in the admin by an agent.
    alice_admin = await watch.page(alice_context)
    await _set_topic(alice_admin, conversation, topic)
    await watch.assert_clean(alice_admin, "admin after saving the topic")
    await alice_admin.close()

    # The inbox entry, the transcript and the context panel.
    entry = _entry(alice, f"({mark})")
    await expect(entry).to_contain_text(NAME)
    await expect(entry).to_contain_text(shopper_says[-1])
    await entry.click()
    panel = alice.get_by_role("tabpanel")
    log = panel.get_by_role("log")
    for text in shopper_says:
        await expect(log).to_contain_text(text)
    await panel.get_by_role("button", name="Claim").click()
    await expect(panel).to_contain_text("Active · Yours")
    aside = panel.get_by_role("complementary")
    for text in (NAME, email, JS_URL, topic):
        await expect(aside).to_contain_text(text)
    await watch.assert_clean(alice, "console: entry, transcript, context")

    # Replies the other way, typed and from the hostile saved reply.
    reply = panel.get_by_label("Reply")
    for text in agent_says:
        await reply.fill(text)
        await reply.press("Enter")
        await expect(log).to_contain_text(text)
    await reply.press_sequentially(f"/{CANNED_SHORTCUT}")
    options = panel.get_by_role("listbox", name="Saved replies")
    await expect(options.get_by_role("option")).to_have_count(1)
    await expect(options.get_by_role("option")).to_contain_text(CANNED_TITLE)
    await watch.assert_clean(alice, "console: saved replies picker")
    await reply.press("Enter")
    await expect(reply).to_have_value(re.compile(re.escape(CANNED_TEXT) + "$"))
    await reply.press("Enter")
    await expect(log).to_contain_text(CANNED_TEXT)
    for text in [*agent_says, CANNED_TEXT]:
        await expect(widget_log).to_contain_text(text)
    await watch.assert_clean(shopper, "widget: messages both ways")

    # Files with hostile names, through the widget's file input.
    await shopper.locator("#livechat input[type=file]").set_input_files(
        [
            {"name": name, "mimeType": "image/png", "buffer": png()}
            for name in FILE_NAMES
        ]
    )
    for shown in FILE_NAMES.values():
        await expect(
            widget_log.get_by_role("img", name=shown, exact=True)
        ).to_be_visible()
        await expect(log.get_by_role("img", name=shown, exact=True)).to_be_visible()
    await watch.assert_clean(shopper, "widget: attachments")
    await watch.assert_clean(alice, "console: attachments")

    # An internal note, then a transfer to Bob with a hostile note.
    await panel.get_by_role("button", name="Internal note").click()
    await panel.get_by_label("Internal note — only agents see this").fill(note)
    await panel.get_by_role("button", name="Add note").click()
    await expect(panel.get_by_role("listitem").filter(has_text=note)).to_be_visible()
    await panel.get_by_role("button", name="Transfer").click()
    dialog = alice.get_by_role("dialog", name=f"Transfer the chat with {NAME}")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("radio", name=re.compile("Bob from Support")).check()
    await dialog.get_by_label("Note for the next agent (optional)").fill(handover)
    await watch.assert_clean(alice, "console: transfer dialog")
    await dialog.get_by_role("button", name="Transfer").click()
    await expect(dialog).to_be_hidden()
    await expect(
        alice.get_by_text(f"The chat with {NAME} was transferred to Bob from Support.")
    ).to_be_visible()
    await watch.assert_clean(alice, "console: notes and transfer")

    await expect(
        bob.get_by_text(f"Alice from Support transferred a chat with {NAME} to you.")
    ).to_be_visible()
    await expect(bob.get_by_text(f"Note: “{handover}”")).to_be_visible()
    bob_panel = bob.get_by_role("tabpanel")
    bob_log = bob_panel.get_by_role("log")
    await expect(bob_log).to_contain_text(
        f"Transfer note from Alice from Support: {handover}"
    )
    await expect(bob_log).to_contain_text(note)
    await expect(bob_log).to_contain_text(shopper_says[0])
    await watch.assert_clean(bob, "console: transfer notice")

    # Bob ends the chat; the shopper rates it with a hostile comment.
    await bob_panel.get_by_role("button", name="Close conversation").click()
    closing = bob.get_by_role("dialog", name=f"Close the chat with {NAME}")
    await closing.get_by_role("button", name="Close conversation").click()
    await expect(closing).to_be_hidden()
    await expect(widget.get_by_role("heading", name="How did we do?")).to_be_visible()
    await widget.get_by_role("button", name="Good").click()
    await widget.get_by_role("textbox", name="Comment (optional)").fill(comment)
    await widget.get_by_role("button", name="Send rating").click()
    await expect(widget.get_by_text("Thanks for your feedback!")).to_be_visible()
    await expect(bob_panel).to_contain_text(f"“{comment}”")
    await watch.assert_clean(bob, "console: rating comment")
    await watch.assert_clean(shopper, "widget: rating")

    # A reload: the history from the tab's storage, the profile from the
    # server's welcome.
    await shopper.reload()
    widget = shopper.get_by_role("dialog", name="Corner Shop support")
    await expect(widget).to_be_visible()
    for text in [*shopper_says, *agent_says]:
        await expect(widget.get_by_role("log")).to_contain_text(text)
    await watch.assert_clean(shopper, "widget after a reload")
    assert handover not in await shopper.locator("body").inner_text()
    await watch.assert_clean(alice, "console at the end")


async def test_a_customers_hostile_profile_is_inert_in_the_page(new_context, live_shop):
    """A logged-in customer's name and email are rendered into every page
    (the widget's json_script config): a "</script>" must not end it."""
    mark = marker()
    name = f"</script>{SCRIPT}{IMG}"
    email = hostile_email(mark)
    watch = Watch()
    context = await new_context()
    page = await watch.page(context)
    await log_in(page, *CUSTOMER)
    await page.goto("/")
    token = await page.locator("#livechat").get_attribute("data-token")
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in await context.cookies())
    socket = await _open_hostile_socket(live_shop, token, cookies=cookies)
    try:
        await socket.send(type="profile", name=name, email=email)
        assert (await socket.expect("profile"))["visitor"]["name"] == name

        await page.reload()
        config = await page.evaluate(
            "JSON.parse(document.getElementById('livechat-config').textContent)"
        )
        assert config["visitor"] == {"name": name, "email": email}
        await expect(page.locator("#livechat")).to_be_attached()
        await watch.assert_clean(page, "shop page of a hostile customer")
    finally:
        # The shop is shared: give the demo customer her own name back.
        await socket.send(type="profile", name=CUSTOMER_NAME, email=CUSTOMER_EMAIL)
        await socket.expect("profile")
        await socket.close()


# The admin's records ---------------------------------------------------------------


async def _hostile_records(shop, mark):
    """A finished chat full of payloads, made over the sockets and the upload
    endpoint as a scripted client would. Returns the conversation's id and
    the ids of the shopper's messages."""
    email = hostile_email(mark)
    session = http_session()
    token = visitor_token(shop, session)
    async with Agent(shop) as alice, Agent(shop, *BOB) as bob:
        visitor = await _open_hostile_socket(shop, token, page=JS_URL)
        try:
            await visitor.send(type="profile", name=NAME, email=email)
            await visitor.expect("profile")
            acks = [await visitor.post(f"{payload} ({mark})") for payload in PAYLOADS]
            conversation = acks[0]["conversation"]
            for name in FILE_NAMES:
                response = await asyncio.to_thread(
                    session.post,
                    shop.url("/livechat/attachments/"),
                    data={"client_id": client_id(), "token": token},
                    files={"file": (name, png(), "image/png")},
                    headers={"X-CSRFToken": session.cookies["csrftoken"]},
                    timeout=10,
                )
                assert response.status_code == 201, response.text
            await alice.reply(conversation, f"{SCRIPT} agent reply ({mark})")
            await alice.socket.send(
                type="note",
                conversation=conversation,
                client_id=client_id(),
                body=f"{IMG} note ({mark})",
            )
            await alice.socket.expect("note_ack")
            await alice.socket.send(
                type="transfer",
                conversation=conversation,
                agent=bob.welcome["agent"]["id"],
                note=f"{SVG} handover ({mark})",
            )
            await alice.socket.expect("transfer_done")
            await bob.socket.send(type="close", conversation=conversation)
            await visitor.expect_where(
                lambda f: (
                    f["type"] == "conversation"
                    and f["conversation"]["status"] == "closed"
                ),
                what="the close",
            )
            await visitor.send(
                type="rate",
                conversation=conversation,
                rating="bad",
                comment=f"{SCRIPT}{IMG} comment ({mark})",
            )
            await visitor.expect("rated")
        finally:
            await visitor.close()
    return conversation, [ack["id"] for ack in acks]


async def test_payloads_stay_text_in_the_admin(
    new_context, live_shop, hostile_canned_reply
):
    mark = marker()
    email = hostile_email(mark)
    topic = f"{SVG} {mark}"
    bodies = [f"{payload} ({mark})" for payload in PAYLOADS]
    conversation, message_ids = await _hostile_records(live_shop, mark)
    watch = Watch()
    # Alice: an agent, who may view and change livechat's records.
    page = await watch.page(await new_context())
    await _log_in(page, *ALICE)

    # The conversation's page: transcript, visitor, rating, and the success
    # message of an edit (it names the conversation, hence the visitor).
    await _set_topic(page, conversation, topic)
    await expect(page.locator(".messagelist")).to_contain_text(NAME)
    content = page.locator("#content")
    for text in [
        *bodies,
        f"{SCRIPT} agent reply ({mark})",
        *FILE_NAMES.values(),
        NAME,
        email,
        f"{SCRIPT}{IMG} comment ({mark})",
    ]:
        await expect(content).to_contain_text(text)
    await watch.assert_clean(page, "admin: conversation page")

    await page.goto(f"/admin/livechat/conversation/?q={conversation}")
    await expect(page.locator("#result_list")).to_contain_text(NAME)
    await expect(page.locator("#result_list")).to_contain_text(topic)
    await watch.assert_clean(page, "admin: conversation list")

    # Recent actions on the admin's home page name the edited conversation.
    await page.goto("/admin/")
    await expect(page.locator("#recent-actions-module")).to_contain_text(NAME)
    await watch.assert_clean(page, "admin: recent actions")

    await page.goto(f"/admin/livechat/visitor/?q={mark}")
    results = page.locator("#result_list")
    await expect(results).to_contain_text(NAME)
    await expect(results).to_contain_text(email)
    await expect(results).to_contain_text(JS_URL)
    await watch.assert_clean(page, "admin: visitor list")
    await results.get_by_role("link", name=NAME).click()
    await expect(page.locator("#id_name")).to_have_value(NAME)
    await expect(page.locator("#content")).to_contain_text(USER_AGENT)
    await watch.assert_clean(page, "admin: visitor page")

    await page.goto(f"/admin/livechat/message/?q={mark}")
    results = page.locator("#result_list")
    for text in bodies:
        await expect(results).to_contain_text(text)
    await watch.assert_clean(page, "admin: message list")
    for message_id, body in zip(message_ids, bodies, strict=True):
        await page.goto(f"/admin/livechat/message/{message_id}/change/")
        await expect(page.locator("#content")).to_contain_text(body)
        await watch.assert_clean(page, f"admin: page of message {body!r}")

    await page.goto(f"/admin/livechat/attachment/?q={conversation}")
    results = page.locator("#result_list")
    for shown in FILE_NAMES.values():
        await expect(results).to_contain_text(shown)
    await watch.assert_clean(page, "admin: attachment list")
    shown = next(iter(FILE_NAMES.values()))
    await results.get_by_role("link", name=shown).click()
    await expect(page.get_by_role("link", name=shown, exact=True)).to_be_visible()
    await watch.assert_clean(page, "admin: attachment page")

    await page.goto(f"/admin/livechat/cannedreply/?q={CANNED_SHORTCUT}")
    await expect(page.locator("#result_list")).to_contain_text(CANNED_TITLE)
    await watch.assert_clean(page, "admin: saved replies list")
    await page.locator("#result_list").get_by_role("link", name=CANNED_SHORTCUT).click()
    await expect(page.get_by_label("Title")).to_have_value(CANNED_TITLE)
    await expect(page.get_by_label("Body")).to_have_value(
        re.compile(re.escape(CANNED_TEXT))
    )
    await watch.assert_clean(page, "admin: saved reply page")
