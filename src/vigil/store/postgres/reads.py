"""Point reads on PostgreSQL: those issued in the same event-loop tick share one statement.

A round trip costs the event loop ~60-80 µs of CPU in psycopg and the kernel whatever the
statement, while one more key in it costs a few. So ``get`` and ``get_many`` only queue their
keys; the first one of a tick schedules a flush for the next, and the flush reads every
queued key (each distinct key once) with one statement: the point reads joined by UNION ALL,
each row tagged with its key's index. Eight requests in flight cost one round trip.

The statement goes over libpq directly (``raw.py``), prepared once per connection and shape.
A read is sent after it was issued, so it sees every write acknowledged before it, as
before. If the statement fails, every read in it gets the error (``Unavailable`` on outage).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from functools import lru_cache
from typing import TypeVar

from psycopg import pq

from vigil.store.base import Key, Record
from vigil.store.postgres import raw
from vigil.store.postgres.pool import Conn
from vigil.store.tables import EVENTS, EVENTS_TABLE, RESOURCES_TABLE, STATEMENTS, row_key

T = TypeVar("T")
# Runs a piece of work on a pooled connection (``PostgresStore._with_connection``).
WithConnection = Callable[[Callable[[Conn], Awaitable[T]]], Awaitable[T]]
MAX_KEYS = 256  # distinct keys per statement; a larger tick is read in several


@lru_cache(maxsize=512)
def union_sql(resources: int, events: int) -> bytes:
    """The statement for ``resources`` resource keys then ``events`` event keys, rows
    tagged 0, 1, ... in that order, with numbered placeholders. One text per shape."""
    parts = []
    for i in range(resources + events):
        table = EVENTS_TABLE if i >= resources else RESOURCES_TABLE
        get = STATEMENTS[(table.name, "postgres")].get
        parts.append(get.replace("SELECT ", f"SELECT {i}::int8, ", 1))
    return raw.numbered(" UNION ALL ".join(parts))


class Pending:
    """One caller's keys and where its records go."""

    __slots__ = ("future", "keys")

    def __init__(self, keys: Sequence[Key], future: asyncio.Future[list[Record | None]]) -> None:
        self.keys = keys
        self.future = future


class ReadBatcher:
    def __init__(self, with_connection: WithConnection[pq.abc.PGresult]) -> None:
        self._with_connection = with_connection
        self._pending: list[Pending] = []
        self._running: set[asyncio.Task[None]] = set()

    def get_many(self, keys: Sequence[Key]) -> asyncio.Future[list[Record | None]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Record | None]] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append(Pending(keys, future))
        return future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.get_running_loop().create_task(self._read(batch))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def close(self) -> None:
        """Wait for the reads already sent."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def _read(self, batch: list[Pending]) -> None:
        # Distinct keys, resources first: row i answers keys[i].
        seen: set[Key] = set()
        resources: list[Key] = []
        events: list[Key] = []
        for pending in batch:
            for key in pending.keys:
                if key not in seen:
                    seen.add(key)
                    (events if key[0] == EVENTS else resources).append(key)
        keys = resources + events
        found: dict[Key, Record] = {}
        try:
            for start in range(0, len(keys), MAX_KEYS):
                await self._read_some(keys[start : start + MAX_KEYS], found)
        except Exception as exc:
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(exc)
            return
        except BaseException:  # cancelled: no caller may wait forever
            for pending in batch:
                pending.future.cancel()
            raise
        for pending in batch:
            if not pending.future.done():
                pending.future.set_result([found.get(key) for key in pending.keys])

    async def _read_some(self, keys: list[Key], found: dict[Key, Record]) -> None:
        params: list[str] = []
        asked: list[Key] = []
        resources = 0
        for key in keys:
            values = row_key(*key)
            if values is not None:  # else no row can have it: not found
                params.extend(values)
                asked.append(key)
                resources += key[0] != EVENTS
        if not asked:
            return
        sql = union_sql(resources, len(asked) - resources)
        result = await self._with_connection(lambda conn: raw.query(conn, sql, params))
        for row in range(result.ntuples):
            key = asked[raw.int8(result.get_value(row, 0))]
            revision = raw.int8(result.get_value(row, 1))
            found[key] = Record(*key, revision, result.get_value(row, 2) or b"")
