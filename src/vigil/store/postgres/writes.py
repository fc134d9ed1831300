"""Running write batches on PostgreSQL, alone or grouped into one transaction.

Conditional writes are race-safe across processes under READ COMMITTED: ``UPDATE/DELETE ...
WHERE revision = N`` re-checks the condition on the newest row version after waiting for a
concurrent writer's lock, and ``INSERT ... ON CONFLICT DO NOTHING`` waits for a concurrent
insert of the same key to commit or abort. A rowcount of 0 is then explained by one more read.

``GroupCommitter`` batches concurrent ``apply`` calls the way the SQLite writer does: a few
worker tasks each take every batch queued meanwhile, run them in one transaction with a
savepoint each (psycopg's nested ``transaction()``), and COMMIT once. Nobody is answered before
that COMMIT returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from vigil.errors import Unavailable
from vigil.store.base import Op
from vigil.store.postgres.errors import translate
from vigil.store.tables import failure, plan_op

MAX_GROUP = 256
Conn = AsyncConnection[tuple[object, ...]]


async def next_revision(conn: Conn) -> int:
    cur = await conn.execute("SELECT nextval('revision_seq')")
    row: Any = await cur.fetchone()
    return int(row[0])


async def run_ops(conn: Conn, ops: Sequence[Op]) -> int:
    """Run one batch inside the current transaction; return its revision."""
    revision = await next_revision(conn)
    for op in ops:
        planned = plan_op(op, revision, "postgres")
        cur = await conn.execute(planned.sql, planned.params)
        if cur.rowcount or not planned.conditional:
            continue
        cur = await conn.execute(planned.revision_of, planned.key)
        row = await cur.fetchone()
        error = failure(op, None if row is None else int(row[0]))  # type: ignore[call-overload]
        if error is not None:
            raise error
    return revision


@dataclass(slots=True)
class Batch:
    ops: Sequence[Op]
    future: asyncio.Future[int]
    outcome: int | BaseException | None = field(default=None)


class GroupCommitter:
    def __init__(self, pool: AsyncConnectionPool[Conn], workers: int) -> None:
        self._pool = pool
        self._queue: asyncio.Queue[Batch | None] = asyncio.Queue()
        self._workers = [asyncio.create_task(self._work()) for _ in range(workers)]
        self._closed = False

    async def submit(self, ops: Sequence[Op]) -> int:
        if self._closed:
            raise Unavailable("the store is closed")
        batch = Batch(list(ops), asyncio.get_running_loop().create_future())
        self._queue.put_nowait(batch)
        return await batch.future

    async def close(self) -> None:
        """Finish every queued batch, then stop the workers."""
        if not self._closed:
            self._closed = True
            for _ in self._workers:
                self._queue.put_nowait(None)
        await asyncio.gather(*self._workers)

    async def _work(self) -> None:
        while (group := await self._take_group()) is not None:
            await self._commit(group)
            for batch in group:
                _settle(batch)

    async def _take_group(self) -> list[Batch] | None:
        first = await self._queue.get()
        if first is None:
            return None
        group = [first]
        while len(group) < MAX_GROUP and not self._queue.empty():
            item = self._queue.get_nowait()
            if item is None:  # stop after this group
                self._queue.put_nowait(None)
                break
            group.append(item)
        return group

    async def _commit(self, group: list[Batch]) -> None:
        try:
            async with self._pool.connection() as conn, conn.transaction():
                if len(group) == 1:  # alone: its own transaction, no savepoint round trips
                    group[0].outcome = await run_ops(conn, group[0].ops)
                    return
                for batch in group:
                    await _run_in_savepoint(conn, batch)
        except Exception as exc:  # nothing was committed: every batch gets the error
            error = translate(exc)
            for batch in group:
                batch.outcome = error


def _settle(batch: Batch) -> None:
    if batch.future.done() or batch.outcome is None:  # the caller gave up waiting
        return
    if isinstance(batch.outcome, BaseException):
        batch.future.set_exception(batch.outcome)
    else:
        batch.future.set_result(batch.outcome)


async def _run_in_savepoint(conn: Conn, batch: Batch) -> None:
    try:
        async with conn.transaction():
            batch.outcome = await run_ops(conn, batch.ops)
    except Exception as exc:
        if conn.broken:
            raise
        batch.outcome = translate(exc)
