"""psycopg errors never leave the PostgreSQL backend: they become Vigil errors here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg

from vigil.errors import Unavailable, VigilError


def translate(exc: BaseException) -> BaseException:
    """Lost or unreachable database -> Unavailable; any other database error -> VigilError."""
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        # PoolTimeout and PoolClosed are OperationalErrors too.
        return Unavailable(f"the store is unavailable: {exc}")
    if isinstance(exc, psycopg.Error):
        return VigilError(f"store error: {exc}")
    return exc


@asynccontextmanager
async def translated() -> AsyncIterator[None]:
    try:
        yield
    except psycopg.Error as exc:
        raise translate(exc) from exc
