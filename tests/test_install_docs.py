"""docs/installation.md, followed literally: a new project chats with context.

The test does what a newcomer does with the page: ``django-admin
startproject mysite`` in an empty directory, then every file of the sections
"A new project, step by step" and "Extending: the adapter" applied as its
caption says (whole file, or added to the end) and every command run, in the
page's order (``tests/docs_walk.py``). Then it starts the page's
``runserver`` and proves a working chat: the shop's page shows the widget
(its script served), a shopper's WebSocket sends a message, the agent the
page made (with the permission the page granted) gets it on the agents'
socket, and ``opened`` carries what the page's example adapter returns: the
cart in the shopper's session and the orders of their account.

What the test does that the page does not say, and why:

- ``pip install`` is not run: livechat is imported from this checkout
  (``PYTHONPATH``) with this environment's packages (tests/test_packaging.py
  checks what the built wheel ships).
- ``runserver`` gets a free port and ``--noreload`` (no file watcher on a
  shared machine).
- The Redis block ("with Redis") is applied when Redis answers (always in
  CI); its ``prefix`` gets a random suffix so two runs on one Redis never
  hear each other.
- The store's own part, which the page leaves to the store: a customer
  account, an order of theirs, their login and a cart in their session.
"""

import html
import json
import re
import shlex
from configparser import ConfigParser

import pytest

from .docs_walk import (
    CAPTION,
    DOCS,
    ROOT,
    WIDGET_TOKEN,
    Walk,
    admin_login,
    in_section,
    read_blocks,
    redis_blocks,
    unique_redis_prefix,
)
from .e2e.clients import AGENT, VISITOR, Socket, cookie_header, http_session

pytestmark = [pytest.mark.install, pytest.mark.timeout(300)]

PAGE = DOCS / "installation.md"
_SCRIPT = re.compile(r'<script type="module" src="([^"]*widget\.min\.js)"')

CUSTOMER = {"username": "ann", "first_name": "Ann", "last_name": "Lee"}
CART = [
    {"title": "Green tea", "quantity": 2, "price": "4.50"},
    {"title": "Honey", "quantity": 1, "price": "7.25"},
]

# The store's part: Ann's account and order, her login, her cart.
_STORE = """
import json
from importlib import import_module
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.models import User
from django.http import HttpRequest
from shop.models import Order
ann = User.objects.create_user(
    password="ann-pass", email="ann@example.com", **{customer}
)
Order.objects.create(user=ann, number="1042", status="Shipped", total="59.90")
request = HttpRequest()
request.session = import_module(settings.SESSION_ENGINE).SessionStore()
login(request, ann, backend="django.contrib.auth.backends.ModelBackend")
request.session["cart"] = json.loads({cart!r})
request.session.save()
print("SESSION=" + request.session.session_key)
"""


@pytest.fixture(scope="module")
def mysite(tmp_path_factory):
    """The page's project, made by following it, under its own runserver."""
    blocks = read_blocks(PAGE)
    walk = Walk(tmp_path_factory.mktemp("newcomer"))
    when = redis_blocks()
    walk.follow(
        in_section(blocks, "A new project, step by step")
        + in_section(blocks, "Extending: the adapter"),
        when=when,
        rewrite=unique_redis_prefix,
    )
    # Left out: the pip commands, and the Redis block only without Redis.
    assert [s for s in walk.skipped if not s.startswith("pip ")] == (
        [] if when else ["mysite/settings.py (add to the end, with Redis)"]
    )
    walk.server = walk.runserver()
    try:
        yield walk
    finally:
        walk.server.stop()


def test_install_commands_name_this_distribution():
    """The page's pip commands install this project's distribution and extra."""
    setup = ConfigParser()
    setup.read(ROOT / "setup.cfg")
    name = setup["metadata"]["name"]
    extras = setup["options.extras_require"]
    pips = [
        command
        for block in in_section(read_blocks(PAGE), "Install the package")
        for command in block.commands()
    ]
    assert pips == [
        f'pip install "{name}[redis]"',
        'pip install -e "path/to/checkout[redis]"',
    ]
    assert "redis" in extras and "channels-redis" in extras["redis"]


@pytest.mark.parametrize("page", ["installation.md", "oscar.md"])
def test_every_caption_says_what_to_do_with_its_file(page):
    """A caption the walk cannot read would leave its file out silently."""
    captions = [block.caption for block in read_blocks(DOCS / page) if block.caption]
    assert captions
    assert [c for c in captions if not CAPTION.match(c)] == []


def test_production_command_serves_the_pages_application(mysite):
    """The page's daphne command names the application runserver serves."""
    command = shlex.split(mysite.server_command("daphne"))
    target = command[-1].replace(":", ".")
    settings = (mysite.cwd / "mysite" / "settings.py").read_text()
    assert f'ASGI_APPLICATION = "{target}"' in settings


def test_the_project_passes_livechats_checks(mysite):
    """What the page sets up is what livechat's system checks ask for."""
    output = mysite.manage("check")
    assert "System check identified no issues" in output, output


async def test_a_shopper_chats_with_the_agent_who_sees_the_cart_and_orders(
    mysite, sockets
):
    server = mysite.server
    output = mysite.manage(
        "shell", "-c", _STORE.format(customer=CUSTOMER, cart=json.dumps(CART))
    )
    session_key = re.search(r"SESSION=(\w+)", output)[1]

    # Ann's browser: logged in, something in her cart.
    shopper = http_session()
    shopper.cookies.set("sessionid", session_key, domain="127.0.0.1")
    page = shopper.get(server.url("/"), timeout=10)
    page.raise_for_status()
    assert "Welcome to my shop" in page.text
    token = html.unescape(WIDGET_TOKEN.search(page.text)[1])
    script = _SCRIPT.search(page.text)[1]
    served = shopper.get(server.url(script), timeout=10)
    assert served.status_code == 200 and "javascript" in served.headers["content-type"]

    agent_http = admin_login(server, *mysite.superuser())
    agent = await Socket.open(server, AGENT, cookies=cookie_header(agent_http))
    sockets.append(agent)
    await agent.send(type="hello", v=1)
    welcome = await agent.expect("welcome")
    assert welcome["agent"]["id"], welcome

    visitor = await Socket.open(server, VISITOR, cookies=cookie_header(shopper))
    sockets.append(visitor)
    await visitor.send(type="hello", v=1, token=token, page=server.url("/"))
    await visitor.expect("welcome")
    ack = await visitor.post("Does the tea ship today?")
    conversation = ack["conversation"]

    inbox = await agent.expect_where(
        lambda f: (
            f["type"] == "conversation" and f["conversation"]["id"] == conversation
        ),
        what="the new chat in the agent's inbox",
    )
    assert inbox["conversation"]["preview"] == "Does the tea ship today?"
    await agent.send(type="open", conversation=conversation, last_seq=0)
    opened = await agent.expect("opened", timeout=10)
    [message] = await agent.replay(conversation)
    assert message["body"] == "Does the tea ship today?"

    context = opened["context"]
    assert context["cart"] == {"lines": CART, "total": "16.25"}
    assert context["customer"]["name"] == "Ann Lee"
    assert context["customer"]["registered"] is True
    [order] = context["orders"]
    assert (order["number"], order["status"], order["total"]) == (
        "1042",
        "Shipped",
        "59.90",
    )
    assert order["url"].startswith("/admin/shop/order/")
    assert "Green tea" in opened["context_html"]
    assert "1042" in opened["context_html"]

    await agent.post("Yes, it leaves at four.", conversation=conversation)
    reply = await visitor.expect_where(
        lambda f: f["type"] == "message" and f["message"]["sender"] == "agent",
        what="the agent's reply on the shopper's socket",
    )
    assert reply["message"]["body"] == "Yes, it leaves at four."
