"""The PostgreSQL store's own pool (``store/postgres/pool.py``): what its docstring promises."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from tests.cluster.proxy import CuttableProxy

from vigil.store.postgres.pool import Connections

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


@pytest.fixture
async def pool(pg_store_url: str, anyio_backend: str) -> AsyncIterator[Connections]:
    connections = Connections(pg_store_url, size=2, timeout=0.5)
    await connections.open()
    yield connections
    await connections.close()


async def backend_pids(url: str) -> set[int]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {row[0] for row in await cur.fetchall()}


async def select_one(pool: Connections) -> int:
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT 1")).fetchone()
        assert row is not None
        return int(row[0])


async def test_killed_idle_connections_are_skipped_without_an_error(
    pool: Connections, pg_store_url: str
) -> None:
    async with await psycopg.AsyncConnection.connect(pg_store_url, autocommit=True) as admin:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
            " current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'vigil/%'"
        )
    await asyncio.sleep(0.1)  # the termination notice reaches the idle sockets
    assert await select_one(pool) == 1
    assert pool.stats()["pool_size"] <= 2


async def test_callers_queue_for_a_returned_connection_then_time_out(pool: Connections) -> None:
    first, second = await pool.acquire(), await pool.acquire()
    waiting = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    pool.release(first)
    assert await waiting is first  # handed over, not a third connection
    started = time.monotonic()
    with pytest.raises(psycopg.OperationalError):  # the store says Unavailable
        await pool.acquire()
    assert time.monotonic() - started < 5
    pool.release(first)
    pool.release(second)
    assert pool.stats() == {"pool_size": 2, "pool_available": 2}


async def test_a_connection_returned_mid_transaction_is_closed(pool: Connections) -> None:
    conn = await pool.acquire()
    await conn.execute("BEGIN")
    pool.release(conn)
    assert conn.closed
    assert await select_one(pool) == 1


async def test_outage_fails_fast_and_the_next_call_after_it_reconnects(
    pg_store_url: str, anyio_backend: str
) -> None:
    params = conninfo_to_dict(pg_store_url)
    proxy = CuttableProxy(str(params.get("host", "127.0.0.1")), int(params.get("port") or 5432))
    proxy.start()
    url = make_conninfo(pg_store_url, host="127.0.0.1", port=str(proxy.port))
    pool = Connections(url, size=2, timeout=5)
    try:
        await pool.open()
        assert await select_one(pool) == 1
        proxy.cut()
        await asyncio.sleep(0.1)
        for _ in range(3):
            started = time.monotonic()
            with pytest.raises(psycopg.OperationalError):
                await select_one(pool)
            assert time.monotonic() - started < 2  # not the 5 s checkout timeout
        assert pool.unreachable
        proxy.restore()
        assert await select_one(pool) == 1
        assert not pool.unreachable
    finally:
        await pool.close()
        proxy.close()
