"""``open_store`` picks the backend by its settings name, and nothing else does."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.errors import InvalidArgument
from vigil.settings import Settings
from vigil.store import open_store
from vigil.store.base import Put

pytestmark = pytest.mark.anyio


async def test_sqlite_is_created_in_the_state_dir(tmp_path: Path) -> None:
    state_dir = tmp_path / "new" / "state"
    store = await open_store(Settings(state_dir=str(state_dir)))
    try:
        await store.apply([Put("checks", "default", "disk", b"{}")])
        assert (await store.health())["backend"] == "sqlite"
    finally:
        await store.close()
    assert (state_dir / "vigil.db").exists()


@pytest.mark.postgres
async def test_postgres_is_opened_from_pg_url(pg_store_url: str) -> None:
    store = await open_store(Settings(store="postgres", pg_url=pg_store_url))
    try:
        assert (await store.health())["backend"] == "postgres"
    finally:
        await store.close()


@pytest.mark.parametrize("settings", [Settings(store="etcd"), Settings(store="postgres")])
async def test_unknown_or_incomplete_store_settings_are_refused(settings: Settings) -> None:
    with pytest.raises(InvalidArgument):
        await open_store(settings)
