"""Running write batches on PostgreSQL: many batches per transaction, one round trip each.

The fast path (``run_pipelined``) sends ``BEGIN``, then per batch ``nextval`` and its ops as
self-checking statements (``statements.py``), then ``COMMIT``, all in one pipeline: a whole
group of concurrent ``apply`` calls costs one round trip and one WAL flush. If any statement
fails (a write condition, a deadlock, bad data) the transaction rolls back and the group is
redone the exact way (``run_exact``): each batch in its own transaction, statement by
statement, explaining a failed condition with one more read, so each caller gets its own
outcome. Nobody is answered before the COMMIT that covers their batch returned.

A group made only of one-``Put`` batches (concurrent events, mostly) skips the pipeline: it
runs as one statement of data-modifying CTEs (``statements.group_of_puts``) in its own
implicit transaction. Each pipelined statement costs the event loop a wait of its own in
psycopg, so one statement per group saves ~100 µs of CPU per event at 8 concurrent writers.
A failed condition raises there too and sends the group down the exact path.

Conditional writes are race-safe across processes under READ COMMITTED: ``UPDATE/DELETE ...
WHERE revision = N`` re-checks the condition on the newest row version after waiting for a
concurrent writer's lock, and ``INSERT ... ON CONFLICT DO NOTHING`` waits for a concurrent
insert of the same key to commit or abort.

When the connection breaks mid-write the outcome is unknown (the COMMIT may have landed):
those callers get ``Unavailable``, never a success, so no acknowledged write can be lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.pq.abc import PGresult

from vigil.errors import Unavailable, VigilError
from vigil.store.base import Op, Put
from vigil.store.postgres import raw
from vigil.store.postgres.errors import translate
from vigil.store.postgres.pool import Conn, Connections
from vigil.store.postgres.statements import (
    NEXTVAL,
    Statement,
    fast_op,
    group_of_puts,
    single_put,
)
from vigil.store.tables import failure, plan_op

MAX_GROUP = 256
EXACT_ATTEMPTS = 3  # a batch that deadlocks with another backend is retried
_RETRYABLE = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure

Outcome = int | BaseException
Runner = Callable[[Conn], Awaitable[list[int]]]
# One batch's statements; the first one's row ends with the batch's revision.
Planned = list[Statement]


async def run_exact(conn: Conn, ops: Sequence[Op]) -> int:
    """Run one batch inside the current transaction; return its revision."""
    cur = await conn.execute(NEXTVAL)
    row: Any = await cur.fetchone()
    revision = int(row[0])
    for op in ops:
        planned = plan_op(op, revision, "postgres")
        cur = await conn.execute(planned.sql, planned.params)
        if cur.rowcount or not planned.conditional:
            continue
        cur = await conn.execute(planned.revision_of, planned.key)
        found: Any = await cur.fetchone()
        error = failure(op, None if found is None else int(found[0]))
        if error is not None:
            raise error
    return revision


async def run_pipelined(conn: Conn, batches: Sequence[Planned]) -> list[int]:
    """All ``batches`` in one transaction and one round trip; their revisions, in order.

    A lone one-statement batch runs as is, in its own implicit transaction. Raises the first
    database error; the transaction is then rolled back.
    """
    if len(batches) == 1 and len(batches[0]) == 1:
        result = await _raw(conn, batches[0][0])
        return [raw.int8(result.get_value(0, result.nfields - 1))]
    cursors = []
    error: psycopg.Error | None = None
    async with conn.pipeline() as pipeline:
        try:
            await conn.execute("BEGIN")
            for statements in batches:
                (sql, params), *rest = statements
                cursors.append(await conn.cursor().execute(sql, params))
                for sql, params in rest:
                    await conn.execute(sql, params)
            await conn.execute("COMMIT")
            await pipeline.sync()
        except psycopg.Error as exc:
            if conn.broken or conn.closed:
                raise
            error = exc
            with contextlib.suppress(psycopg.Error):  # leave the aborted pipeline state
                await pipeline.sync()
    if error is not None:
        if conn.info.transaction_status != TransactionStatus.IDLE:
            await conn.execute("ROLLBACK")
        raise error
    return [_revision(await cur.fetchone()) for cur in cursors]


async def run_one(conn: Conn, statement: Statement, columns: list[int]) -> list[int]:
    """A group as one statement (``statements.group_of_puts``); raises as ``run_pipelined``."""
    result = await _raw(conn, statement)
    return [raw.int8(result.get_value(0, c)) for c in columns]


async def _raw(conn: Conn, statement: Statement) -> PGresult:
    """A one-row write statement over libpq (``raw.py``): its parameters are all text,
    bytea or int8."""
    sql, params = statement
    return await raw.query(conn, raw.numbered(sql), cast(Sequence[str | bytes | int], params))


def _revision(row: Any) -> int:
    return int(row[-1])


async def _exact_alone(conn: Conn, ops: Sequence[Op]) -> Outcome:
    """One batch in its own transaction; database errors other than a lost connection and
    failed conditions become the batch's outcome."""
    for attempt in range(1, EXACT_ATTEMPTS + 1):
        try:
            async with conn.transaction():
                return await run_exact(conn, ops)
        except VigilError as exc:
            return exc
        except psycopg.Error as exc:
            if conn.broken or conn.closed:
                raise
            if exc.sqlstate in _RETRYABLE and attempt < EXACT_ATTEMPTS:
                continue
            return translate(exc)
    raise AssertionError("unreachable")


def _plan(ops: Sequence[Op]) -> Planned | BaseException:
    try:
        if len(ops) == 1 and isinstance(ops[0], Put):
            return [single_put(ops[0])]
        return [(NEXTVAL, ()), *(fast_op(op) for op in ops)]
    except VigilError as exc:  # e.g. an event name that is not <entity>/<check>
        return exc


def _as_one_statement(groups: Sequence[Sequence[Op]]) -> tuple[Statement, list[int]] | None:
    """Several batches of one ``Put`` each (concurrent events) as one statement, if they can."""
    puts = []
    for ops in groups:
        if len(ops) != 1 or not isinstance(ops[0], Put):
            return None
        puts.append(ops[0])
    if len(puts) < 2:
        return None
    try:
        return group_of_puts(puts)
    except VigilError:  # a bad key: planned batch by batch, it fails alone
        return None


def _planned(groups: Sequence[Sequence[Op]]) -> tuple[list[Outcome | None], list[int], Runner]:
    """Outcomes known before running (planning errors), the batches to run, and how."""
    outcomes: list[Outcome | None] = [None] * len(groups)
    one = _as_one_statement(groups)
    if one is not None:
        return outcomes, list(range(len(groups))), lambda conn: run_one(conn, *one)
    planned: list[Planned] = []
    indexes: list[int] = []
    for i, ops in enumerate(groups):
        plan = _plan(ops)
        if isinstance(plan, BaseException):
            outcomes[i] = plan
        else:
            planned.append(plan)
            indexes.append(i)
    return outcomes, indexes, lambda conn: run_pipelined(conn, planned)


async def write_group(connections: Connections, groups: Sequence[Sequence[Op]]) -> list[Outcome]:
    """Commit ``groups`` (each one caller's batch); one outcome per batch, never raises."""
    outcomes, indexes, run = _planned(groups)
    try:
        async with connections.connection() as conn:
            try:
                revisions = await run(conn)
            except psycopg.Error:
                if conn.broken or conn.closed:
                    raise
                for i in indexes:  # one batch spoiled the group: each on its own now
                    outcomes[i] = await _exact_alone(conn, groups[i])
            else:
                for i, revision in zip(indexes, revisions, strict=True):
                    outcomes[i] = revision
    except Exception as exc:  # connection lost or unavailable: batches not done yet fail
        error = translate(exc)
        if not isinstance(error, VigilError):
            error = Unavailable(f"the store is unavailable: {exc}")
        outcomes = [error if o is None else o for o in outcomes]
    return [o if o is not None else Unavailable("the write was not attempted") for o in outcomes]


@dataclass(slots=True)
class Batch:
    ops: Sequence[Op]
    future: asyncio.Future[int]


class GroupCommitter:
    """A few worker tasks; each takes every batch queued meanwhile and commits them together.

    With one pipelined round trip per group, two workers keep a COMMIT in flight while the
    next group gathers.
    """

    def __init__(self, connections: Connections, workers: int) -> None:
        self._connections = connections
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
            outcomes = await write_group(self._connections, [b.ops for b in group])
            for batch, outcome in zip(group, outcomes, strict=True):
                settle(batch.future, outcome)

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


def settle(future: asyncio.Future[int], outcome: Outcome) -> None:
    if future.done():  # the caller gave up waiting; the write happened (or not) anyway
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
