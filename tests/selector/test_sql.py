"""SQL compilation tables, run in real SQLite and PostgreSQL against the reference evaluator."""

from __future__ import annotations

import pytest

from tests.selector.conftest import Row, RowTable
from vigil.selector.ast import Ident, Literal_, Operation, Selection
from vigil.selector.evaluate import selection_matches
from vigil.selector.parser import parse_selection
from vigil.selector.sql import compile_selection

ROWS: list[Row] = [
    (  # 0
        {
            "check.name": "linux-cpu",
            "check.namespace": "default",
            "check.subscriptions": "linux,web",
            "check.publish": "true",
            "check.handlers": "slack,email",
        },
        {"region": "us-west-1", "type": "server"},
    ),
    (  # 1
        {
            "check.name": "windows-disk",
            "check.namespace": "dev",
            "check.subscriptions": "windows",
            "check.publish": "false",
            "check.handlers": "",
        },
        {"region": "eu-central-1"},
    ),
    (  # 2
        {
            "check.name": "Linux_mem%",
            "check.namespace": "production",
            "check.subscriptions": "[linux, entity:i-0c1f8a116b84ea50c]",
            "check.publish": "false",
            "check.handlers": "pagerduty",
        },
        {"type": "server", "app-tier": "web", 'we"ird\\key': "é"},
    ),
    ({"check.name": "dev", "check.namespace": "dev"}, {}),  # 3
]

CASES: list[tuple[str, list[str], list[str], list[int]]] = [
    ("nothing", [], [], [0, 1, 2, 3]),
    ("in-list-field", ["linux in check.subscriptions"], [], [0, 2]),
    ("notin-list-field", ["slack notin check.handlers"], [], [1, 2, 3]),
    ("quoted-left-in", ['"entity:i-0c1f8a116b84ea50c" in check.subscriptions'], [], [2]),
    ("in-array", ["check.namespace in [dev,production]"], [], [1, 2, 3]),
    ("notin-array", ["check.namespace notin [dev]"], [], [0, 2]),
    ("in-empty-array", ["check.namespace in []"], [], []),
    ("notin-empty-array", ["check.name notin []"], [], [0, 1, 2, 3]),
    ("eq-bool", ["check.publish == true"], [], [0]),
    ("ne-absent", ["check.publish != true"], [], [1, 2, 3]),
    ("matches", ['check.name matches "linux"'], [], [0]),
    ("matches-case-sensitive", ['check.name matches "Linux"'], [], [2]),
    ("matches-percent", ['check.name matches "%"'], [], [2]),
    ("matches-underscore", ['check.name matches "_"'], [], [2]),
    ("matches-empty", ['check.publish matches ""'], [], [0, 1, 2]),
    ("empty-item", ['"" in check.handlers'], [], [1]),
    ("in-absent-list-field", ["dev in check.namespace"], [], [1, 3]),
    ("in-right-absent", ["check.name in dev.field"], [], []),
    ("in-right-absent-value", ["check.name in dev"], [], [3]),
    ("doc-three", ["check.publish != true && linux in check.subscriptions"], [], [2]),
    ("repeated-anded", ["linux in check.subscriptions", "check.publish == false"], [], [2]),
    ("or", ["check.namespace == default || check.name == dev"], [], [0, 3]),
    ("parentheses", ["(check.namespace == dev || check.publish == true) && a != b"], [], [0, 1, 3]),
    ("label-eq", [], ['region == "us-west-1"'], [0]),
    ("label-ne", [], ['type != "server"'], [1, 3]),
    ("label-matches", [], ['region matches "us"'], [0]),
    ("label-hyphen-key", [], ['"app-tier" == web'], [2]),
    ("label-notin", [], ['region notin ["eu-central-1"]'], [0, 2, 3]),
    ("combined", ["linux in check.subscriptions"], ['type == "server"'], [0, 2]),
    ("combined-none", ["check.publish == true"], ['type != "server"'], []),
]


@pytest.mark.parametrize(
    ("field_selectors", "label_selectors", "want"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_sql_agrees_with_table(
    table: RowTable, field_selectors: list[str], label_selectors: list[str], want: list[int]
) -> None:
    selection = parse_selection(field_selectors, label_selectors)
    reference = [
        i for i, (fields, labels) in enumerate(ROWS) if selection_matches(selection, fields, labels)
    ]
    assert reference == want
    table.load(ROWS)
    assert table.matching(selection) == want


@pytest.mark.parametrize("key", ['we"ird\\key', "x') OR 1=1 --", "é", "", "a\nb", "$.x[0]"])
def test_any_key_is_looked_up_exactly(table: RowTable, key: str) -> None:
    table.load([({}, {key: "v"}), ({}, {"other": "v"})])
    selection = Selection(labels=Operation(Literal_(key), "==", Literal_("v")))
    assert table.matching(selection) == [0]


def test_keys_and_values_are_parameters_never_sql_text() -> None:
    hostile = "x'); DROP TABLE rows; --"
    selection = Selection(
        fields=Operation(Literal_(hostile), "in", Ident(hostile)),
        labels=Operation(Literal_(hostile), "matches", Literal_(hostile)),
    )
    for dialect in ("sqlite", "postgres"):
        sql, params = compile_selection(selection, dialect)
        assert hostile not in sql
        assert "DROP" not in sql
        assert any(hostile in str(param) for param in params)


def test_placeholders_follow_the_dialect() -> None:
    selection = parse_selection(["linux in check.subscriptions && a matches b"], ["x in [y, z]"])
    sqlite_sql, sqlite_params = compile_selection(selection, "sqlite")
    postgres_sql, postgres_params = compile_selection(selection, "postgres")
    assert "%s" not in sqlite_sql
    assert "?" not in postgres_sql
    assert sqlite_sql.count("?") == len(sqlite_params)
    assert postgres_sql.count("%s") == len(postgres_params)


def test_empty_selection_is_always_true() -> None:
    assert compile_selection(Selection(), "sqlite") == ("1=1", [])
    assert compile_selection(Selection(), "postgres") == ("1=1", [])


def test_custom_columns(table: RowTable) -> None:
    sql, _ = compile_selection(parse_selection(["a == b"], ["c == d"]), "sqlite", "r.f", "r.l")
    assert "r.f" in sql and "r.l" in sql


@pytest.mark.parametrize("column", ["fields; --", "a b", "", '"x"', "1col"])
def test_column_names_are_checked(column: str) -> None:
    with pytest.raises(ValueError, match="column"):
        compile_selection(parse_selection(["a == b"], []), "sqlite", column)


def test_unknown_dialect_is_refused() -> None:
    with pytest.raises(ValueError, match="dialect"):
        compile_selection(parse_selection(["a == b"], []), "mysql")  # type: ignore[arg-type]
