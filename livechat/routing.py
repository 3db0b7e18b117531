"""WebSocket routes; the host wraps them in its own asgi.py (docs/installation.md)."""

from django.urls import path

from .conf import app_settings
from .realtime import consumers

_prefix = app_settings.WEBSOCKET_PATH.strip("/")

websocket_urlpatterns = [
    path(f"{_prefix}/visitor/", consumers.VisitorConsumer.as_asgi()),
    path(f"{_prefix}/agent/", consumers.AgentConsumer.as_asgi()),
]
