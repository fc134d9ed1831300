"""The one form every selector consumer reads (evaluator, SQL compilers).

A parsed selector is an ``Expr``: an ``Operation`` or an ``And``/``Or`` of expressions.
Values are strings, as in Sensu: booleans are ``"true"``/``"false"``, numbers their decimal text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Operator = Literal["==", "!=", "in", "notin", "matches"]


@dataclass(frozen=True, slots=True)
class Ident:
    """A bare identifier: a field or label key (``check.name``, ``region``)."""

    name: str


@dataclass(frozen=True, slots=True)
class Literal_:
    """A quoted string, a boolean or a keyword used as a value."""

    value: str


Operand = Ident | Literal_


@dataclass(frozen=True, slots=True)
class Operation:
    """``left op right``; for ``in``/``notin`` the right side may be a list of values."""

    left: Operand
    op: Operator
    right: Operand | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Expr, ...]


Expr = Operation | And | Or


@dataclass(frozen=True, slots=True)
class Selection:
    """What a list request filters on: a field selector and a label selector, both optional.

    ``fields`` is evaluated against a resource's flat field map (``check.name`` ...),
    ``labels`` against its ``metadata.labels`` map.
    """

    fields: Expr | None = None
    labels: Expr | None = None

    def __bool__(self) -> bool:
        return self.fields is not None or self.labels is not None
