"""Real databases for the selector SQL tests: in-memory SQLite and the test PostgreSQL.

PostgreSQL is required: when it cannot be reached the tests fail rather than skip.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Literal

import orjson
import psycopg
import pytest

from vigil.selector.ast import Selection
from vigil.selector.sql import compile_selection

PG_URL = os.environ.get("VIGIL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")

Row = tuple[Mapping[str, str], Mapping[str, str]]  # (fields, labels)


def encode(values: Mapping[str, str], index: int) -> str:
    """Alternate encoders, so both escaped (\\u00e9) and raw UTF-8 JSON text are exercised."""
    if index % 2:
        return orjson.dumps(dict(values)).decode()
    return json.dumps(dict(values))


class RowTable:
    """A temporary table of (id, fields, labels) that answers a compiled selection."""

    def __init__(self, dialect: Literal["sqlite", "postgres"], conn: object) -> None:
        self.dialect = dialect
        self.conn = conn
        self.mark = "?" if dialect == "sqlite" else "%s"
        json_type = "TEXT" if dialect == "sqlite" else "JSONB"
        self._run(
            f"CREATE TEMPORARY TABLE rows (id INTEGER PRIMARY KEY, "
            f"fields {json_type} NOT NULL, labels {json_type} NOT NULL)"
        )

    def _run(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        cursor = self.conn.execute(sql, params)  # type: ignore[attr-defined]
        rows: list[tuple[object, ...]] = cursor.fetchall() if cursor.description else []
        return rows

    def load(self, rows: Sequence[Row]) -> None:
        self._run("DELETE FROM rows")
        m = self.mark
        for index, (fields, labels) in enumerate(rows):
            self._run(
                f"INSERT INTO rows (id, fields, labels) VALUES ({m}, {m}, {m})",
                (index, encode(fields, index), encode(labels, index + 1)),
            )

    def matching(self, selection: Selection) -> list[int]:
        where, params = compile_selection(selection, self.dialect)
        found = self._run(f"SELECT id FROM rows WHERE {where} ORDER BY id", params)
        return [int(row[0]) for row in found]  # type: ignore[call-overload]


@pytest.fixture(scope="session")
def sqlite_table() -> Iterator[RowTable]:
    conn = sqlite3.connect(":memory:")
    try:
        yield RowTable("sqlite", conn)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def postgres_table() -> Iterator[RowTable]:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        yield RowTable("postgres", conn)


@pytest.fixture(params=["sqlite", "postgres"])
def table(request: pytest.FixtureRequest) -> RowTable:
    fixture: RowTable = request.getfixturevalue(f"{request.param}_table")
    return fixture
