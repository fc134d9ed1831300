"""PostgreSQL schema and its versioned migrations, applied when a backend opens.

Several backends may start at once against one database: the whole migration runs in one
transaction holding a transaction-level advisory lock, so the second backend waits and then
finds nothing left to do. DDL is transactional in PostgreSQL, so a failed migration leaves no
trace. Key columns use ``COLLATE "C"`` so that ordering is bytewise, as in SQLite.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from vigil.errors import VigilError
from vigil.store.tables import INDEXED_EVENT_FIELDS, TRIGRAM_COLUMNS, indexed_field_sql

CONDITION_FAILED = "VGC01"  # SQLSTATE raised by vigil_require

# Advisory-lock key spaces (first int4 of the two-key form); the second key is per use.
MIGRATION_LOCK = (0x56494730, 0)
LEADER_LOCK_SPACE = 0x56494731


def _data_table(name: str, key_columns: tuple[str, ...]) -> str:
    keys = ", ".join(f'{c} text COLLATE "C" NOT NULL' for c in key_columns)
    return f"""CREATE TABLE {name} (
        {keys}, revision bigint NOT NULL, value bytea NOT NULL,
        fields jsonb NOT NULL DEFAULT '{{}}', labels jsonb NOT NULL DEFAULT '{{}}',
        PRIMARY KEY ({", ".join(key_columns)})
    )"""


MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: the revision sequence and the two data tables. The primary keys serve every list
    # (keyset order, namespace, name prefix). Selectors read ``fields ->> key`` with the key
    # bound as a parameter, which no GIN or expression index can serve, so none is built:
    # selectors filter rows while the keyset scan walks the primary key up to LIMIT.
    (
        "CREATE SEQUENCE revision_seq AS bigint",
        _data_table("resources", ("kind", "namespace", "name")),
        _data_table("events", ("namespace", "entity", "check_name")),
    ),
    # 2: lets one statement check its own write condition, so a batch needs no round trip
    # between its statements (see ``statements.py``).
    (
        f"""CREATE FUNCTION vigil_require(ok boolean) RETURNS boolean
        LANGUAGE plpgsql AS $$
        BEGIN
            IF ok IS NOT TRUE THEN
                RAISE EXCEPTION 'write condition failed' USING ERRCODE = '{CONDITION_FAILED}';
            END IF;
            RETURN true;
        END $$""",
    ),
    # 3: expression indexes for the event fields lists filter on most (status, state), so a
    # selective filter seeks instead of scanning the table (see tables.seek_terms).
    tuple(
        f"CREATE INDEX events_{key.rsplit('.', 1)[1]} ON events "
        f"({indexed_field_sql(key, 'postgres')}, namespace, entity, check_name)"
        for key in INDEXED_EVENT_FIELDS
    ),
    # 4: trigram indexes (pg_trgm) of the event key columns, so ``matches`` on the entity or
    # check name (``LIKE '%...%'``, see tables.substring_term) seeks instead of scanning.
    # The extension is database-wide and lives in ``public``; the operator class is named
    # with whatever schema holds it, since the search path may not include it.
    (
        "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public",
        f"""DO $$ DECLARE home text; BEGIN
            SELECT n.nspname INTO home FROM pg_extension e
              JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
            {
            "".join(
                f"EXECUTE format('CREATE INDEX events_{c}_trgm ON events USING gin "
                f"({c} %I.gin_trgm_ops)', home); "
                for c in TRIGRAM_COLUMNS
            )
        }
        END $$""",
    ),
)


async def migrate(conn: AsyncConnection[Any]) -> int:
    """Apply every pending migration under the migration lock; return the schema version."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", MIGRATION_LOCK)
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
        cur = await conn.execute("SELECT coalesce(max(version), 0) FROM schema_version")
        row: Any = await cur.fetchone()
        version = int(row[0])
        if version > len(MIGRATIONS):
            raise VigilError(f"database schema version {version} is newer than this Vigil")
        for number in range(version + 1, len(MIGRATIONS) + 1):
            for statement in MIGRATIONS[number - 1]:
                await conn.execute(statement)
            await conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (number,))
    return len(MIGRATIONS)
