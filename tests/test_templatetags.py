import datetime
import gzip
import json
import logging
import re
import uuid
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from livechat.middleware import LivechatVisitorMiddleware, WidgetVisit
from livechat.models import (
    AgentConnection,
    AgentProfile,
    BusinessHours,
    Conversation,
    Department,
    InvitationRule,
    Visitor,
    WidgetProfile,
)
from livechat.templatetags import livechat as livechat_tags
from livechat.tokens import read_visitor_token

pytestmark = pytest.mark.django_db

TEMPLATE = "{% load livechat %}{% livechat_widget %}"
STATIC = Path(livechat_tags.__file__).parent.parent / "static" / "livechat"
# This module doubles as a URLconf without livechat's URLs.
urlpatterns = []


@pytest.fixture(autouse=True)
def _empty_cache():
    """Availability and the store's face are cached: every test starts cold."""
    cache.clear()
    yield
    cache.clear()


def _request(user=None, session_from=None, path="/"):
    request = RequestFactory().get(path)
    if session_from is not None:
        request.session = session_from.session
    else:
        SessionMiddleware(lambda r: None).process_request(request)
    request.user = user or AnonymousUser()
    return request


def _render(request, template=TEMPLATE, **extra):
    """Render as a page does: inside LivechatVisitorMiddleware, which keeps
    the shopper once the page has rendered."""
    context = {"request": request, **extra} if request is not None else extra
    html = []

    def page(request):
        html.append(Template(template).render(Context(context)))
        return HttpResponse(html[0])

    if request is None:
        page(request)
    else:
        LivechatVisitorMiddleware(page)(request)
    return html[0]


def _render_only(request):
    """Render the tag alone, with the middleware's visit but not its keeping."""
    request.livechat_visit = WidgetVisit(request)
    return Template(TEMPLATE).render(Context({"request": request}))


def _attr(html, name):
    match = re.search(rf'\s{name}="([^"]*)"', html)
    assert match, f"no {name} in {html}"
    return unescape(match.group(1))


def _config(html):
    match = re.search(
        r'<script id="livechat-config" type="application/json">(.*?)</script>',
        html,
        re.S,
    )
    assert match, html
    return json.loads(match.group(1))


def _strings(html):
    """The widget's words: the <template id="livechat-strings"> elements by data-key."""
    match = re.search(r'<template id="livechat-strings">(.*?)</template>', html, re.S)
    assert match, html
    return {
        key: unescape(text)
        for key, text in re.findall(
            r'<p data-key="(\w+)">(.*?)</p>', match.group(1), re.S
        )
    }


def _widget_sources():
    """The readable ES modules the widget is built from."""
    return [
        path.read_text()
        for folder in ("widget", "shared")
        for path in sorted((STATIC / folder).rglob("*.js"))
    ]


def test_anonymous_token_is_the_session_key():
    request = _request()
    html = _render(request)

    key = request.session["livechat_visitor"]
    assert uuid.UUID(key)
    assert str(read_visitor_token(_attr(html, "data-token"))) == key
    # The consumer creates the visitor on its first hello, not the page.
    assert not Visitor.objects.exists()


def test_anonymous_key_is_stable_across_renders_of_one_session():
    first = _request()
    html1 = _render(first)
    html2 = _render(_request(session_from=first))

    key1 = read_visitor_token(_attr(html1, "data-token"))
    key2 = read_visitor_token(_attr(html2, "data-token"))
    assert key1 == key2


def test_two_sessions_get_two_keys():
    key1 = read_visitor_token(_attr(_render(_request()), "data-token"))
    key2 = read_visitor_token(_attr(_render(_request()), "data-token"))
    assert key1 != key2


def test_garbage_in_the_session_is_replaced():
    request = _request()
    request.session["livechat_visitor"] = "not-a-uuid"
    key = read_visitor_token(_attr(_render(request), "data-token"))
    assert str(key) == request.session["livechat_visitor"]


def test_logged_in_user_gets_their_visitor_key(django_user_model):
    user = django_user_model.objects.create_user("ann", password="pw")
    html = _render(_request(user))

    visitor = Visitor.objects.get(user=user)
    assert read_visitor_token(_attr(html, "data-token")) == visitor.key
    # The same visitor on the next page and on another device.
    html2 = _render(_request(user))
    assert read_visitor_token(_attr(html2, "data-token")) == visitor.key
    assert Visitor.objects.filter(user=user).count() == 1


def test_logging_in_keeps_the_anonymous_chat(django_user_model):
    request = _request()
    anonymous_key = read_visitor_token(_attr(_render(request), "data-token"))
    visitor = Visitor.objects.create(key=anonymous_key)
    Conversation.objects.create(visitor=visitor)

    user = django_user_model.objects.create_user("ann", password="pw")
    logged_in = _request(user, session_from=request)
    html = _render(logged_in)
    assert read_visitor_token(_attr(html, "data-token")) == anonymous_key
    assert _attr(html, "data-open-conversation") == "1"
    visitor.refresh_from_db()
    assert visitor.user == user


def _writes(queries):
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")
    ]


def test_the_tag_writes_nothing_for_a_new_anonymous_shopper():
    request = _request(path="/basket/")
    with CaptureQueriesContext(connection) as queries:
        html = _render_only(request)
    assert _attr(html, "data-token")
    assert request.session.modified is False
    assert dict(request.session) == {}
    assert _writes(queries) == []


def test_the_tag_writes_nothing_for_a_new_customer(django_user_model):
    user = django_user_model.objects.create_user(
        "ann", password="pw", email="ann@example.com"
    )
    anonymous = _request()
    _render(anonymous)
    request = _request(user, session_from=anonymous, path="/basket/")
    request.session.modified = False
    with CaptureQueriesContext(connection) as queries:
        html = _render_only(request)
    assert request.session.modified is False
    assert _writes(queries) == []
    assert not Visitor.objects.filter(user=user).exists()
    # What the page shows is what the middleware then keeps.
    assert _config(html)["visitor"] == {"name": "", "email": "ann@example.com"}
    request.livechat_visit.keep()
    visitor = Visitor.objects.get(user=user)
    assert str(visitor.key) == anonymous.session["livechat_visitor"]
    assert read_visitor_token(_attr(html, "data-token")) == visitor.key
    assert request.session["livechat_pages"][-1]["path"] == "/basket/"


def test_a_known_customers_page_writes_only_its_history(django_user_model):
    user = django_user_model.objects.create_user("ann", password="pw")
    _render(_request(user))
    request = _request(user, path="/account/")
    with CaptureQueriesContext(connection) as queries:
        _render(request)
    assert _writes(queries) == []
    assert [p["path"] for p in request.session["livechat_pages"]] == ["/account/"]


def test_the_middleware_keeps_nothing_when_no_widget_rendered():
    request = _request()
    LivechatVisitorMiddleware(lambda r: HttpResponse("no widget"))(request)
    assert request.session.modified is False


def test_without_the_middleware_the_tag_keeps_the_shopper_itself_and_warns(
    caplog, monkeypatch
):
    """A host who only added the tag still gets a working widget."""
    monkeypatch.setattr(livechat_tags, "_warned", set())
    request = _request()
    with caplog.at_level(logging.WARNING, logger="livechat.templatetags.livechat"):
        html = Template(TEMPLATE).render(Context({"request": request}))
    assert "LivechatVisitorMiddleware" in caplog.text
    key = request.session["livechat_visitor"]
    assert read_visitor_token(_attr(html, "data-token")) == uuid.UUID(key)


def test_open_conversation_flag(django_user_model):
    user = django_user_model.objects.create_user("ann", password="pw")
    assert _attr(_render(_request(user)), "data-open-conversation") == "0"

    visitor = Visitor.objects.get(user=user)
    conversation = Conversation.objects.create(visitor=visitor)
    assert _attr(_render(_request(user)), "data-open-conversation") == "1"

    conversation.status = Conversation.Status.CLOSED
    conversation.save()
    assert _attr(_render(_request(user)), "data-open-conversation") == "0"


def test_open_conversation_flag_for_anonymous_visitor():
    request = _request()
    _render(request)
    visitor = Visitor.objects.create(key=request.session["livechat_visitor"])
    Conversation.objects.create(visitor=visitor, status=Conversation.Status.ACTIVE)

    html = _render(_request(session_from=request))
    assert _attr(html, "data-open-conversation") == "1"


def test_warm_page_costs_one_query(django_assert_num_queries):
    """Availability and the face come from the cache: only the open chat is asked."""
    _render(_request())
    request = _request()
    with django_assert_num_queries(1):
        _render(request)


def test_cold_page_costs_a_bounded_number_of_queries(django_assert_max_num_queries):
    BusinessHours.objects.create(
        weekday=0, opens=datetime.time(9), closes=datetime.time(17)
    )
    with django_assert_max_num_queries(8):
        _render(_request())


@override_settings(LIVECHAT_INVITATIONS_ENABLED=True)
def test_invitation_rules_cost_one_query(django_assert_num_queries):
    InvitationRule.objects.create(name="all", message="Hi", url_pattern="*")
    _render(_request())
    with django_assert_num_queries(2):
        _render(_request())


def test_root_element_and_assets():
    html = _render(_request())

    assert 'id="livechat"' in html
    # The script loads the stylesheet: no render-blocking <link> in the page.
    assert "<link" not in html
    assert _attr(html, "data-css") == "/static/livechat/widget.min.css"
    assert re.search(r'<div id="livechat"[^>]* hidden[ >]', html)
    # A module script is deferred by nature.
    assert (
        '<script type="module" src="/static/livechat/widget.min.js"></script>' in html
    )
    assert _attr(html, "data-ws-path") == "/ws/livechat/"
    assert _attr(html, "data-position") == "bottom-right"
    assert _attr(html, "data-max-length") == "4000"
    assert _attr(html, "data-accent") == "#1f5fbf"
    # No inline style or script: the page may forbid them (docs/security-headers.md).
    assert " style=" not in html
    assert not re.search(r"<script(?![^>]*\ssrc=)(?![^>]*application/json)", html)
    # Nothing of the config's JSON is the widget's words any more.
    assert "strings" not in _config(html)


def test_language_and_direction():
    with translation.override("en"):
        html = _render(_request())
    assert _attr(html, "data-lang") == "en"
    assert _attr(html, "dir") == "ltr"
    with translation.override("he"):
        html = _render(_request())
    assert _attr(html, "dir") == "rtl"


@override_settings(
    LIVECHAT_WIDGET_COLOR="#0a7",
    LIVECHAT_WIDGET_POSITION="bottom-left",
    LIVECHAT_WEBSOCKET_PATH="/sockets/chat/",
    LIVECHAT_MAX_MESSAGE_LENGTH=500,
)
def test_settings_reach_the_widget():
    html = _render(_request())

    assert _attr(html, "data-accent") == "#0a7"
    assert _attr(html, "data-position") == "bottom-left"
    assert _attr(html, "data-ws-path") == "/sockets/chat/"
    assert _attr(html, "data-max-length") == "500"
    assert "500" in _strings(html)["too_large"]


@pytest.mark.parametrize(
    "color",
    ["red", "#12345", "#1f5fbf; background: url(x)", "", None, "#ggg", 123],
)
def test_invalid_color_falls_back_to_the_default(color):
    with override_settings(LIVECHAT_WIDGET_COLOR=color):
        html = _render(_request())
    assert _attr(html, "data-accent") == "#1f5fbf"


@pytest.mark.parametrize(
    ("color", "text"),
    [("#1f5fbf", "#fff"), ("#000", "#fff"), ("#ffcc00", "#000"), ("#fff", "#000")],
)
def test_text_on_the_accent_keeps_contrast(color, text):
    with override_settings(LIVECHAT_WIDGET_COLOR=color):
        html = _render(_request())
    assert _attr(html, "data-on-accent") == text


def _contrast(a, b):
    low, high = sorted((livechat_tags._luminance(a), livechat_tags._luminance(b)))
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("grey", range(0, 256, 5))
def test_text_on_any_accent_reads_at_4_5_to_1(grey):
    """Mid greys are where white and a soft black both fall short."""
    for color in (f"#{grey:02x}{grey:02x}{grey:02x}", f"#{grey:02x}8040"):
        assert _contrast(color, livechat_tags._text_on(color)) >= 4.5, color


@override_settings(LIVECHAT_WIDGET_POSITION="top-middle")
def test_unknown_position_falls_back():
    assert _attr(_render(_request()), "data-position") == "bottom-right"


@override_settings(
    LIVECHAT_WIDGET_TITLE='<script>alert("t")</script>',
    LIVECHAT_WIDGET_GREETING="</script><script>alert(1)</script>",
)
def test_title_and_greeting_are_escaped():
    html = _render(_request())

    assert "<script>alert" not in html
    strings = _strings(html)
    assert strings["title"] == '<script>alert("t")</script>'
    assert strings["greeting"] == "</script><script>alert(1)</script>"


def test_strings_are_rendered_in_a_template():
    strings = _strings(_render(_request()))

    for key, text in {
        "open": "Open chat",
        "connecting": "Connecting…",
        "reconnecting": "Reconnecting…",
        "sending": "Sending…",
        "sent": "Sent",
        "read": "Read",
        "retrying": "Not sent — retrying",
        "you": "You",
        "typing": "Support is typing…",
        "title": "Chat with us",
    }.items():
        assert strings[key] == text
    assert strings["typing_name"] == "%(name)s is typing…"
    assert strings["unread"] == "Unread messages: %(count)s"
    assert strings["offline"].startswith("Offline")
    assert all(isinstance(value, str) and value for value in strings.values())


def test_the_fixed_markup_is_rendered_translated():
    """The launcher, panel and composer come from <template id="livechat-ui">."""
    with translation.override("es"):
        html = _render(_request())
    ui = re.search(r'<template id="livechat-ui">(.*?)</template>', html, re.S)
    assert ui, html
    assert 'class="lc-launcher"' in ui.group(1)
    title = _strings(html)["title"]
    assert f'role="dialog" aria-label="{title}"' in ui.group(1)
    assert 'aria-label="Cerrar chat"' in ui.group(1)
    assert 'maxlength="4000"' in ui.group(1)
    assert 'type="file"' in ui.group(1)


def _ui(html):
    return re.search(r'<template id="livechat-ui">(.*?)</template>', html, re.S)[1]


@override_settings(
    LIVECHAT_PRECHAT_FIELDS={
        "name": "required",
        "email": "optional",
        "phone": "hidden",
        "topic": "required",
    }
)
def test_the_forms_follow_the_prechat_settings():
    ui = _ui(_render(_request()))
    prechat = re.search(
        r"<div class=\"lc-prechat\" hidden>(.*?)</form></div>", ui, re.S
    )[1]
    assert re.search(
        r'<input id="lc-pre-name" name="name" type="text"[^>]* required', prechat
    )
    email = re.search(r'<input id="lc-pre-email"[^>]*>', prechat)[0]
    assert "required" not in email
    assert "(optional)" in prechat
    assert 'name="phone"' not in prechat
    assert prechat.count('type="radio" name="topic"') == 3
    assert prechat.count(" required>") == 3
    # The offline form always asks an email and a message; one id per field.
    ids = re.findall(r' id="(lc-[a-z]+-[a-z]+)"', ui)
    assert len(ids) == len(set(ids))
    assert {"lc-off-email", "lc-off-body", "lc-busy-email", "lc-mail-email"} <= set(ids)


@override_settings(LIVECHAT_PRECHAT_FIELDS={"email": "hidden", "topic": "hidden"})
def test_nothing_to_ask_renders_an_empty_prechat_form():
    ui = _ui(_render(_request()))
    prechat = re.search(
        r"<div class=\"lc-prechat\" hidden>(.*?)</form></div>", ui, re.S
    )[1]
    assert "data-n=" not in prechat


@override_settings(ROOT_URLCONF=__name__)
def test_no_upload_url_no_attach_button(monkeypatch):
    monkeypatch.setattr(livechat_tags, "_warned", set())
    html = _render(_request())
    assert 'type="file"' not in html
    assert "lc-attach" not in html


def test_strings_used_by_the_script_exist():
    """Every T.name the widget's modules read is rendered by the tag."""
    strings = _strings(_render(_request()))
    used = set(re.findall(r"\bT\.(\w+)", "\n".join(_widget_sources())))
    assert "open" in used
    # Error messages are looked up by the server's error code.
    used |= {"too_large", "empty", "auth", "forbidden"}
    assert used - set(strings) == set()


def test_strings_follow_the_language():
    with translation.override("es"):
        strings = _strings(_render(_request()))
    assert strings["open"] == "Abrir chat"


def test_queue_strings_keep_their_placeholders():
    strings = _strings(_render(_request()))
    assert "%(position)s" in strings["queue"]
    assert "%(position)s" in strings["queue_wait"]
    assert "%(wait)s" in strings["queue_wait"]
    assert "%(hours)s" in strings["hours"]
    assert "%(when)s" in strings["next_open"]
    assert "%(email)s" in strings["sent_to"]
    assert "%(size)s" in strings["file_too_big"]


# The config -----------------------------------------------------------------


def test_config_urls_token_and_limits():
    request = _request()
    config = _config(_render(request))

    assert config["status_url"] == "/livechat/status/"
    assert config["upload_url"] == "/livechat/attachments/"
    assert config["csrf"] and request.META["CSRF_COOKIE_NEEDS_UPDATE"]
    assert config["poll"] == 20
    assert config["no_reply"] == 60
    assert config["max_upload"] == 5 * 1024 * 1024


@override_settings(
    LIVECHAT_STATUS_POLL_SECONDS=45,
    LIVECHAT_NO_REPLY_TIMEOUT=120,
    LIVECHAT_MAX_UPLOAD_BYTES=1000,
)
def test_config_follows_the_settings():
    config = _config(_render(_request()))
    assert (config["poll"], config["no_reply"], config["max_upload"]) == (45, 120, 1000)


@override_settings(ROOT_URLCONF=__name__)
def test_missing_urls_switch_polling_and_uploads_off(monkeypatch):
    monkeypatch.setattr(livechat_tags, "_warned", set())
    config = _config(_render(_request()))
    assert config["status_url"] == config["upload_url"] == ""


def test_no_agent_means_unavailable():
    availability = _config(_render(_request()))["availability"]
    assert availability["available"] is False
    assert availability["agents_online"] is False
    assert availability["hours"] is None  # no schedule: always open


def _present_agent(django_user_model, **extra):
    user = django_user_model.objects.create_user("alice", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="reply_conversation"))
    AgentConnection.objects.create(user=user, channel_name="console-1")
    return AgentProfile.objects.create(
        user=user,
        presence=AgentProfile.Presence.ONLINE,
        last_seen_at=timezone.now(),
        **extra,
    )


def test_a_present_agent_makes_it_available(django_user_model):
    _present_agent(django_user_model)
    availability = _config(_render(_request()))["availability"]
    assert availability["available"] is True


def test_an_agent_who_chose_away_is_not_available(django_user_model):
    profile = _present_agent(django_user_model)
    profile.presence = AgentProfile.Presence.AWAY
    profile.save()
    assert _config(_render(_request()))["availability"]["available"] is False


def test_outside_business_hours_is_not_available(django_user_model):
    _present_agent(django_user_model)
    # Open half an hour every day, starting a few hours from now: closed now.
    hour = (timezone.now().hour + 3) % 24
    for weekday in range(7):
        BusinessHours.objects.create(
            weekday=weekday, opens=datetime.time(hour), closes=datetime.time(hour, 30)
        )
    availability = _config(_render(_request()))["availability"]
    assert availability["agents_online"] is True
    assert availability["available"] is False
    assert availability["next_open"]
    assert availability["hours"]["week"]


# Pre-chat form ------------------------------------------------------------------


def test_anonymous_shopper_gets_the_prechat_form():
    config = _config(_render(_request()))
    assert config["prechat"] == {
        "name": "optional",
        "email": "required",
        "phone": "hidden",
        "topic": "optional",
    }
    assert config["skip_prechat"] is False
    assert config["visitor"] is None


def test_logged_in_customer_with_email_skips_the_prechat_form(django_user_model):
    user = django_user_model.objects.create_user(
        "ann", email="ann@example.com", first_name="Ann", last_name="Lee"
    )
    config = _config(_render(_request(user)))
    assert config["skip_prechat"] is True
    assert config["visitor"] == {"name": "Ann Lee", "email": "ann@example.com"}


def test_logged_in_customer_without_email_fills_the_form(django_user_model):
    user = django_user_model.objects.create_user("ann", first_name="Ann")
    config = _config(_render(_request(user)))
    assert config["skip_prechat"] is False
    assert config["visitor"] == {"name": "Ann", "email": ""}


@override_settings(LIVECHAT_PRECHAT_FIELDS={"email": "required", "topic": "required"})
def test_a_required_topic_is_asked_even_of_customers(django_user_model):
    user = django_user_model.objects.create_user("ann", email="ann@example.com")
    config = _config(_render(_request(user)))
    assert config["skip_prechat"] is False
    assert config["prechat"] == {"topic": "required"}


def test_customers_are_asked_only_the_topic_when_departments_route_it(
    django_user_model,
):
    Department.objects.create(name="Orders", topics="order")
    user = django_user_model.objects.create_user("ann", email="ann@example.com")
    config = _config(_render(_request(user)))
    assert config["skip_prechat"] is False
    assert config["prechat"] == {"topic": "optional"}
    # Shoppers we do not know still get the whole form.
    assert _config(_render(_request()))["prechat"]["email"] == "required"


@override_settings(LIVECHAT_PRECHAT_FIELDS={"email": "required", "topic": "hidden"})
def test_customers_are_not_asked_a_hidden_topic(django_user_model):
    Department.objects.create(name="Orders", topics="order")
    user = django_user_model.objects.create_user("ann", email="ann@example.com")
    assert _config(_render(_request(user)))["skip_prechat"] is True


@override_settings(
    LIVECHAT_PRECHAT_FIELDS={"name": "required", "age": "required", "email": "maybe"}
)
def test_unknown_prechat_fields_and_modes_are_left_out():
    assert _config(_render(_request()))["prechat"] == {"name": "required"}


@override_settings(LIVECHAT_TOPICS=[("order", "Help with an order"), ("x", "Other")])
def test_topics_are_key_label_pairs():
    topics = _config(_render(_request()))["topics"]
    assert topics == [["order", "Help with an order"], ["x", "Other"]]


def test_default_topic_labels_are_translated():
    with translation.override("es"):
        topics = _config(_render(_request()))["topics"]
    with translation.override("en"):
        english = _config(_render(_request()))["topics"]
    assert [k for k, _label in topics] == ["pre-sales", "order", "other"]
    assert english[1][1] == "Help with an order"
    assert all(isinstance(label, str) and label for _k, label in topics)


# Invitations ---------------------------------------------------------------------


def _rule(**extra):
    values = {"name": "checkout", "message": "Questions about delivery?"}
    values.update(extra)
    return InvitationRule.objects.create(**values)


def test_invitations_are_off_by_default():
    _rule(url_pattern="*")
    assert _config(_render(_request()))["invitation"] is None


@override_settings(
    LIVECHAT_INVITATIONS_ENABLED=True, LIVECHAT_INVITATION_COOLDOWN_DAYS=3
)
def test_invitation_on_a_matching_page():
    rule = _rule(url_pattern="/checkout/*", seconds_on_page=20)
    html = _render(_request(path="/checkout/"))
    assert _config(html)["invitation"] == {
        "id": rule.pk,
        "message": "Questions about delivery?",
        "delay": 20,
        "cooldown_days": 3,
    }
    assert _config(_render(_request(path="/")))["invitation"] is None


@override_settings(LIVECHAT_INVITATIONS_ENABLED=True)
def test_an_invitation_carries_its_offer():
    _rule(url_pattern="*", offer_code="WELCOME5", offer_title="$5 off today")
    offer = _config(_render(_request()))["invitation"]["offer"]
    assert offer == {"code": "WELCOME5", "title": "$5 off today"}


@override_settings(LIVECHAT_INVITATIONS_ENABLED=True)
def test_inactive_rules_and_small_carts_invite_nobody():
    _rule(url_pattern="*", is_active=False)
    _rule(url_pattern="*", min_cart_value=Decimal("50"))
    assert _config(_render(_request()))["invitation"] is None


@override_settings(LIVECHAT_INVITATIONS_ENABLED=True)
def test_invitation_message_is_escaped():
    _rule(message="</script><script>alert(1)</script>")
    html = _render(_request())
    assert "<script>alert" not in html
    assert _config(html)["invitation"]["message"].startswith("</script>")


# The store's face ----------------------------------------------------------------


@override_settings(
    LIVECHAT_WIDGET_TITLE="From settings",
    LIVECHAT_WIDGET_COLOR="#000000",
    LIVECHAT_WIDGET_POSITION="bottom-right",
)
def test_widget_profile_overrides_the_settings():
    profile = WidgetProfile.objects.create(
        title="Corner help",
        greeting="Hello from the shop",
        color="#FFCC00",
        position="bottom-left",
    )
    profile.logo.name = "livechat/logo/shop.png"
    profile.save()

    html = _render(_request())
    strings = _strings(html)
    assert strings["title"] == "Corner help"
    assert strings["greeting"] == "Hello from the shop"
    assert _attr(html, "data-accent") == "#ffcc00"
    assert _attr(html, "data-on-accent") == "#000"
    assert _attr(html, "data-position") == "bottom-left"
    assert "lc-bottom-left" in _attr(html, "class")
    assert _config(html)["logo"] == "/media/livechat/logo/shop.png"


@override_settings(LIVECHAT_WIDGET_TITLE="From settings")
def test_empty_profile_fields_fall_back_to_the_settings():
    WidgetProfile.objects.create(greeting="Only the greeting")
    html = _render(_request())
    assert _strings(html)["title"] == "From settings"
    assert _strings(html)["greeting"] == "Only the greeting"
    assert _config(html)["logo"] == ""


def test_editing_the_profile_shows_on_the_next_page():
    profile = WidgetProfile.objects.create(title="Before")
    assert _strings(_render(_request()))["title"] == "Before"
    profile.title = "After"
    profile.save()
    assert _strings(_render(_request()))["title"] == "After"


def test_the_widget_names_no_third_party():
    html = _render(_request()) + (STATIC / "widget.min.js").read_text()
    html += "\n".join(_widget_sources())
    for vendor in ("powered by", "intercom", "zendesk", "tawk", "crisp"):
        assert vendor not in html.lower()


def test_stylesheet_text_colours_keep_4_5_to_1():
    css = (STATIC / "widget.css").read_text()
    colours = dict(re.findall(r"--lc-([a-z-]+):(#[0-9a-f]{3,6})", css))
    placeholder = re.search(r"::placeholder\{color:(#[0-9a-f]{6})", css).group(1)
    for text in ("text", "muted", "error"):
        for background in ("#ffffff", colours["soft"]):
            assert _contrast(colours[text], background) >= 4.5, (text, background)
    assert _contrast(placeholder, "#ffffff") >= 4.5


def test_no_request_renders_nothing_and_warns_once(caplog, monkeypatch):
    monkeypatch.setattr(livechat_tags, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="livechat.templatetags.livechat"):
        assert _render(None).strip() == ""
        assert _render(None).strip() == ""
    warnings = [r for r in caplog.records if "request" in r.getMessage()]
    assert len(warnings) == 1


def test_no_session_renders_nothing(monkeypatch):
    monkeypatch.setattr(livechat_tags, "_warned", set())
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert _render(request).strip() == ""


def test_widget_assets_stay_small():
    """The widget loads on every shop page: what ships (the bundle and the
    stylesheet) stays within 15 KB gzipped."""
    sizes = [
        len(gzip.compress((STATIC / name).read_bytes(), 9))
        for name in ("widget.min.js", "widget.min.css")
    ]
    assert sum(sizes) <= 15 * 1024, sizes


def test_the_widget_renders_while_the_cache_is_down(settings):
    """Its face is cached; a cache that cannot be reached never breaks a page."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    html = _render(_request())
    assert _attr(html, "data-token")
    assert _strings(html)["open"] == "Open chat"


def test_a_checkout_page_of_the_adapter_marks_the_widget():
    """The adapter's describe_page names the checkout: the widget's root
    carries data-livechat-checkout, as a page the host marked would."""
    html = _render(_request(path="/checkout/shipping/"))
    assert re.search(r'<div id="livechat"[^>]* data-livechat-checkout[ >]', html)
    html = _render(_request(path="/products/tea/"))
    assert "data-livechat-checkout" not in html


@override_settings(LIVECHAT_ADAPTER="tests.adapters.BrokenPagesAdapter")
def test_a_failing_describe_page_leaves_the_page_unmarked(caplog):
    with caplog.at_level(logging.ERROR, logger="livechat.templatetags.livechat"):
        html = _render(_request(path="/checkout/"))
    assert 'id="livechat"' in html
    assert "data-livechat-checkout" not in html
    assert "describe_page failed" in caplog.text


@override_settings(LIVECHAT_ADAPTER="tests.adapters.AvoidingAdapter")
def test_the_adapters_avoid_selectors_reach_the_widget():
    html = _render(_request(path="/basket/"))
    assert _attr(html, "data-avoid") == '#place-order,a.btn[href="/checkout/"]'


def test_no_avoid_selectors_no_attribute():
    assert "data-avoid" not in _render(_request())
