"""A big store's chat history in PostgreSQL, written with COPY.

``seed(dsn, conversations, messages)`` makes the database ``dsn`` names:
``manage.py migrate`` and ``seed_demo`` on an empty database (the demo's
agents, superuser and products), 18 more agents, then visitors,
conversations and messages by COPY (bench/scale/rows.py says what they
hold), the id sequences moved past the copied ids, a check that every
conversation's messages run 1..last_seq, and VACUUM ANALYZE. What was
seeded is kept in the table ``bench_scale_seed``, so a later run with
``reuse=True`` keeps a database of the same size instead of seeding again.
"""

import contextlib
import json
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlparse, urlunparse

import psycopg

from bench.scale import phrases
from bench.scale.rows import (
    CONVERSATION_COLUMNS,
    EXPORT_EMAIL,
    MESSAGE_COLUMNS,
    VISITOR_COLUMNS,
    Generator,
    waiting_plan,
)
from tests.e2e.live import run_manage, shop_environment

SIZES = {"T": (1_000, 10_000), "S": (10_000, 100_000), "L": (100_000, 1_000_000)}
AGENTS = 20  # the demo's two and these many more, minus two
META_TABLE = "bench_scale_seed"
CHUNK = 4000  # lines per write to the COPY stream
TABLES = {
    "livechat_visitor": VISITOR_COLUMNS,
    "livechat_conversation": CONVERSATION_COLUMNS,
    "livechat_message": MESSAGE_COLUMNS,
}


@dataclass
class Seeded:
    """What a seeded database holds that the measurements need."""

    dsn: str
    conversations: int
    messages: int
    search_word: str
    export_email: str
    visitor_email: str
    long_conversation: int
    max_conversation: int  # ids above these were added on top (add_waiting)
    max_visitor: int
    max_message: int
    seconds: float

    @property
    def name(self):
        return urlparse(self.dsn).path.lstrip("/")


def with_database(dsn, name):
    """``dsn`` pointing at database ``name`` on the same server."""
    parts = urlparse(dsn)
    if parts.scheme not in {"postgres", "postgresql"}:
        parts = parts._replace(scheme="postgresql")
    return urlunparse(parts._replace(path="/" + name))


def manage_env(dsn):
    """example_shop's environment for manage.py against ``dsn``."""
    return shop_environment(dsn, None)


def seed(dsn, conversations, messages, *, reuse=False, log=print) -> Seeded:
    """Seed ``dsn``'s database (dropped first) unless ``reuse`` finds it seeded."""
    if reuse:
        seeded = read_seeded(dsn)
        if (
            seeded is not None
            and seeded.conversations == conversations
            and seeded.messages == messages
        ):
            remove_added(seeded)
            # New migrations of livechat since the seeding apply to the rows.
            run_manage(manage_env(dsn), "migrate", "--noinput", "-v0")
            log(f"  {seeded.name}: reused ({conversations:,} / {messages:,})")
            return seeded
    started = time.monotonic()
    _recreate(dsn)
    env = manage_env(dsn)
    run_manage(env, "migrate", "--noinput", "-v0")
    run_manage(env, "seed_demo")
    agents = json.loads(
        run_manage(env, "shell", "-c", _AGENTS).strip().splitlines()[-1]
    )
    with psycopg.connect(dsn) as db:
        _check_columns(db)
        first = _next_ids(db)
        generator = Generator(agents)
        store = generator.plan(
            conversations,
            messages,
            first["livechat_conversation"],
            first["livechat_visitor"],
        )
        # The rows are consistent by construction (and checked below): no
        # per-row foreign-key triggers, which would queue a million deferred
        # checks in this transaction.
        db.execute("SET session_replication_role = replica")
        _copy(db, "livechat_visitor", generator.visitor_lines(store))
        _copy(db, "livechat_conversation", generator.conversation_lines(store))
        _copy(
            db,
            "livechat_message",
            generator.message_lines(store, first["livechat_message"]),
        )
        db.execute("SET session_replication_role = DEFAULT")
        _reset_sequences(db)
        _verify(db)
        db.commit()
    _vacuum(dsn)
    with psycopg.connect(dsn) as db:
        maxima = _maxima(db)
        visitor_email = db.execute(
            "SELECT email FROM livechat_visitor WHERE email <> '' AND email <> %s "
            "ORDER BY id OFFSET %s LIMIT 1",
            [EXPORT_EMAIL, len(store.visitors) // 2],
        ).fetchone()[0]
        seeded = Seeded(
            dsn=dsn,
            conversations=conversations,
            messages=messages,
            search_word=phrases.SEARCH_WORD,
            export_email=EXPORT_EMAIL,
            visitor_email=visitor_email,
            long_conversation=store.long_chat,
            max_conversation=maxima["livechat_conversation"],
            max_visitor=maxima["livechat_visitor"],
            max_message=maxima["livechat_message"],
            seconds=round(time.monotonic() - started, 1),
        )
        db.execute(f"CREATE TABLE {META_TABLE} (data jsonb NOT NULL)")
        db.execute(
            f"INSERT INTO {META_TABLE} VALUES (%s)", [json.dumps(asdict(seeded))]
        )
    return seeded


def read_seeded(dsn):
    """The ``Seeded`` record of an existing database, or None."""
    try:
        with psycopg.connect(dsn, connect_timeout=5) as db:
            row = db.execute(f"SELECT data FROM {META_TABLE}").fetchone()
    except psycopg.Error:
        return None
    if row is None:
        return None
    return Seeded(**{**row[0], "dsn": dsn})


def add_waiting(seeded, count):
    """``count`` more waiting chats, each its own shopper, on top of the seed."""
    with psycopg.connect(seeded.dsn) as db:
        first = _next_ids(db)
        generator = Generator([], seed=count)
        store = waiting_plan(
            generator, count, first["livechat_conversation"], first["livechat_visitor"]
        )
        _copy(db, "livechat_visitor", generator.visitor_lines(store, export_email=""))
        _copy(db, "livechat_conversation", generator.conversation_lines(store))
        _copy(
            db,
            "livechat_message",
            generator.message_lines(store, first["livechat_message"]),
        )
        _reset_sequences(db)
    _analyze(seeded.dsn)


def remove_added(seeded):
    """Remove what ``add_waiting`` added (and any chat the run opened)."""
    with psycopg.connect(seeded.dsn) as db:
        db.execute(
            "DELETE FROM livechat_message WHERE conversation_id > %s",
            [seeded.max_conversation],
        )
        db.execute(
            "DELETE FROM livechat_conversation WHERE id > %s",
            [seeded.max_conversation],
        )
        db.execute("DELETE FROM livechat_visitor WHERE id > %s", [seeded.max_visitor])
    _analyze(seeded.dsn)


def drop(dsn):
    with _server(dsn) as server:
        name = urlparse(dsn).path.lstrip("/")
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_database(seeded, name):
    """A copy of the seeded database (nobody may be connected to it)."""
    dsn = with_database(seeded.dsn, name)
    drop(dsn)
    with _server(seeded.dsn) as server:
        server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{seeded.name}"')
    return dsn


@contextlib.contextmanager
def _server(dsn):
    with psycopg.connect(
        with_database(dsn, "postgres"), autocommit=True, connect_timeout=5
    ) as server:
        yield server


def _recreate(dsn):
    drop(dsn)
    with _server(dsn) as server:
        server.execute(f'CREATE DATABASE "{urlparse(dsn).path.lstrip("/")}"')


def _check_columns(db):
    """Fail clearly when a migration added a column the seeder does not fill."""
    for table, columns in TABLES.items():
        existing = {
            row[0]
            for row in db.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = %s",
                [table],
            )
        }
        if existing != set(columns):
            raise SystemExit(
                f"{table} has columns {sorted(existing - set(columns))} the seeder "
                f"does not fill, or lacks {sorted(set(columns) - existing)}: "
                "update bench/scale/rows.py"
            )


def _maxima(db):
    return {
        table: db.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
        for table in TABLES
    }


def _next_ids(db):
    return {table: value + 1 for table, value in _maxima(db).items()}


def _copy(db, table, lines):
    columns = ", ".join(TABLES[table])
    with (
        db.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        chunk = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= CHUNK:
                copy.write("".join(chunk))
                chunk.clear()
        if chunk:
            copy.write("".join(chunk))


def _reset_sequences(db):
    for table in TABLES:
        db.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"greatest((SELECT max(id) FROM {table}), 1))"
        )


def _verify(db):
    """Every conversation's messages are 1..last_seq; every reference exists."""
    checks = {
        "conversations whose messages are not 1..last_seq": """
            SELECT count(*) FROM livechat_conversation c
            LEFT JOIN (SELECT conversation_id, count(*) AS n, min(seq) AS lo,
                              max(seq) AS hi
                       FROM livechat_message GROUP BY conversation_id) m
              ON m.conversation_id = c.id
            WHERE coalesce(m.n, 0) <> c.last_seq
               OR (c.last_seq > 0 AND (m.lo <> 1 OR m.hi <> c.last_seq))""",
        "messages of no conversation": """
            SELECT count(*) FROM livechat_message m WHERE NOT EXISTS
              (SELECT 1 FROM livechat_conversation c WHERE c.id = m.conversation_id)""",
        "conversations of no visitor": """
            SELECT count(*) FROM livechat_conversation c WHERE NOT EXISTS
              (SELECT 1 FROM livechat_visitor v WHERE v.id = c.visitor_id)""",
        "unknown agents": """
            SELECT count(*) FROM livechat_conversation c
            WHERE assigned_agent_id IS NOT NULL AND NOT EXISTS
              (SELECT 1 FROM auth_user u WHERE u.id = c.assigned_agent_id)""",
        "closed before created": """
            SELECT count(*) FROM livechat_conversation
            WHERE closed_at < created_at OR closed_at < last_message_at""",
    }
    for what, sql in checks.items():
        count = db.execute(sql).fetchone()[0]
        if count:
            raise SystemExit(f"seeding went wrong: {count} {what}")


def _vacuum(dsn):
    # What autovacuum would have done to a table that grew over 90 days:
    # statistics, the visibility map (index-only scans) and hint bits.
    with psycopg.connect(dsn, autocommit=True) as db:
        for table in ("auth_user", *TABLES):
            db.execute(f"VACUUM (ANALYZE) {table}")


def _analyze(dsn):
    with psycopg.connect(dsn, autocommit=True) as db:
        for table in TABLES:
            db.execute(f"ANALYZE {table}")


_AGENTS = f"""
import json
from django.contrib.auth import get_user_model
from livechat.models import AgentProfile
User = get_user_model()
permissions = list(User.objects.get(username="agent").user_permissions.all())
for index in range(1, {AGENTS - 1}):
    user, _ = User.objects.get_or_create(
        username=f"agent{{index + 2}}",
        defaults={{"first_name": f"Agent{{index + 2}}", "is_staff": True}},
    )
    user.set_unusable_password()
    user.save()
    user.user_permissions.set(permissions)
    AgentProfile.objects.get_or_create(
        user=user, defaults={{"display_name": f"Support agent {{index + 2}}"}}
    )
ids = list(
    User.objects.filter(user_permissions__codename="reply_conversation")
    .order_by("pk").values_list("pk", flat=True)
)
print(json.dumps(ids))
"""
