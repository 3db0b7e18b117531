"""What the adapter's ``get_visitor_context`` is given: a ``ShopperRequest``
rebuilt from the shopper's session, user and the cookies the adapter names."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.core import signing
from django.core.checks import run_checks
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory, override_settings

from livechat import services
from livechat.adapter import DefaultLivechatAdapter
from livechat.middleware import LivechatVisitorMiddleware
from livechat.models import Visitor
from livechat.shopper import COOKIES_SESSION_KEY, ShopperRequest

pytestmark = pytest.mark.django_db

BASKET = "shop_basket"


class CookieBasketAdapter(DefaultLivechatAdapter):
    """Reads a guest basket id from a signed cookie, as django-oscar does."""

    context_cookies = (BASKET,)

    def get_visitor_context(self, visitor, request):
        basket = request.COOKIES.get(BASKET)
        return {
            "basket": signing.Signer().unsign(basket) if basket else None,
            "user": request.user.get_username(),
            "pages": len(request.session.get("livechat_pages", []))
            if request.session is not None
            else None,
        }


class OldSignatureAdapter(DefaultLivechatAdapter):
    def get_visitor_context(self, visitor, session=None):
        return {}


def _page(request, set_cookie=None, delete_cookie=False):
    """A page with the widget, inside the visitor middleware."""

    def view(request):
        html = Template("{% load livechat %}{% livechat_widget %}").render(
            Context({"request": request})
        )
        response = HttpResponse(html)
        if set_cookie is not None:
            response.set_cookie(BASKET, set_cookie)
        if delete_cookie:
            response.delete_cookie(BASKET)
        return response

    return LivechatVisitorMiddleware(view)(request)


def _request(session=None, cookies=None, user=None):
    request = RequestFactory().get("/basket/")
    if session is None:
        SessionMiddleware(lambda r: None).process_request(request)
        request.session.save()
    else:
        request.session = session
    request.COOKIES.update(cookies or {})
    request.user = user or AnonymousUser()
    return request


def _visitor_of(session):
    visitor = Visitor.objects.create(session_key=session.session_key)
    return visitor


@override_settings(LIVECHAT_ADAPTER=f"{__name__}.CookieBasketAdapter")
def test_a_guest_basket_cookie_reaches_the_adapter():
    request = _request(cookies={BASKET: signing.Signer().sign("41")})
    _page(request)
    request.session.save()
    store, _visit = services.visitor_context(_visitor_of(request.session))
    assert store == {"basket": "41", "user": "", "pages": 1}


@override_settings(LIVECHAT_ADAPTER=f"{__name__}.CookieBasketAdapter")
def test_a_cookie_set_by_the_page_itself_is_kept():
    request = _request()
    _page(request, set_cookie=signing.Signer().sign("7"))
    request.session.save()
    assert request.session[COOKIES_SESSION_KEY] == {BASKET: signing.Signer().sign("7")}
    store, _ = services.visitor_context(_visitor_of(request.session))
    assert store["basket"] == "7"


@override_settings(LIVECHAT_ADAPTER=f"{__name__}.CookieBasketAdapter")
def test_a_deleted_cookie_is_forgotten():
    request = _request(cookies={BASKET: signing.Signer().sign("41")})
    _page(request)
    assert request.session[COOKIES_SESSION_KEY] == {BASKET: signing.Signer().sign("41")}
    _page(_request(session=request.session), delete_cookie=True)
    assert request.session[COOKIES_SESSION_KEY] == {}


@override_settings(LIVECHAT_ADAPTER=f"{__name__}.CookieBasketAdapter")
def test_only_the_named_cookies_are_kept():
    request = _request(cookies={"sessionid": "secret", "csrftoken": "x", "other": "y"})
    _page(request)
    assert request.session.get(COOKIES_SESSION_KEY, {}) == {}


def test_the_default_adapter_keeps_no_cookie():
    request = _request(cookies={BASKET: "1"})
    _page(request)
    assert COOKIES_SESSION_KEY not in request.session


@override_settings(LIVECHAT_ADAPTER=f"{__name__}.CookieBasketAdapter")
def test_a_customer_is_the_request_user(django_user_model):
    user = django_user_model.objects.create_user("ann", password="pw")
    visitor = Visitor.objects.create(user=user)
    store, _ = services.visitor_context(visitor)
    assert store == {"basket": None, "user": "ann", "pages": None}


def test_get_signed_cookie_works_as_on_a_request():
    response = HttpResponse()
    response.set_signed_cookie("k", "v", salt="s")
    shopper = ShopperRequest(
        Visitor(), cookies={"k": response.cookies["k"].value, "bad": "x:y"}
    )
    assert shopper.get_signed_cookie("k", salt="s") == "v"
    assert shopper.get_signed_cookie("bad", default=None) is None
    assert shopper.get_signed_cookie("missing", default="d") == "d"
    with pytest.raises(signing.BadSignature):
        shopper.get_signed_cookie("bad")
    with pytest.raises(KeyError):
        shopper.get_signed_cookie("missing")


@override_settings(LIVECHAT_ADAPTER=f"{__name__}.OldSignatureAdapter")
def test_an_adapter_with_the_old_signature_fails_the_checks():
    errors = [e for e in run_checks() if e.id == "livechat.E005"]
    assert len(errors) == 1
    assert "get_visitor_context" in errors[0].msg


def test_the_default_adapter_passes_the_signature_check():
    assert not [e for e in run_checks() if e.id == "livechat.E005"]
