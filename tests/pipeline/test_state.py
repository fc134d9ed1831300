"""Sensu's check-state rules, fed status sequences and checked against hand arithmetic."""

from __future__ import annotations

from typing import Any

import pytest

from vigil.pipeline.state import (
    TRUNCATED_LABEL,
    apply_check_result,
    is_resolution,
    storage_form,
    total_state_change,
)

NOW = 1_700_000_000


def result(status: int, executed: int = 0, **check: Any) -> dict[str, Any]:
    return {
        "entity": {"metadata": {"name": "web1", "namespace": "default"}},
        "check": {"metadata": {"name": "cpu"}, "status": status, "executed": executed, **check},
    }


def feed(statuses: list[int], **check: Any) -> list[dict[str, Any]]:
    """Apply results one after another; ``executed`` is the position (1-based)."""
    stored: dict[str, Any] | None = None
    out = []
    for i, status in enumerate(statuses, start=1):
        stored = apply_check_result(stored, result(status, i, **check), NOW)
        out.append(stored)
    return out


def history(statuses: list[int]) -> list[dict[str, int]]:
    return [{"status": s, "executed": 0} for s in statuses]


def test_occurrences_and_watermark_follow_the_documented_sequence() -> None:
    statuses = [0, 0, 1, 1, 1, 2, 2, 2, 2, 0, 2]
    events = feed(statuses)
    got = [(e["check"]["occurrences"], e["check"]["occurrences_watermark"]) for e in events]
    # OK,OK -> 1/1 2/2; WARN x3 -> 1/1 2/2 3/3 (OK->non-OK resets the watermark to 1);
    # CRIT x4 -> 1/3 2/3 3/3 4/4 (a non-OK change resets occurrences, not the watermark);
    # OK -> 1/4; CRIT -> 1/1.
    assert got == [
        (1, 1), (2, 2),
        (1, 1), (2, 2), (3, 3),
        (1, 3), (2, 3), (3, 3), (4, 4),
        (1, 4),
        (1, 1),
    ]  # fmt: skip


def test_history_keeps_the_last_21_results() -> None:
    last = feed([i % 3 for i in range(25)])[-1]["check"]
    assert len(last["history"]) == 21
    assert [h["executed"] for h in last["history"]] == list(range(5, 26))
    assert last["history"][-1] == {"status": 24 % 3, "executed": 25}


def test_state_change_is_zero_below_21_entries() -> None:
    assert total_state_change(history([0, 1] * 10)) == 0


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([0] * 21, 0),
        # One change at step 20 (the newest entry): weight 0.80 + 0.02*19 = 1.18;
        # 1.18 / 20 * 100 = 5.9 -> 5.
        ([0] * 20 + [1], 5),
        # One change at step 1: weight 0.80; 0.80 / 20 * 100 = 4.
        ([0] + [1] * 20, 4),
        # Sensu's own vector: changes at steps 3, 4, 5, 9, 12, 16, 19 weigh
        # 0.84 + 0.86 + 0.88 + 0.96 + 1.02 + 1.10 + 1.16 = 6.82; 6.82 / 20 * 100 = 34.1 -> 34.
        ([0, 0, 0, 1, 2, 3, 3, 3, 3, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 2, 2], 34),
        # Every step changes: 0.80 + ... + 1.18 = 19.8. In float32 (as Sensu computes it)
        # 19.8 -> 19.7999992, / 20 -> 0.98999995, * 100 -> 98.999992, truncated -> 98.
        ([0, 1] * 10 + [0], 98),
    ],
    ids=["steady", "last-change", "first-change", "sensu-vector", "all-changes"],
)
def test_total_state_change_weighting(statuses: list[int], expected: int) -> None:
    assert total_state_change(history(statuses)) == expected


def test_flapping_when_change_reaches_the_high_threshold() -> None:
    thresholds = {"low_flap_threshold": 10, "high_flap_threshold": 30}
    events = feed([0, 1] * 10 + [0, 1, 0], **thresholds)
    assert [e["check"]["state"] for e in events[:20]] == ["passing", "failing"] * 10
    # The 21st result fills the history: TSC 98 >= 30 -> flapping from then on.
    assert [e["check"]["state"] for e in events[20:]] == ["flapping"] * 3
    # A flapping OK result does not advance last_ok: the last passing one was executed 19.
    assert events[-1]["check"]["status"] == 0
    assert events[-1]["check"]["last_ok"] == 19


def test_flapping_drops_when_change_falls_below_high() -> None:
    thresholds = {"low_flap_threshold": 5, "high_flap_threshold": 30}
    # 21 alternating results (flapping), then steady OKs: after 10 more results the 21-entry
    # window holds 10 changes in its oldest steps (0.80..0.98, sum 8.9 -> 44%), still >= 30;
    # after 14 more the changes at steps 1..6 sum 0.80+..+0.90 = 5.1 -> 25% < 30: passing.
    events = feed([0, 1] * 10 + [0] + [0] * 14, **thresholds)
    assert events[20]["check"]["state"] == "flapping"
    assert events[30]["check"]["total_state_change"] == 44
    assert events[30]["check"]["state"] == "flapping"
    assert events[-1]["check"]["total_state_change"] == 25
    assert events[-1]["check"]["state"] == "passing"


def test_no_flapping_without_both_thresholds() -> None:
    events = feed([0, 1] * 11, high_flap_threshold=30)
    assert events[-1]["check"]["total_state_change"] > 30
    assert events[-1]["check"]["state"] == "failing"


def test_last_ok_is_executed_of_the_last_passing_result() -> None:
    events = feed([0, 2, 2])
    assert [e["check"]["last_ok"] for e in events] == [1, 1, 1]
    api_event = apply_check_result(None, result(0), NOW)  # no executed: Sensu leaves 0
    assert api_event["check"]["last_ok"] == 0
    assert api_event["check"]["state"] == "passing"


def test_caller_history_and_counters_honoured_only_on_the_first_result() -> None:
    first = result(1, 10, history=[{"status": 1, "executed": 5}], occurrences=5)
    first["check"]["occurrences_watermark"] = 5
    stored = apply_check_result(None, first, NOW)
    check = stored["check"]
    assert check["history"] == [{"status": 1, "executed": 5}, {"status": 1, "executed": 10}]
    assert (check["occurrences"], check["occurrences_watermark"]) == (6, 6)
    later = result(1, 11, history=[], occurrences=100, last_ok=99)
    check = apply_check_result(stored, later, NOW)["check"]
    assert len(check["history"]) == 3
    assert (check["occurrences"], check["last_ok"]) == (7, 0)


def test_event_defaults() -> None:
    stored = apply_check_result(None, result(0), NOW)
    assert stored["timestamp"] == NOW
    assert len(stored["id"]) == 36
    assert stored["check"]["issued"] == 0
    given = dict(result(0), timestamp=5, id="a9fbd4e4-3b9f-4c4e-9f43-2f6f7b6f4a01")
    stored = apply_check_result(None, given, NOW)
    assert (stored["timestamp"], stored["id"]) == (5, given["id"])


def test_output_truncated_for_storage_only() -> None:
    event = result(2, 1, output="héllo world", max_output_size=4)
    event["metrics"] = {"points": []}
    merged = apply_check_result(None, event, NOW)
    # "héllo world" is 12 bytes in UTF-8 (é is 2); 12 - 4 = 8 bytes cut.
    assert merged["metadata"]["labels"] == {TRUNCATED_LABEL: "8"}
    assert merged["check"]["output"] == "héllo world"
    stored = storage_form(merged)
    assert stored["check"]["output"] == "hél"
    assert "metrics" not in stored
    assert "metrics" in merged


def test_no_truncation_label_when_output_fits() -> None:
    merged = apply_check_result(None, result(0, output="ok", max_output_size=10), NOW)
    assert TRUNCATED_LABEL not in (merged.get("metadata") or {}).get("labels", {})
    assert storage_form(merged)["check"]["output"] == "ok"


def test_is_resolution() -> None:
    events = feed([0, 2, 0, 0])
    assert [is_resolution(e) for e in events] == [False, False, True, False]
