"""The embedded SQLite backend (the default)."""

from vigil.store.sqlite.store import SQLiteStore

__all__ = ["SQLiteStore"]
