"""livechat.services.search: conversations, messages and visitors found by a
search, on PostgreSQL through the full-text and trigram indexes, elsewhere by
substring. Every test here runs on whichever database the run has; those
reading query plans or the migration need PostgreSQL."""

import importlib

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Q

from livechat import services
from livechat.models import Conversation, Message, Visitor
from livechat.services import search

pytestmark = pytest.mark.django_db


SEARCH_MIGRATION = importlib.import_module(
    "livechat.migrations.0010_search_and_list_indexes"
)


def _chat(locale, *bodies, name="", email=""):
    visitor = Visitor.objects.create(locale=locale, name=name, email=email)
    for number, body in enumerate(bodies):
        message, _ = services.post_visitor_message(visitor, body, f"{locale}-{number}")
    return Conversation.objects.get(pk=message.conversation_id)


def _found(text, queryset=None):
    return set(services.matching_conversations(text, queryset))


@pytest.fixture
def chats():
    return {
        "en": _chat(
            "en-GB",
            "I am running late for the delivery",
            "Do you ship to Ireland?",
            name="Ann Shopper",
            email="Ann@Example.com",
        ),
        "es": _chat("es", "Quiero devolver los zapatos rojos", name="Beto"),
        "ru": _chat("ru-RU", "Где мой заказ? Посылки нет уже неделю", name="Vera"),
        "zh": _chat("zh-Hans", "我想买鞋子", name="李"),
    }


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("pt-BR", "pt"),
        ("zh_Hans", "zh"),
        ("EN", "en"),
        ("", ""),
        ("x" * 12, ""),
        ("日本-JP", ""),
    ],
)
def test_a_chat_is_indexed_in_the_primary_subtag_of_the_locale(locale, language):
    assert search.conversation_language(Visitor(locale=locale)) == language


def test_messages_carry_their_conversations_language(chats):
    assert chats["ru"].language == "ru"
    assert set(chats["ru"].messages.values_list("language", flat=True)) == {"ru"}
    assert set(chats["zh"].messages.values_list("language", flat=True)) == {"zh"}


@pytest.mark.parametrize(
    ("text", "chat"),
    [
        ("delivery", "en"),
        ("Ireland", "en"),
        ("zapatos", "es"),
        ("заказ", "ru"),
        ("鞋", "zh"),
        ("买鞋", "zh"),
        ('"running late"', "en"),
    ],
)
def test_words_of_messages_find_their_conversation(chats, text, chat):
    assert _found(text) == {chats[chat]}


def test_a_stemmed_form_is_found_in_the_chats_language(chats, postgresql_only):
    assert _found("run") == {chats["en"]}
    assert _found("shipping") == {chats["en"]}
    assert _found("zapato") == {chats["es"]}
    assert _found("заказы") == {chats["ru"]}
    assert _found("посылка") == {chats["ru"]}


def test_a_word_no_configuration_parses_finds_no_message(chats):
    assert _found("!!!") == set()
    assert not services.matching_messages("!!!").exists()


def test_every_word_must_match_somewhere(chats):
    assert _found("Ann delivery") == {chats["en"]}
    assert _found("Ann zapatos") == set()


def test_visitors_are_found_by_email_name_and_number(chats):
    assert _found("ann@example.com") == {chats["en"]}
    assert _found("ANN@EXAMPLE.COM") == {chats["en"]}
    assert _found("example.co") == {chats["en"]}
    assert _found("shopp") == {chats["en"]}
    assert _found("Be") == {chats["es"]}
    assert _found(f"#{chats['ru'].pk}") == {chats["ru"]}
    assert _found(str(chats["zh"].pk)) == {chats["zh"]}
    assert _found("#99999999") == set()


def test_a_topic_key_finds_the_chats_of_that_topic(chats):
    Conversation.objects.filter(pk=chats["ru"].pk).update(topic="order")
    assert _found("Order") == {chats["ru"]}


def test_a_conversation_is_listed_once_however_many_messages_match():
    conversation = _chat("en", "shoes please", "more shoes", "shoes again")
    found = services.matching_conversations("shoes")
    assert list(found) == [conversation]
    assert found.count() == 1


def test_the_search_narrows_the_callers_queryset(chats):
    chats["es"].status = Conversation.Status.CLOSED
    chats["es"].save(update_fields=["status"])
    still_open = Conversation.objects.filter(status__in=Conversation.OPEN_STATUSES)
    assert _found("zapatos", still_open) == set()
    assert _found("Beto", Conversation.objects.order_by("pk")) == {chats["es"]}
    assert _found("  ") == set(Conversation.objects.all())


def test_messages_are_matched_by_their_text(chats):
    found = services.matching_messages("鞋")
    assert [m.body for m in found] == ["我想买鞋子"]
    in_english = Message.objects.filter(conversation=chats["en"])
    assert [m.body for m in services.matching_messages("Ireland", in_english)] == [
        "Do you ship to Ireland?"
    ]
    assert not services.matching_messages("Ireland", Message.objects.none()).exists()


def test_visitors_are_found_by_key_prefix_and_username(chats):
    ann = chats["en"].visitor
    prefix = str(ann.key)[:8]
    assert ann in set(services.matching_visitors(prefix))
    user = User.objects.create_user("beto99", "beto@example.org", "pw")
    Visitor.objects.filter(pk=chats["es"].visitor_id).update(user=user)
    assert set(services.matching_visitors("beto99")) == {chats["es"].visitor}
    assert set(services.matching_visitors("beto@example.org")) == {chats["es"].visitor}
    assert set(services.matching_visitors("ann@example.com")) == {ann}


def test_the_index_definition_is_the_one_queries_use():
    assert search.document_sql("language", "body") == SEARCH_MIGRATION.MESSAGE_DOCUMENT


def _plan(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("word", ["delivery", "zapatos", "заказ", "鞋子"])
def test_message_search_reads_the_full_text_index(chats, postgresql_only, word):
    # The message admin's shape: newest first, a page at a time.
    plan = _plan(services.matching_messages(word).order_by("-pk")[:100])
    assert "Bitmap Index Scan on livechat_message_search" in plan, plan


def test_visitor_search_reads_the_email_and_trigram_indexes(chats, postgresql_only):
    assert "livechat_visitor_email" in _plan(
        services.matching_visitors("ann@example.com").order_by()
    )
    plan = _plan(services.matching_visitors("shopper").order_by())
    assert "livechat_visitor_name_trgm" in plan, plan
    assert "livechat_visitor_email_trgm" in plan, plan


def test_recently_closed_chats_are_read_in_index_order(postgresql_only):
    closed = Conversation.objects.exclude(
        status__in=Conversation.OPEN_STATUSES
    ).order_by("-closed_at", "-created_at")[:20]
    assert "livechat_conv_recent_closed" in _plan(closed)


def test_the_index_migration_runs_outside_a_transaction(postgresql_only):
    assert SEARCH_MIGRATION.Migration.atomic is False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename LIKE %s", ["livechat_%"]
        )
        names = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() is not None
    assert {
        "livechat_conv_created",
        "livechat_conv_closed",
        "livechat_conv_recent_closed",
        "livechat_message_created",
        "livechat_message_search",
        "livechat_visitor_seen",
        "livechat_visitor_email",
        "livechat_visitor_name_trgm",
        "livechat_visitor_email_trgm",
    } <= names


def test_the_recently_closed_index_holds_the_open_statuses():
    index = next(
        i for i in Conversation._meta.indexes if i.name == "livechat_conv_recent_closed"
    )
    assert index.condition == ~Q(status__in=list(Conversation.OPEN_STATUSES))


@pytest.fixture
def order_adapter(settings):
    from tests.adapters import OrderNumberAdapter

    settings.LIVECHAT_ADAPTER = "tests.adapters.OrderNumberAdapter"
    yield OrderNumberAdapter
    OrderNumberAdapter.ORDERED_BY = None


def test_an_order_number_finds_the_chats_of_who_placed_it(chats, order_adapter):
    """The adapter's ``order_customers`` names the account and the email of
    an order: the chats of the visitor linked to that account and of the one
    who gave that email (in any case) are found by its number, "#" or not."""
    customer = User.objects.create_user("orla", email="orla@example.com")
    order_adapter.ORDERED_BY = customer.pk
    linked = _chat("en", "Hello", name="Orla")
    Visitor.objects.filter(pk=linked.visitor_id).update(user=customer)
    guest = _chat("en", "Where is my parcel?", email="GUEST@example.com")

    assert _found("A-1042") == {linked, guest}
    assert _found("#A-1042") == {linked, guest}
    assert _found("A-1043") == set()
    # Every word must match: the order and a word of the guest's message.
    assert _found("A-1042 parcel") == {guest}


def test_an_adapter_failing_on_an_order_number_finds_nothing_by_it(
    chats, order_adapter, caplog
):
    assert _found("666") == set()
    assert "order_customers" in caplog.text
