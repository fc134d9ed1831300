"""What only the shared-database backend promises: several backends on one PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
import psycopg
import pytest

from vigil.errors import PreconditionFailed, Unavailable, VigilError
from vigil.store.base import ListQuery, Put, Record
from vigil.store.postgres import PostgresStore

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

NS = "default"
Opener = Callable[..., Awaitable[PostgresStore]]


@pytest.fixture
async def open_pg(pg_store_url: str, anyio_backend: str) -> AsyncIterator[Opener]:
    opened: list[PostgresStore] = []

    async def opener(**options: object) -> PostgresStore:
        store = await PostgresStore.open(pg_store_url, **options)  # type: ignore[arg-type]
        opened.append(store)
        return store

    yield opener
    for store in opened:
        await store.close()


def counter(value: int, if_revision: int | None = None) -> Put:
    return Put("checks", NS, "counter", orjson.dumps({"n": value}), if_revision=if_revision)


async def terminate_other_backends(url: str) -> None:
    """Kill every server connection of this database except ours (a database hiccup)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


async def test_two_backends_see_each_others_writes_at_once(open_pg: Opener) -> None:
    one, two = await open_pg(), await open_pg()
    revision = await one.apply([counter(1)])
    record = await two.get("checks", NS, "counter")
    assert record is not None and record.revision == revision
    assert await two.apply([counter(2)]) > revision
    assert [r.value for r in await one.list(ListQuery("checks"))] == [b'{"n":2}']


async def test_two_backends_migrating_at_once_both_open(open_pg: Opener) -> None:
    one, two = await asyncio.gather(open_pg(), open_pg())
    await one.apply([counter(1)])
    assert await two.count("checks") == 1


@pytest.mark.parametrize("group_commit", [0, 2])
async def test_conditional_increments_racing_across_backends_lose_nothing(
    open_pg: Opener, group_commit: int
) -> None:
    backends = [await open_pg(group_commit=group_commit) for _ in range(2)]
    await backends[0].apply([counter(0)])

    async def increment(store: PostgresStore) -> None:
        while True:
            record = await store.get("checks", NS, "counter")
            assert record is not None
            n = orjson.loads(record.value)["n"]
            try:
                await store.apply([counter(n + 1, if_revision=record.revision)])
                return
            except PreconditionFailed:
                continue

    await asyncio.gather(*(increment(backends[i % 2]) for i in range(30)))
    record = await backends[1].get("checks", NS, "counter")
    assert record is not None and orjson.loads(record.value) == {"n": 30}


async def test_leadership_is_held_by_one_and_taken_over_when_it_closes(open_pg: Opener) -> None:
    one, two = await open_pg(), await open_pg()
    assert await one.is_leader("silences") is True
    assert await two.is_leader("silences") is False
    assert await one.is_leader("silences") is True  # re-checked, still held
    assert await two.is_leader("keepalives") is True  # per job
    await one.close()
    assert await one.is_leader("silences") is False
    assert await two.is_leader("silences") is True


async def test_leadership_is_lost_with_its_connection(open_pg: Opener, pg_store_url: str) -> None:
    one = await open_pg()
    assert await one.is_leader("silences") is True
    await terminate_other_backends(pg_store_url)
    assert await one.is_leader("silences") is False  # noticed on the next check
    two = await open_pg()
    assert await two.is_leader("silences") is True
    assert await one.is_leader("silences") is False


async def test_store_recovers_after_its_connections_are_killed(
    open_pg: Opener, pg_store_url: str
) -> None:
    store = await open_pg()
    await store.apply([counter(1)])
    await terminate_other_backends(pg_store_url)
    # Calls either succeed on a fresh connection or say Unavailable: never a psycopg error.
    for _ in range(20):
        try:
            await store.apply([counter(2)])
            break
        except Unavailable:
            await asyncio.sleep(0.1)
    record = await store.get("checks", NS, "counter")
    assert record is not None and record.value == b'{"n":2}'
    assert (await store.health())["healthy"] is True


async def test_unreachable_database_is_unavailable() -> None:
    with pytest.raises(Unavailable):
        await PostgresStore.open("postgresql://postgres@127.0.0.1:1/test", timeout=1)


async def test_notifications_reach_other_backends(open_pg: Opener) -> None:
    one, two = await open_pg(), await open_pg()
    got: list[str] = []
    await two.listen("vigil_cache", got.append)
    await one.notify("vigil_cache", "checks/default/disk")
    for _ in range(200):
        if got:
            break
        await asyncio.sleep(0.01)
    assert got == ["checks/default/disk"]


async def test_point_reads_survive_deallocate_all_and_never_cut_a_key_at_nul(
    open_pg: Opener,
) -> None:
    """Point reads run prepared over libpq (``raw.py``): psycopg deallocates every prepared
    statement after a ROLLBACK, and a key is sent whole, NUL included."""
    store = await open_pg(pool_size=1)
    await store.apply([counter(1)])

    async def read(n: int) -> Record | None:  # n keys: a statement of its own per n
        keys = [("checks", NS, "counter")] + [("checks", NS, f"other{i}") for i in range(n - 1)]
        return (await store.get_many(keys))[0]

    assert await read(1) is not None and await read(2) is not None
    async with store._connections.connection() as conn:  # the store's only connection
        await conn.execute("DEALLOCATE ALL")
    for n in (3, 1, 4, 2, 5):  # new, gone (prepared again), new, gone, new
        record = await read(n)
        assert record is not None and record.value == b'{"n":1}'
    with pytest.raises(VigilError):
        await store.get("checks", NS, "counter\x00tail")
    assert await store.get("checks", NS, "counter") == record  # the connection still works
