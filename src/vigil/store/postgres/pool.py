"""Pooled connections: a liveness check without a round trip, and fast failure during outages.

A pooled connection sits idle in autocommit mode and never LISTENs, so the server has nothing
to tell it: if its socket is readable, the server has sent an error (``pg_terminate_backend``,
a shutdown) or closed the connection. ``is_idle_and_alive`` looks for exactly that with a
zero-timeout ``select`` instead of psycopg's ``SELECT``-style check, which would add a round
trip to every call. Dead connections are closed and skipped at once (the pool's own check
loop would back off a second or more per dead connection after a database restart).

While the database is unreachable the pool gives up reconnecting at once (``reconnect_timeout``
0) and each later checkout starts a new attempt, so recovery needs no restart and happens on
the first call after the database is back; meanwhile checkouts wait at most ``FAST_FAIL``
seconds, so callers get ``Unavailable`` quickly instead of after the full timeout.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import time
from collections.abc import AsyncIterator
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool, PoolTimeout

log = logging.getLogger(__name__)

Conn = AsyncConnection[tuple[object, ...]]
FAST_FAIL = 0.5  # seconds a checkout waits once the database is known to be unreachable


def is_idle_and_alive(conn: Conn) -> bool:
    if conn.closed or conn.broken:
        return False
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def connection_kwargs(timeout: float, role: str = "store") -> dict[str, Any]:
    """Autocommit, TCP keepalives so that a silent network loss is noticed in seconds, and an
    ``application_name`` (``vigil/<pid>/<role>``) that tells in ``pg_stat_activity`` which
    backend process holds a connection (and so which one leads a job)."""
    return {
        "autocommit": True,
        "application_name": f"vigil/{os.getpid()}/{role}",
        "connect_timeout": max(1, int(timeout)),
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
    }


class Connections:
    """The store's pool; ``async with connections.connection() as conn`` borrows a live one."""

    def __init__(self, url: str, size: int, timeout: float) -> None:
        self.timeout = timeout
        self.unreachable = False
        self.pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
            url,
            min_size=min(2, size),
            max_size=size,
            kwargs=connection_kwargs(timeout),
            timeout=timeout,
            configure=self._connected,
            reconnect_timeout=0,
            reconnect_failed=self._failed,
            open=False,
            name="vigil-store",
        )

    async def _connected(self, conn: Conn) -> None:
        if self.unreachable:
            log.warning("the database is reachable again")
        self.unreachable = False

    def _failed(self, pool: AsyncConnectionPool[Conn]) -> None:
        if not self.unreachable:
            log.warning("the database is unreachable")
        self.unreachable = True

    async def open(self) -> None:
        await self.pool.open(wait=True, timeout=self.timeout)

    async def _getconn(self) -> Conn:
        """Wait up to ``timeout``, in slices, giving up early once the pool has found the
        database unreachable (the pool does not wake its waiters when a reconnect fails)."""
        deadline = time.monotonic() + self.timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                return await self.pool.getconn(max(0.01, min(FAST_FAIL, remaining)))
            except PoolTimeout:
                if self.unreachable or time.monotonic() >= deadline:
                    raise

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Conn]:
        conn = await self._getconn()
        for _ in range(self.pool.max_size):
            if is_idle_and_alive(conn):
                break
            await conn.close()  # closed: the pool drops it and starts a replacement
            await self.pool.putconn(conn)
            conn = await self._getconn()
        try:
            yield conn
        finally:
            await self.pool.putconn(conn)

    def stats(self) -> dict[str, int]:
        stats = self.pool.get_stats()
        return {k: stats.get(k, 0) for k in ("pool_size", "pool_available")}

    async def close(self) -> None:
        await self.pool.close()
