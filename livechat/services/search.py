"""Searching conversations, messages and visitors, through their indexes.

The admin's search boxes, the API's ``?q=`` and the console filter querysets
with these; callers order the result. Like the admin's own search, the text
is split into words (a quoted phrase is one word) and every word must match
somewhere.

On PostgreSQL a message's text is found through a GIN index over its
``tsvector`` (migration 0010): the body in the text search configuration of
the conversation's language (``Message.language``; "simple" when none is
known), with Chinese, Japanese and Korean characters spaced apart, since
PostgreSQL's parser does not split those runs into words. A word is
searched as a phrase in every configuration at once, so a stemmed form
("running" for "run") is found in English chats, and "鞋" in "我想买鞋子".
Visitors' names and emails substrings use trigram indexes (``pg_trgm``), an
email an index on ``UPPER(email)``. Other databases match substrings
(``icontains``) without an index.

Building a queryset reads the database once per word (the word's forms on
PostgreSQL; customers with that username for visitors), so that the query
itself holds only constants the planner can estimate.
"""

import logging
import re
import uuid

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import BooleanField, F, Func, Q, QuerySet, Subquery, Value
from django.utils.text import smart_split, unescape_string_literal

from ..adapter import get_adapter
from ..conf import app_settings
from ..models import Conversation, Message, Visitor

# Stemming configurations by language code, among those every PostgreSQL
# Django supports ships. The index (migration 0010) holds this same mapping:
# change one, change both, or the index is no longer used.
logger = logging.getLogger(__name__)

_CONFIGS = {
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nb": "norwegian",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "tr": "turkish",
}
# Han, kana and Hangul: spaced apart, each character a word of its own.
# Written as escapes, which Python's and PostgreSQL's regular expressions
# both read: the index holds this very text.
_CJK = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
_CJK_CHARACTER = re.compile(f"({_CJK})")
_QUERY_CONFIGS = (*sorted(set(_CONFIGS.values())), "simple")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ID = re.compile(r"^#?(\d{1,18})$")
_KEY_PREFIX = re.compile(r"^[0-9a-f]{4,32}$")
# What an order number may look like: "10023", "#10023", "ORD-2026-0042".
_ORDER_NUMBER = re.compile(r"^#?[\w/-]{1,64}$")
# What a search reads of its text (the rest is left out, finding more): each
# word is a query of its own and a subquery of the search, whose planning
# grows faster than their number (a thousand words took minutes), and a long
# run of CJK characters one long phrase.
MAX_WORDS = 10
MAX_TEXT = 256  # characters
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def conversation_language(visitor: Visitor) -> str:
    """The language a new chat of ``visitor`` is indexed in: the primary
    subtag of their locale ("pt" for "pt-BR"), or empty when unknown."""
    primary = re.split(r"[-_]", (visitor.locale or "").strip(), maxsplit=1)[0]
    primary = primary.lower()
    return (
        primary if primary.isascii() and primary.isalpha() and len(primary) <= 8 else ""
    )


def document_sql(language: str, body: str) -> str:
    """The SQL of a message's indexed ``tsvector``, from the SQL of its
    ``language`` and ``body`` columns: the expression of the index."""
    whens = " ".join(
        f"WHEN '{code}' THEN '{config}'::regconfig"
        for code, config in sorted(_CONFIGS.items())
    )
    config = f"CASE {language} {whens} ELSE 'simple'::regconfig END"
    spaced = f"regexp_replace({body}, '({_CJK})', ' \\1 ', 'g')"
    return f"to_tsvector({config}, {spaced})"


class _TextMatches(Func):
    """A message's body matches a ``tsquery`` (``@@`` on its index)."""

    output_field = BooleanField()

    def __init__(self, tsquery):
        super().__init__(F("language"), F("body"), Value(tsquery))

    def as_sql(self, compiler, connection, **extra_context):
        (language, _), (body, _), (tsquery, params) = (
            compiler.compile(expression) for expression in self.source_expressions
        )
        return f"{document_sql(language, body)} @@ {tsquery}::tsquery", params


def _tsquery(word, database):
    """The word as a phrase in every configuration, each distinct form once,
    or None when no configuration finds a word in it.

    Asked of the database first: a constant query, and one alternative per
    distinct form rather than per configuration, lets the planner estimate
    how many messages match (sixteen alike alternatives made it think many
    did, and read the table in id order, parsing every message).
    """
    forms = ", ".join(
        f"phraseto_tsquery('{config}'::regconfig, %s)" for config in _QUERY_CONFIGS
    )
    with connections[database].cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(DISTINCT '(' || form::text || ')', ' | ') "  # noqa: S608
            f"FROM unnest(ARRAY[{forms}]) form WHERE numnode(form) > 0",
            [_spaced(word)] * len(_QUERY_CONFIGS),
        )
        return cursor.fetchone()[0]


class _IdAmong(Func):
    """``pk = ANY(ARRAY(<the ids' subquery>))`` (PostgreSQL).

    The subquery runs once, on the text index; the rows are then read by
    primary key, in the caller's order. As a plain filter, a list sorted by
    id with a page size lets the planner walk the whole table backwards,
    parsing each message's text on the way (seconds at a million messages):
    it prices that parse far below its cost.
    """

    output_field = BooleanField()

    def __init__(self, ids):
        super().__init__(F("pk"), Subquery(ids))

    def as_sql(self, compiler, connection, **extra_context):
        (pk, pk_params), (ids, ids_params) = (
            compiler.compile(expression) for expression in self.source_expressions
        )
        return f"{pk} = ANY(ARRAY{ids})", [*pk_params, *ids_params]


def matching_messages(
    text: str, queryset: QuerySet[Message] | None = None
) -> QuerySet[Message]:
    """Messages whose text holds every word of ``text`` (all when blank)."""
    queryset = Message.objects.all() if queryset is None else queryset
    database = queryset.db
    words = _words(text)
    if not words:
        return queryset
    found = Message.objects.using(database).order_by()
    for word in words:
        found = found.filter(_message_holds(word, database))
    if connections[database].vendor != "postgresql":
        return queryset.filter(pk__in=found.values("pk"))
    return queryset.filter(_IdAmong(found.values("pk")))


def matching_conversations(
    text: str, queryset: QuerySet[Conversation] | None = None
) -> QuerySet[Conversation]:
    """Conversations where each word of ``text`` is the conversation's
    number ("#123" or "123"), its topic's key, a word of one of its
    messages, or part of its visitor's name or email (the whole email when
    it is one).

    Each word is one ``pk IN (... UNION ALL ...)`` of the ids each index
    finds, not joins: a conversation is in the result once however many of
    its messages match, and the database reads only the conversations found.
    """
    queryset = Conversation.objects.all() if queryset is None else queryset
    for word in _words(text):
        number = _ID.match(word)
        if number and word.startswith("#"):
            queryset = queryset.filter(pk=int(number[1]))
        else:
            queryset = queryset.filter(pk__in=_conversation_ids(word, queryset.db))
    return queryset


def _conversation_ids(word, database):
    """The ids of the conversations ``word`` finds, one query per index."""
    conversations = Conversation.objects.using(database).order_by()
    visitors = Visitor.objects.using(database).filter(_visitor_named(word))
    found = [
        Message.objects.using(database)
        .filter(_message_holds(word, database))
        .order_by()
        .values("conversation_id"),
        conversations.filter(visitor__in=visitors.values("pk")).values("pk"),
    ]
    number = _ID.match(word)
    if number:
        found.append(conversations.filter(pk=int(number[1])).values("pk"))
    ordered = _order_customers(word, database)
    if ordered is not None:
        found.append(conversations.filter(visitor__in=ordered).values("pk"))
    topics = [key for key, _label in app_settings.TOPICS if key.lower() == word.lower()]
    if topics:
        found.append(conversations.filter(topic__in=topics).values("pk"))
    first, *others = found
    return first.union(*others, all=True)


def matching_visitors(
    text: str, queryset: QuerySet[Visitor] | None = None
) -> QuerySet[Visitor]:
    """Visitors where each word of ``text`` is part of their name or email
    (the whole email when it is one), the start of their key, or their
    customer's username."""
    queryset = Visitor.objects.all() if queryset is None else queryset
    for word in _words(text):
        found = _visitor_named(word)
        key = word.replace("-", "").lower()
        if _KEY_PREFIX.match(key):
            found |= Q(
                key__gte=uuid.UUID(key.ljust(32, "0")),
                key__lte=uuid.UUID(key.ljust(32, "f")),
            )
        users = _users_named(word, queryset.db)
        if users:
            found |= Q(user__in=users)
        queryset = queryset.filter(found)
    return queryset


def _words(text):
    """The words of a search, as the admin splits them: quotes keep a phrase.

    The first ``MAX_WORDS`` words of its first ``MAX_TEXT`` characters.
    """
    words = []
    # NUL and lone surrogates are in no stored text (PostgreSQL refuses the
    # one, UTF-8 the other, as query parameters too): they separate words.
    for bit in smart_split(_UNSTORABLE.sub(" ", (text or "")[:MAX_TEXT])):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1] and len(bit) > 1:
            bit = unescape_string_literal(bit)
        if bit.strip():
            words.append(bit.strip())
    return words[:MAX_WORDS]


def _spaced(text):
    return _CJK_CHARACTER.sub(r" \1 ", text)


def _message_holds(word, database):
    if connections[database].vendor != "postgresql":
        return Q(body__icontains=word)
    tsquery = _tsquery(word, database)
    return Q(pk__in=[]) if tsquery is None else _TextMatches(tsquery)


def _visitor_named(word):
    """A visitor's email is the word, or their name or email contains it.

    Email: ``UPPER(email) =``, served by its index. Otherwise a substring
    (trigram indexes on PostgreSQL), or a prefix for one or two letters,
    which the trigram index serves where a substring it cannot.
    """
    if _EMAIL.match(word):
        return Q(email__iexact=word)
    if len(word) < 3:
        return Q(name__istartswith=word) | Q(email__istartswith=word)
    return Q(name__icontains=word) | Q(email__icontains=word)


def _users_named(word, database):
    """Ids of the customers whose username is ``word`` (or email, for an
    email): read first, so the visitors' query stays on their indexes."""
    user_model = get_user_model()
    found = Q(**{user_model.USERNAME_FIELD: word})
    email_field = user_model.get_email_field_name()
    if _EMAIL.match(word) and email_field:
        found |= Q(**{f"{email_field}__iexact": word})
    return list(
        user_model._default_manager.using(database)
        .filter(found)
        .values_list("pk", flat=True)[:100]
    )


def _order_customers(word, database):
    """The visitors who placed the order ``word`` numbers, as the host's
    adapter says (``order_customers``), or None when it knows no such order."""
    if not _ORDER_NUMBER.match(word) or not any(c.isdigit() for c in word):
        return None
    try:
        user_ids, emails = get_adapter().order_customers(word.lstrip("#"))
    except Exception:
        logger.exception("livechat: the adapter's order_customers(%r) failed", word)
        return None
    user_ids = [pk for pk in list(user_ids or ())[:100] if pk is not None]
    emails = [e for e in list(emails or ())[:100] if isinstance(e, str) and e]
    if not user_ids and not emails:
        return None
    found = Q(user__in=user_ids) if user_ids else Q(pk__in=[])
    for email in emails:
        found |= Q(email__iexact=email)
    return Visitor.objects.using(database).filter(found).values("pk")
