"""Hostile search texts in the admin's search boxes and the API's ``?q=``:
always answered (200), never a server error, whatever the text holds."""

import logging
import time
import uuid
from urllib.parse import quote

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from livechat import services
from livechat.models import Visitor

from .consumers.test_inbox_attacks import SEARCH_TEXTS

pytestmark = pytest.mark.django_db

CHANGELISTS = ("conversation", "message", "visitor")


@pytest.fixture
def chat():
    visitor = Visitor.objects.create(key=uuid.uuid4(), name="Ann", email="a@b.example")
    message, _ = services.post_visitor_message(visitor, "Where is my parcel?", "c1")
    return message.conversation


def _query(text):
    """``text`` as a URL's query: lone surrogates as the bytes a careless
    client would send (invalid UTF-8)."""
    return "q=" + quote(text.encode("utf-8", "surrogatepass"), safe="")


@pytest.fixture
def no_errors_logged(caplog):
    caplog.set_level(logging.INFO)
    yield
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("text", list(SEARCH_TEXTS.values()), ids=list(SEARCH_TEXTS))
@pytest.mark.parametrize("model", CHANGELISTS)
def test_an_admin_search_box_answers_any_text(
    admin_client, chat, no_errors_logged, model, text
):
    url = reverse(f"admin:livechat_{model}_changelist")
    response = admin_client.get(f"{url}?{_query(text)}")
    assert response.status_code == 200


@pytest.mark.parametrize("text", list(SEARCH_TEXTS.values()), ids=list(SEARCH_TEXTS))
def test_the_api_search_answers_any_text(agent, chat, no_errors_logged, text):
    api = APIClient()
    api.force_authenticate(agent)
    response = api.get(f"/livechat/api/v1/conversations/?{_query(text)}")
    assert response.status_code == 200
    assert isinstance(response.json()["results"], list)


@pytest.mark.parametrize(
    "search",
    [
        services.matching_conversations,
        services.matching_messages,
        services.matching_visitors,
    ],
)
@pytest.mark.parametrize("between", ["\x00", "\ud800", "\x00\udfff\x00"])
def test_nul_and_lone_surrogates_separate_words(chat, search, between):
    """No stored text holds them (the admin's form refuses NUL before the
    search; the API and the console pass it on): they split words as a
    space would."""
    for words in ("Ann parcel", "parcel", "Ann", "a@b.example"):
        joined = words.replace(" ", between)
        assert list(search(joined)) == list(search(words))
        assert list(search(between + joined + between)) == list(search(words))


@pytest.mark.parametrize(
    "search",
    [
        services.matching_conversations,
        services.matching_messages,
        services.matching_visitors,
    ],
)
def test_a_search_reads_its_first_words_only(
    chat, search, django_assert_max_num_queries
):
    """Thousands of words (a ?q= of a few kilobytes) cost what ten do: the
    words past the tenth, and the text past 256 characters, are left out."""
    many = "parcel Ann " + " ".join(f"w{n}" for n in range(4000))
    with django_assert_max_num_queries(30):
        found = list(search(many))
    assert found == list(search("parcel Ann w0 w1 w2 w3 w4 w5 w6 w7"))
    long_words = "parcel " + "鞋" * 8000
    assert list(search(long_words)) == list(search("parcel " + "鞋" * 249))


def test_the_api_answers_a_search_of_thousands_of_words_at_once(agent, chat):
    api = APIClient()
    api.force_authenticate(agent)
    text = " ".join(f"w{n}" for n in range(1000))
    started = time.monotonic()
    response = api.get("/livechat/api/v1/conversations/", {"q": text})
    print(f"\na search of 1000 words answered in {time.monotonic() - started:.3f}s")
    assert response.status_code == 200 and response.json()["results"] == []
