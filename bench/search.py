"""How livechat's searches and list sorts run on a large store's tables.

Usage (from the repository root):

    .venv/bin/python bench/search.py [--conversations 20000] [--messages 10]

Creates a fresh ``livechat_bench_search_*`` PostgreSQL database, migrates it
up to 0009, seeds visitors, one conversation each and ``--messages`` messages
per conversation in English, Russian, Spanish and Chinese (a word of each
language in 1% of its messages), runs the index migration (0010) on those
tables, then prints, for each query the admin, the
API and the console run, its plan's access paths and its time (EXPLAIN
ANALYZE), before and after: the substring scan the admin ran, the indexed
search that replaces it. Drops the database at the end.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/test"
NAME = f"livechat_bench_search_{os.getpid()}"

# language: (the word in 1% of its messages, a stemmed form searched, lines)
LANGUAGES = {
    "en": (
        "refunded",
        "refund",
        [
            "Where is my order? It has not arrived yet",
            "Do you have this jacket in blue, size medium",
            "I would like to change the delivery address",
            "Thanks, that was quick and helpful",
        ],
    ),
    "ru": (
        "возврата",
        "возврат",
        [
            "Где мой заказ? Посылки нет уже неделю",
            "Есть ли эта куртка синего цвета",
            "Хочу изменить адрес доставки",
            "Спасибо, вы очень помогли",
        ],
    ),
    "es": (
        "reembolsos",
        "reembolso",
        [
            "Dónde está mi pedido? Todavía no ha llegado",
            "Tienen esta chaqueta en azul, talla mediana",
            "Quiero cambiar la dirección de entrega",
            "Gracias, muy amables",
        ],
    ),
    "zh": (
        "退款",
        "退款",
        [
            "我的订单在哪里？还没有到",
            "这件夹克有蓝色的吗",
            "我想修改收货地址",
            "谢谢你的帮助",
        ],
    ),
}


def _server_connection():
    import psycopg

    connection = psycopg.connect(SERVER, autocommit=True)
    return connection


def _seed(conversations, per_conversation):
    from django.db import connection

    codes = list(LANGUAGES)
    lines, words = [], []
    for code in codes:
        word, _stem, pool = LANGUAGES[code]
        lines.append(pool)
        words.append(f"{pool[0]} {word}" if code != "zh" else f"{pool[0]}{word}")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO livechat_visitor (key, name, email, phone, locale,
                current_page, user_agent, live_sockets, session_key, created_at,
                last_seen_at)
            SELECT gen_random_uuid(), 'Shopper ' || i, 'shopper' || i || '@example.com',
                '', (%s::text[])[1 + i %% 4], '', '', 0, '',
                now() - i * interval '1 minute', now() - i * interval '1 minute'
            FROM generate_series(1, %s) i
            """,
            [codes, conversations],
        )
        cursor.execute(
            """
            INSERT INTO livechat_conversation (visitor_id, status, topic, close_tag,
                source, rating, rating_comment, followup_seq, followup_pending,
                last_seq, visitor_read_seq, agent_read_seq, created_at,
                last_message_at, closed_at, language)
            SELECT v.id, CASE WHEN v.id %% 50 = 0 THEN 'waiting' ELSE 'closed' END,
                '', '', 'chat', '', '', 0, false, %s, %s, %s, v.created_at,
                v.created_at, CASE WHEN v.id %% 50 = 0 THEN NULL
                    ELSE v.created_at + interval '20 minutes' END, v.locale
            FROM livechat_visitor v
            """,
            [per_conversation] * 3,
        )
        cursor.execute(
            """
            INSERT INTO livechat_message (conversation_id, seq, sender_kind, body,
                client_id, created_at, language)
            SELECT c.id, s,
                CASE WHEN s %% 2 = 1 THEN 'visitor' ELSE 'agent' END,
                CASE WHEN (c.id * 7 + s) %% 100 = 0
                    THEN (%s::text[])[array_position(%s::text[], c.language)]
                    ELSE ((%s::text[][])[array_position(%s::text[], c.language)]
                          [1 + (c.id + s) %% 4]) || ' ' || (c.id * 100 + s)
                END,
                '', c.created_at + s * interval '1 minute', c.language
            FROM livechat_conversation c, generate_series(1, %s) s
            """,
            [words, codes, lines, codes, per_conversation],
        )
        cursor.execute("VACUUM ANALYZE")


def _explain(label, queryset):
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        elapsed = time.perf_counter() - started
        plan = [row[0] for row in cursor.fetchall()]
    paths = [
        line.strip()
        for line in plan
        if any(k in line for k in ("Scan", "Index Cond", "SubPlan", "Sort Key"))
        and "Filter" not in line
    ]
    executed = next(line for line in plan if line.startswith("Execution Time"))
    print(f"\n{label}: {executed} ({elapsed * 1000:.0f} ms round trip)")
    for line in paths:
        print(f"    {line[:150]}")


def inner(options):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from livechat import services
    from livechat.models import Conversation, Message, Visitor

    call_command("migrate", verbosity=0)
    # The tables as a store has them before the index migration, which then
    # builds its indexes on them as it would on the store's.
    call_command("migrate", "livechat", "0009", verbosity=0)
    started = time.perf_counter()
    _seed(options.conversations, options.messages)
    seeded = time.perf_counter()
    call_command("migrate", "livechat", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM livechat_message")
        messages = cursor.fetchone()[0]
        cursor.execute(
            "SELECT pg_size_pretty(pg_relation_size('livechat_message_search'))"
        )
        size = cursor.fetchone()[0]
    print(
        f"{options.conversations} conversations, {messages} messages seeded in "
        f"{seeded - started:.0f} s; the index migration took "
        f"{time.perf_counter() - seeded:.0f} s; message text index {size}"
    )
    for code, (word, stem, _lines) in LANGUAGES.items():
        _explain(
            f"[{code}] before: message admin, body icontains {word!r}",
            Message.objects.filter(body__icontains=word).order_by("-pk")[:100],
        )
        _explain(
            f"[{code}] message admin, matching_messages({stem!r})",
            services.matching_messages(stem).order_by("-pk")[:100],
        )
        _explain(
            f"[{code}] conversation admin, matching_conversations({stem!r})",
            services.matching_conversations(stem).order_by("-created_at", "-pk")[:100],
        )
    _explain(
        "the admin's old icontains on the visitor's email (now on the trigram index)",
        Conversation.objects.filter(visitor__email__icontains="shopper77@example.com")
        .distinct()
        .order_by("-created_at")[:100],
    )
    _explain(
        "conversation admin, matching_conversations('shopper77@example.com')",
        services.matching_conversations("shopper77@example.com").order_by(
            "-created_at", "-pk"
        )[:100],
    )
    _explain(
        "visitor admin, matching_visitors('shopper77@example.com')",
        services.matching_visitors("shopper77@example.com").order_by("-last_seen_at")[
            :100
        ],
    )
    _explain(
        "visitor admin, matching_visitors('pper1234')",
        services.matching_visitors("pper1234").order_by("-last_seen_at")[:100],
    )
    _explain(
        "conversation admin, newest first",
        Conversation.objects.order_by("-created_at", "-pk")[:100],
    )
    _explain(
        "conversation admin, by closed_at",
        Conversation.objects.order_by("-closed_at", "-pk")[:100],
    )
    _explain(
        "console inbox, recently closed",
        Conversation.objects.exclude(status__in=Conversation.OPEN_STATUSES).order_by(
            "-closed_at", "-created_at"
        )[:50],
    )
    _explain(
        "message admin, newest first", Message.objects.order_by("-created_at")[:100]
    )
    _explain(
        "visitor admin, last seen", Visitor.objects.order_by("-last_seen_at")[:100]
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=20000)
    parser.add_argument("--messages", type=int, default=10, help="per conversation")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database (its name is printed)"
    )
    options = parser.parse_args(argv)
    server = _server_connection()
    server.execute(f'CREATE DATABASE "{NAME}"')
    base = SERVER.rsplit("/", 1)[0]
    os.environ["DATABASE_URL"] = f"{base}/{NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    try:
        inner(options)
    finally:
        from django.db import connections

        connections.close_all()
        if options.keep:
            print(f"\nkept the database {NAME}")
        else:
            server.execute(f'DROP DATABASE IF EXISTS "{NAME}"')
        server.close()


if __name__ == "__main__":
    main()
