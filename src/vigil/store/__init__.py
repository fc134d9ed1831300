"""The store: ``open_store(settings)`` is the only place a backend is picked by name."""

from __future__ import annotations

from pathlib import Path

from vigil.errors import InvalidArgument
from vigil.settings import Settings
from vigil.store.base import Delete, ListQuery, Op, Put, Record, Store

__all__ = ["Delete", "ListQuery", "Op", "Put", "Record", "Store", "open_store"]


async def open_store(settings: Settings) -> Store:
    """Open the backend ``settings.store`` names: ``sqlite`` (default) or ``postgres``."""
    if settings.store == "sqlite":
        from vigil.store.sqlite import SQLiteStore

        state_dir = Path(settings.state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        return await SQLiteStore.open(state_dir / "vigil.db")
    if settings.store == "postgres":
        from vigil.store.postgres import PostgresStore

        if not settings.pg_url:
            raise InvalidArgument("--store postgres needs --pg-url")
        return await PostgresStore.open(settings.pg_url)
    raise InvalidArgument(f"unknown store {settings.store!r}: use sqlite or postgres")
