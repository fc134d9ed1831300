"""Evaluation tables: the reference semantics (Sensu's Matches) over one flat field map."""

from __future__ import annotations

import pytest

from vigil.selector.ast import Ident, Literal_, Operation, Selection
from vigil.selector.evaluate import matches, selection_matches, split_list
from vigil.selector.parser import parse, parse_selection

FIELDS = {
    "check.name": "linux-cpu",
    "check.namespace": "dev",
    "check.publish": "true",
    "check.subscriptions": "linux,web",
    "check.handlers": "",
    "event.check.status": "2",
    "spaced": "[ a , b\u00a0]",
    "region": "us-west-1",
    "app-tier": "web",
}

CASES: list[tuple[str, str, bool]] = [
    ("eq", 'check.name == "linux-cpu"', True),
    ("eq-other", "check.name == linux", False),
    ("eq-case-sensitive", 'check.name == "Linux-cpu"', False),
    ("eq-absent", "missing == x", False),
    ("eq-absent-empty", 'missing == ""', False),
    ("eq-empty-value", 'check.handlers == ""', True),
    ("ne-absent-is-true", "missing != x", True),
    ("ne-equal", 'check.name != "linux-cpu"', False),
    ("ne-other", "check.name != x", True),
    ("bool-as-string", "check.publish == true", True),
    ("bool-keyword-case", "check.publish == TRUE", True),
    ("status-quoted", 'event.check.status == "2"', True),
    ("status-unquoted", "event.check.status == 2", True),
    ("status-ne-zero", 'event.check.status != "0"', True),
    ("matches-substring", 'check.name matches "cpu"', True),
    ("matches-prefix", 'check.name matches "linux-"', True),
    ("matches-case-sensitive", 'check.name matches "CPU"', False),
    ("matches-empty", 'check.name matches ""', True),
    ("matches-absent", 'missing matches ""', False),
    ("matches-percent-is-literal", 'check.name matches "%"', False),
    ("matches-underscore-is-literal", 'check.name matches "linux_cpu"', False),
    ("in-list-field", "linux in check.subscriptions", True),
    ("in-list-field-second", "web in check.subscriptions", True),
    ("in-list-field-partial", "lin in check.subscriptions", False),
    ("in-list-field-quoted-left", '"linux" in check.subscriptions', True),
    ("in-list-field-whole-value", '"linux,web" in check.subscriptions', False),
    ("notin-list-field", "windows notin check.subscriptions", True),
    ("notin-list-field-member", "linux notin check.subscriptions", False),
    ("in-single-value-field", "dev in check.namespace", True),
    ("in-trims-brackets-and-spaces", "a in spaced", True),
    ("in-trims-unicode-space", "b in spaced", True),
    ("in-untrimmed-left-never-matches", '" a" in spaced', False),
    ("in-empty-field-has-empty-item", '"" in check.handlers', True),
    ("in-empty-field-no-item", "slack in check.handlers", False),
    ("notin-empty-field", "slack notin check.handlers", True),
    ("in-array", "check.namespace in [dev, production]", True),
    ("in-array-miss", "check.namespace in [prod, production]", False),
    ("in-empty-array", "check.namespace in []", False),
    ("notin-empty-array", "check.namespace notin []", True),
    ("in-array-absent", "missing in [a, b]", False),
    ("notin-array-absent", "missing notin [a, b]", True),
    ("notin-array-member", "check.namespace notin [dev]", False),
    ("in-absent-right-compares-value", "check.namespace in dev", True),
    ("in-absent-right-absent-left", "linux in missing.list", False),
    ("notin-absent-right-absent-left", "linux notin missing.list", True),
    ("quoted-left-is-a-key", '"check.name" == "linux-cpu"', True),
    ("quoted-hyphen-key", "'app-tier' == web", True),
    ("quoted-key-in-array", '"app-tier" in [web]', True),
    ("and", "check.publish == true && linux in check.subscriptions", True),
    ("and-false", "check.publish != true && linux in check.subscriptions", False),
    (
        "doc-three",
        "check.publish == true && linux in check.subscriptions && dev in check.namespace",
        True,
    ),
    ("or", "check.publish == false || linux in check.subscriptions", True),
    ("or-false", "check.publish == false || missing == x", False),
    ("precedence", "missing == x && a == b || check.namespace == dev", True),
    ("parentheses", "missing == x && (a == b || check.namespace == dev)", False),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_matches(text: str, want: bool) -> None:
    assert matches(parse(text), FIELDS) is want


@pytest.mark.parametrize(
    ("value", "items"),
    [
        ("a,b", ["a", "b"]),
        ("", [""]),
        ("[]", [""]),
        ("[a, b]", ["a", "b"]),
        ("[[a],b]]", ["a]", "b"]),
        (" a ,\tb ", ["a", "b"]),
        ("a,,b", ["a", "", "b"]),
    ],
)
def test_split_list(value: str, items: list[str]) -> None:
    assert split_list(value) == items


def test_hand_built_literal_on_the_right_of_in_is_a_list_of_one() -> None:
    operation = Operation(Ident("check.namespace"), "in", Literal_("dev"))
    assert matches(operation, FIELDS)


def test_selection_matches_fields_and_labels() -> None:
    labels = {"region": "us-west-1", "type": "server"}
    both = parse_selection(["linux in check.subscriptions"], ['type != "server"'])
    assert not selection_matches(both, FIELDS, labels)
    assert selection_matches(both, FIELDS, {"region": "eu"})
    assert selection_matches(parse_selection([], ['region matches "us"']), {}, labels)
    assert not selection_matches(parse_selection(["missing == x"], []), FIELDS, labels)


def test_empty_selection_matches_everything() -> None:
    assert selection_matches(Selection(), {}, {})
