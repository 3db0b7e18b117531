"""Indexes for the admin's and the API's lists, and for search.

Built with CREATE INDEX CONCURRENTLY on PostgreSQL, so a large table keeps
taking writes while they build: the migration runs outside a transaction
(``atomic = False``). Should it stop halfway, PostgreSQL may leave an index
marked INVALID: drop it and migrate again.

The search indexes exist on PostgreSQL only and are not in the models' state
(see ``Message.Meta``): the message text's GIN index over a ``tsvector``
(``livechat.services.search.document_sql``, which the queries repeat
exactly) and trigram indexes on the visitor's name and email, which need the
pg_trgm extension (created here when missing; PostgreSQL 13+ lets a database
owner create it, older servers need a superuser or a DBA to create it first).
"""

import django.db.models.functions.text
from django.db import migrations, models, router
from django.db.utils import NotSupportedError

try:
    from django.contrib.postgres.operations import (
        AddIndexConcurrently,
        TrigramExtension,
    )
except ImportError:  # no PostgreSQL driver installed: not a PostgreSQL database
    AddIndexConcurrently = TrigramExtension = None


class CreateTrigramExtension(migrations.operations.base.Operation):
    """TrigramExtension on PostgreSQL, kept when migrating back: other
    applications of the database may use pg_trgm too."""

    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if TrigramExtension is not None:  # a PostgreSQL driver is installed
            TrigramExtension().database_forwards(
                app_label, schema_editor, from_state, to_state
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def describe(self):
        return "Create the pg_trgm extension if missing (PostgreSQL only)"


class AddIndexConcurrentlyOnPostgreSQL(migrations.AddIndex):
    """AddIndexConcurrently on PostgreSQL, AddIndex elsewhere (SQLite has no
    CONCURRENTLY, and Django's operation refuses other databases)."""

    atomic = False

    def _operation(self, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            return AddIndexConcurrently(self.model_name, self.index)
        return migrations.AddIndex(self.model_name, self.index)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._operation(schema_editor).database_forwards(
            app_label, schema_editor, from_state, to_state
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._operation(schema_editor).database_backwards(
            app_label, schema_editor, from_state, to_state
        )


class PostgreSQLIndex(migrations.operations.base.Operation):
    """An index only PostgreSQL has, built concurrently; no model state."""

    reversible = True
    atomic = False

    def __init__(self, name, table, definition):
        self.name, self.table, self.definition = name, table, definition

    def state_forwards(self, app_label, state):
        pass

    def _applies(self, app_label, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return False
        if connection.in_atomic_block:
            raise NotSupportedError(
                "CREATE INDEX CONCURRENTLY cannot run inside a transaction."
            )
        return router.allow_migrate(connection.alias, app_label)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if self._applies(app_label, schema_editor):
            schema_editor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {self.name} "
                f"ON {self.table} USING gin ({self.definition})"
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if self._applies(app_label, schema_editor):
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {self.name}")

    def describe(self):
        return f"Create index {self.name} on {self.table} (PostgreSQL only)"


# livechat.services.search.document_sql("language", "body"), verbatim.
MESSAGE_DOCUMENT = (
    "to_tsvector(CASE language"
    " WHEN 'da' THEN 'danish'::regconfig WHEN 'de' THEN 'german'::regconfig"
    " WHEN 'en' THEN 'english'::regconfig WHEN 'es' THEN 'spanish'::regconfig"
    " WHEN 'fi' THEN 'finnish'::regconfig WHEN 'fr' THEN 'french'::regconfig"
    " WHEN 'hu' THEN 'hungarian'::regconfig WHEN 'it' THEN 'italian'::regconfig"
    " WHEN 'nb' THEN 'norwegian'::regconfig WHEN 'nl' THEN 'dutch'::regconfig"
    " WHEN 'nn' THEN 'norwegian'::regconfig WHEN 'no' THEN 'norwegian'::regconfig"
    " WHEN 'pt' THEN 'portuguese'::regconfig WHEN 'ro' THEN 'romanian'::regconfig"
    " WHEN 'ru' THEN 'russian'::regconfig WHEN 'sv' THEN 'swedish'::regconfig"
    " WHEN 'tr' THEN 'turkish'::regconfig ELSE 'simple'::regconfig END,"
    r" regexp_replace(body, '([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff])', ' \1 ', 'g'))"
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("livechat", "0009_conversation_message_language"),
    ]

    operations = [
        CreateTrigramExtension(),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="conversation",
            index=models.Index(fields=["created_at"], name="livechat_conv_created"),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="conversation",
            index=models.Index(fields=["closed_at"], name="livechat_conv_closed"),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="conversation",
            index=models.Index(
                condition=models.Q(("status__in", ["waiting", "active", "missed"]), _negated=True),
                fields=["closed_at", "created_at"],
                name="livechat_conv_recent_closed",
            ),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="message",
            index=models.Index(fields=["created_at"], name="livechat_message_created"),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="visitor",
            index=models.Index(fields=["last_seen_at"], name="livechat_visitor_seen"),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="visitor",
            index=models.Index(
                django.db.models.functions.text.Upper("email"), name="livechat_visitor_email"
            ),
        ),
        PostgreSQLIndex("livechat_message_search", "livechat_message", f"({MESSAGE_DOCUMENT})"),
        PostgreSQLIndex("livechat_visitor_name_trgm", "livechat_visitor", "UPPER(name) gin_trgm_ops"),
        PostgreSQLIndex("livechat_visitor_email_trgm", "livechat_visitor", "UPPER(email) gin_trgm_ops"),
    ]
