"""The scale-out store: several backends share one PostgreSQL database.

Every call borrows a connection from a ``psycopg_pool`` pool (checked before use, so
connections broken by a database restart are replaced instead of failing a request). When the
database cannot be reached a call raises ``Unavailable``; the pool keeps reconnecting in the
background, so calls succeed again once it is back, with no restart. Revisions come from a
sequence: unique and increasing in allocation order, though two concurrent transactions may
commit in the opposite order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from psycopg_pool import AsyncConnectionPool

from vigil.errors import Unavailable
from vigil.store.base import ListQuery, Op, Record
from vigil.store.postgres.errors import translate, translated
from vigil.store.postgres.leader import Leadership
from vigil.store.postgres.notify import Notifications
from vigil.store.postgres.schema import migrate
from vigil.store.postgres.writes import Conn, GroupCommitter, run_ops
from vigil.store.tables import count_sql, list_sql, record_from_row, row_key, statements_for


class PostgresStore:
    """``Store`` over PostgreSQL; create it with ``await PostgresStore.open(url)``."""

    def __init__(
        self, url: str, pool: AsyncConnectionPool[Conn], timeout: float, group_commit: int
    ) -> None:
        self._url = url
        self._pool = pool
        self._leadership = Leadership(url, timeout)
        self._notifications = Notifications(url, timeout)
        self._committer = GroupCommitter(pool, group_commit) if group_commit else None
        self._closed = False

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        pool_size: int = 10,
        timeout: float = 5.0,
        group_commit: int = 2,
    ) -> PostgresStore:
        """Connect, migrate, and return the store.

        ``timeout`` bounds waiting for a connection (then ``Unavailable``). ``group_commit`` is
        the number of tasks that commit concurrent ``apply`` calls together; 0 runs each
        ``apply`` in its own transaction.
        """
        pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
            url,
            min_size=min(2, pool_size),
            max_size=pool_size,
            kwargs={"autocommit": True, "connect_timeout": max(1, int(timeout))},
            timeout=timeout,
            check=AsyncConnectionPool.check_connection,
            open=False,
            name="vigil-store",
        )
        try:
            await pool.open(wait=True, timeout=timeout)
            async with pool.connection() as conn:
                await migrate(conn)
        except Exception as exc:
            await pool.close()
            raise translate(exc) from exc
        return cls(url, pool, timeout, group_commit)

    # --- reads --------------------------------------------------------------------------------

    async def _fetch(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        if self._closed:
            raise Unavailable("the store is closed")
        async with translated(), self._pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall()

    async def get(self, kind: str, namespace: str, name: str) -> Record | None:
        key = row_key(kind, namespace, name)
        if key is None:
            return None
        rows = await self._fetch(statements_for(kind, "postgres").get, key)
        if not rows:
            return None
        return Record(kind, namespace, name, int(rows[0][0]), bytes(rows[0][1]))

    async def list(self, query: ListQuery) -> list[Record]:
        sql, params = list_sql(query, "postgres")
        return [record_from_row(query.kind, row) for row in await self._fetch(sql, params)]

    async def count(self, kind: str, namespace: str | None = None) -> int:
        sql, params = count_sql(kind, namespace, "postgres")
        return int((await self._fetch(sql, params))[0][0])

    # --- writes -------------------------------------------------------------------------------

    async def apply(self, ops: Sequence[Op]) -> int:
        if self._closed:
            raise Unavailable("the store is closed")
        if self._committer is not None:
            return await self._committer.submit(ops)
        async with translated(), self._pool.connection() as conn, conn.transaction():
            return await run_ops(conn, ops)

    # --- cluster ------------------------------------------------------------------------------

    async def is_leader(self, job: str) -> bool:
        if self._closed:
            return False
        return await self._leadership.is_leader(job)

    async def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        await self._notifications.listen(channel, callback)

    async def notify(self, channel: str, payload: str) -> None:
        await self._fetch("SELECT pg_notify(%s, %s)", (channel, payload))

    async def health(self) -> Mapping[str, object]:
        report: dict[str, object] = {"backend": "postgres"}
        try:
            rows = await self._fetch("SELECT last_value FROM revision_seq", ())
            report["healthy"] = True
            report["revision"] = int(rows[0][0])
        except Exception as exc:  # health never raises
            report["healthy"] = False
            report["error"] = str(exc)
        stats = self._pool.get_stats()
        report["pool"] = {k: stats.get(k, 0) for k in ("pool_size", "pool_available")}
        return report

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._committer is not None:
            await self._committer.close()
        await self._notifications.close()
        await self._leadership.close()
        await self._pool.close()
