"""Write statements for the pipelined fast path: one self-checking statement per op.

The fast path sends a whole group of batches in one round trip (``BEGIN``, per batch
``nextval`` then its ops, ``COMMIT``), so no statement may need its result read before the
next is sent. Two tricks make that possible:

- rows take the batch's revision from ``currval('revision_seq')``: the session's last
  ``nextval``, i.e. the one sent just before the batch's ops;
- a conditional op checks its own outcome with ``vigil_require(bool)`` (schema migration 2),
  which raises SQLSTATE ``VGC01`` when the condition failed. That aborts the transaction, and
  the writer then redoes the group the exact, slower way (``writes.run_exact``), which tells
  which batch failed and why.

A batch of a single ``Put`` (most writes: an event, one resource) needs no ``nextval`` of its
own: its statement draws the revision itself and returns it (``single_put``), so alone it is
one statement in an implicit transaction.

The conditions mirror ``vigil.store.tables.failure``: a failing op is one that would get an
error there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from vigil.store.base import Delete, Put
from vigil.store.tables import EVENTS_TABLE, RESOURCES_TABLE, Table, json_map, table_for, write_key

NEXTVAL = "SELECT nextval('revision_seq')"
_CURRENT = "currval('revision_seq')"
_DRAW = "nextval('revision_seq')"

Statement = tuple[str, tuple[object, ...]]


@dataclass(frozen=True, slots=True)
class PutStatements:
    upsert: str
    insert_new: str
    update_if: str


@dataclass(frozen=True, slots=True)
class DeleteStatements:
    strict: str
    quiet: str
    if_strict: str
    if_quiet: str


def _checked(write: str, returned: str = "1", ok: str = "EXISTS (SELECT FROM w)") -> str:
    """``write`` that raises when it touched no row (``ok`` false); selects ``returned``."""
    select = "" if returned == "1" else ", (SELECT revision FROM w)"
    return f"WITH w AS ({write} RETURNING {returned}) SELECT vigil_require({ok}){select}"


def put_writes(table: Table, revision: str) -> tuple[str, str, str]:
    """The plain ``insert``, ``update`` and ``upsert`` of a row whose revision is the SQL
    expression ``revision``. Parameters: insert and upsert (*key, value, fields, labels);
    update (value, fields, labels, *key, expected revision)."""
    keys = ", ".join(table.key_columns)
    where = " AND ".join(f"{c} = %s" for c in table.key_columns)
    marks = ", ".join(["%s"] * len(table.key_columns))
    insert = (
        f"INSERT INTO {table.name} ({keys}, revision, value, fields, labels)"
        f" VALUES ({marks}, {revision}, %s, %s::jsonb, %s::jsonb)"
    )
    update = (
        f"UPDATE {table.name} SET revision = {revision}, value = %s, fields = %s::jsonb,"
        f" labels = %s::jsonb WHERE {where} AND revision = %s"
    )
    upsert = (
        f"{insert} ON CONFLICT ({keys}) DO UPDATE SET revision = excluded.revision,"
        " value = excluded.value, fields = excluded.fields, labels = excluded.labels"
    )
    return insert, update, upsert


def put_statements(table: Table, revision: str, returned: str) -> PutStatements:
    """``revision``: the SQL expression rows get; ``returned``: ``"1"`` or ``"revision"``
    (then each statement's row ends with the revision it wrote)."""
    keys = ", ".join(table.key_columns)
    insert, update, upsert = put_writes(table, revision)
    return PutStatements(
        upsert=upsert if returned == "1" else f"{upsert} RETURNING revision",
        insert_new=_checked(f"{insert} ON CONFLICT ({keys}) DO NOTHING", returned),
        update_if=_checked(update, returned),
    )


def delete_statements(table: Table) -> DeleteStatements:
    where = " AND ".join(f"{c} = %s" for c in table.key_columns)
    delete = f"DELETE FROM {table.name} WHERE {where}"
    # A quiet conditional delete fails only when the row is there with another revision.
    # The EXISTS reads the statement's snapshot; a row deleted concurrently still counts as
    # present, which at worst sends the group down the exact path.
    absent = f"NOT EXISTS (SELECT FROM {table.name} WHERE {where})"
    return DeleteStatements(
        strict=_checked(delete),
        quiet=delete,
        if_strict=_checked(f"{delete} AND revision = %s"),
        if_quiet=_checked(f"{delete} AND revision = %s", ok=f"EXISTS (SELECT FROM w) OR {absent}"),
    )


_TABLES = (RESOURCES_TABLE, EVENTS_TABLE)
_BY_NAME = {t.name: t for t in _TABLES}
_IN_BATCH = {t.name: put_statements(t, _CURRENT, "1") for t in _TABLES}
_SINGLE = {t.name: put_statements(t, _DRAW, "revision") for t in _TABLES}
_DELETES = {t.name: delete_statements(t) for t in _TABLES}


def _put_params(op: Put) -> tuple[object, ...]:
    key = write_key(op.kind, op.namespace, op.name)
    row = (op.value, json_map(op.fields), json_map(op.labels))
    if op.if_revision:
        return (*row, *key, op.if_revision)
    return (*key, *row)


def _put(op: Put, st: PutStatements) -> Statement:
    params = _put_params(op)
    if op.if_revision is None:
        return st.upsert, params
    return (st.insert_new if op.if_revision == 0 else st.update_if), params


def fast_op(op: Put | Delete) -> Statement:
    """The op as one statement that raises when its condition fails; rows get ``currval``."""
    table = table_for(op.kind).name
    if isinstance(op, Put):
        return _put(op, _IN_BATCH[table])
    key = write_key(op.kind, op.namespace, op.name)
    st = _DELETES[table]
    if op.if_revision is None:
        return (st.quiet if op.missing_ok else st.strict), key
    if op.missing_ok:
        return st.if_quiet, (*key, op.if_revision, *key)
    return st.if_strict, (*key, op.if_revision)


def single_put(op: Put) -> Statement:
    """A one-Put batch as one statement that draws, writes and returns its revision (the
    last column of its row)."""
    return _put(op, _SINGLE[table_for(op.kind).name])


# --- a group of one-Put batches as one statement ---------------------------------------------

_MODES = ("upsert", "create", "update")


def _mode(op: Put) -> str:
    return _MODES[0] if op.if_revision is None else _MODES[1] if op.if_revision == 0 else _MODES[2]


@lru_cache(maxsize=256)
def _group_sql(shape: tuple[tuple[str, str], ...]) -> str:
    """One data-modifying CTE per ``(table, mode)`` of ``shape``, then one row: whether every
    conditional one wrote (else ``vigil_require`` raises), then each one's revision."""
    ctes, checks, revisions = [], [], []
    for i, (table_name, mode) in enumerate(shape):
        table = _BY_NAME[table_name]
        insert, update, upsert = put_writes(table, _DRAW)
        write = {
            "upsert": upsert,
            "create": f"{insert} ON CONFLICT ({', '.join(table.key_columns)}) DO NOTHING",
            "update": update,
        }[mode]
        ctes.append(f"w{i} AS ({write} RETURNING revision)")
        if mode != "upsert":
            checks.append(f"EXISTS (SELECT FROM w{i})")
        revisions.append(f"(SELECT revision FROM w{i})")
    ok = " AND ".join(checks) or "true"
    return f"WITH {', '.join(ctes)} SELECT vigil_require({ok}), {', '.join(revisions)}"


def group_of_puts(ops: Sequence[Put]) -> tuple[Statement, list[int]] | None:
    """Batches of one ``Put`` each, as one statement in its own implicit transaction: one
    execution instead of a pipeline of ``BEGIN``, one statement per batch and ``COMMIT``.

    Returns the statement and, per op, the column of its revision in the statement's one
    row; None when two ops write the same row (one statement may change a row only once).
    Ops are ordered by table and mode, so a group's text depends only on how many of each
    it has, and psycopg can prepare it.
    """
    order = sorted(range(len(ops)), key=lambda i: (table_for(ops[i].kind).name, _mode(ops[i])))
    keys = {(table_for(op.kind).name, write_key(op.kind, op.namespace, op.name)) for op in ops}
    if len(keys) != len(ops):
        return None
    shape = tuple((table_for(ops[i].kind).name, _mode(ops[i])) for i in order)
    params: list[object] = []
    for i in order:
        params.extend(_put_params(ops[i]))
    column = [0] * len(ops)
    for position, i in enumerate(order):
        column[i] = position + 1
    return (_group_sql(shape), tuple(params)), column
