"""SQLite keeps large values compressed and gives back exactly the bytes written."""

from __future__ import annotations

import contextlib
import sqlite3
import zlib
from pathlib import Path

import orjson
import pytest

from vigil.store.base import ListQuery, Put
from vigil.store.sqlite import SQLiteStore

pytestmark = pytest.mark.anyio

BIG = orjson.dumps({"check": {"output": "x" * 3000, "history": [{"status": 0}] * 21}})
SMALL = orjson.dumps({"metadata": {"name": "small"}})


async def test_values_round_trip_and_large_ones_are_stored_smaller(tmp_path: Path) -> None:
    store = await SQLiteStore.open(tmp_path / "vigil.db")
    try:
        await store.apply(
            [Put("events", "default", "e/c", BIG), Put("checks", "default", "s", SMALL)]
        )
        got = await store.get("events", "default", "e/c")
        assert got is not None and got.value == BIG
        listed = await store.list(ListQuery("events", "default"))
        assert [r.value for r in listed] == [BIG]
        small = await store.get("checks", "default", "s")
        assert small is not None and small.value == SMALL
    finally:
        await store.close()
    with contextlib.closing(sqlite3.connect(tmp_path / "vigil.db")) as conn, conn:
        (stored,) = conn.execute("SELECT value FROM events").fetchone()
        (plain,) = conn.execute("SELECT value FROM resources WHERE name = 's'").fetchone()
    assert len(stored) < len(BIG) / 4
    assert stored[:4] == b"\x28\xb5\x2f\xfd"  # a zstd frame
    assert plain == SMALL


async def _written_behind(path: Path, event: bytes, check: bytes | None = None) -> None:
    """A database holding ``event`` (and ``check``) as older versions stored them."""
    store = await SQLiteStore.open(path)
    await store.close()
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "INSERT INTO events (namespace, entity, check_name, revision, value) "
            "VALUES ('default', 'e', 'c', 1, ?)",
            (event,),
        )
        if check is not None:
            conn.execute(
                "INSERT INTO resources (kind, namespace, name, revision, value) "
                "VALUES ('checks', 'default', 'old', 1, ?)",
                (check,),
            )


async def test_rows_stored_plainly_are_read_as_they_are(tmp_path: Path) -> None:
    await _written_behind(tmp_path / "vigil.db", BIG)
    store = await SQLiteStore.open(tmp_path / "vigil.db")
    try:
        got = await store.get("events", "default", "e/c")
        assert got is not None and got.value == BIG
    finally:
        await store.close()


async def test_rows_compressed_with_zlib_by_earlier_versions_still_read(tmp_path: Path) -> None:
    await _written_behind(tmp_path / "vigil.db", zlib.compress(BIG, 1), zlib.compress(BIG, 1))
    store = await SQLiteStore.open(tmp_path / "vigil.db")
    try:
        got = await store.get_many([("events", "default", "e/c"), ("checks", "default", "old")])
        assert [r.value if r else None for r in got] == [BIG, BIG]
        listed = await store.list(ListQuery("events", "default"))
        assert [r.value for r in listed] == [BIG]
    finally:
        await store.close()
