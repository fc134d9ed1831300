"""Shared fixtures: a real server per test module, real SQLite (or PostgreSQL) under it.

``VIGIL_TEST_STORE=postgres`` runs the API suite against PostgreSQL (a fresh database per
session); ``make test`` runs the API suite on both stores.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import LiveServer, client_for, fresh_pg_database, token_for
from vigil.pipeline import js
from vigil.settings import Settings
from vigil.store.sqlite import SQLiteStore

API_STORES = os.environ.get("VIGIL_TEST_API_STORES", "sqlite").split(",")


@pytest.fixture(scope="session", autouse=True)
def javascript_engine() -> None:
    """Loaded on the main thread, as ``vigil start`` does: in-process servers run in threads."""
    js.start_engine()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    """A real SQLite store in a fresh directory (tests/store overrides it per backend)."""
    opened = await SQLiteStore.open(tmp_path / "vigil.db")
    yield opened
    await opened.close()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with fresh_pg_database() as url:
        yield url


@pytest.fixture(scope="module", params=API_STORES)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One real server per test module (and store); tests use their own names. A module may
    set ``LIVE_SETTINGS`` (a dict of Settings fields) to shorten intervals for its tests."""
    overrides = getattr(request.module, "LIVE_SETTINGS", {})
    settings = Settings(state_dir=str(tmp_path_factory.mktemp("state")), **overrides)
    if request.param == "postgres":
        with fresh_pg_database() as url:
            server = LiveServer(settings.replace(store="postgres", pg_url=url)).start()
            yield server
            server.stop()
        return
    server = LiveServer(settings).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def admin_token(live: LiveServer) -> str:
    return token_for(live.url)


@pytest.fixture
def admin(live: LiveServer, admin_token: str) -> Iterator[httpx.Client]:
    with client_for(live.url, admin_token) as client:
        yield client


@pytest.fixture
def anon(live: LiveServer) -> Iterator[httpx.Client]:
    with client_for(live.url) as client:
        yield client


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Names that do not collide between tests sharing one server."""
    return lambda prefix="x": f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def namespace(admin: httpx.Client, unique: Callable[[str], str]) -> str:
    name = unique("ns")
    response = admin.post("/api/core/v2/namespaces", json={"name": name})
    assert response.status_code == 201, response.text
    return name
