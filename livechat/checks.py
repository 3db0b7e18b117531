"""System checks with stable ids, documented in docs/configuration.md."""

import inspect

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from .conf import POSITIONS, app_settings

IN_MEMORY_LAYER = "channels.layers.InMemoryChannelLayer"


@register()
def check_channel_layer(app_configs, **kwargs):
    """E001: a channel layer must be configured for messages to reach sockets."""
    layers = getattr(settings, "CHANNEL_LAYERS", None) or {}
    if "default" not in layers:
        return [
            Error(
                "CHANNEL_LAYERS has no 'default' layer; livechat cannot deliver "
                "messages in real time.",
                hint="Configure channels_redis.pubsub.RedisPubSubChannelLayer "
                "(see docs/installation.md).",
                id="livechat.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_in_memory_layer(app_configs, **kwargs):
    """W001: the in-memory layer with DEBUG off loses messages across processes."""
    layers = getattr(settings, "CHANNEL_LAYERS", None) or {}
    backend = layers.get("default", {}).get("BACKEND", "")
    if backend == IN_MEMORY_LAYER and not settings.DEBUG:
        return [
            Warning(
                "livechat is using the in-memory channel layer with DEBUG=False. "
                "It only works within one process and drops messages on restart.",
                hint="Use channels_redis.pubsub.RedisPubSubChannelLayer in production.",
                id="livechat.W001",
            )
        ]
    return []


@register()
def check_import_strings(app_configs, **kwargs):
    """E002: LIVECHAT_ADAPTER must name an importable class; E005: whose
    methods take the arguments livechat passes them."""
    path = app_settings.raw("ADAPTER")
    if isinstance(path, str):
        try:
            adapter = import_string(path)
        except ImportError as exc:
            return [
                Error(
                    f"LIVECHAT_ADAPTER {path!r} cannot be imported: {exc}",
                    id="livechat.E002",
                )
            ]
        return _check_adapter_signatures(adapter, path)
    return []


def _check_adapter_signatures(adapter, path):
    """E005: the adapter's methods take the arguments livechat passes them."""
    calls = {
        "is_agent": ((None,), {}),
        "is_supervisor": ((None,), {}),
        "populate_visitor": ((None, None), {}),
        "agent_public_name": ((None,), {}),
        "agent_avatar_url": ((None,), {}),
        "get_visitor_context": ((None,), {"request": None}),
        "order_customers": ((None,), {}),
        "describe_page": ((None,), {}),
        "suggest_offers": ((None,), {"context": None}),
        "orders_between": ((None, None), {}),
        "get_cart_value": ((None,), {}),
        "max_concurrent_chats": ((None,), {}),
    }
    errors = []
    for name, (args, kwargs) in calls.items():
        method = getattr(adapter, name, None)
        if method is None:
            continue
        try:
            signature = inspect.signature(method)
        except (TypeError, ValueError):
            continue  # a callable Python cannot describe: livechat will see
        try:
            signature.bind(None, *args, **kwargs)
        except TypeError:
            errors.append(
                Error(
                    f"{path}.{name}{signature} cannot be called the way "
                    f"livechat calls it.",
                    hint=f"Use the signature of DefaultLivechatAdapter.{name} "
                    f"(docs/adapter.md).",
                    obj=adapter,
                    id="livechat.E005",
                )
            )
    return errors


@register()
def check_widget_settings(app_configs, **kwargs):
    """E003: the widget position must be one the stylesheet knows."""
    position = app_settings.WIDGET_POSITION
    if position not in POSITIONS:
        return [
            Error(
                f"LIVECHAT_WIDGET_POSITION is {position!r}.",
                hint=f"Use one of {', '.join(POSITIONS)}.",
                id="livechat.E003",
            )
        ]
    return []


@register(Tags.templates)
def check_request_context_processor(app_configs, **kwargs):
    """W002: the widget tag reads the request from the template context."""
    processor = "django.template.context_processors.request"
    for engine in settings.TEMPLATES:
        if engine.get("BACKEND") != "django.template.backends.django.DjangoTemplates":
            continue
        if processor in engine.get("OPTIONS", {}).get("context_processors", []):
            return []
    return [
        Warning(
            "{% livechat_widget %} needs the request in the template context.",
            hint=f"Add {processor!r} to TEMPLATES' context_processors.",
            id="livechat.W002",
        )
    ]


VISITOR_MIDDLEWARE = "livechat.middleware.LivechatVisitorMiddleware"
MIDDLEWARE_BEFORE = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
)


@register()
def check_visitor_middleware(app_configs, **kwargs):
    """W006: the widget tag only reads; the middleware keeps the shopper."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    if VISITOR_MIDDLEWARE not in middleware:
        return [
            Warning(
                "Without LivechatVisitorMiddleware, {% livechat_widget %} "
                "writes the shopper's session and visitor while the page renders.",
                hint=f"Add {VISITOR_MIDDLEWARE!r} to MIDDLEWARE after "
                "AuthenticationMiddleware.",
                id="livechat.W006",
            )
        ]
    position = middleware.index(VISITOR_MIDDLEWARE)
    if any(m in middleware[position:] for m in MIDDLEWARE_BEFORE):
        return [
            Warning(
                "LivechatVisitorMiddleware is listed before SessionMiddleware or "
                "AuthenticationMiddleware: shoppers' chats are not kept.",
                hint="Move it after AuthenticationMiddleware.",
                id="livechat.W006",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_attachment_storage(app_configs, **kwargs):
    """W003: attachments should live in a storage no web server serves."""
    alias = app_settings.ATTACHMENT_STORAGE
    storages_setting = getattr(settings, "STORAGES", {}) or {}
    if alias != "default" and alias not in storages_setting:
        return [
            Error(
                f"LIVECHAT_ATTACHMENT_STORAGE is {alias!r}, which is not in STORAGES.",
                id="livechat.E004",
            )
        ]
    if alias == "default":
        return [
            Warning(
                "Chat attachments are stored in the default storage; if MEDIA_URL "
                "is served publicly, anyone with a file's stored path can fetch it "
                "without livechat's checks (paths are random, not guessable).",
                hint="Add a private storage alias to STORAGES (a location no web "
                "server serves) and set LIVECHAT_ATTACHMENT_STORAGE to it.",
                id="livechat.W003",
            )
        ]
    return []


@register()
def check_attachment_accel_redirect(app_configs, **kwargs):
    """E006: LIVECHAT_ATTACHMENT_ACCEL_REDIRECT is the path of an nginx location."""
    prefix = app_settings.ATTACHMENT_ACCEL_REDIRECT
    if not prefix or (
        isinstance(prefix, str)
        and prefix.startswith("/")
        and not any(c in prefix for c in "?#")
        and not any(c.isspace() for c in prefix)
    ):
        return []
    return [
        Error(
            f"LIVECHAT_ATTACHMENT_ACCEL_REDIRECT is {prefix!r}, not a URL path.",
            hint='Set it to the path of an nginx "internal" location, such as '
            '"/_livechat_files/" (see docs/deployment.md), or to None.',
            id="livechat.E006",
        )
    ]


LOCAL_MEMORY_CACHE = "django.core.cache.backends.locmem.LocMemCache"


@register(Tags.security, deploy=True)
def check_client_ip_behind_proxy(app_configs, **kwargs):
    """W004: behind a proxy, per-IP limits need the header with the client's IP."""
    behind_proxy = bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None)) or bool(
        getattr(settings, "USE_X_FORWARDED_HOST", False)
    )
    if behind_proxy and not app_settings.TRUSTED_PROXY_HEADER:
        return [
            Warning(
                "The site runs behind a proxy (SECURE_PROXY_SSL_HEADER or "
                "USE_X_FORWARDED_HOST is set) but LIVECHAT_TRUSTED_PROXY_HEADER is "
                "not: every shopper has the proxy's address, so the per-IP rate "
                "limits and socket caps (LIVECHAT_MAX_SOCKETS_PER_IP) refuse "
                "everyone at once and stored IPs are the proxy's.",
                hint='Set LIVECHAT_TRUSTED_PROXY_HEADER = "x-forwarded-for" if your '
                "proxy overwrites that header (see docs/deployment.md).",
                id="livechat.W004",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    """W005: rate limits live in the cache; a per-process cache splits them."""
    backend = (getattr(settings, "CACHES", None) or {}).get("default", {})
    if backend.get("BACKEND", LOCAL_MEMORY_CACHE) == LOCAL_MEMORY_CACHE:
        return [
            Warning(
                "The default cache is local memory: with several server processes "
                "each counts livechat's rate limits on its own (N times the limit), "
                "and the housekeeping lock is not shared.",
                hint="Use a shared cache such as Django's RedisCache "
                "(docs/deployment.md); ignore this with one process only.",
                id="livechat.W005",
            )
        ]
    return []
