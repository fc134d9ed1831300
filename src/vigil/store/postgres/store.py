"""The scale-out store: several backends share one PostgreSQL database.

Every call borrows a pooled connection (``pool.py``: checked without a round trip, dead ones
skipped). When the database cannot be reached a call raises ``Unavailable``; the pool
reconnects on demand, so calls succeed again once it is back, with no restart. A read that
meets a connection broken since the check is retried once on a fresh one (reads are
idempotent); a write is not (its COMMIT may have landed), it answers ``Unavailable``.

Revisions come from a sequence: unique and increasing in allocation order, though two
concurrent transactions may commit in the opposite order. Writes go through group commit
(``writes.py``): concurrent ``apply`` calls share one transaction and one round trip. Point
reads go through the read batcher (``reads.py``): those of one loop tick share one statement.
The hot statements of both skip psycopg's cursor (``raw.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import psycopg

from vigil.errors import Unavailable
from vigil.store.base import Key, ListQuery, Op, Record
from vigil.store.postgres.errors import translate
from vigil.store.postgres.leader import Leadership
from vigil.store.postgres.notify import Notifications
from vigil.store.postgres.pool import Conn, Connections
from vigil.store.postgres.reads import ReadBatcher
from vigil.store.postgres.schema import migrate
from vigil.store.postgres.writes import GroupCommitter, write_group
from vigil.store.tables import count_sql, list_sql, record_from_row

T = TypeVar("T")


class PostgresStore:
    """``Store`` over PostgreSQL; create it with ``await PostgresStore.open(url)``."""

    def __init__(
        self, url: str, connections: Connections, timeout: float, group_commit: int
    ) -> None:
        self._url = url
        self._connections = connections
        self._leadership = Leadership(url, timeout)
        self._notifications = Notifications(url, timeout)
        self._committer = GroupCommitter(connections, group_commit) if group_commit else None
        self._reads = ReadBatcher(self._with_connection)
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
        connections = Connections(url, pool_size, timeout)
        try:
            await connections.open()
            async with connections.connection() as conn:
                await migrate(conn)
        except Exception as exc:
            await connections.close()
            raise translate(exc) from exc
        return cls(url, connections, timeout, group_commit)

    # --- reads --------------------------------------------------------------------------------

    async def _with_connection(self, work: Callable[[Conn], Awaitable[T]]) -> T:
        """``work`` on a pooled connection; psycopg errors become Vigil errors."""
        if self._closed:
            raise Unavailable("the store is closed")
        connections = self._connections
        for attempt in (1, 2):
            try:
                conn = await connections.acquire()
                try:
                    return await work(conn)
                except psycopg.OperationalError:
                    if attempt == 1 and (conn.broken or conn.closed):
                        continue  # died after the check: once more on a fresh one
                    raise
                finally:
                    connections.release(conn)
            except psycopg.Error as exc:
                raise translate(exc) from exc
        raise AssertionError("unreachable")

    async def _fetch(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        async def rows(conn: Conn) -> list[tuple[Any, ...]]:
            return await (await conn.execute(sql, params)).fetchall()

        return await self._with_connection(rows)

    async def get(self, kind: str, namespace: str, name: str) -> Record | None:
        (record,) = await self.get_many([(kind, namespace, name)])
        return record

    async def get_many(self, keys: Sequence[Key]) -> list[Record | None]:
        """Point reads issued in the same tick share one statement (``reads.py``)."""
        if self._closed:
            raise Unavailable("the store is closed")
        return await self._reads.get_many(keys)

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
        (outcome,) = await write_group(self._connections, [ops])
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

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
        report["pool"] = self._connections.stats()
        return report

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._committer is not None:
            await self._committer.close()
        await self._reads.close()
        await self._notifications.close()
        await self._leadership.close()
        await self._connections.close()
