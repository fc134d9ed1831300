"""SQLite schema and its versioned migrations, applied when the store opens.

A migration is a tuple of statements run in one transaction together with the bump of
``schema_version``; a database written by a newer Vigil (higher version) is refused.
"""

from __future__ import annotations

import sqlite3

from vigil.errors import VigilError
from vigil.store.tables import INDEXED_EVENT_FIELDS, TRIGRAM_COLUMNS, indexed_field_sql

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: the two data tables and the revision counter.
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
        "INSERT INTO meta (key, value) VALUES ('revision', 0)",
        """CREATE TABLE resources (
            kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
            revision INTEGER NOT NULL, value BLOB NOT NULL,
            fields TEXT NOT NULL DEFAULT '{}', labels TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (kind, namespace, name)
        ) WITHOUT ROWID""",
        # Event rows are large (check output, history), so they keep a rowid table and a
        # separate key index rather than a clustered WITHOUT ROWID b-tree.
        """CREATE TABLE events (
            namespace TEXT NOT NULL, entity TEXT NOT NULL, check_name TEXT NOT NULL,
            revision INTEGER NOT NULL, value BLOB NOT NULL,
            fields TEXT NOT NULL DEFAULT '{}', labels TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (namespace, entity, check_name)
        )""",
    ),
    # 2: expression indexes for the event fields lists filter on most (status, state), so a
    # selective filter seeks instead of scanning the table (see tables.seek_terms).
    tuple(
        f"CREATE INDEX events_{key.rsplit('.', 1)[1]} ON events "
        f"({indexed_field_sql(key, 'sqlite')}, namespace, entity, check_name)"
        for key in INDEXED_EVENT_FIELDS
    ),
    # 3: a trigram index of event key columns, so ``matches`` on the entity or check name
    # (a substring test) seeks instead of reading every row (see tables.substring_term).
    # External content: the index keeps only trigrams; triggers keep it in step (an upsert
    # that updates a row keeps its key, so only inserts and deletes touch it).
    (
        f"""CREATE VIRTUAL TABLE events_names USING fts5({", ".join(TRIGRAM_COLUMNS)},
            content='events', content_rowid='rowid', tokenize='trigram case_sensitive 1')""",
        "INSERT INTO events_names (events_names) VALUES ('rebuild')",
        """CREATE TRIGGER events_names_insert AFTER INSERT ON events BEGIN
            INSERT INTO events_names (rowid, entity, check_name)
            VALUES (new.rowid, new.entity, new.check_name);
        END""",
        """CREATE TRIGGER events_names_delete AFTER DELETE ON events BEGIN
            INSERT INTO events_names (events_names, rowid, entity, check_name)
            VALUES ('delete', old.rowid, old.entity, old.check_name);
        END""",
        """CREATE TRIGGER events_names_update AFTER UPDATE OF entity, check_name ON events BEGIN
            INSERT INTO events_names (events_names, rowid, entity, check_name)
            VALUES ('delete', old.rowid, old.entity, old.check_name);
            INSERT INTO events_names (rowid, entity, check_name)
            VALUES (new.rowid, new.entity, new.check_name);
        END""",
    ),
)


def current_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every pending migration; return the schema version now in place."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = current_version(conn)
        if version > len(MIGRATIONS):
            raise VigilError(f"database schema version {version} is newer than this Vigil")
        for number in range(version + 1, len(MIGRATIONS) + 1):
            for statement in MIGRATIONS[number - 1]:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(MIGRATIONS)


def stored_revision(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
    return int(row[0])
