"""Several real ``vigil start --store postgres`` processes on one fresh database.

Each test module gets its own database (``fresh_pg_database``, created and dropped here) and
its own backends, so a module that kills or cuts a backend spoils nothing for the others.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import psycopg

from tests.support import ServerProcess, fresh_pg_database, init_state
from vigil.store.postgres.schema import LEADER_LOCK_SPACE

# Short periodic jobs, so that expiry and takeover show quickly.
SERVER_FLAGS = (
    "--silence-expiry-interval",
    "0.2",
    "--keepalive-check-interval",
    "0.5",
    "--log-level",
    "warn",  # stderr is a pipe nobody reads while the test runs: keep it small
)


def postgres_flags(url: str) -> tuple[str, ...]:
    return ("--store", "postgres", "--pg-url", url)


@contextlib.contextmanager
def cluster(root: Path, *urls: str, database: str) -> Iterator[list[ServerProcess]]:
    """``vigil init`` once on ``database``, then one backend per URL in ``urls`` (each URL
    reaches that database, directly or through a proxy); all stopped afterwards."""
    init_state(root / "init", *postgres_flags(database))
    backends: list[ServerProcess] = []
    try:
        for i, url in enumerate(urls):
            state = root / f"backend{i}"
            backends.append(ServerProcess(state, *postgres_flags(url), *SERVER_FLAGS).start())
        yield backends
    finally:
        for backend in backends:
            backend.stop()


@contextlib.contextmanager
def database() -> Iterator[str]:
    with fresh_pg_database() as url:
        yield url


def leader_pid(url: str, job: str) -> int | None:
    """The OS pid of the backend process holding ``job``'s leadership lock, if any."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s"
            # pg_locks lists every database's locks: other test runs share the server
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND l.objid = hashtext(current_schema() || '/' || %s)::oid",
            (LEADER_LOCK_SPACE, job),
        ).fetchone()
    if row is None:
        return None
    return int(str(row[0]).split("/")[1])
