"""Selection -> a boolean SQL expression over JSON columns of flat string maps.

The result must agree exactly with ``vigil.selector.evaluate`` (a property test holds both
to it). Every sub-expression is made NULL-free (``COALESCE``/``CASE``/``EXISTS``), so
``NOT``, ``AND`` and ``OR`` keep two-valued logic even when keys are absent. Keys and values
are always bound parameters; only the caller's column names are spliced in, and those are
checked to be plain identifiers.

SQLite reads TEXT JSON with ``json_extract`` (``json_each`` for keys a JSON encoder might
escape); PostgreSQL reads JSONB with ``->>``. Substring tests use ``instr``/``strpos``,
never ``LIKE``, which SQLite folds to ASCII case-insensitive.
"""

from __future__ import annotations

import re
from typing import Literal

from vigil.selector.ast import And, Expr, Ident, Operation, Or, Selection
from vigil.selector.evaluate import NEGATED, candidates, text_of, uses_list_field
from vigil.selector.lexer import SPACES

Dialect = Literal["sqlite", "postgres"]
Fragment = tuple[str, list[object]]

TRUE = "1=1"
FALSE = "1=0"
_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")
# Keys any JSON encoder writes verbatim, so a json_extract path finds them.
_PLAIN_KEY = re.compile(r"[\x20-\x21\x23-\x5b\x5d-\x7e]*")


def compile_selection(
    selection: Selection,
    dialect: Literal["sqlite", "postgres"],
    fields_column: str = "fields",
    labels_column: str = "labels",
) -> tuple[str, list[object]]:
    """A WHERE-ready expression and its parameters (``?`` for sqlite, ``%s`` for postgres)."""
    parts: list[Fragment] = []
    if selection.fields is not None:
        parts.append(_Compiler(dialect, fields_column).expr(selection.fields))
    if selection.labels is not None:
        parts.append(_Compiler(dialect, labels_column).expr(selection.labels))
    if not parts:
        return (TRUE, [])
    return parts[0] if len(parts) == 1 else _join(" AND ", parts)


def _join(separator: str, parts: list[Fragment]) -> Fragment:
    params: list[object] = []
    for _, part_params in parts:
        params.extend(part_params)
    return ("(" + separator.join(text for text, _ in parts) + ")", params)


class _Compiler:
    def __init__(self, dialect: Dialect, column: str) -> None:
        if dialect not in ("sqlite", "postgres"):
            raise ValueError(f"unknown SQL dialect {dialect!r}")
        if not _COLUMN.fullmatch(column):
            raise ValueError(f"not a plain column name: {column!r}")
        self.dialect = dialect
        self.column = column
        # PostgreSQL: cast each parameter so no operator overload is ambiguous.
        self.param = "?" if dialect == "sqlite" else "%s::text"

    def expr(self, expr: Expr) -> Fragment:
        if isinstance(expr, And):
            return _join(" AND ", [self.expr(item) for item in expr.items])
        if isinstance(expr, Or):
            return _join(" OR ", [self.expr(item) for item in expr.items])
        text, params = self._positive(expr)
        return (f"(NOT {text})", params) if expr.op in NEGATED else (text, params)

    def value(self, key: str) -> Fragment:
        """The key's value as text, NULL when absent."""
        if self.dialect == "postgres":
            return (f"({self.column} ->> {self.param})", [key])
        if _PLAIN_KEY.fullmatch(key):
            return (f"json_extract({self.column}, ?)", [f'$."{key}"'])
        return (f"(SELECT jk.value FROM json_each({self.column}) AS jk WHERE jk.key = ?)", [key])

    def _positive(self, operation: Operation) -> Fragment:
        """Mirrors ``evaluate._positive``; never NULL."""
        value_form = self._value_form(operation)
        right = operation.right
        if not (uses_list_field(operation) and isinstance(right, Ident)):
            return value_form
        field = self.value(right.name)
        member_text, member_params = self._member(field, text_of(operation.left))
        text = f"(CASE WHEN {field[0]} IS NULL THEN {value_form[0]} ELSE {member_text} END)"
        return (text, field[1] + value_form[1] + member_params)

    def _value_form(self, operation: Operation) -> Fragment:
        values = candidates(operation)
        if not values:
            return (FALSE, [])
        actual, params = self.value(text_of(operation.left))
        if operation.op == "matches":
            find = "instr" if self.dialect == "sqlite" else "strpos"
            tests = [f"{find}({actual}, {self.param}) > 0" for _ in values]
            params = [p for value in values for p in (*params, value)]
            return (f"COALESCE(({' OR '.join(tests)}), {FALSE})", params)
        slots = ", ".join(self.param for _ in values)
        return (f"COALESCE({actual} IN ({slots}), {FALSE})", [*params, *values])

    def _member(self, field: Fragment, item: str) -> Fragment:
        """``item`` is one of the comma-separated entries of the list field (see split_list)."""
        value, params = field
        if self.dialect == "sqlite":
            # json_quote escapes never contain a comma, so splitting its output is safe.
            as_array = f"""'[' || replace(json_quote(trim({value}, '[]')), ',', '","') || ']'"""
            source = f"json_each({as_array}) AS je"
            test = "trim(je.value, ?) = ?"
        else:
            source = f"regexp_split_to_table(btrim({value}, '[]'), ',') AS je(value)"
            test = f"btrim(je.value, {self.param}) = {self.param}"
        return (f"EXISTS (SELECT 1 FROM {source} WHERE {test})", [*params, SPACES, item])


def required_equalities(selection: Selection | None) -> dict[str, str]:
    """Field values every match must have: the ``key == value`` terms ANDed at the top level.

    The store turns them into plain conditions on key columns or indexed expressions, so
    the database can seek instead of scanning; the full compiled selection still decides
    (these terms only narrow what it looks at). A key named twice with different values
    can match nothing, and is left to the full selection.
    """
    if selection is None or selection.fields is None:
        return {}
    expr = selection.fields
    terms = expr.items if isinstance(expr, And) else (expr,)
    found: dict[str, str] = {}
    clashing: set[str] = set()
    for term in terms:
        if not (
            isinstance(term, Operation)
            and term.op == "=="
            and isinstance(term.left, Ident)
            and not isinstance(term.right, (Ident, tuple))
        ):
            continue
        key, value = term.left.name, term.right.value
        if found.get(key, value) != value:
            clashing.add(key)
        found[key] = value
    return {k: v for k, v in found.items() if k not in clashing and _PLAIN_KEY.fullmatch(k)}


def top_level_terms(selection: Selection | None) -> list[Operation]:
    """The field selector's operations ANDed at the top level, ``key op values`` in form:
    every match satisfies each of them, so a store may narrow its scan with any."""
    if selection is None or selection.fields is None:
        return []
    expr = selection.fields
    terms = expr.items if isinstance(expr, And) else (expr,)
    return [
        term
        for term in terms
        if isinstance(term, Operation)
        and isinstance(term.left, Ident)
        and not isinstance(term.right, Ident)
        and _PLAIN_KEY.fullmatch(term.left.name)
    ]
