"""Acknowledged upserts per second through the Store, against a raw sqlite3 baseline.

    python bench/store_bench.py [--seconds 3] [--pg-url postgresql://...] [--skip-pg]

Every write is one ``apply([Put(...)])`` of a ~1 KB event to a random one of 10,000
pre-populated keys, with a changing value (so no page is skipped as unchanged). ``N`` tasks
write concurrently; a write counts once ``apply`` returned (i.e. after its COMMIT). The
baseline is stdlib sqlite3 with the same durability (WAL, synchronous=FULL) writing the same
rows with ``executemany`` in transactions of 100, measured in the same run; results are
printed as rows/s and as a ratio of that baseline. PostgreSQL runs in a fresh database that is
dropped afterwards, once with group commit (the default) and once without.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from harness import scratch_database
from psycopg.conninfo import conninfo_to_dict

from vigil.store.base import Put, Store
from vigil.store.postgres import PostgresStore
from vigil.store.sqlite import SQLiteStore

KEYS = 10_000
PAD = "x" * 900
CONCURRENCY = (1, 8, 64)


def value(i: int) -> bytes:
    return f'{{"seq":{i},"t":{time.time_ns()},"pad":"{PAD}"}}'.encode()


def put(i: int) -> Put:
    key = random.randrange(KEYS)
    fields = {"event.entity.name": f"e{key // 10}", "event.check.status": str(i % 3)}
    return Put("events", "default", f"e{key // 10}/c{key % 10}", value(i), fields=fields)


def baseline(path: Path, seconds: float) -> float:
    """Raw sqlite3, WAL + FULL, executemany of 100-row transactions (the upper bound)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(
        "CREATE TABLE events (namespace TEXT, entity TEXT, check_name TEXT, revision INTEGER,"
        " value BLOB, fields TEXT, labels TEXT, PRIMARY KEY (namespace, entity, check_name))"
    )
    sql = (
        "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, '{}') ON CONFLICT (namespace, entity,"
        " check_name) DO UPDATE SET revision = excluded.revision, value = excluded.value,"
        " fields = excluded.fields"
    )

    def rows(start: int, count: int) -> list[tuple[object, ...]]:
        out: list[tuple[object, ...]] = []
        for i in range(start, start + count):
            key = random.randrange(KEYS)
            out.append(("default", f"e{key // 10}", f"c{key % 10}", i, value(i), "{}"))
        return out

    conn.execute("BEGIN")
    conn.executemany(sql, rows(0, KEYS))
    conn.execute("COMMIT")
    written, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        conn.execute("BEGIN")
        conn.executemany(sql, rows(written, 100))
        conn.execute("COMMIT")
        written += 100
    rate = written / (time.perf_counter() - start)
    conn.close()
    return rate


async def populate(store: Store) -> None:
    for start in range(0, KEYS, 1000):
        await store.apply(
            [
                Put("events", "default", f"e{k // 10}/c{k % 10}", value(k))
                for k in range(start, start + 1000)
            ]
        )


async def upserts_per_second(store: Store, tasks: int, seconds: float) -> float:
    deadline = time.perf_counter() + seconds
    counts = [0] * tasks

    async def worker(n: int) -> None:
        i = 0
        while time.perf_counter() < deadline:
            await store.apply([put(i)])
            i += 1
        counts[n] = i

    start = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(tasks)))
    return sum(counts) / (time.perf_counter() - start)


async def measure(
    name: str, opener: Callable[[], Awaitable[Store]], seconds: float, base: float
) -> None:
    store = await opener()
    try:
        await populate(store)
        for tasks in CONCURRENCY:
            rate = await upserts_per_second(store, tasks, seconds)
            print(f"{name:<28} {tasks:>3} tasks {rate:>10,.0f}/s  {rate / base:6.3f}x baseline")
    finally:
        await store.close()


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        base = baseline(Path(tmp) / "raw.db", args.seconds)
        print(f"{'raw sqlite3 executemany':<28} 100/txn   {base:>10,.0f}/s  1.000x baseline")
        await measure(
            "SQLiteStore", lambda: SQLiteStore.open(Path(tmp) / "v.db"), args.seconds, base
        )
    if args.skip_pg:
        return
    conninfo_to_dict(args.pg_url)  # fail early on a malformed URL
    for label, group in (("PostgresStore group commit", 2), ("PostgresStore per-call txn", 0)):
        with scratch_database(args.pg_url) as url:
            await measure(label, functools.partial(open_pg, url, group), args.seconds, base)


async def open_pg(url: str, group_commit: int) -> Store:
    return await PostgresStore.open(url, group_commit=group_commit)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
