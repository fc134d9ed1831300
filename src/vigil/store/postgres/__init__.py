"""The PostgreSQL backend, for several Vigil backends sharing one database."""

from vigil.store.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
