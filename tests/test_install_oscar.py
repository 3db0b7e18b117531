"""docs/installation.md then docs/oscar.md, followed literally in a stock
django-oscar shop: a guest's basket reaches the agent beside their chat.

The shop is built the way Oscar's own documentation says ("Building your own
shop", django-oscar's docs/source/internals/getting_started.rst, for the
Oscar release installed here): ``django-admin startproject``, then
``from oscar.defaults import *``, Oscar's ``INSTALLED_APPS`` (with
``django.contrib.sites`` and ``flatpages``, ``SITE_ID``), its context
processors, ``BasketMiddleware`` and the flatpages fallback, its
authentication backends, Haystack's simple backend and Oscar's URLs. Oscar's
sandbox site, which would be the obvious shop to test in, is not published
on PyPI and GitHub is not reachable from CI, so the test writes those
settings itself (below, ``OSCAR_SETTINGS`` and ``OSCAR_URLS``). The project
is called ``myshop``, as in docs/oscar.md, rather than Oscar's ``frobshop``.

Then, as installation.md's "django-oscar" section says, every file and
command of docs/oscar.md's "Installing into an Oscar shop", in order.
tests/test_install_docs.py says what the walk leaves out (pip, a free port
for runserver) and why.

The proof: Oscar's product page shows the widget (put there by the app's
template, no template edited); a guest adds a product to their basket
(Oscar keeps a guest's basket in its signed cookie) and writes from the
widget's socket; the agent the page made opens the chat and sees that
basket in ``opened``'s context and cards, and their reply reaches the guest.
"""

import html
import re

import pytest

from tests.services_env import IN_CI

from .docs_walk import (
    DOCS,
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

try:
    import oscar  # noqa: F401
except ImportError:  # the dev extra installs it: CI always has it
    if IN_CI:
        raise
    pytest.skip(
        "*** SKIPPED: django-oscar is not installed ***", allow_module_level=True
    )

INSTALLATION = DOCS / "installation.md"
OSCAR = DOCS / "oscar.md"
PROJECT = "myshop"

# "Building your own shop", Django settings (Oscar 4).
OSCAR_SETTINGS = """
from oscar.defaults import *  # noqa: F403

TEMPLATES[0]["DIRS"] = [BASE_DIR / "templates"]
TEMPLATES[0]["OPTIONS"]["context_processors"] += [
    "oscar.apps.search.context_processors.search_form",
    "oscar.apps.checkout.context_processors.checkout",
    "oscar.apps.communication.notifications.context_processors.notifications",
    "oscar.core.context_processors.metadata",
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.flatpages",
    "oscar.config.Shop",
    "oscar.apps.analytics.apps.AnalyticsConfig",
    "oscar.apps.checkout.apps.CheckoutConfig",
    "oscar.apps.address.apps.AddressConfig",
    "oscar.apps.shipping.apps.ShippingConfig",
    "oscar.apps.catalogue.apps.CatalogueConfig",
    "oscar.apps.catalogue.reviews.apps.CatalogueReviewsConfig",
    "oscar.apps.communication.apps.CommunicationConfig",
    "oscar.apps.partner.apps.PartnerConfig",
    "oscar.apps.basket.apps.BasketConfig",
    "oscar.apps.payment.apps.PaymentConfig",
    "oscar.apps.offer.apps.OfferConfig",
    "oscar.apps.order.apps.OrderConfig",
    "oscar.apps.customer.apps.CustomerConfig",
    "oscar.apps.search.apps.SearchConfig",
    "oscar.apps.voucher.apps.VoucherConfig",
    "oscar.apps.wishlists.apps.WishlistsConfig",
    "oscar.apps.dashboard.apps.DashboardConfig",
    "oscar.apps.dashboard.reports.apps.ReportsDashboardConfig",
    "oscar.apps.dashboard.users.apps.UsersDashboardConfig",
    "oscar.apps.dashboard.orders.apps.OrdersDashboardConfig",
    "oscar.apps.dashboard.catalogue.apps.CatalogueDashboardConfig",
    "oscar.apps.dashboard.offers.apps.OffersDashboardConfig",
    "oscar.apps.dashboard.partners.apps.PartnersDashboardConfig",
    "oscar.apps.dashboard.pages.apps.PagesDashboardConfig",
    "oscar.apps.dashboard.ranges.apps.RangesDashboardConfig",
    "oscar.apps.dashboard.reviews.apps.ReviewsDashboardConfig",
    "oscar.apps.dashboard.vouchers.apps.VouchersDashboardConfig",
    "oscar.apps.dashboard.communications.apps.CommunicationsDashboardConfig",
    "oscar.apps.dashboard.shipping.apps.ShippingDashboardConfig",
    # 3rd-party apps that oscar depends on
    "widget_tweaks",
    "haystack",
    "treebeard",
    "sorl.thumbnail",
    "django_tables2",
]

SITE_ID = 1

MIDDLEWARE += [
    "oscar.apps.basket.middleware.BasketMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
]

AUTHENTICATION_BACKENDS = (
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
)

HAYSTACK_CONNECTIONS = {
    "default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"},
}
"""

# "Building your own shop", URLs.
OSCAR_URLS = """
from django.apps import apps
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include(apps.get_app_config("oscar").urls[0])),
]
"""

# The shop's part, done in Oscar's dashboard by a real shop: a product the
# shop sells, with a price and stock.
_CATALOGUE = """
from decimal import Decimal
from oscar.core.loading import get_model
ProductClass = get_model("catalogue", "ProductClass")
Product = get_model("catalogue", "Product")
Partner = get_model("partner", "Partner")
StockRecord = get_model("partner", "StockRecord")
tea = ProductClass.objects.create(name="Tea", requires_shipping=True)
product = Product.objects.create(
    title="Green tea", product_class=tea, structure="standalone", upc="GT1"
)
StockRecord.objects.create(
    product=product, partner=Partner.objects.create(name="Warehouse"),
    partner_sku="GT1", price=Decimal("4.50"), num_in_stock=10,
)
print("PRODUCT=" + str(product.pk) + " " + product.get_absolute_url())
"""


@pytest.fixture(scope="module")
def oscar_shop(tmp_path_factory):
    """A stock Oscar shop with livechat added by following the docs."""
    assert OSCAR.exists(), "docs/oscar.md is missing"
    walk = Walk(tmp_path_factory.mktemp("oscar_shop"))
    walk.run(f"django-admin startproject {PROJECT}")
    walk.run(f"cd {PROJECT}")
    settings = walk.cwd / PROJECT / "settings.py"
    settings.write_text(settings.read_text() + OSCAR_SETTINGS)
    (walk.cwd / PROJECT / "urls.py").write_text(OSCAR_URLS)

    section = " ".join(_prose(INSTALLATION, "django-oscar").split())
    assert "[oscar.md](oscar.md) has the steps for an Oscar shop" in section
    steps = in_section(read_blocks(OSCAR), "Installing into an Oscar shop")
    assert {b.file[0].split("/")[0] for b in steps if b.file} == {PROJECT}
    walk.follow(steps, when=redis_blocks(), rewrite=unique_redis_prefix)
    walk.server = walk.runserver()
    try:
        yield walk
    finally:
        walk.server.stop()


def _prose(path, title):
    """The text of the section ``title`` of a page, blocks and all."""
    text = path.read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_the_shop_passes_livechats_checks(oscar_shop):
    """oscar.md's ``check`` finds nothing to say about livechat."""
    output = oscar_shop.outputs["python manage.py check"]
    assert "livechat" not in output, output


async def test_a_guest_basket_reaches_the_agent(oscar_shop, sockets):
    server = oscar_shop.server
    output = oscar_shop.manage("shell", "-c", _CATALOGUE)
    pk, product_url = re.search(r"PRODUCT=(\d+) (\S+)", output).groups()

    guest = http_session()
    page = guest.get(server.url(product_url), timeout=10)
    page.raise_for_status()
    assert "Green tea" in page.text
    assert WIDGET_TOKEN.search(page.text), "no livechat widget on Oscar's product page"

    added = guest.post(
        server.url(f"/basket/add/{pk}/"),
        data={"csrfmiddlewaretoken": guest.cookies["csrftoken"], "quantity": 2},
        headers={"Referer": server.url(product_url)},
        timeout=10,
    )
    added.raise_for_status()
    assert "oscar_open_basket" in guest.cookies.get_dict()
    # The next page with the widget: livechat keeps the basket cookie.
    page = guest.get(server.url(product_url), timeout=10)
    token = html.unescape(WIDGET_TOKEN.search(page.text)[1])

    agent_http = admin_login(server, *oscar_shop.superuser())
    agent = await Socket.open(server, AGENT, cookies=cookie_header(agent_http))
    sockets.append(agent)
    await agent.send(type="hello", v=1)
    await agent.expect("welcome")

    visitor = await Socket.open(server, VISITOR, cookies=cookie_header(guest))
    sockets.append(visitor)
    await visitor.send(type="hello", v=1, token=token, page=server.url(product_url))
    await visitor.expect("welcome")
    conversation = (await visitor.post("Is the green tea organic?"))["conversation"]

    await agent.expect_where(
        lambda f: (
            f["type"] == "conversation" and f["conversation"]["id"] == conversation
        ),
        what="the guest's chat in the agent's inbox",
    )
    await agent.send(type="open", conversation=conversation, last_seq=0)
    opened = await agent.expect("opened", timeout=10)
    [line] = opened["context"]["cart"]["lines"]
    assert (line["title"], line["quantity"]) == ("Green tea", 2)
    assert opened["context"]["customer"]["registered"] is False
    assert "Green tea" in opened["context_html"]

    await agent.post("Yes, it is.", conversation=conversation)
    reply = await visitor.expect_where(
        lambda f: f["type"] == "message" and f["message"]["sender"] == "agent",
        what="the agent's reply on the guest's socket",
    )
    assert reply["message"]["body"] == "Yes, it is."
