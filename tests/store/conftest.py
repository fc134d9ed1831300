"""Store fixtures: every contract test runs once per backend through ``store``.

PostgreSQL tests use the session's fresh database (``pg_url`` from the top-level conftest,
which fails rather than skips when the server is down) and a fresh schema per test inside it
(``fresh_pg_schema``), so each test starts from an empty, freshly migrated store without
touching anything else in that database.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from vigil.store.base import Store
from vigil.store.postgres import PostgresStore
from vigil.store.sqlite import SQLiteStore

StoreOpener = Callable[[], Awaitable[Store]]


@contextmanager
def fresh_pg_schema(database_url: str) -> Iterator[str]:
    """A connection string whose search_path is a new, empty schema; dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield make_conninfo(database_url, options=f"-csearch_path={schema}")
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def pg_store_url(pg_url: str) -> Iterator[str]:
    with fresh_pg_schema(pg_url) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def open_backend(
    request: pytest.FixtureRequest, tmp_path: Path, anyio_backend: str
) -> AsyncIterator[StoreOpener]:
    """Opens store instances on one location (file or schema); closes them all afterwards."""
    backend: str = request.param
    url = request.getfixturevalue("pg_store_url") if backend == "postgres" else ""
    opened: list[Store] = []

    async def opener() -> Store:
        if backend == "postgres":
            store: Store = await PostgresStore.open(url)
        else:
            store = await SQLiteStore.open(tmp_path / "vigil.db")
        opened.append(store)
        return store

    yield opener
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_backend: StoreOpener) -> Store:
    return await open_backend()
