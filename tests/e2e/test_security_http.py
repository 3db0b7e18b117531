"""Who may see and do what, over real HTTP and WebSockets against the live shop.

Each refusal is checked next to the request that is allowed, so a test cannot
pass because the allowed path is broken too (a 404 for everyone proves
nothing).
"""

import asyncio
import io
import secrets
import time
import uuid

import pytest
from django.core import signing
from PIL import Image
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from .clients import (
    AGENT,
    HTTP_TIMEOUT,
    RECEIVE_TIMEOUT,
    VISITOR,
    Socket,
    client_id,
    cookie_header,
    http_session,
    visitor_token,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

UPLOAD = "/livechat/attachments/"
CONSOLE = "/admin/livechat/liveconsole/"
API = "/livechat/api/v1/conversations/"
TOKEN_SALT = "livechat.visitor"  # livechat/tokens.py
CUSTOMER = ("customer", "customer-demo-pass")


# Helpers ------------------------------------------------------------------------


def _png(size=(8, 8)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "#1f5fbf").save(buffer, "PNG")
    return buffer.getvalue()


def _log_in_customer(shop):
    """A requests.Session of the demo customer, logged in on the shop's form."""
    session = http_session()
    login = shop.url("/accounts/login/")
    session.get(login, timeout=HTTP_TIMEOUT).raise_for_status()
    response = session.post(
        login,
        data={
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "username": CUSTOMER[0],
            "password": CUSTOMER[1],
        },
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 302 and "sessionid" in session.cookies, (
        f"customer login failed: HTTP {response.status_code}"
    )
    return session


def _upload(shop, session, token, name, data, content_type="image/png", csrf=True):
    headers = {}
    if csrf is True:
        headers["X-CSRFToken"] = session.cookies["csrftoken"]
    elif csrf:
        headers["X-CSRFToken"] = csrf
    return session.post(
        shop.url(UPLOAD),
        data={"client_id": client_id(), "token": token},
        files={"file": (name, data, content_type)},
        headers=headers,
        timeout=HTTP_TIMEOUT,
    )


def _shop_secret_key(shop):
    """SECRET_KEY of the shop, read as example_shop/settings.py reads it."""
    from example_shop.settings import DEMO_SECRET_KEY

    return shop.env.get("DJANGO_SECRET_KEY") or DEMO_SECRET_KEY


class _SignerAt(signing.TimestampSigner):
    """A TimestampSigner whose clock says ``at`` (seconds since the epoch)."""

    def __init__(self, *args, at, **kwargs):
        super().__init__(*args, **kwargs)
        self.at = at

    def timestamp(self):
        return signing.b62_encode(int(self.at))


def _mint_token(shop, key, at=None, salt=TOKEN_SALT):
    """A visitor token signed with the shop's key, dated ``at`` (default now)."""
    signer = _SignerAt(
        key=_shop_secret_key(shop),
        salt=salt,
        fallback_keys=[],
        at=time.time() if at is None else at,
    )
    return signer.sign_object(str(key), compress=False)


async def _hello_close_code(shop, sockets, token, cookies=None):
    """Say hello with ``token``; return (error frame, close code)."""
    socket = await Socket.open(shop, VISITOR, cookies=cookies)
    sockets.append(socket)
    await socket.send(type="hello", v=1, token=token)
    error = await socket.expect("error")
    return error, await socket.close_code()


async def _visitor_conversation(open_visitor, body):
    """A fresh visitor who sent ``body``: (socket, conversation id)."""
    visitor = await open_visitor()
    ack = await visitor.post(body)
    return visitor, ack["conversation"]


def _api_summary(shop, agent_http, conversation):
    response = agent_http.get(shop.url(f"{API}{conversation}/"), timeout=HTTP_TIMEOUT)
    response.raise_for_status()
    return response.json()


def _api_messages(shop, agent_http, conversation):
    response = agent_http.get(
        shop.url(f"{API}{conversation}/messages/"), timeout=HTTP_TIMEOUT
    )
    response.raise_for_status()
    return response.json()["messages"]


async def _attachment_of(shop, agent_http, conversation):
    messages = await asyncio.to_thread(_api_messages, shop, agent_http, conversation)
    files = [m["attachment"] for m in messages if m.get("attachment")]
    assert files, f"no attachment in {messages}"
    return files[-1]


# (a) Attachments are private --------------------------------------------------------


async def test_a_visitor_cannot_read_another_visitors_attachment(
    live_shop, open_visitor, agent_http
):
    marker = secrets.token_hex(4)
    owner, conversation = await _visitor_conversation(
        open_visitor, f"Here is my receipt ({marker})"
    )
    uploaded = _upload(live_shop, owner.session, owner.token, "receipt.png", _png())
    assert uploaded.status_code == 201, uploaded.text
    attachment = await _attachment_of(live_shop, agent_http, conversation)
    urls = [attachment["url"], attachment["thumbnail"]]
    assert all(urls), attachment

    # The owner's browser and the agents get the file...
    for url in urls:
        mine = owner.session.get(live_shop.url(url), timeout=HTTP_TIMEOUT)
        assert mine.status_code == 200, url
        assert mine.content.startswith(b"\x89PNG")
        assert agent_http.get(live_shop.url(url), timeout=HTTP_TIMEOUT).ok

    # ...another shopper (with a widget and a chat of their own), a browser with
    # no session at all and a logged-in customer get the "no such file" 404.
    stranger = await open_visitor()
    await stranger.post(f"Me too ({marker})")
    outsiders = {
        "another visitor": stranger.session,
        "no session": http_session(),
        "a logged-in customer": _log_in_customer(live_shop),
    }
    missing = f"/livechat/attachments/{uuid.uuid4()}/"
    for who, session in outsiders.items():
        for url in [*urls, missing]:
            response = session.get(live_shop.url(url), timeout=HTTP_TIMEOUT)
            assert response.status_code == 404, f"{who} got {url}: {response}"
            assert b"\x89PNG" not in response.content


# (b) The console and the API are for agents only ---------------------------------


def _assert_refused(response, what, secret):
    """A redirect to a login page or a 401/403; never the data."""
    if response.status_code in (301, 302):
        location = response.headers["Location"]
        assert "/login/" in location, f"{what} redirected to {location}"
    else:
        assert response.status_code in (401, 403), (
            f"{what}: HTTP {response.status_code}: {response.text[:300]}"
        )
    assert secret not in response.text, f"{what} leaked the chat"


async def test_console_and_api_refuse_anonymous_users_and_customers(
    live_shop, open_visitor, agent_http
):
    marker = secrets.token_hex(4)
    secret = f"My address is 1 Secret Lane ({marker})"
    visitor, conversation = await _visitor_conversation(open_visitor, secret)
    detail = f"{API}{conversation}/"
    reads = [CONSOLE, API, f"{API}?status=waiting", detail, f"{detail}messages/"]

    # The agent does see it: the refusals below are about who asks.
    agent_view = agent_http.get(live_shop.url(f"{detail}messages/"))
    assert agent_view.status_code == 200 and secret in agent_view.text
    assert agent_http.get(live_shop.url(CONSOLE)).status_code == 200

    customer = _log_in_customer(live_shop)
    # A customer is a real user who may browse the shop...
    assert customer.get(live_shop.url("/"), timeout=HTTP_TIMEOUT).ok
    for who, session in {
        "anonymous": http_session(),
        "the shopper": visitor.session,
        "a customer": customer,
    }.items():
        for path in reads:
            response = session.get(
                live_shop.url(path), allow_redirects=False, timeout=HTTP_TIMEOUT
            )
            _assert_refused(response, f"GET {path} as {who}", secret)
        # Writes, with a valid CSRF token so that only authorisation can refuse.
        session.get(live_shop.url("/"), timeout=HTTP_TIMEOUT)
        headers = {"X-CSRFToken": session.cookies.get("csrftoken", "")}
        for path, body in (
            (f"{detail}messages/", {"client_id": client_id(), "body": "pwned"}),
            (f"{detail}close/", {}),
        ):
            response = session.post(
                live_shop.url(path),
                json=body,
                headers=headers,
                allow_redirects=False,
                timeout=HTTP_TIMEOUT,
            )
            _assert_refused(response, f"POST {path} as {who}", secret)

    summary = await asyncio.to_thread(_api_summary, live_shop, agent_http, conversation)
    assert summary["status"] == "waiting"
    assert summary["last_seq"] == 1


# (c) The agent socket refuses a customer ------------------------------------------


async def test_agent_socket_refuses_a_customers_session(live_shop, sockets):
    customer = _log_in_customer(live_shop)
    socket = await Socket.open(live_shop, AGENT, cookies=cookie_header(customer))
    sockets.append(socket)
    # Refused on connect, before any hello.
    error = await socket.expect("error")
    assert error["code"] == "forbidden"
    assert await socket.close_code() == 4403
    assert not [f for f in socket.pending if f["type"] == "welcome"], socket.pending


# (d) Uploads need the CSRF token ----------------------------------------------------


async def test_upload_without_csrf_token_is_refused(
    live_shop, open_visitor, agent_http
):
    visitor, conversation = await _visitor_conversation(
        open_visitor, f"A picture follows ({secrets.token_hex(4)})"
    )
    session, token = visitor.session, visitor.token
    assert "csrftoken" in session.cookies

    no_header = _upload(live_shop, session, token, "a.png", _png(), csrf=False)
    assert no_header.status_code == 403, no_header.text
    wrong = _upload(live_shop, session, token, "b.png", _png(), csrf="x" * 32)
    assert wrong.status_code == 403, wrong.text
    # Another site's form posts with the shopper's cookies but cannot read the
    # CSRF cookie: no header, and no cookie of its own either.
    cookieless = http_session()
    cookieless.cookies.set("sessionid", session.cookies["sessionid"])
    forged = _upload(live_shop, cookieless, token, "c.png", _png(), csrf=False)
    assert forged.status_code == 403, forged.text

    allowed = _upload(live_shop, session, token, "d.png", _png())
    assert allowed.status_code == 201, allowed.text
    messages = await asyncio.to_thread(
        _api_messages, live_shop, agent_http, conversation
    )
    names = [m["attachment"]["name"] for m in messages if m.get("attachment")]
    assert names == ["d.png"]


# (e) Foreign origins ------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://127.0.0.1.evil.example",
        "null",
    ],
)
@pytest.mark.parametrize("path", [VISITOR, AGENT])
async def test_websocket_from_a_foreign_origin_is_refused(
    live_shop, agent_http, origin, path
):
    # With the agent's cookies: cross-site WebSocket hijacking is the threat.
    with pytest.raises(InvalidStatus) as refused:
        await Socket.open(
            live_shop, path, origin=origin, cookies=cookie_header(agent_http)
        )
    assert refused.value.response.status_code == 403


async def test_websocket_without_origin_is_refused(live_shop, agent_http):
    with pytest.raises(InvalidStatus) as refused:
        await connect(
            live_shop.ws_url + AGENT,
            additional_headers={"Cookie": cookie_header(agent_http)},
            proxy=None,
            open_timeout=RECEIVE_TIMEOUT,
        )
    assert refused.value.response.status_code == 403


# (f) Visitor tokens ----------------------------------------------------------------


async def test_tampered_or_expired_visitor_tokens_are_refused(live_shop, sockets):
    session = http_session()
    real = visitor_token(live_shop, session)
    key = signing.loads(real, salt=TOKEN_SALT, key=_shop_secret_key(live_shop))
    # The key is right: a token minted now for this visitor is accepted...
    fresh = await Socket.open(live_shop, VISITOR)
    sockets.append(fresh)
    await fresh.send(type="hello", v=1, token=_mint_token(live_shop, key))
    await fresh.expect("welcome")

    value, _, signature = real.rpartition(":")
    other_key = str(uuid.uuid4())
    year = 365 * 24 * 3600
    refused = {
        "signature reversed": f"{value}:{signature[::-1]}",
        "another visitor's key, old signature": real.replace(
            real.split(":")[0], signing.b64_encode(f'"{other_key}"'.encode()).decode()
        ),
        "no signature": value,
        "empty": "",
        "not a string": 12345,
        "signed with another key": signing.dumps(
            str(key), key="not-the-shop-key", salt=TOKEN_SALT
        ),
        "signed for another purpose": _mint_token(live_shop, key, salt="other"),
        # ...but one dated long ago has expired (VISITOR_TOKEN_MAX_AGE is 90 days).
        "expired a year ago": _mint_token(live_shop, key, at=time.time() - year),
        "expired long ago": _mint_token(live_shop, key, at=1_000_000_000),
    }
    for what, token in refused.items():
        error, code = await _hello_close_code(live_shop, sockets, token)
        assert error["code"] == "auth_failed", what
        assert code == 4401, what


async def test_a_customers_token_is_refused_without_their_session(live_shop, sockets):
    customer = _log_in_customer(live_shop)
    token = visitor_token(live_shop, customer)
    # The customer's own browser is welcome...
    own = await Socket.open(live_shop, VISITOR, cookies=cookie_header(customer))
    sockets.append(own)
    await own.send(type="hello", v=1, token=token)
    await own.expect("welcome")
    # ...a copy of the token without the login is not.
    error, code = await _hello_close_code(live_shop, sockets, token)
    assert error["code"] == "forbidden"
    assert code == 4403
    anonymous = http_session()
    visitor_token(live_shop, anonymous)
    error, code = await _hello_close_code(
        live_shop, sockets, token, cookies=cookie_header(anonymous)
    )
    assert (error["code"], code) == ("forbidden", 4403)


# (g) Another visitor's conversation ------------------------------------------------


def _daphne_log(shop):
    return shop.log_path.read_text(errors="replace")


async def _wait_for_log(shop, text, timeout=5):
    deadline = time.monotonic() + timeout
    while text not in _daphne_log(shop):
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never appeared in the daphne log")
        await asyncio.sleep(0.1)


async def test_a_visitor_cannot_touch_another_visitors_conversation(
    live_shop, open_visitor, open_agent, agent_http
):
    marker = secrets.token_hex(4)
    owner, conversation = await _visitor_conversation(
        open_visitor, f"Private question ({marker})"
    )
    agent = await open_agent()
    await agent.post(f"Private answer ({marker})", conversation=conversation)
    await agent.send(type="close", conversation=conversation)
    await owner.expect_where(
        lambda f: (
            f["type"] == "conversation" and f["conversation"]["status"] == "closed"
        ),
        what="the close",
    )
    before = await asyncio.to_thread(_api_summary, live_shop, agent_http, conversation)
    assert before["rating"] is None

    intruder = await open_visitor()
    await intruder.post(f"Intruder's own chat ({marker})")
    stolen_to = f"intruder-{marker}@example.com"
    missing = conversation + 1_000_000
    for target in (conversation, missing):
        asks = [
            {"type": "fetch", "conversation": target, "after_seq": 0},
            {"type": "read", "conversation": target, "seq": 2},
            {"type": "rate", "conversation": target, "rating": "bad", "comment": "x"},
            {"type": "transcript", "conversation": target, "email": stolen_to},
        ]
        for ask in asks:
            await intruder.send(**ask)
            error = await intruder.expect("error")
            assert error["code"] == "forbidden", (ask, error)
    leaked = [
        f
        for f in await intruder.drain(0.5)
        if f["type"] in {"rated", "transcript_sent"}
        or f.get("conversation") == conversation
        or (f["type"] == "message" and f["message"]["conversation"] == conversation)
    ]
    assert not leaked, leaked
    # Errors never kill the connection.
    await intruder.send(type="ping")
    await intruder.expect("pong")

    # The owner may do all of it; the email shows in the shop's console backend.
    own_copy = f"owner-{marker}@example.com"
    await owner.send(type="transcript", conversation=conversation, email=own_copy)
    await owner.expect("transcript_sent", conversation=conversation)
    await _wait_for_log(live_shop, own_copy)
    assert stolen_to not in _daphne_log(live_shop)
    after = await asyncio.to_thread(_api_summary, live_shop, agent_http, conversation)
    assert after["rating"] is None
    assert after["rating_comment"] == ""
    assert after["visitor_read_seq"] == before["visitor_read_seq"]
    assert after["last_seq"] == before["last_seq"]


# (h) Downloads are never active content --------------------------------------------


def _pdf():
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, "PDF")
    return buffer.getvalue()


async def test_attachment_downloads_carry_security_headers(
    live_shop, open_visitor, agent_http
):
    visitor, conversation = await _visitor_conversation(
        open_visitor, f"Two files ({secrets.token_hex(4)})"
    )
    session, token = visitor.session, visitor.token
    assert _upload(live_shop, session, token, "photo.png", _png()).status_code == 201
    png = await _attachment_of(live_shop, agent_http, conversation)
    pdf_upload = _upload(
        live_shop, session, token, "order.pdf", _pdf(), "application/pdf"
    )
    assert pdf_upload.status_code == 201, pdf_upload.text
    pdf = await _attachment_of(live_shop, agent_http, conversation)
    assert pdf["content_type"] == "application/pdf"

    for url, kind in (
        (png["url"], "image/png"),
        (png["thumbnail"], "image/png"),
        (pdf["url"], "application/pdf"),
    ):
        for who, client in (("visitor", session), ("agent", agent_http)):
            response = client.get(live_shop.url(url), timeout=HTTP_TIMEOUT)
            assert response.status_code == 200, (who, url)
            headers = response.headers
            assert headers["Content-Type"] == kind, (who, url)
            assert headers["X-Content-Type-Options"] == "nosniff", (who, url)
            policy = [p.strip() for p in headers["Content-Security-Policy"].split(";")]
            assert "sandbox" in policy, (who, url, policy)
            assert "default-src 'none'" in policy, (who, url, policy)
            assert "private" in headers.get("Cache-Control", ""), (who, url)
    pdf_response = session.get(live_shop.url(pdf["url"]), timeout=HTTP_TIMEOUT)
    assert pdf_response.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "image/svg+xml",
        ),
        ("page.html", b"<html><script>alert(1)</script></html>", "text/html"),
        ("innocent.png", b"<html><script>alert(1)</script></html>", "image/png"),
        ("half.png", b"\x89PNG\r\n\x1a\n<script>alert(1)</script>", "image/png"),
    ],
)
async def test_active_content_is_never_stored(
    live_shop, open_visitor, agent_http, name, data, content_type
):
    visitor, conversation = await _visitor_conversation(
        open_visitor, f"Look at this ({secrets.token_hex(4)})"
    )
    response = _upload(
        live_shop, visitor.session, visitor.token, name, data, content_type
    )
    assert response.status_code == 400, response.text
    assert response.json()["code"] in {"bad_type", "bad_image"}
    messages = await asyncio.to_thread(
        _api_messages, live_shop, agent_http, conversation
    )
    assert [m for m in messages if m.get("attachment")] == []
