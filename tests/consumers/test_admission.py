"""Who may open a socket: the page's origin, socket caps, a customer's visitor."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from livechat.models import Visitor
from livechat.realtime.consumers import admission
from livechat.tokens import make_visitor_token

from ..conftest import Client, _application, new_token

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


def _scope(origin, host="127.0.0.1:8000", scheme="ws", **headers):
    raw = [(b"host", host.encode())]
    if origin is not None:
        raw.append((b"origin", origin.encode()))
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    return {"type": "websocket", "scheme": scheme, "headers": raw}


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:9999",
        "https://127.0.0.1",
        "http://127.0.0.1",
        "http://127.0.0.1:9000",
        "https://127.0.0.1:8000",
        "http://evil.example",
        "http://127.0.0.1:8000.evil.example",
        "null",
        "",
        None,
    ],
)
@override_settings(ALLOWED_HOSTS=["127.0.0.1", "localhost"])
def test_origins_of_other_sites_are_refused(origin):
    assert not admission.origin_allowed(_scope(origin))


@override_settings(ALLOWED_HOSTS=["127.0.0.1", "shop.example"])
def test_the_sites_own_origin_is_accepted():
    assert admission.origin_allowed(_scope("http://127.0.0.1:8000"))
    assert admission.origin_allowed(
        _scope("https://shop.example", host="shop.example", scheme="wss")
    )
    # The explicit default port is the default port.
    assert admission.origin_allowed(
        _scope("https://shop.example", host="shop.example:443", scheme="wss")
    )


@override_settings(ALLOWED_HOSTS=["shop.example"])
def test_a_host_outside_allowed_hosts_is_refused_even_if_origin_matches():
    assert not admission.origin_allowed(
        _scope("http://evil.example", host="evil.example")
    )


@override_settings(
    ALLOWED_HOSTS=["shop.example"],
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
)
def test_https_behind_a_proxy_is_known_by_the_proxy_header():
    scope = _scope(
        "https://shop.example", host="shop.example", x_forwarded_proto="https"
    )
    assert admission.origin_allowed(scope)
    assert not admission.origin_allowed(
        _scope("https://shop.example", host="shop.example")
    )


@override_settings(
    ALLOWED_HOSTS=["shop.example"],
    CSRF_TRUSTED_ORIGINS=["https://www.shop.example", "https://*.cdn.example"],
)
def test_csrf_trusted_origins_are_accepted():
    host = "shop.example"
    assert admission.origin_allowed(_scope("https://www.shop.example", host=host))
    assert admission.origin_allowed(_scope("https://eu.cdn.example", host=host))
    assert not admission.origin_allowed(_scope("http://eu.cdn.example", host=host))


async def test_a_foreign_origin_never_opens_a_socket():
    comm = WebsocketCommunicator(
        _application(),
        "/ws/livechat/visitor/",
        headers=[(b"host", b"testserver"), (b"origin", b"http://localhost:9999")],
    )
    connected, _code = await comm.connect(timeout=3)
    assert not connected


@override_settings(LIVECHAT_MAX_SOCKETS_PER_IP=3)
async def test_sockets_per_ip_are_capped_and_given_back():
    clients = [await Client("/ws/livechat/visitor/").connect() for _ in range(3)]
    extra = await Client("/ws/livechat/visitor/").connect()
    assert (await extra.receive())["code"] == "too_many_connections"
    assert await extra.closed_with() == 4429
    await clients[0].comm.disconnect()
    again = await Client("/ws/livechat/visitor/").connect()
    await again.send(type="ping")
    assert (await again.receive())["code"] == "hello_required"  # accepted
    for client in (*clients[1:], again):
        await client.comm.disconnect()
    assert not admission.sockets_per_ip.counts


@override_settings(LIVECHAT_MAX_SOCKETS_PER_VISITOR=2)
async def test_sockets_per_visitor_are_capped(visitor_client):
    _key, token = new_token()
    for _ in range(2):
        tab = await visitor_client(token=token)
        await tab.expect("welcome")
    extra = await visitor_client(token=token)
    assert (await extra.receive())["code"] == "too_many_connections"
    assert await extra.closed_with() == 4429
    other = await visitor_client()  # another visitor is not affected
    await other.expect("welcome")


async def test_another_customers_token_reads_and_changes_nothing(
    visitor_client, django_user_model
):
    ann = await db(django_user_model.objects.create_user)("ann", password="pw")
    ben = await db(django_user_model.objects.create_user)("ben", password="pw")
    visitor = await db(Visitor.objects.create)(user=ann, email="ann@example.com")
    token = make_visitor_token(visitor.key)

    mine = Client("/ws/livechat/visitor/", user=ann)
    await mine.connect()
    await mine.send(type="hello", v=1, token=token)
    await mine.expect("welcome")
    await mine.send(type="message", client_id="a1", body="My address is 1 Main St")
    conversation = (await mine.expect("ack"))["conversation"]

    theirs = Client("/ws/livechat/visitor/", user=ben)
    await theirs.connect()
    await theirs.send(type="hello", v=1, token=token, conversation=conversation)
    assert (await theirs.receive())["code"] == "forbidden"
    assert await theirs.closed_with() == 4403
    visitor = await db(Visitor.objects.get)(pk=visitor.pk)
    assert visitor.user_id == ann.pk and visitor.email == "ann@example.com"


async def test_an_anonymous_visitor_becomes_the_logged_in_customers(
    visitor_client, django_user_model
):
    ann = await db(django_user_model.objects.create_user)("ann", password="pw")
    key, token = new_token()
    client = Client("/ws/livechat/visitor/", user=ann)
    await client.connect()
    await client.send(type="hello", v=1, token=token)
    await client.expect("welcome")
    assert (await db(Visitor.objects.get)(key=key)).user_id == ann.pk
