"""The hottest statements (point reads, event writes) over libpq (``psycopg.pq``) directly.

A psycopg ``execute`` + ``fetchall`` costs the event loop ~90 µs of CPU per round trip on our
2-core VM (a cursor, adapter maps, generators, a loop wait per protocol step); the same
statement through psycopg's own libpq wrapper costs ~35 µs. This module does only that
much: text, bytea and int8 parameters, all sent in binary form (so a NUL in a key cannot cut
it short), binary results, a statement prepared once per connection, one wait per socket
readiness.

psycopg deallocates every prepared statement of a session after a ``ROLLBACK`` (its cache
maintenance), ours included; a statement found missing is prepared again once. Errors are
psycopg's own classes (``error_from_result``), so ``errors.translate`` maps them as before;
a lost connection raises ``OperationalError`` from libpq and leaves the connection broken.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import lru_cache
from weakref import WeakKeyDictionary

from psycopg import OperationalError, pq
from psycopg.errors import error_from_result
from psycopg.pq.abc import PGresult

from vigil.store.postgres.pool import Conn

TEXT_OID = 25
BYTEA_OID = 17
INT8_OID = 20
MAX_PREPARED = 64  # named statements per connection; beyond that they run unnamed
_MISSING_STATEMENT = b"26000"  # invalid_sql_statement_name
_OK = pq.ExecStatus.COMMAND_OK
_TUPLES = pq.ExecStatus.TUPLES_OK
_BINARY = pq.Format.BINARY


class _Session:
    __slots__ = ("encoding", "names", "prepared")

    def __init__(self, conn: Conn) -> None:
        self.encoding = conn.info.encoding
        self.names: dict[tuple[bytes, tuple[int, ...]], bytes] = {}
        self.prepared = 0  # names are never reused: some may outlive a clear of ``names``


_sessions: WeakKeyDictionary[Conn, _Session] = WeakKeyDictionary()


async def query(conn: Conn, sql: bytes, params: Sequence[str | bytes | int]) -> PGresult:
    """The one result of ``sql`` (``$1``... placeholders), in binary format. Parameters are
    text (``str``), bytea (``bytes``) or int8 (``int``)."""
    session = _sessions.get(conn)
    if session is None:
        session = _sessions[conn] = _Session(conn)
    values, types = _encode(params, session.encoding)
    formats = [_BINARY] * len(values)
    for attempt in (1, 2):
        name = session.names.get((sql, types))
        if name is None and len(session.names) < MAX_PREPARED:
            name = b"vigil_%d" % session.prepared
            session.prepared += 1
            conn.pgconn.send_prepare(name, sql, types)
            _check(session, await _result(conn), _OK)
            session.names[(sql, types)] = name
        if name is None:
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


def _encode(
    params: Sequence[str | bytes | int], encoding: str
) -> tuple[list[bytes], tuple[int, ...]]:
    values: list[bytes] = []
    types: list[int] = []
    for param in params:
        if isinstance(param, str):
            values.append(param.encode(encoding))
            types.append(TEXT_OID)
        elif isinstance(param, bytes):
            values.append(param)
            types.append(BYTEA_OID)
        else:
            values.append(param.to_bytes(8, "big", signed=True))
            types.append(INT8_OID)
    return values, tuple(types)


def int8(value: bytes | None) -> int:
    """An int8 (or int4) column of a binary result."""
    return int.from_bytes(value or b"", "big", signed=True)


@lru_cache(maxsize=1024)
def numbered(sql: str) -> bytes:
    """``%s`` placeholders as ``$1``, ``$2``... (our statements have no literal ``%``)."""
    pieces = sql.split("%s")
    return ("".join(f"{p}${n}" for n, p in enumerate(pieces[:-1], start=1)) + pieces[-1]).encode()


def _check(session: _Session, result: PGresult, expected: pq.ExecStatus) -> None:
    if result.status != expected:
        raise error_from_result(result, session.encoding)


async def _result(conn: Conn) -> PGresult:
    """Send what is buffered, then wait for the one result of the command and its end."""
    pgconn = conn.pgconn
    loop = asyncio.get_running_loop()
    while pgconn.flush():
        await _ready(loop, pgconn.socket, write=True)
    result: PGresult | None = None
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
