"""psycopg errors never leave the PostgreSQL backend: they become Vigil errors here."""

from __future__ import annotations

import logging

import psycopg

from vigil.errors import Unavailable, VigilError

log = logging.getLogger("vigil.store")


def translate(exc: BaseException) -> BaseException:
    """Lost or unreachable database -> Unavailable; any other database error -> VigilError."""
    # The database's own words go to the log, not to clients.
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        # PoolTimeout and PoolClosed are OperationalErrors too.
        log.warning("database unreachable: %s", exc)
        return Unavailable("the store is unavailable; retry shortly")
    if isinstance(exc, psycopg.Error):
        log.error("database error: %s", exc)
        return VigilError("the store failed to carry out the request")
    return exc
