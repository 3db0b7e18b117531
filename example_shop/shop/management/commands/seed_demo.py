"""Fill the demo store with products, agents and a customer with orders.

Idempotent: run it after every ``migrate``. Products are refreshed (stock is
only set when a product is first created); users, agent profiles and the
customer's past orders are created only when missing, so users who already
exist keep their passwords, and everyone logged in stays logged in.
"""

import os
from datetime import timedelta
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_permission_codename, get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from livechat.models import AgentProfile, InvitationRule, WidgetProfile

from ...demo_history import WEEKS, has_history, seed_history
from ...models import Coupon, Order, OrderItem, Product

PRODUCTS = [
    # slug, name, price, emoji, colour, stock, description
    (
        "green-tea",
        "Sencha green tea",
        "8.50",
        "🍵",
        "#dcefd9",
        40,
        "Grassy, bright loose-leaf tea from Shizuoka. 100 g pouch.",
    ),
    (
        "coffee-beans",
        "House coffee beans",
        "12.90",
        "☕",
        "#eadbcb",
        25,
        "Medium roast, chocolate and hazelnut notes. 250 g, whole bean.",
    ),
    (
        "sourdough",
        "Sourdough loaf",
        "5.20",
        "🍞",
        "#f5e6c8",
        12,
        "Baked every morning with a twenty-year-old starter.",
    ),
    (
        "honey",
        "Wildflower honey",
        "9.75",
        "🍯",
        "#fbe7b5",
        18,
        "Raw honey from hives two villages away. 340 g jar.",
    ),
    (
        "olive-oil",
        "Extra virgin olive oil",
        "14.00",
        "🫒",
        "#e3ebcf",
        20,
        "Cold-pressed Koroneiki olives. 500 ml tin.",
    ),
    (
        "chocolate",
        "Dark chocolate bar",
        "3.80",
        "🍫",
        "#e6d3cc",
        60,
        "72% cacao, single origin Peru. 80 g.",
    ),
    (
        "apples",
        "Crisp apples (1 kg)",
        "4.10",
        "🍎",
        "#f7d9d6",
        30,
        "A mix of Cox and Braeburn from the orchard down the road.",
    ),
    (
        "tote-bag",
        "Canvas tote bag",
        "11.00",
        "👜",
        "#dde4f0",
        0,
        "Sturdy organic cotton with our corner-shop logo. Back soon!",
    ),
]

AGENTS = [
    ("agent", "agent-demo-pass", "Alice", "Alice from Support", "alice@example.com"),
    ("agent2", "agent2-demo-pass", "Bob", "Bob from Support", "bob@example.com"),
]

PAST_ORDERS = [
    # days ago, status, [(slug, quantity)]
    (24, Order.Status.DELIVERED, [("coffee-beans", 2), ("chocolate", 3)]),
    (3, Order.Status.SHIPPED, [("green-tea", 1), ("honey", 1), ("sourdough", 2)]),
]

CUSTOMER_ADDRESS = "Carla Díaz\n12 Market Street\nSpringfield 01234"


class Command(BaseCommand):
    help = (
        "Create or refresh the demo products, agents and customer, and five "
        "weeks of chats for the reports."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-history",
            action="store_false",
            dest="history",
            help="Skip the weeks of past chats (also: SEED_DEMO_HISTORY=0).",
        )

    def handle(self, *args, **options):
        self._seed_store()
        if options["history"] and os.environ.get("SEED_DEMO_HISTORY", "1") != "0":
            self._seed_history()

    @transaction.atomic
    def _seed_store(self):
        self.existing = set()  # usernames that were there already
        products = self._seed_products()
        agent_permissions = self._agent_permissions()
        for username, password, first_name, display_name, email in AGENTS:
            agent = self._ensure_user(
                username, password, first_name=first_name, email=email, is_staff=True
            )
            # Adds only the missing ones: a session survives it.
            agent.user_permissions.add(*agent_permissions)
            AgentProfile.objects.get_or_create(
                user=agent, defaults={"display_name": display_name}
            )
        self._ensure_user(
            "admin",
            "admin-demo-pass",
            email="admin@example.com",
            is_staff=True,
            is_superuser=True,
        )
        customer = self._ensure_user(
            "customer",
            "customer-demo-pass",
            first_name="Carla",
            last_name="Díaz",
            email="carla@example.com",
        )
        self._seed_orders(customer, products)
        # LIVECHAT_INVITATION_DELAY lets tests see the invitation sooner.
        InvitationRule.objects.update_or_create(
            name="Checkout help",
            defaults={
                "message": "Questions about delivery or payment? We're here.",
                "url_pattern": "/checkout/*",
                "seconds_on_page": int(os.environ.get("LIVECHAT_INVITATION_DELAY", 20)),
            },
        )
        self._seed_contact()
        self._seed_coupons()
        self._print_logins()

    def _seed_history(self):
        """Weeks of chats played through livechat's services (demo_history),
        outside the store's transaction: the reports' listeners run as each
        chat's steps commit, at the time they happened."""
        if has_history():
            self.stdout.write("Chat history: already there.")
            return
        try:
            import time_machine  # noqa: F401
        except ImportError:
            self.stdout.write("Chat history skipped: needs time-machine (dev).")
            return
        User = get_user_model()
        agents = list(User.objects.filter(username__in=[a[0] for a in AGENTS]))
        editor = User.objects.filter(username="admin").first()
        self.stdout.write(f"Playing {WEEKS} weeks of chats for the reports...")
        played, ended_early = seed_history(agents, editor=editor)
        self.stdout.write(
            f"Chat history: {played + ended_early} conversations "
            f"({ended_early} ended early)."
        )

    def _seed_contact(self):
        """The shop's phone and email in the widget, unless an admin set them."""
        profile = WidgetProfile.objects.first() or WidgetProfile()
        if profile.contact_phone or profile.contact_email or profile.contact_note:
            return
        profile.contact_phone = "+34 910 000 000"
        profile.contact_email = "help@corner-shop.example"
        profile.contact_note = "Or call us Mon-Fri 9:00-17:00."
        profile.save()

    def _seed_coupons(self):
        """10% off each product (the chat offers it to a shopper who keeps
        looking at it), free shipping, and $5 off, which the checkout
        invitation offers. Codes are refreshed; an admin's own coupons are
        left alone."""
        coupons = [
            ("FREESHIP", Coupon.Kind.FREE_SHIPPING, "0", None, "Free shipping"),
            ("WELCOME5", Coupon.Kind.FIXED, "5", None, "$5 off an order"),
        ]
        for product in Product.objects.filter(slug__in=[p[0] for p in PRODUCTS]):
            code = product.slug.replace("-", "").upper()[:36] + "10"
            description = f"10% off {product.name}"
            coupons.append((code, Coupon.Kind.PERCENT, "10", product, description))
        for code, kind, amount, product, description in coupons:
            Coupon.objects.update_or_create(
                code=code,
                defaults={
                    "kind": kind,
                    "amount": Decimal(amount),
                    "product": product,
                    "description": description,
                    "active": True,
                },
            )
        # The checkout invitation offers the welcome coupon.
        InvitationRule.objects.filter(name="Checkout help").update(
            offer_code="WELCOME5", offer_title="$5 off your order"
        )
        self.stdout.write(f"{len(coupons)} coupons ready.")

    def _seed_products(self):
        products = {}
        for slug, name, price, emoji, colour, stock, description in PRODUCTS:
            fields = {
                "name": name,
                "price": Decimal(price),
                "emoji": emoji,
                "colour": colour,
                "description": description,
                "active": True,
            }
            product, created = Product.objects.get_or_create(
                slug=slug, defaults={**fields, "stock": stock}
            )
            if not created:
                # Refresh the catalogue but keep stock sold or edited since.
                for field, value in fields.items():
                    setattr(product, field, value)
                product.save()
            products[slug] = product
        self.stdout.write(f"{len(products)} products ready.")
        return products

    def _agent_permissions(self):
        """Answering chats, livechat's records, and looking up shop orders."""
        wanted = {"reply_conversation"}
        for model in apps.get_app_config("livechat").get_models():
            for action in ("view", "change"):
                if action in model._meta.default_permissions:
                    wanted.add(get_permission_codename(action, model._meta))
        permissions = list(
            Permission.objects.filter(
                content_type__app_label="livechat", codename__in=wanted
            )
        )
        # Read-only access to orders, to answer "where is my order?".
        permissions += Permission.objects.filter(
            content_type__app_label="shop",
            codename__in=["view_order", "view_orderitem", "view_product"],
        )
        missing = wanted - {p.codename for p in permissions}
        if missing:
            self.stderr.write(
                f"Missing livechat permissions (run migrate?): {sorted(missing)}"
            )
        return permissions

    def _ensure_user(self, username, password, **fields):
        """The user ``username``, created with ``password`` if missing.

        An existing user is left as it is: setting a password again would
        end their sessions (Django checks a hash of it on every request),
        logging out every agent at each restart of the demo.
        """
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is not None:
            self.existing.add(username)
            return user
        user = User(username=username, is_active=True, **fields)
        user.set_password(password)
        user.save()
        return user

    def _seed_orders(self, customer, products):
        if Order.objects.filter(user=customer).exists():
            return
        now = timezone.now()
        for days_ago, status, lines in PAST_ORDERS:
            order = Order.objects.create(
                user=customer,
                name=customer.get_full_name(),
                email=customer.email,
                address=CUSTOMER_ADDRESS,
                status=status,
                created_at=now - timedelta(days=days_ago),
            )
            items = [
                OrderItem(
                    order=order,
                    product=products[slug],
                    name=products[slug].name,
                    unit_price=products[slug].price,
                    quantity=quantity,
                )
                for slug, quantity in lines
            ]
            OrderItem.objects.bulk_create(items)
            order.total = sum(item.line_total for item in items)
            order.save(update_fields=["total"])
        self.stdout.write(f"{len(PAST_ORDERS)} past orders created for customer.")

    def _print_logins(self):
        self.stdout.write(self.style.SUCCESS("Demo logins:"))
        rows = [
            ("agent", "agent-demo-pass", "support agent (Alice from Support)"),
            ("agent2", "agent2-demo-pass", "support agent (Bob from Support)"),
            ("admin", "admin-demo-pass", "superuser"),
            ("customer", "customer-demo-pass", "customer Carla, two past orders"),
        ]
        for username, password, role in rows:
            if username in self.existing:
                role += " (already there: password unchanged)"
            self.stdout.write(f"  {username:<9} / {password:<19} {role}")
        self.stdout.write(
            "Shop: http://127.0.0.1:8000/   Admin and agent console: /admin/"
        )
