"""ASGI entry point: Django over HTTP, livechat's consumers over WebSocket.

Run with ``daphne example_shop.asgi:application``.
"""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_shop.settings")
# Set up Django (apps, models) before anything below imports a model.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.signals import request_finished  # noqa: E402
from django.db import connections  # noqa: E402

from livechat.routing import websocket_urlpatterns  # noqa: E402

http_app = django_asgi_app
if settings.DEBUG or os.environ.get("LIVECHAT_DEMO_SERVE_STATIC") == "1":
    # daphne serves no static files; let Django do it for the demo.
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    http_app = ASGIStaticFilesHandler(django_asgi_app)

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)


def close_request_connections(**kwargs):
    """Close the database connections of the request that just finished.

    Under ASGI, Django runs each request's synchronous code in a thread of its
    own, so a connection kept for CONN_MAX_AGE is never reused by another
    request: it stays open until its thread's objects are garbage collected.
    With many requests that exhausts PostgreSQL's max_connections. livechat's
    consumers keep theirs on threads that live as long as the process.
    """
    connections.close_all()


request_finished.connect(close_request_connections, dispatch_uid="close_request_db")

# A long-lived chat server: move everything loaded so far (Django, the apps,
# their modules) out of the garbage collector's sight and collect young
# objects less often. Full collections then take a few milliseconds instead
# of ~100 ms, which every socket of the process would wait for
# (docs/deployment.md, "Garbage collection").
gc.collect()
gc.freeze()
gc.set_threshold(50_000, 20, 20)
