"""The SQL shape both SQL backends share: two tables, their keys, and the statements on them.

Kind ``events`` lives in its own table keyed (namespace, entity, check_name) because it is the
hot, big kind; every other kind lives in ``resources`` keyed (kind, namespace, name). This module
turns store keys into table keys and back, and writes the statement texts once for both
dialects; the backends only differ in placeholders (``?`` vs ``%s``) and how a JSON map is bound.

Ordering is bytewise on the key columns in both databases (SQLite's BINARY collation and
PostgreSQL's ``COLLATE "C"``), i.e. Unicode code point order, so pages agree across backends.
Events are ordered by (namespace, entity, check_name).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import orjson

from vigil.errors import AlreadyExists, InvalidArgument, NotFound, PreconditionFailed, VigilError
from vigil.selector.ast import Selection
from vigil.selector.evaluate import candidates
from vigil.selector.sql import compile_selection, required_equalities, top_level_terms
from vigil.store.base import Delete, ListQuery, Put, Record

Dialect = Literal["sqlite", "postgres"]
EVENTS = "events"


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    key_columns: tuple[str, ...]  # full primary key, in index order
    scoped_by_kind: bool  # True when the first key column is the kind

    @property
    def order_columns(self) -> tuple[str, ...]:
        return self.key_columns[1:] if self.scoped_by_kind else self.key_columns


RESOURCES_TABLE = Table("resources", ("kind", "namespace", "name"), scoped_by_kind=True)
EVENTS_TABLE = Table("events", ("namespace", "entity", "check_name"), scoped_by_kind=False)


def table_for(kind: str) -> Table:
    return EVENTS_TABLE if kind == EVENTS else RESOURCES_TABLE


def split_event_name(name: str) -> tuple[str, str] | None:
    """``"entity/check"`` -> ("entity", "check"); None when it is not an event name."""
    entity, slash, check = name.partition("/")
    if not slash or not entity or not check:
        return None
    return entity, check


def row_key(kind: str, namespace: str, name: str) -> tuple[str, ...] | None:
    """The primary-key values of a store key; None when no row can have that key."""
    if kind != EVENTS:
        return (kind, namespace, name)
    parts = split_event_name(name)
    return None if parts is None else (namespace, *parts)


def write_key(kind: str, namespace: str, name: str) -> tuple[str, ...]:
    key = row_key(kind, namespace, name)
    if key is None:
        raise InvalidArgument(f"event name must be <entity>/<check>, got {name!r}")
    return key


def record_from_row(kind: str, row: tuple[Any, ...]) -> Record:
    """Rows are selected as (*order columns, revision, value)."""
    if kind == EVENTS:
        namespace, entity, check, revision, value = row
        return Record(kind, namespace, f"{entity}/{check}", int(revision), bytes(value))
    namespace, name, revision, value = row
    return Record(kind, namespace, name, int(revision), bytes(value))


def json_map(values: object) -> str:
    """A flat string map as JSON text for the ``fields``/``labels`` columns.

    PostgreSQL's JSONB cannot hold the NUL character, so NUL in a key or value becomes
    U+FFFD here, on both stores alike. Only the selector columns change: the resource's own
    JSON (``value``) keeps every byte, and no selector can contain NUL to notice.
    """
    plain = values if type(values) is dict else dict(values)  # type: ignore[call-overload]
    text = orjson.dumps(plain).decode()
    if "\\u0000" not in text:
        return text
    clean = {k.replace("\x00", "\ufffd"): v.replace("\x00", "\ufffd")
             for k, v in dict(values).items()}  # type: ignore[call-overload]  # fmt: skip
    return orjson.dumps(clean).decode()


# --- statements -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Statements:
    get: str
    revision_of: str
    upsert: str
    insert_new: str
    update_if: str
    delete: str
    delete_if: str


def statements(table: Table, dialect: Dialect) -> Statements:
    p = "?" if dialect == "sqlite" else "%s"
    pj = p if dialect == "sqlite" else "%s::jsonb"
    keys = ", ".join(table.key_columns)
    where = " AND ".join(f"{c} = {p}" for c in table.key_columns)
    values = ", ".join([p] * len(table.key_columns) + [p, p, pj, pj])
    insert = f"INSERT INTO {table.name} ({keys}, revision, value, fields, labels) VALUES ({values})"
    sets = f"revision = {p}, value = {p}, fields = {pj}, labels = {pj}"
    return Statements(
        get=f"SELECT revision, value FROM {table.name} WHERE {where}",
        revision_of=f"SELECT revision FROM {table.name} WHERE {where}",
        upsert=(
            f"{insert} ON CONFLICT ({keys}) DO UPDATE SET revision = excluded.revision, "
            "value = excluded.value, fields = excluded.fields, labels = excluded.labels"
        ),
        insert_new=f"{insert} ON CONFLICT ({keys}) DO NOTHING",
        update_if=f"UPDATE {table.name} SET {sets} WHERE {where} AND revision = {p}",
        delete=f"DELETE FROM {table.name} WHERE {where}",
        delete_if=f"DELETE FROM {table.name} WHERE {where} AND revision = {p}",
    )


STATEMENTS: dict[tuple[str, Dialect], Statements] = {
    (t.name, d): statements(t, d)
    for t in (RESOURCES_TABLE, EVENTS_TABLE)
    for d in ("sqlite", "postgres")
}


def statements_for(kind: str, dialect: Dialect) -> Statements:
    return STATEMENTS[(table_for(kind).name, dialect)]


class PlannedOp(NamedTuple):
    """One op as SQL: run ``sql`` with ``params``; ``rowcount`` 0 means the condition failed.
    (A named tuple: one is built per write, and a frozen dataclass costs ~1 µs more.)"""

    sql: str
    params: tuple[object, ...]
    key: tuple[str, ...]
    revision_of: str
    conditional: bool  # whether a 0 rowcount needs explaining


def plan_op(
    op: Put | Delete, revision: int, dialect: Dialect, value: bytes | None = None
) -> PlannedOp:
    """``value``: the bytes to store instead of ``op.value`` (SQLite's compressed form)."""
    key = write_key(op.kind, op.namespace, op.name)
    st = statements_for(op.kind, dialect)
    if isinstance(op, Delete):
        if op.if_revision is None:
            return PlannedOp(st.delete, key, key, st.revision_of, True)
        return PlannedOp(st.delete_if, (*key, op.if_revision), key, st.revision_of, True)
    row = (revision, op.value if value is None else value, json_map(op.fields), json_map(op.labels))
    if op.if_revision is None:
        return PlannedOp(st.upsert, (*key, *row), key, st.revision_of, False)
    if op.if_revision == 0:
        return PlannedOp(st.insert_new, (*key, *row), key, st.revision_of, True)
    return PlannedOp(st.update_if, (*row, *key, op.if_revision), key, st.revision_of, True)


def failure(op: Put | Delete, stored_revision: int | None) -> VigilError | None:
    """Why an op changed no row (given what is stored now); None when that is fine."""
    if isinstance(op, Delete) and stored_revision is None:
        return None if op.missing_ok else NotFound()
    if isinstance(op, Put) and op.if_revision == 0:
        return AlreadyExists()
    if stored_revision is None:
        return NotFound()
    return PreconditionFailed()


# --- list queries -----------------------------------------------------------------------------


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix`` (None: no bound)."""
    chars = list(prefix)
    while chars:
        last = ord(chars.pop()) + 1
        if 0xD800 <= last <= 0xDFFF:  # surrogates cannot be stored; skip past them
            last = 0xE000
        if last <= 0x10FFFF:
            return "".join(chars) + chr(last)
    return None


def _prefix_range(column: str, prefix: str, p: str) -> tuple[list[str], list[object]]:
    clauses: list[str] = [f"{column} >= {p}"]
    params: list[object] = [prefix]
    upper = prefix_upper_bound(prefix)
    if upper is not None:
        clauses.append(f"{column} < {p}")
        params.append(upper)
    return clauses, params


def _name_prefix(table: Table, prefix: str, p: str) -> tuple[list[str], list[object]]:
    if table is RESOURCES_TABLE:
        return _prefix_range("name", prefix, p)
    entity, slash, check = prefix.partition("/")
    if not slash:
        return _prefix_range("entity", entity, p)
    clauses, params = _prefix_range("check_name", check, p)
    return [f"entity = {p}", *clauses], [entity, *params]


def _after(
    table: Table, after: tuple[str, str], namespace: str | None, p: str, mark: str = ""
) -> tuple[list[str], list[object]]:
    """Strictly after ``after`` in keyset order. Within one namespace the namespace column is
    left out of the row value: with ``namespace = ?`` beside it, both SQLite and PostgreSQL
    then seek to the position instead of scanning and sorting the rest of the namespace."""
    after_namespace, name = after
    values: list[object] = [after_namespace]
    if table is EVENTS_TABLE:
        entity, _, check = name.partition("/")
        values += [entity, check]
    else:
        values.append(name)
    cols = list(table.order_columns)
    if namespace is not None:
        if after_namespace != namespace:  # a position outside this namespace
            return ([] if after_namespace < namespace else ["1=0"]), []
        cols, values = cols[1:], values[1:]
    marks = ", ".join([p] * len(values))
    return [f"({', '.join(mark + c for c in cols)}) > ({marks})"], values


def selection_sql(selection: Selection | None, dialect: Dialect) -> tuple[str, list[object]]:
    """The selection as a boolean SQL expression over the ``fields``/``labels`` JSON columns."""
    if not selection:
        return "", []
    return compile_selection(selection, dialect, "fields", "labels")


# Event fields with an expression index (both schemas), leading so that one index serves
# lists in one namespace and across all of them, in keyset order.
INDEXED_EVENT_FIELDS = ("event.check.status", "event.check.state")
_EVENT_KEY_FIELDS = {
    "event.namespace": "namespace",
    "event.entity.name": "entity",
    "event.check.name": "check_name",
}


def indexed_field_sql(key: str, dialect: Dialect) -> str:
    """The indexed expression, spelled exactly as the index is (keys come from our tuple)."""
    if dialect == "sqlite":
        return f"json_extract(fields, '$.\"{key}\"')"
    return f"(fields ->> '{key}')"


def _key_fields(kind: str) -> dict[str, str]:
    if kind == EVENTS:
        return _EVENT_KEY_FIELDS
    from vigil.model.registry import REGISTRY

    cls = REGISTRY.get(kind)
    if cls is None:
        return {}
    prefix = cls.FIELD_PREFIX
    return {f"{prefix}.name": "name", f"{prefix}.namespace": "namespace",
            f"{prefix}.username": "name"}  # fmt: skip


def seek_terms(
    query: ListQuery, dialect: Dialect, p: str, *, substrings: bool = True
) -> tuple[list[str], list[object]]:
    """Extra conditions that let the database seek: ``field == value`` terms ANDed at the top
    of the field selector, on key columns or indexed fields; ``in`` lists on key columns;
    ``matches`` on trigram-indexed key columns (unless ``substrings`` is False). Redundant
    with the selection itself (which still decides), so they can only narrow what is read."""
    terms = required_equalities(query.selection)
    clauses: list[str] = []
    params: list[object] = []
    columns = _key_fields(query.kind)
    for key, value in terms.items():
        if key in columns:
            clauses.append(f"{columns[key]} = {p}")
        elif query.kind == EVENTS and key in INDEXED_EVENT_FIELDS:
            clauses.append(f"{indexed_field_sql(key, dialect)} = {p}")
        else:
            continue
        params.append(value)
    for term in top_level_terms(query.selection):
        column = columns.get(term.left.name)  # type: ignore[union-attr]
        values = candidates(term)
        if column is None or column == "namespace":
            continue
        if term.op == "in" and values:
            clauses.append(f"{column} IN ({', '.join([p] * len(values))})")
            params.extend(values)
        elif substrings and term.op == "matches" and query.kind == EVENTS and len(values) == 1:
            found = substring_term(column, values[0], dialect, p)
            if found is not None:
                clauses.append(found[0])
                params.append(found[1])
    return clauses, params


# Event key columns with a trigram index, so ``matches`` (a substring test) seeks too.
TRIGRAM_COLUMNS = ("entity", "check_name")
# SQLite: a page is read from the trigram index's candidates when there are at most this
# many; with more, matches are dense enough that walking the key order finds a page sooner.
TRIGRAM_DRIVE_LIMIT = 2000


def substring_probes(query: ListQuery) -> list[tuple[str, list[object]]]:
    """SQLite: for each ``matches`` term the trigram index serves, a query counting its
    candidates up to ``TRIGRAM_DRIVE_LIMIT + 1`` (cheap: it stops there)."""
    if query.kind != EVENTS:
        return []
    probes: list[tuple[str, list[object]]] = []
    for term in top_level_terms(query.selection):
        column = _EVENT_KEY_FIELDS.get(term.left.name)  # type: ignore[union-attr]
        values = candidates(term)
        if term.op != "matches" or column is None or len(values) != 1:
            continue
        found = substring_term(column, values[0], "sqlite", "?")
        if found is not None:
            probes.append((
                "SELECT count(*) FROM (SELECT rowid FROM events_names WHERE events_names "
                f"MATCH ? LIMIT {TRIGRAM_DRIVE_LIMIT + 1})",
                [found[1]],
            ))  # fmt: skip
    return probes


def substring_term(column: str, needle: str, dialect: Dialect, p: str) -> tuple[str, str] | None:
    """A condition (and its parameter) that finds rows whose ``column`` contains ``needle``
    through the trigram index; None when the index cannot help (needles under 3 characters).
    The rows found are a superset at worst: the compiled selection still decides."""
    if column not in TRIGRAM_COLUMNS or len(needle) < 3:
        return None
    if dialect == "sqlite":  # FTS5 trigram: a phrase query on one column is a substring test
        phrase = needle.replace('"', '""')
        return f"rowid IN (SELECT rowid FROM events_names WHERE events_names MATCH {p})", (
            f'{column} : "{phrase}"'
        )
    pattern = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{column} LIKE {p}", f"%{pattern}%"


def list_sql(
    query: ListQuery, dialect: Dialect, *, substrings: bool = True
) -> tuple[str, list[object]]:
    """SELECT for one keyset page; the selection goes inside the query, before LIMIT.

    ``substrings``: use the trigram index for ``matches`` terms. On SQLite the page is then
    read from the index's candidates and sorted (the key columns are marked ``+`` so the
    planner does not walk the key index instead); ``SQLiteStore`` asks for this only when
    the candidates are few (``substring_probes``).
    """
    table = table_for(query.kind)
    p = "?" if dialect == "sqlite" else "%s"
    seeks, seek_values = seek_terms(query, dialect, p, substrings=substrings)
    driven = dialect == "sqlite" and any("events_names MATCH" in c for c in seeks)
    mark = "+" if driven else ""  # unary + keeps a column's index out of the plan
    where, params = where_scope(table, query.kind, query.namespace, p, mark)
    if query.after is not None:
        clauses, values = _after(table, query.after, query.namespace, p, mark)
        where += clauses
        params += values
    if query.name_prefix:
        clauses, values = _name_prefix(table, query.name_prefix, p)
        where += clauses
        params += values
    where += seeks
    params += seek_values
    selected, values = selection_sql(query.selection, dialect)
    if selected:
        where.append(f"({selected})")
        params += values
    cols = ", ".join(table.order_columns)
    sql = f"SELECT {cols}, revision, value FROM {table.name}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    order = ", ".join(f"+{c}" for c in table.order_columns) if driven else cols
    sql += f" ORDER BY {order}"
    if query.limit:
        sql += f" LIMIT {p}"
        params.append(min(int(query.limit), _MAX_SQL_INT))
    return sql, params


_MAX_SQL_INT = 2**63 - 1  # both stores' INTEGER; a larger LIMIT would overflow the driver


def where_scope(
    table: Table, kind: str, namespace: str | None, p: str, mark: str = ""
) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    if table.scoped_by_kind:
        where.append(f"kind = {p}")
        params.append(kind)
    if namespace is not None:
        where.append(f"{mark}namespace = {p}")
        params.append(namespace)
    return where, params


def count_sql(kind: str, namespace: str | None, dialect: Dialect) -> tuple[str, list[object]]:
    table = table_for(kind)
    where, params = where_scope(table, kind, namespace, "?" if dialect == "sqlite" else "%s")
    sql = f"SELECT count(*) FROM {table.name}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return sql, params
