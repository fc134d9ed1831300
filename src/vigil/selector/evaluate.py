"""The reference semantics of a selector over a flat string map (Sensu's ``Matches``).

Every other implementation (the SQL compilers) must agree with this module exactly.

* ``K == V``: K present and its value is V. ``!=`` is the exact negation (absent K -> true).
* ``K matches V``: K present and V is a substring of its value.
* ``L in R``: when R is an identifier naming a present key, L's own text is looked for in
  R's value split on ``,`` (brackets trimmed from the ends, whitespace from each item): the
  ``linux in check.subscriptions`` form. Otherwise L's value is looked for in R taken as a
  list of literals (``check.namespace in [dev, prod]``); absent L -> false.
  ``notin`` is the exact negation of ``in``.

As in Sensu, the left operand names a key whether it was written bare or quoted (so label
keys such as ``"app-tier"`` can be used); only the list-field form reads it as a string.
"""

from __future__ import annotations

from collections.abc import Mapping

from vigil.selector.ast import And, Expr, Ident, Operand, Operation, Or, Selection
from vigil.selector.lexer import SPACES

NEGATED = frozenset(("!=", "notin"))


def matches(expr: Expr, values: Mapping[str, str]) -> bool:
    """Whether ``values`` (a resource's fields or labels) satisfies ``expr``."""
    if isinstance(expr, And):
        return all(matches(item, values) for item in expr.items)
    if isinstance(expr, Or):
        return any(matches(item, values) for item in expr.items)
    return operation_matches(expr, values)


def selection_matches(
    selection: Selection, fields: Mapping[str, str], labels: Mapping[str, str]
) -> bool:
    """Field selector over ``fields`` AND label selector over ``labels``; absent parts pass."""
    if selection.fields is not None and not matches(selection.fields, fields):
        return False
    return selection.labels is None or matches(selection.labels, labels)


def operation_matches(operation: Operation, values: Mapping[str, str]) -> bool:
    positive = _positive(operation, values)
    return not positive if operation.op in NEGATED else positive


def _positive(operation: Operation, values: Mapping[str, str]) -> bool:
    """The un-negated form: ``==`` for ``!=``, ``in`` for ``notin``."""
    if uses_list_field(operation) and _right_key(operation) in values:
        return text_of(operation.left) in split_list(values[_right_key(operation)])
    actual = values.get(text_of(operation.left))
    if actual is None:
        return False
    if operation.op == "matches":
        return any(candidate in actual for candidate in candidates(operation))
    return actual in candidates(operation)


def uses_list_field(operation: Operation) -> bool:
    """``in``/``notin`` with a bare identifier on the right may mean the list-field form."""
    return operation.op in ("in", "notin") and isinstance(operation.right, Ident)


def _right_key(operation: Operation) -> str:
    right = operation.right
    return right.name if isinstance(right, Ident) else ""


def text_of(operand: Operand) -> str:
    return operand.name if isinstance(operand, Ident) else operand.value


def candidates(operation: Operation) -> tuple[str, ...]:
    """The literal values on the right; a single operand is a list of one."""
    right = operation.right
    return right if isinstance(right, tuple) else (text_of(right),)


def split_list(value: str) -> list[str]:
    """A list field's items: ``[a, b]`` and ``a,b`` both give ``["a", "b"]``."""
    return [item.strip(SPACES) for item in value.strip("[]").split(",")]
