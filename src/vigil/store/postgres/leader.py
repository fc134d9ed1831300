"""Leadership for cluster-wide jobs: a session advisory lock per job on one dedicated connection.

The lock lives exactly as long as that connection: if the connection dies (network, database
restart, backend killed), the server drops the lock and another backend can take it. So each
``is_leader`` call re-checks the connection (one round trip) before answering yes, and a failed
check answers no and drops the connection; the next call reconnects and competes again.

A killed backend's connection is closed by its operating system, so the server drops its locks
at once and another backend takes over on its next check (one job interval). The lock key
includes the schema, so clusters sharing a database in separate schemas do not compete.
Closing unlocks explicitly first: the server may take a moment to notice a closed connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg
from psycopg import AsyncConnection

from vigil.store.postgres.pool import connection_kwargs
from vigil.store.postgres.schema import LEADER_LOCK_SPACE

log = logging.getLogger(__name__)

LEADER_ROLE = "leadership"  # application_name suffix of the lock-holding connection


class Leadership:
    def __init__(self, url: str, timeout: float) -> None:
        self._url = url
        self._timeout = timeout
        self._conn: AsyncConnection[tuple[object, ...]] | None = None
        self._held: set[str] = set()
        self._lock = asyncio.Lock()

    async def is_leader(self, job: str) -> bool:
        async with self._lock:
            try:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
                # cancellation that races with completion, and the job loop would never stop.
                async with asyncio.timeout(self._timeout):
                    return await self._check(job)
            except (psycopg.Error, OSError, TimeoutError) as exc:
                log.warning("leadership connection lost: %s", exc)
                await self._drop()
                return False

    async def _check(self, job: str) -> bool:
        conn = await self._connection()
        if job in self._held:
            await conn.execute("SELECT 1")
            return True
        cur = await conn.execute(
            "SELECT pg_try_advisory_lock(%s, hashtext(current_schema() || '/' || %s))",
            (LEADER_LOCK_SPACE, job),
        )
        row = await cur.fetchone()
        if row is not None and row[0]:
            self._held.add(job)
            return True
        return False

    async def _connection(self) -> AsyncConnection[tuple[object, ...]]:
        if self._conn is None or self._conn.closed:
            self._held.clear()
            self._conn = await AsyncConnection.connect(
                self._url, **connection_kwargs(self._timeout, LEADER_ROLE)
            )
        return self._conn

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        held, self._held = self._held, set()
        if conn is not None:
            with contextlib.suppress(Exception):  # it may be broken already
                if held and not conn.broken:
                    async with asyncio.timeout(self._timeout):
                        await conn.execute("SELECT pg_advisory_unlock_all()")
            with contextlib.suppress(Exception):
                await conn.close()

    async def close(self) -> None:
        """Closing the connection releases every lock it holds."""
        async with self._lock:
            await self._drop()
