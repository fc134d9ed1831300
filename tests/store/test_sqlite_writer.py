"""The SQLite writer thread: batches handed over per loop iteration, group commit."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from vigil.store.base import ListQuery, Put
from vigil.store.sqlite import SQLiteStore
from vigil.store.sqlite.writer import HAND_OVER_AT

pytestmark = pytest.mark.anyio


async def test_writes_from_another_event_loop_are_committed_and_answered(tmp_path: Path) -> None:
    """A store may be used from a second loop (another thread): its batches are handed
    over by that loop, never left waiting for the first one."""
    store = await SQLiteStore.open(tmp_path / "vigil.db")
    revisions: list[int] = []

    async def write(prefix: str) -> list[int]:
        return list(
            await asyncio.gather(
                *(store.apply([Put("checks", "default", f"{prefix}{i}", b"{}")]) for i in range(40))
            )
        )

    other = threading.Thread(target=lambda: revisions.extend(asyncio.run(write("b"))))
    other.start()
    revisions.extend(await write("a"))
    await asyncio.to_thread(other.join)
    try:
        assert len(set(revisions)) == 80
        assert len(await store.list(ListQuery("checks", "default"))) == 80
    finally:
        await store.close()


async def test_many_batches_in_one_iteration_are_handed_over_in_parts(tmp_path: Path) -> None:
    store = await SQLiteStore.open(tmp_path / "vigil.db")
    try:
        count = HAND_OVER_AT * 3 + 1
        revisions = await asyncio.gather(
            *(store.apply([Put("checks", "default", f"c{i}", b"{}")]) for i in range(count))
        )
        assert sorted(revisions) == list(range(revisions[0], revisions[0] + count))
    finally:
        await store.close()
