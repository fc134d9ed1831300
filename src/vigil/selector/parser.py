"""Selector text -> ``Expr``: Sensu's grammar, plus ``||`` and parentheses.

    expr      := and_expr { "||" and_expr }
    and_expr  := primary { ["&&"] primary }          juxtaposition is AND, as in Sensu
    primary   := "(" expr ")" | operation
    operation := (IDENT | STRING) ("==" | "!=" | "matches") value
               | (IDENT | STRING) ("in" | "notin") (IDENT | "[" { value | "," } "]")
    value     := IDENT | STRING | BOOL | WORD | "matches"

``||`` binds looser than ``&&``. Unquoted values that start with a digit (WORD) are our
addition: ``event.check.status == 2`` means ``== "2"``. Every value on the right of
``==``/``!=``/``matches`` becomes a ``Literal_`` (a bare ``agent`` is the string "agent");
an identifier on the right of ``in``/``notin`` stays an ``Ident`` (it may name a list field).
Input is capped (MAX_LENGTH characters, MAX_DEPTH nested parentheses) so that hostile
query strings fail cleanly instead of exhausting the stack.
"""

from __future__ import annotations

from collections.abc import Sequence

from vigil.errors import InvalidArgument
from vigil.selector.ast import (
    And,
    Expr,
    Ident,
    Literal_,
    Operand,
    Operation,
    Operator,
    Or,
    Selection,
)
from vigil.selector.lexer import SPACES, Token, selector_error, show, tokenize

MAX_LENGTH = 4096
MAX_DEPTH = 32

_OPERATORS: dict[str, Operator] = {
    "==": "==",
    "!=": "!=",
    "in": "in",
    "notin": "notin",
    "matches": "matches",
}
_STARTS = ("ident", "string", "(")
_VALUES = ("ident", "string", "bool", "word", "matches")


def parse(text: str, *, kind: str = "fieldSelector") -> Expr:
    """Parse one selector; ``kind`` (fieldSelector/labelSelector) names it in errors."""
    if len(text) > MAX_LENGTH:
        raise InvalidArgument(f"invalid {kind}: longer than {MAX_LENGTH} characters")
    return _Parser(tokenize(text, kind), kind).run()


def parse_selection(field_selectors: Sequence[str], label_selectors: Sequence[str]) -> Selection:
    """Parse repeated query parameters; repeats are ANDed and blank values ignored."""
    return Selection(
        fields=_parse_all(field_selectors, "fieldSelector"),
        labels=_parse_all(label_selectors, "labelSelector"),
    )


def _parse_all(texts: Sequence[str], kind: str) -> Expr | None:
    parsed = [parse(text, kind=kind) for text in texts if text.strip(SPACES)]
    if not parsed:
        return None
    return _combine(And, parsed)


def _combine(node: type[And] | type[Or], items: list[Expr]) -> Expr:
    """One item stays as is; nested nodes of the same kind are flattened."""
    flat: list[Expr] = []
    for item in items:
        flat.extend(item.items if isinstance(item, node) else (item,))
    return flat[0] if len(flat) == 1 else node(tuple(flat))


class _Parser:
    def __init__(self, tokens: list[Token], kind: str) -> None:
        self.tokens = tokens
        self.kind = kind
        self.index = 0
        self.depth = 0

    def run(self) -> Expr:
        if self._peek().kind == "end":
            raise self._unexpected("a selector")
        expr = self._or()
        if self._peek().kind != "end":
            raise self._unexpected("&&, || or the end of the selector")
        return expr

    def _peek(self) -> Token:
        return self.tokens[self.index]

    def _take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _unexpected(self, expected: str) -> InvalidArgument:
        token = self._peek()
        what = "end of input" if token.kind == "end" else _describe(token)
        return selector_error(self.kind, f"unexpected {what}", token.position, expected)

    def _or(self) -> Expr:
        items = [self._and()]
        while self._peek().kind == "||":
            self._take()
            items.append(self._and())
        return _combine(Or, items)

    def _and(self) -> Expr:
        items = [self._primary()]
        while True:
            if self._peek().kind == "&&":
                self._take()
            elif self._peek().kind not in _STARTS:
                return _combine(And, items)
            items.append(self._primary())

    def _primary(self) -> Expr:
        if self._peek().kind == "(":
            return self._group()
        if self._peek().kind not in ("ident", "string"):
            raise self._unexpected("a key")
        return self._operation()

    def _group(self) -> Expr:
        opening = self._take()
        if self.depth >= MAX_DEPTH:
            raise selector_error(
                self.kind, f"parentheses nested deeper than {MAX_DEPTH}", opening.position
            )
        self.depth += 1
        expr = self._or()
        self.depth -= 1
        if self._peek().kind != ")":
            raise self._unexpected('")"')
        self._take()
        return expr

    def _operation(self) -> Operation:
        left = _operand(self._take())
        op = _OPERATORS.get(self._peek().kind)
        if op is None:
            raise self._unexpected("an operator: ==, !=, in, notin or matches")
        self._take()
        if op in ("in", "notin"):
            return Operation(left, op, self._set())
        if self._peek().kind not in _VALUES:
            raise self._unexpected("a value")
        return Operation(left, op, Literal_(self._take().text))

    def _set(self) -> Ident | tuple[str, ...]:
        if self._peek().kind == "ident":
            return Ident(self._take().text)
        if self._peek().kind != "[":
            raise self._unexpected('a key or a "[...]" list')
        self._take()
        values: list[str] = []
        while self._peek().kind != "]":
            if self._peek().kind == ",":
                self._take()
            elif self._peek().kind in ("ident", "string", "bool", "word"):
                values.append(self._take().text)
            else:
                raise self._unexpected('a value, "," or "]"')
        self._take()
        return tuple(values)


def _operand(token: Token) -> Operand:
    return Ident(token.text) if token.kind == "ident" else Literal_(token.text)


def _describe(token: Token) -> str:
    return f"{'string' if token.kind == 'string' else 'token'} {show(token.text)}"
