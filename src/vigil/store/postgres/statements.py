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

from dataclasses import dataclass

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


def put_statements(table: Table, revision: str, returned: str) -> PutStatements:
    """``revision``: the SQL expression rows get; ``returned``: ``"1"`` or ``"revision"``
    (then each statement's row ends with the revision it wrote)."""
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
_IN_BATCH = {t.name: put_statements(t, _CURRENT, "1") for t in _TABLES}
_SINGLE = {t.name: put_statements(t, _DRAW, "revision") for t in _TABLES}
_DELETES = {t.name: delete_statements(t) for t in _TABLES}


def _put(op: Put, st: PutStatements) -> Statement:
    key = write_key(op.kind, op.namespace, op.name)
    row = (op.value, json_map(op.fields), json_map(op.labels))
    if op.if_revision is None:
        return st.upsert, (*key, *row)
    if op.if_revision == 0:
        return st.insert_new, (*key, *row)
    return st.update_if, (*row, *key, op.if_revision)


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
