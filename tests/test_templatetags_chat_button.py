"""``{% livechat_chat_button %}`` and the store's other channels in the widget's
config (livechat/templatetags/livechat.py)."""

import json
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import cache
from django.template import Context, Template
from django.test import RequestFactory, override_settings
from django.utils import timezone, translation

from livechat.middleware import WidgetVisit
from livechat.models import AgentConnection, AgentProfile, WidgetProfile

pytestmark = pytest.mark.django_db

BUTTON = "{% load livechat %}{% livechat_chat_button %}"
HOST_TEMPLATES = Path(__file__).parent / "templates_host"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Availability and the store's face are cached: every test starts cold."""
    cache.clear()
    yield
    cache.clear()


def _request():
    request = RequestFactory().get("/")
    SessionMiddleware(lambda r: None).process_request(request)
    request.user = AnonymousUser()
    request.livechat_visit = WidgetVisit(request)
    return request


def _render(template, context):
    return Template(template).render(Context(context))


def _present_agent(django_user_model):
    user = django_user_model.objects.create_user("alice", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="reply_conversation"))
    AgentConnection.objects.create(user=user, channel_name="console-1")
    AgentProfile.objects.create(
        user=user, presence=AgentProfile.Presence.ONLINE, last_seen_at=timezone.now()
    )


def test_the_button_opens_the_widget_and_says_how_chat_works(django_user_model):
    _present_agent(django_user_model)
    html = _render(BUTTON, {"request": _request()})
    assert '<div class="livechat-inline">' in html
    assert (
        '<button type="button" class="livechat-inline__button" data-livechat-open>'
        "Chat with us</button>"
    ) in html
    assert "an agent answers here, usually within minutes" in html


def test_with_nobody_there_it_still_renders_and_offers_a_message():
    html = _render(BUTTON, {"request": _request()})
    assert "data-livechat-open" in html
    assert "leave a message here" in html
    assert "within minutes" not in html


def test_a_label_of_the_pages_own_is_escaped():
    html = _render(
        "{% load livechat %}{% livechat_chat_button label %}",
        {"request": _request(), "label": "<b>Ask about this tea</b>"},
    )
    assert "&lt;b&gt;Ask about this tea&lt;/b&gt;</button>" in html


def test_the_button_is_translated():
    with translation.override("es"):
        html = _render(BUTTON, {"request": _request()})
    assert "Chat with us" not in html and "data-livechat-open" in html


def test_nothing_without_a_request_or_a_session():
    assert _render(BUTTON, {}).strip() == ""
    request = RequestFactory().get("/")
    assert _render(BUTTON, {"request": request}).strip() == ""


def test_a_host_overrides_the_button():
    templates = {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HOST_TEMPLATES],
        "APP_DIRS": True,
    }
    with override_settings(TEMPLATES=[templates]):
        html = _render(BUTTON, {"request": _request()})
    assert html.strip() == '<a href="#" data-livechat-open>HOST Chat with us</a>'


def _config(html):
    match = re.search(
        r'<script id="livechat-config" type="application/json">(.*?)</script>',
        html,
        re.S,
    )
    assert match, html
    return json.loads(match.group(1))


WIDGET = "{% load livechat %}{% livechat_widget %}"


def test_the_widget_config_carries_the_stores_other_channels():
    assert _config(_render(WIDGET, {"request": _request()}))["contact"] == {}
    WidgetProfile.objects.create(
        contact_phone="+34 910 000 000", contact_note="Or call us Mon-Fri 9-17"
    )
    contact = _config(_render(WIDGET, {"request": _request()}))["contact"]
    # An empty channel is left out.
    assert contact == {"phone": "+34 910 000 000", "note": "Or call us Mon-Fri 9-17"}
    profile = WidgetProfile.objects.get()
    profile.contact_email = "help@shop.example"
    profile.save()
    contact = _config(_render(WIDGET, {"request": _request()}))["contact"]
    assert contact["email"] == "help@shop.example"
