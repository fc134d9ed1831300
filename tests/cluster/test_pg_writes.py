"""The PostgreSQL write path: groups of concurrent batches share one pipelined transaction, yet
every caller gets its own outcome (the fast path falls back to exact, one by one, on failure)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.cluster.conftest import database
from vigil.errors import AlreadyExists, InvalidArgument, NotFound, PreconditionFailed
from vigil.store.base import Delete, ListQuery, Op, Put
from vigil.store.postgres import PostgresStore

NS = "default"


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with database() as database_url:
        yield database_url


def put(name: str, value: str = "{}", if_revision: int | None = None) -> Put:
    return Put("checks", NS, name, value.encode(), if_revision=if_revision)


async def outcomes(store: PostgresStore, batches: list[list[Op]]) -> list[int | BaseException]:
    """Apply ``batches`` concurrently; with one commit worker all but the first form a group."""
    results = await asyncio.gather(*(store.apply(b) for b in batches), return_exceptions=True)
    return list(results)


def test_a_failing_batch_in_a_group_fails_alone(url: str) -> None:
    async def run() -> None:
        store = await PostgresStore.open(url, group_commit=1)
        try:
            first = await store.apply([put("taken")])
            batches: list[list[Op]] = [[put(f"ok-{i}")] for i in range(20)]
            batches[5] = [put("taken", if_revision=0)]
            batches[9] = [put("taken", if_revision=first + 1000)]
            batches[12] = [put("missing", if_revision=7)]
            batches[15] = [Delete("checks", NS, "missing")]
            batches[17] = [Put("events", NS, "no-slash", b"{}")]
            results = await outcomes(store, batches)
            assert isinstance(results[5], AlreadyExists)
            assert isinstance(results[9], PreconditionFailed)
            assert isinstance(results[12], NotFound)
            assert isinstance(results[15], NotFound)
            assert isinstance(results[17], InvalidArgument)
            revisions = [r for r in results if isinstance(r, int)]
            assert len(revisions) == 15 and len(set(revisions)) == 15
            assert min(revisions) > first
            names = {r.name for r in await store.list(ListQuery("checks", NS))}
            assert {f"ok-{i}" for i in range(20) if i not in (5, 9, 12, 15, 17)} <= names
            assert "missing" not in names
        finally:
            await store.close()

    asyncio.run(run())


def test_batches_of_one_group_touching_one_key_apply_in_order(url: str) -> None:
    async def run() -> None:
        store = await PostgresStore.open(url, group_commit=1)
        try:
            base = await store.apply([put("ordered", '{"n":0}')])
            batches: list[list[Op]] = [[put("ordered", f'{{"n":{i}}}')] for i in range(1, 11)]
            batches.append([put("ordered-2"), Delete("checks", NS, "ordered-2")])
            results = await outcomes(store, batches)
            assert all(isinstance(r, int) and r > base for r in results)
            record = await store.get("checks", NS, "ordered")
            assert record is not None and record.value == b'{"n":10}'
            assert record.revision == results[9]
            assert await store.get("checks", NS, "ordered-2") is None
        finally:
            await store.close()

    asyncio.run(run())


def test_quiet_conditional_deletes_fail_only_on_another_revision(url: str) -> None:
    async def run() -> None:
        store = await PostgresStore.open(url)
        try:
            revision = await store.apply([put("quiet")])
            gone = Delete("checks", NS, "absent", if_revision=3, missing_ok=True)
            assert await store.apply([gone, put("marker")]) > revision
            with pytest.raises(PreconditionFailed):
                await store.apply([Delete("checks", NS, "quiet", revision + 1, missing_ok=True)])
            await store.apply([Delete("checks", NS, "quiet", revision, missing_ok=True)])
            assert await store.get("checks", NS, "quiet") is None
        finally:
            await store.close()

    asyncio.run(run())
