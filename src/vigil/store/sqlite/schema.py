"""SQLite schema and its versioned migrations, applied when the store opens.

A migration is a tuple of statements run in one transaction together with the bump of
``schema_version``; a database written by a newer Vigil (higher version) is refused.
"""

from __future__ import annotations

import sqlite3

from vigil.errors import VigilError
from vigil.store.tables import INDEXED_EVENT_FIELDS, indexed_field_sql

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
