"""The stores bench/reports.py measures, written with COPY.

``make_template`` migrates an empty database and adds the agents once (and
keeps it for the next run while the migrations stay the same);
``seed_scale`` copies it (CREATE DATABASE ... TEMPLATE) and fills the copy:
visitors, conversations and messages as bench/scale/rows.py plans them over
``days`` days, then the agents' online stretches and orders after some
chats, consistent with them.
"""

import hashlib
import random
from datetime import UTC, datetime, time, timedelta

import django
import psycopg

from bench.loadbench import ROOT
from bench.scale.rows import NULL, Generator, _line, _ts
from bench.scale.seed import (
    _copy,
    _recreate,
    _reset_sequences,
    _server,
    _vacuum,
    drop,
    manage_env,
)
from tests.e2e.live import run_manage

AGENTS = 20
TEMPLATE_TABLE = "bench_reports_template"
# Agents online in the store's (UTC) hours: most 9 to 17 on weekdays, two
# into the evening, one on weekend afternoons.
EVENING_AGENTS = 2
ORDER_SHARE = 0.12  # answered chats followed by an order
SPAN_COLUMNS = ["id", "agent_id", "started_at", "ended_at", "counted_until"]
ORDER_COLUMNS = [
    *("id", "number", "placed_at", "total", "currency", "user_id", "email"),
    *("visitor_id", "coupon_codes", "conversation_id"),
]


def _fingerprint(agents):
    """What the template depends on: the migrations, Django, the agents."""
    digest = hashlib.sha256(f"{django.__version__} {agents}".encode())
    for path in sorted(
        [
            *ROOT.glob("livechat/migrations/*.py"),
            *ROOT.glob("example_shop/*/migrations/*.py"),
        ]
    ):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _reusable(dsn, fingerprint):
    try:
        with psycopg.connect(dsn, connect_timeout=5) as db:
            row = db.execute(f"SELECT fingerprint FROM {TEMPLATE_TABLE}").fetchone()
            if row is None or row[0] != fingerprint:
                return None
            return [
                pk
                for (pk,) in db.execute(
                    "SELECT id FROM auth_user WHERE password = '!' ORDER BY id"
                )
            ]
    except psycopg.Error:
        return None


def make_template(dsn, agents=AGENTS):
    """A migrated database with ``agents`` agents; returns their ids and
    whether it was made now. A template of the same migrations is kept from
    a previous run (migrating is most of a small run's time)."""
    fingerprint = _fingerprint(agents)
    ids = _reusable(dsn, fingerprint)
    if ids is not None:
        return ids, False
    _recreate(dsn)
    run_manage(manage_env(dsn), "migrate", "--noinput", "-v0")
    now = datetime.now(UTC)
    with psycopg.connect(dsn) as db:
        db.execute(f"CREATE TABLE {TEMPLATE_TABLE} (fingerprint text NOT NULL)")
        db.execute(f"INSERT INTO {TEMPLATE_TABLE} VALUES (%s)", [fingerprint])
        ids = []
        for index in range(1, agents + 1):
            ids.append(
                db.execute(
                    "INSERT INTO auth_user (password, is_superuser, username, "
                    "first_name, last_name, email, is_staff, is_active, "
                    "date_joined) VALUES ('!', false, %s, %s, '', '', true, true, "
                    "%s) RETURNING id",
                    [f"agent{index}", f"Agent {index}", now],
                ).fetchone()[0]
            )
    return ids, True


def seed_scale(template, dsn, agents, conversations, messages, *, days):
    """``dsn``'s database: a copy of ``template`` with a store's history."""
    drop(dsn)
    name = dsn.rsplit("/", 1)[1]
    template_name = template.rsplit("/", 1)[1]
    with _server(dsn) as server:
        server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    generator = Generator(agents, seed=conversations, days=days)
    store = generator.plan(conversations, messages)
    with psycopg.connect(dsn) as db:
        db.execute("SET session_replication_role = replica")
        _copy(db, "livechat_visitor", generator.visitor_lines(store))
        _copy(db, "livechat_conversation", generator.conversation_lines(store))
        _copy(db, "livechat_message", generator.message_lines(store))
        _copy_rows(db, "livechat_agentonlinespan", SPAN_COLUMNS, _spans(agents, days))
        _copy_rows(db, "livechat_orderrecord", ORDER_COLUMNS, _orders(store))
        db.execute("SET session_replication_role = DEFAULT")
        _reset_sequences(db)
        for table in ("livechat_agentonlinespan", "livechat_orderrecord"):
            db.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"greatest((SELECT max(id) FROM {table}), 1))"
            )
        db.commit()
    _vacuum(dsn)


def _copy_rows(db, table, columns, lines):
    with (
        db.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for line in lines:
            copy.write(line)


def _spans(agents, days):
    """Each agent's online stretches, none open."""
    rng = random.Random(days)
    today = datetime.now(UTC).date()
    span_id = 0
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        weekend = day.weekday() >= 5
        for index, agent in enumerate(agents):
            if weekend:
                hours = (10, 16) if index == 0 else None
            elif index < EVENING_AGENTS:
                hours = (13, 22)
            else:
                hours = (9, 17) if rng.random() < 0.9 else None
            if hours is None:
                continue
            start = datetime.combine(day, time(hours[0]), UTC)
            start += timedelta(minutes=rng.uniform(-20, 20))
            end = datetime.combine(day, time(hours[1]), UTC)
            end += timedelta(minutes=rng.uniform(-20, 30))
            span_id += 1
            yield _line(
                (
                    str(span_id),
                    str(agent),
                    start.isoformat(),
                    end.isoformat(),
                    end.isoformat(),
                )
            )


def _orders(store):
    """Orders a few hours or days after some answered, closed chats."""
    rng = random.Random(len(store.chats))
    order_id = 0
    for chat in store.chats:
        if chat.status != "closed" or not chat.answered:
            continue
        if rng.random() >= ORDER_SHARE:
            continue
        placed = chat.last_message + rng.uniform(600, 3 * 86400)
        if placed >= store.now:
            continue
        order_id += 1
        yield _line(
            (
                str(order_id),
                f"B{chat.id}",
                _ts(placed),
                f"{rng.uniform(15, 240):.2f}",
                "EUR",
                NULL,
                "",
                str(chat.visitor),
                "",
                str(chat.id),
            )
        )
