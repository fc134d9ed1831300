"""Built-in filters, stored EventFilters (allow/deny, expressions, time windows)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.pipeline.contexts import run_context
from vigil.pipeline import filters
from vigil.pipeline.adapters import AdapterRegistry, FilterError, Ref, RunContext

Doc = dict[str, Any]


def event(
    *, status: int = 2, history: list[int] | None = None, silenced: list[str] | None = None
) -> Doc:
    doc: Doc = {
        "entity": {"metadata": {"name": "web1", "namespace": "default"}},
        "check": {
            "metadata": {"name": "disk", "namespace": "default"},
            "status": status,
            "history": [{"status": s} for s in (history if history is not None else [status])],
        },
    }
    if silenced is not None:
        doc["check"]["silenced"] = silenced
    return doc


def context(stored: dict[str, Doc] | None = None, js_timeout: float = 2.0) -> RunContext:
    return run_context("filters", stored, js_timeout)


def run_filter(name: str, doc: Doc, stored: dict[str, Doc] | None = None) -> bool:
    registry = AdapterRegistry()
    filters.register(registry)
    ref = Ref(name=name, type="EventFilter")
    adapter = registry.filter_for(ref)
    assert adapter is not None
    return asyncio.run(adapter.run(ref, doc, context(stored)))


@pytest.mark.parametrize(
    ("name", "doc", "passes"),
    [
        ("is_incident", event(status=2, history=[0, 2]), True),
        ("is_incident", event(status=1, history=[1, 1]), True),
        ("is_incident", event(status=0, history=[2, 0]), True),  # a resolution gets through
        ("is_incident", event(status=0, history=[0, 0]), False),
        ("is_incident", event(status=0, history=[]), False),  # deregistration copies
        ("is_incident", {"entity": {}, "metrics": {"points": []}}, False),
        ("not_silenced", event(silenced=["linux:disk"]), False),
        ("not_silenced", event(silenced=[]), True),
        ("not_silenced", event(), True),
        ("has_metrics", {"entity": {}, "metrics": {"points": []}}, True),
        ("has_metrics", event(), False),
    ],
)
def test_builtin_filters(name: str, doc: Doc, passes: bool) -> None:
    assert run_filter(name, doc) is passes


def test_builtins_win_over_stored_filters_of_the_same_name() -> None:
    stored = {"is_incident": {"action": "deny", "expressions": ["true"]}}
    assert run_filter("is_incident", event(status=2), stored) is True


@pytest.mark.parametrize(
    ("action", "expressions", "passes"),
    [
        ("allow", ["event.check.status == 2"], True),
        ("allow", ["event.check.status == 0"], False),
        ("allow", ["event.check.status == 2", "event.entity.name == 'db1'"], False),
        ("deny", ["event.check.status == 2"], False),
        ("deny", ["event.check.status == 0"], True),
        ("deny", ["event.check.status == 0", "event.entity.name == 'web1'"], False),
        ("allow", ["this.is.broken"], True),  # throwing expressions are skipped
        ("deny", ["this.is.broken"], True),
        ("other", ["false"], True),  # unknown action: allow
    ],
)
def test_stored_filter(action: str, expressions: list[str], passes: bool) -> None:
    stored = {"f": {"metadata": {"name": "f"}, "action": action, "expressions": expressions}}
    assert run_filter("f", event(), stored) is passes


def test_stored_filter_wrapped_in_spec_is_read() -> None:
    stored = {"f": {"metadata": {"name": "f"}, "spec": {"action": "deny", "expressions": ["true"]}}}
    assert run_filter("f", event(), stored) is False


def test_missing_filter_is_an_error() -> None:
    with pytest.raises(FilterError, match="does not exist"):
        run_filter("nope", event())


def test_endless_expression_is_an_error() -> None:
    stored = {"f": {"action": "allow", "expressions": ["while (true) {}"]}}
    ref = Ref(name="f", type="EventFilter")
    with pytest.raises(FilterError):
        asyncio.run(filters.StoredFilter().run(ref, event(), context(stored, js_timeout=0.2)))


@pytest.mark.parametrize(
    ("action", "results", "passes"),
    [
        ("allow", [True, True], True),
        ("allow", [True, False], False),
        ("allow", [None, True], True),
        ("allow", [None], True),
        ("deny", [False, False], True),
        ("deny", [False, True], False),
        ("deny", [None], True),
    ],
)
def test_decide(action: str, results: list[bool | None], passes: bool) -> None:
    assert filters.decide(action, results) is passes


TUESDAY_0500 = datetime(2023, 11, 14, 5, 0, tzinfo=UTC)
TUESDAY_1200 = datetime(2023, 11, 14, 12, 0, tzinfo=UTC)
TUESDAY_1700 = datetime(2023, 11, 14, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("days", "now", "inside"),
    [
        ({"all": [{"begin": "9:00 AM", "end": "5:00 PM"}]}, TUESDAY_1200, True),
        ({"all": [{"begin": "9:00 AM", "end": "5:00 PM"}]}, TUESDAY_1700, True),  # inclusive
        ({"all": [{"begin": "9:00 AM", "end": "5:00 PM"}]}, TUESDAY_0500, False),
        ({"tuesday": [{"begin": "9:00AM", "end": "1:00PM"}]}, TUESDAY_1200, True),
        ({"monday": [{"begin": "9:00AM", "end": "1:00PM"}]}, TUESDAY_1200, False),
        ({"all": [{"begin": "3:00 PM", "end": "8:00 AM"}]}, TUESDAY_0500, True),  # wraps midnight
        ({"all": [{"begin": "3:00 PM", "end": "8:00 AM"}]}, TUESDAY_1700, True),
        ({"all": [{"begin": "3:00 PM", "end": "8:00 AM"}]}, TUESDAY_1200, False),
        ({}, TUESDAY_1200, False),
    ],
)
def test_time_windows(days: Doc, now: datetime, inside: bool) -> None:
    assert filters.in_time_windows({"days": days}, now) is inside


def test_unparseable_window_raises() -> None:
    with pytest.raises(ValueError):
        filters.in_time_windows({"days": {"all": [{"begin": "25:00", "end": "x"}]}}, TUESDAY_1200)


def test_when_applies_to_stored_filters() -> None:
    always = {"all": [{"begin": "12:00 AM", "end": "11:59 PM"}]}
    never = {"all": [{"begin": "12:00 AM", "end": "12:00 AM"}]}
    always_filter = {"action": "deny", "expressions": ["false"], "when": {"days": always}}
    never_filter = {"action": "allow", "expressions": ["true"], "when": {"days": never}}
    broken_filter = {"action": "allow", "expressions": ["false"], "when": {"days": {"all": [{}]}}}
    now = datetime.now(UTC)
    if (now.hour == 23 and now.minute == 59) or (now.hour == 0 and now.minute == 0):
        pytest.skip("too close to the windows' edges")
    stored = {"a": always_filter, "n": never_filter, "b": broken_filter}
    assert run_filter("a", event(), stored) is False  # deny inside a window
    assert run_filter("n", event(), stored) is False  # allow outside every window
    assert run_filter("b", event(), stored) is True  # unparseable window: allowed
