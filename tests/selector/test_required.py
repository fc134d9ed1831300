"""required_equalities: the top-level ``key == value`` terms the store may seek on."""

from __future__ import annotations

import pytest

from vigil.selector.parser import parse_selection
from vigil.selector.sql import required_equalities

CASES = [
    ("event.check.status == 2", {"event.check.status": "2"}),
    (
        'event.check.status == "2" && linux in event.entity.subscriptions',
        {"event.check.status": "2"},
    ),
    ("a == x && b == y", {"a": "x", "b": "y"}),
    ("a == x || b == y", {}),
    ("(a == x) && b != y", {"a": "x"}),
    ("a == x && a == z", {}),
    ("a == x && a == x", {"a": "x"}),
    ("a in [x, y]", {}),
    ("x in a", {}),
    ("a matches x", {}),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0] for c in CASES])
def test_required_equalities(text: str, expected: dict[str, str]) -> None:
    assert required_equalities(parse_selection([text], [])) == expected


def test_labels_and_empty_selections_give_nothing() -> None:
    assert required_equalities(None) == {}
    assert required_equalities(parse_selection([], ["region == x"])) == {}
