"""Seeks: ``field == value`` terms on key columns and indexed event fields narrow the query
without changing its answer (compared with the reference evaluator), on both backends."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import pytest

from vigil.selector.evaluate import selection_matches
from vigil.selector.parser import parse_selection
from vigil.store.base import ListQuery, Put, Store
from vigil.store.sqlite import store as sqlite_store
from vigil.store.tables import list_sql

pytestmark = pytest.mark.anyio


def event(namespace: str, entity: str, check: str, status: int) -> Put:
    fields = {
        "event.namespace": namespace,
        "event.entity.name": entity,
        "event.check.name": check,
        "event.check.status": str(status),
        "event.check.state": "passing" if status == 0 else "failing",
    }
    value = orjson.dumps({"fields": fields})
    return Put("events", namespace, f"{entity}/{check}", value, fields=fields)


EVENTS = [
    event(ns, f"e{i}", f"c{j}", (i + j) % 4)
    for ns in ("a", "b")
    for i in range(6)
    for j in range(3)
] + [event("a", name, "cpu", 1) for name in ("web-01", "Web-02", 'we"b%_\\x', "db-web-3")]

SELECTORS = [
    'event.check.status == "2"',
    "event.check.status == 2 && event.entity.name == e3",
    "event.check.state == failing && event.check.name == c1",
    "event.check.status == 2 || event.check.status == 3",
    "event.check.status == 2 && event.check.status == 3",
    "event.namespace == b && event.check.status != 0",
    "event.check.status == 9",
    'event.entity.name matches "web"',
    'event.entity.name matches "eb-0" && event.check.status == 1',
    'event.entity.name matches "b%_"',
    "event.entity.name matches e1",
    'event.check.name matches "cpu" && event.entity.name matches "Web"',
    'event.entity.name in ["e1", "web-01", "nothing"]',
    'event.entity.name in ["e1"] && event.check.name in [c0, c2]',
    'event.entity.name matches "web" || event.check.name == c1',
    'event.entity.name in ["web-01", "e1"] && event.check.name matches "cpu"',
    'event.check.status == 1 && event.entity.name in ["db-web-3"] '
    '&& event.entity.name matches "b-w"',
]


# SQLite answers ``matches`` from the trigram index's candidates (limit 2000) or by walking
# the key order (limit 0): both must agree with the evaluator.
CASES = [(text, 2000) for text in SELECTORS] + [(t, 0) for t in SELECTORS if "matches" in t]


@pytest.mark.parametrize(("text", "drive_limit"), CASES)
@pytest.mark.parametrize("namespace", [None, "a"])
@pytest.mark.parametrize("limit", [None, 2])
async def test_seek_agrees_with_the_evaluator(
    store: Store,
    text: str,
    namespace: str | None,
    limit: int | None,
    drive_limit: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sqlite_store, "TRIGRAM_DRIVE_LIMIT", drive_limit)
    await store.apply(EVENTS)
    selection = parse_selection([text], [])
    expected = [
        (op.namespace, op.name)
        for op in sorted(EVENTS, key=lambda op: (op.namespace, op.name))
        if (namespace is None or op.namespace == namespace)
        and selection_matches(selection, op.fields, {})
    ]
    got: list[tuple[str, str]] = []
    after: tuple[str, str] | None = None
    while True:
        page = await store.list(
            ListQuery("events", namespace, limit=limit, after=after, selection=selection)
        )
        got += [(r.namespace, r.name) for r in page]
        if not limit or len(page) < limit:
            break
        after = (page[-1].namespace, page[-1].name)
    assert got == expected


def test_sqlite_uses_the_status_index(tmp_path: Path) -> None:
    from vigil.store.sqlite.schema import migrate

    conn = sqlite3.connect(tmp_path / "plan.db", isolation_level=None)
    migrate(conn)
    sql, params = list_sql(
        ListQuery(
            "events", "a", limit=100, selection=parse_selection(["event.check.status == 2"], [])
        ),
        "sqlite",
    )
    plan = " ".join(str(row) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
    assert "events_status" in plan
    assert "TEMP B-TREE" not in plan  # rows come in keyset order: no sort


def test_sqlite_matches_uses_the_trigram_index(tmp_path: Path) -> None:
    from vigil.store.sqlite.schema import migrate

    conn = sqlite3.connect(tmp_path / "plan.db", isolation_level=None)
    migrate(conn)
    selection = parse_selection(['event.entity.name matches "web"'], [])
    sql, params = list_sql(ListQuery("events", "a", limit=100, selection=selection), "sqlite")
    plan = " ".join(str(row) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
    assert "events_names" in plan
