"""Property: the compiled SQL, run in real SQLite and PostgreSQL, agrees with ``evaluate``.

Selectors are drawn from the keys, values and list items of the generated rows (plus some
strangers), so most examples match some rows and miss others.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.selector.conftest import Row, RowTable
from vigil.selector.ast import And, Expr, Ident, Literal_, Operation, Or, Selection
from vigil.selector.evaluate import selection_matches, split_list
from vigil.selector.parser import parse_selection

BARE_KEYS = ["a", "b", "check.subscriptions", "x.y_z", "app/tier"]
ODD_KEYS = ["my-key", "entity:web 1", "", "é", 'q"uote', "back\\slash", "$.a[0]", "new\nline"]
COMMON = ["a", "b", "A", "linux", "a,b", "linux, web", "[a,b]", "", "true"]
ODD_VALUES = [" a ", "a,", ",a", ",", "[", "]", "x%y", "x_y", "%", "_", "\\", "é", "😀", "\u00a0a"]
BARE_VALUES = ["a", "b", "linux", "web", "A", "1", "2.5", "true", "TRUE", "false"]
# No NUL (PostgreSQL text cannot hold it, and the parser refuses it) and no lone surrogates.
ALPHABET = "ab,[] \t\u00a0\u3000%_\\éA\"'😀"

values = st.one_of(
    st.sampled_from(COMMON),
    st.sampled_from(COMMON + ODD_VALUES),
    st.text(alphabet=ALPHABET, max_size=8),
    st.lists(st.sampled_from(COMMON + ODD_VALUES), max_size=4).map(",".join),
)
map_key = st.sampled_from(BARE_KEYS) | st.sampled_from(BARE_KEYS + ODD_KEYS)
string_map = st.dictionaries(map_key, values, min_size=1, max_size=6)
rows = st.lists(st.tuples(string_map, string_map), min_size=3, max_size=6)


Pair = tuple[str, str]


def _pairs(table_rows: list[Row]) -> list[Pair]:
    """Every (key, value) of the rows, and (key, list item) for each item of a value."""
    found = {
        (key, item)
        for row in table_rows
        for mapping in row
        for key, value in mapping.items()
        for item in (value, *split_list(value), value[:2])
    }
    return sorted(found)


def _quote(text: str, quote: str) -> str:
    return f"{quote}{text}{quote}"


# ---- selector text, parsed ----


def _spell(text: str, fallback: str) -> st.SearchStrategy[str]:
    """``text`` as selector syntax: bare when it is a plain key, else quoted if it can be."""
    if text in BARE_KEYS:
        return st.just(text)
    if '"' in text or "'" in text:
        return st.just(fallback)
    return st.sampled_from("\"'").map(lambda quote: _quote(text, quote))


def _bare_key(key: str) -> st.SearchStrategy[str]:
    return st.just(key) if key in BARE_KEYS else st.sampled_from(BARE_KEYS)


def _operation_text(pair: Pair) -> st.SearchStrategy[str]:
    key, value = pair
    left, item = _spell(key, "a"), _spell(value, "b")
    right = item | st.sampled_from(BARE_VALUES)
    array = st.lists(right, max_size=3).flatmap(
        lambda items: st.sampled_from([", ", " ", ","]).map(lambda sep: f"[{sep.join(items)}]")
    )
    return st.one_of(
        st.tuples(left, st.sampled_from(["==", "!=", "matches", "MATCHES"]), right),
        st.tuples(item, st.sampled_from(["in", "notin", "NotIn"]), _bare_key(key)),
        st.tuples(left, st.sampled_from(["in", "notin"]), array),
    ).map(" ".join)


def _selector_texts(pairs: list[Pair]) -> st.SearchStrategy[str]:
    return st.recursive(
        st.sampled_from(pairs).flatmap(_operation_text),
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from([" && ", " || ", " ", "&&"]), inner).map("".join),
            inner.map(lambda text: f"({text})"),
        ),
        max_leaves=3,
    )


def _check(table_rows: list[Row], selection: Selection, *tables: RowTable) -> None:
    want = [
        i for i, (f, labels) in enumerate(table_rows) if selection_matches(selection, f, labels)
    ]
    for table in tables:
        table.load(table_rows)
        assert table.matching(selection) == want, table.dialect


@settings(max_examples=150, deadline=None)
@given(rows, st.data())
def test_parsed_selectors_agree(
    sqlite_table: RowTable, postgres_table: RowTable, table_rows: list[Row], data: st.DataObject
) -> None:
    texts = st.lists(_selector_texts(_pairs(table_rows)), max_size=2)
    selection = parse_selection(data.draw(texts), data.draw(texts))
    _check(table_rows, selection, sqlite_table, postgres_table)


# ---- hand-built trees, with keys and values no selector text can spell ----


def _anchored_operation(pair: Pair) -> st.SearchStrategy[Operation]:
    key, value = pair
    either = st.sampled_from([Ident, Literal_])
    left = st.builds(lambda make: make(key), either)
    right = st.builds(lambda make: make(value), either)
    array = st.lists(st.just(value) | values, max_size=3).map(tuple)
    return st.one_of(
        st.builds(Operation, left, st.sampled_from(["==", "!=", "matches"]), right | array),
        st.builds(Operation, right, st.sampled_from(["in", "notin"]), st.just(Ident(key))),
        st.builds(Operation, left, st.sampled_from(["in", "notin"]), array),
    )


def _stranger_operation() -> st.SearchStrategy[Operation]:
    key = st.sampled_from(BARE_KEYS + ODD_KEYS) | st.text(alphabet=ALPHABET + '.$"', max_size=3)
    operand = st.builds(Ident, key) | st.builds(Literal_, key | values)
    right = st.one_of(operand, st.lists(values, max_size=3).map(tuple))
    operators = st.sampled_from(["==", "!=", "in", "notin", "matches"])
    return st.builds(Operation, operand, operators, right)


def _trees(pairs: list[Pair]) -> st.SearchStrategy[Expr]:
    anchored = st.sampled_from(pairs).flatmap(_anchored_operation)
    return st.recursive(
        anchored | anchored | _stranger_operation(),
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda items: And(tuple(items))),
            st.lists(inner, min_size=1, max_size=3).map(lambda items: Or(tuple(items))),
        ),
        max_leaves=3,
    )


@settings(max_examples=150, deadline=None)
@given(rows, st.data())
def test_built_trees_agree(
    sqlite_table: RowTable, postgres_table: RowTable, table_rows: list[Row], data: st.DataObject
) -> None:
    trees = st.none() | _trees(_pairs(table_rows)) | _trees(_pairs(table_rows))
    selection = Selection(fields=data.draw(trees), labels=data.draw(trees))
    _check(table_rows, selection, sqlite_table, postgres_table)
