"""Leadership for cluster-wide jobs: a session advisory lock per job on one dedicated connection.

The lock lives exactly as long as that connection: if the connection dies (network, database
restart, backend killed), the server drops the lock and another backend can take it. So each
``is_leader`` call re-checks the connection (one round trip) before answering yes, and a failed
check answers no and drops the connection; the next call reconnects and competes again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg
from psycopg import AsyncConnection

from vigil.store.postgres.schema import LEADER_LOCK_SPACE

log = logging.getLogger(__name__)


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
                return await asyncio.wait_for(self._check(job), self._timeout)
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
            "SELECT pg_try_advisory_lock(%s, hashtext(%s))", (LEADER_LOCK_SPACE, job)
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
                self._url, autocommit=True, connect_timeout=max(1, int(self._timeout))
            )
        return self._conn

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self._held.clear()
        if conn is not None:
            with contextlib.suppress(Exception):  # it may be broken already
                await conn.close()

    async def close(self) -> None:
        """Closing the connection releases every lock it holds."""
        async with self._lock:
            await self._drop()
