"""The store: ``open_store(settings)`` is the only place a backend is picked by name."""

from __future__ import annotations

import os
from pathlib import Path

from vigil.errors import InvalidArgument
from vigil.settings import Settings
from vigil.store.base import Delete, ListQuery, Op, Put, Record, Store

__all__ = ["Delete", "ListQuery", "Op", "Put", "Record", "Store", "open_store", "secure_state_dir"]


def secure_state_dir(state_dir: Path, database: str) -> None:
    """The state directory ``0700`` and every file in it ``0600`` (existing installs too).

    The database holds the token signing key and password hashes: only the server's user may
    read it. The database file is created ``0600`` before SQLite opens it, and SQLite gives
    its ``-wal`` and ``-shm`` files the database file's mode.
    """
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    state_dir.chmod(0o700)
    os.close(os.open(state_dir / database, os.O_CREAT | os.O_WRONLY, 0o600))
    for path in state_dir.iterdir():
        if path.is_file() and not path.is_symlink():
            path.chmod(0o600)


async def open_store(settings: Settings) -> Store:
    """Open the backend ``settings.store`` names: ``sqlite`` (default) or ``postgres``."""
    if settings.store == "sqlite":
        from vigil.store.sqlite import SQLiteStore

        state_dir = Path(settings.state_dir)
        secure_state_dir(state_dir, "vigil.db")
        return await SQLiteStore.open(state_dir / "vigil.db")
    if settings.store == "postgres":
        from vigil.store.postgres import PostgresStore

        if not settings.pg_url:
            raise InvalidArgument("--store postgres needs --pg-url")
        return await PostgresStore.open(settings.pg_url)
    raise InvalidArgument(f"unknown store {settings.store!r}: use sqlite or postgres")
