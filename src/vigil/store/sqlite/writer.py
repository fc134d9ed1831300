"""The one thread that writes to the SQLite file, committing many callers' batches at once.

Why a thread with group commit: with ``synchronous=FULL`` every COMMIT costs an fsync (about
120 µs here), which caps one-batch-per-transaction at ~8k writes/s. The writer takes every
batch queued while the previous COMMIT ran (up to ``MAX_GROUP``), runs them in one transaction
with a SAVEPOINT each, and COMMITs once. A failing batch is rolled back to its savepoint and
gets its own exception; the others commit. Nobody is answered before the COMMIT returns, so an
acknowledged write is on disk.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from vigil.errors import Unavailable
from vigil.store.base import Op
from vigil.store.sqlite.packing import packed_op
from vigil.store.sqlite.schema import stored_revision
from vigil.store.tables import failure, plan_op

MAX_GROUP = 256


@dataclass(slots=True)
class Batch:
    ops: Sequence[Op]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[int]
    outcome: int | BaseException | None = field(default=None)


def _settle(future: asyncio.Future[int], outcome: int | BaseException) -> None:
    if future.done():  # the caller was cancelled; the write still happened (or not)
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def run_ops(conn: sqlite3.Connection, ops: Sequence[Op], revision: int) -> None:
    """Run one batch inside the current transaction; raise on the first failed condition."""
    for op in ops:
        planned = plan_op(packed_op(op), revision, "sqlite")
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
        self._queue: queue.SimpleQueue[Batch | None] = queue.SimpleQueue()
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
        self._queue.put(batch)
        return batch.future

    def close(self) -> None:
        """Finish what is queued, then stop the thread and close the connection (blocking)."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
        self._thread.join()

    # --- writer thread ----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while (group := self._take_group()) is not None:
                self._commit_group(group)
                for batch in group:
                    assert batch.outcome is not None
                    batch.loop.call_soon_threadsafe(_settle, batch.future, batch.outcome)
        finally:
            self._conn.close()

    def _take_group(self) -> list[Batch] | None:
        first = self._queue.get()
        if first is None:
            return None
        group = [first]
        while len(group) < MAX_GROUP:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:  # stop after this group
                self._queue.put(None)
                break
            group.append(item)
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
