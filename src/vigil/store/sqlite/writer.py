"""The one thread that writes to the SQLite file, committing many callers' batches at once.

Why a thread with group commit: with ``synchronous=FULL`` every COMMIT costs an fsync (about
120 µs here), which caps one-batch-per-transaction at ~8k writes/s. The writer takes every
batch queued while the previous COMMIT ran (up to about ``MAX_GROUP``), runs them in one
transaction and COMMITs once. A failing batch is undone alone and gets its own exception;
the others commit. Nobody is answered before the COMMIT returns, so an acknowledged write is
on disk.

Undoing one batch: a batch of several ops runs inside a SAVEPOINT. A batch of one op needs
none: an op whose condition fails changes no row, and SQLite undoes a failing statement by
itself. That is most batches (an event result is one upsert), and it saves two statements
each.

The event loop hands batches over once per loop iteration, or every ``HAND_OVER_AT`` batches
(``submit`` only queues them there): waking the thread for each batch let it take them one
at a time, each with its own transaction, and cost the loop a thread switch per write.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from vigil.errors import Unavailable, VigilError
from vigil.store.base import Delete, Op
from vigil.store.sqlite.packing import pack
from vigil.store.sqlite.schema import stored_revision
from vigil.store.tables import failure, plan_op

MAX_GROUP = 256
# A loop iteration with many requests ready hands over every this many batches, so the
# thread commits one group while the loop prepares the next instead of idling until the
# iteration ends (with 64 clients that halved the throughput).
HAND_OVER_AT = 16

Outcome = int | BaseException


@dataclass(slots=True)
class Batch:
    ops: Sequence[Op]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[int]
    outcome: Outcome | None = field(default=None)


def _settle(results: list[tuple[asyncio.Future[int], Outcome]]) -> None:
    for future, outcome in results:
        if future.done():  # the caller was cancelled; the write still happened (or not)
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def _answer(group: list[Batch]) -> None:
    """Settle the group's futures: one call into each event loop, not one per batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[int], Outcome]]] = {}
    for batch in group:
        assert batch.outcome is not None
        by_loop.setdefault(batch.loop, []).append((batch.future, batch.outcome))
    for loop, results in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            loop.call_soon_threadsafe(_settle, results)


def run_ops(conn: sqlite3.Connection, ops: Sequence[Op], revision: int) -> None:
    """Run one batch inside the current transaction; raise on the first failed condition."""
    for op in ops:
        planned = plan_op(
            op, revision, "sqlite", None if isinstance(op, Delete) else pack(op.value)
        )
        if conn.execute(planned.sql, planned.params).rowcount or not planned.conditional:
            continue
        row = conn.execute(planned.revision_of, planned.key).fetchone()
        error = failure(op, None if row is None else int(row[0]))
        if error is not None:
            raise error


class Writer:
    """Owns the write connection; ``submit`` is called on the event loop, the rest on the thread."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._queue: queue.SimpleQueue[list[Batch] | None] = queue.SimpleQueue()
        # Per event loop (a store may serve several), what was submitted in its current
        # iteration and not yet handed over; each list is only touched on its loop's thread.
        self._pending: dict[asyncio.AbstractEventLoop, list[Batch]] = {}
        self._thread = threading.Thread(target=self._run, name="vigil-sqlite-writer", daemon=True)
        self._closed = False
        self.revision = stored_revision(conn)  # last committed revision
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self._closed

    def submit(self, ops: Sequence[Op]) -> asyncio.Future[int]:
        if self._closed:
            raise Unavailable("the store is closed")
        loop = asyncio.get_running_loop()
        batch = Batch(list(ops), loop, loop.create_future())
        pending = self._pending.get(loop)
        if pending is None:
            pending = self._pending[loop] = []
            loop.call_soon(self._hand_over, loop)
        pending.append(batch)
        if len(pending) >= HAND_OVER_AT:
            self._hand_over(loop)
        return batch.future

    def _hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        pending = self._pending.pop(loop, None)
        if pending:
            self._queue.put(pending)

    def close(self) -> None:
        """Finish what is queued, then stop the thread and close the connection (blocking)."""
        if not self._closed:
            self._closed = True
            for loop in list(self._pending):
                self._hand_over(loop)
            self._queue.put(None)
        self._thread.join()

    # --- writer thread ----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while (group := self._take_group()) is not None:
                self._commit_group(group)
                _answer(group)
        finally:
            self._conn.close()
            self._refuse_rest()

    def _refuse_rest(self) -> None:
        """Batches that arrived after the stop (a submit racing ``close``) fail, not hang."""
        while True:
            try:
                late = self._queue.get_nowait()
            except queue.Empty:
                return
            for batch in late or ():
                batch.outcome = Unavailable("the store is closed")
            _answer(late or [])

    def _take_group(self) -> list[Batch] | None:
        first = self._queue.get()
        if first is None:
            return None
        group = first
        while len(group) < MAX_GROUP:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:  # stop after this group
                self._queue.put(None)
                break
            group.extend(item)
        return group

    def _commit_group(self, group: list[Batch]) -> None:
        revision = self.revision
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            if len(group) == 1:  # alone: no savepoint; its failure rolls everything back
                revision = self._run_alone(group[0], revision + 1)
            else:
                for batch in group:
                    if self._run_batch(batch, revision + 1):
                        revision += 1
            if self._conn.in_transaction:
                self._conn.execute("UPDATE meta SET value = ? WHERE key = 'revision'", (revision,))
                self._conn.execute("COMMIT")
        except Exception as exc:  # the transaction as a whole failed: nothing was committed
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            error = Unavailable(f"the store could not commit: {exc}")
            for batch in group:
                batch.outcome = error
            return
        self.revision = revision

    def _run_alone(self, batch: Batch, revision: int) -> int:
        """Run a lone batch; on its failure roll back and return the unchanged revision."""
        try:
            run_ops(self._conn, batch.ops, revision)
        except Exception as exc:
            self._conn.execute("ROLLBACK")
            batch.outcome = exc
            return revision - 1
        batch.outcome = revision
        return revision

    def _run_batch(self, batch: Batch, revision: int) -> bool:
        if len(batch.ops) == 1:
            return self._run_one_op(batch, revision)
        self._conn.execute("SAVEPOINT batch")
        try:
            run_ops(self._conn, batch.ops, revision)
        except Exception as exc:
            self._conn.execute("ROLLBACK TO batch")
            self._conn.execute("RELEASE batch")
            batch.outcome = exc
            return False
        self._conn.execute("RELEASE batch")
        batch.outcome = revision
        return True

    def _run_one_op(self, batch: Batch, revision: int) -> bool:
        """A one-op batch without a savepoint: when it fails it has changed nothing (a failed
        condition changes no row; SQLite undoes a failing statement), unless SQLite gave up
        the whole transaction, which then fails the group."""
        try:
            run_ops(self._conn, batch.ops, revision)
        except VigilError as exc:
            batch.outcome = exc
            return False
        except Exception as exc:
            if not self._conn.in_transaction:
                raise
            batch.outcome = exc
            return False
        batch.outcome = revision
        return True
