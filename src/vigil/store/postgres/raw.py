"""The hottest statement, point reads, straight over libpq (``psycopg.pq``), past the cursor.

A psycopg ``execute`` + ``fetchall`` costs the event loop ~90 µs of CPU per round trip on our
2-core VM (a cursor, adapter maps, generators, a loop wait per protocol step); the same
statement through psycopg's own libpq wrapper costs ~35 µs. This module does only that
much: text parameters (sent in binary form, so a NUL in a key cannot cut it short), binary
results, a statement prepared once per connection, one wait per readable socket.

psycopg deallocates every prepared statement of a session after a ``ROLLBACK`` (its cache
maintenance), ours included; a statement found missing is prepared again once. Errors are
psycopg's own classes (``error_from_result``), so ``errors.translate`` maps them as before;
a lost connection raises ``OperationalError`` from libpq and leaves the connection broken.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from weakref import WeakKeyDictionary

from psycopg import OperationalError, pq
from psycopg.errors import error_from_result

from vigil.store.postgres.pool import Conn

TEXT_OID = 25
MAX_PREPARED = 64  # named statements per connection; beyond that they run unnamed
_MISSING_STATEMENT = b"26000"  # invalid_sql_statement_name
_OK = pq.ExecStatus.COMMAND_OK
_TUPLES = pq.ExecStatus.TUPLES_OK
_BINARY = pq.Format.BINARY


class _Session:
    __slots__ = ("encoding", "names")

    def __init__(self, conn: Conn) -> None:
        self.encoding = conn.info.encoding
        self.names: dict[bytes, bytes] = {}


_sessions: WeakKeyDictionary[Conn, _Session] = WeakKeyDictionary()


async def query(conn: Conn, sql: bytes, params: Sequence[str]) -> pq.abc.PGresult:
    """Rows of ``sql`` (``$1``... placeholders, all text), in binary format."""
    session = _sessions.get(conn)
    if session is None:
        session = _sessions[conn] = _Session(conn)
    values = [p.encode(session.encoding) for p in params]
    formats = [_BINARY] * len(values)
    for attempt in (1, 2):
        name = session.names.get(sql)
        if name is None and len(session.names) < MAX_PREPARED:
            name = b"vigil_%d" % len(session.names)
            conn.pgconn.send_prepare(name, sql, [TEXT_OID] * len(values))
            _check(session, await _result(conn), _OK)
            session.names[sql] = name
        if name is None:
            types = [TEXT_OID] * len(values)
            conn.pgconn.send_query_params(sql, values, types, formats, _BINARY)
        else:
            conn.pgconn.send_query_prepared(name, values, formats, _BINARY)
        result = await _result(conn)
        missing = result.error_field(pq.DiagnosticField.SQLSTATE) == _MISSING_STATEMENT
        if attempt == 1 and missing:
            session.names.clear()  # deallocated behind our back: prepare again
            continue
        _check(session, result, _TUPLES)
        return result
    raise AssertionError("unreachable")


def _check(session: _Session, result: pq.abc.PGresult, expected: pq.ExecStatus) -> None:
    if result.status != expected:
        raise error_from_result(result, session.encoding)


async def _result(conn: Conn) -> pq.abc.PGresult:
    """Send what is buffered, then wait for the one result of the command and its end."""
    pgconn = conn.pgconn
    loop = asyncio.get_running_loop()
    while pgconn.flush():
        await _ready(loop, pgconn.socket, write=True)
    result: pq.abc.PGresult | None = None
    while True:
        pgconn.consume_input()
        while not pgconn.is_busy():
            next_result = pgconn.get_result()
            if next_result is None:
                if result is None:
                    raise OperationalError("the server sent no result")
                return result
            if result is None:
                result = next_result
        await _ready(loop, pgconn.socket)


async def _ready(loop: asyncio.AbstractEventLoop, fd: int, write: bool = False) -> None:
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    if write:
        loop.add_writer(fd, wake)
    else:
        loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        if write:
            loop.remove_writer(fd)
        else:
            loop.remove_reader(fd)
