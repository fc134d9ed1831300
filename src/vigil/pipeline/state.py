"""Sensu's check-result state rules, as pure functions over JSON-shaped event dicts.

Given the stored event for an (entity, check) pair and a new result, these compute what Sensu
stores: the 21-entry ``history``, ``occurrences`` and ``occurrences_watermark``,
``total_state_change`` with Sensu's weighting, ``state`` (passing / failing / flapping),
``last_ok``, plus the event-level defaults (``id``, ``timestamp``) and output truncation.
No I/O happens here, so every rule can be tested with plain dicts.
"""

from __future__ import annotations

import itertools
import struct
from typing import Any

from vigil.pipeline.ids import new_event_id

HISTORY_SIZE = 21
TRUNCATED_LABEL = "sensu.io/output_truncated_bytes"

PASSING = "passing"
FAILING = "failing"
FLAPPING = "flapping"

Doc = dict[str, Any]


def _f32(value: float) -> float:
    """Round to float32, because Sensu computes the state-change percentage in float32."""
    result: float = struct.unpack("f", struct.pack("f", value))[0]
    return result


def total_state_change(history: list[Doc]) -> int:
    """Percent state change over a full history; 0 until it holds 21 entries.

    Each status change at step i (1..20) weighs 0.80 + 0.02*(i-1); the weight is accumulated
    in float64 and the final division happens in float32 then truncates, as Sensu does.
    """
    if len(history) < HISTORY_SIZE:
        return 0
    statuses = [_status(entry) for entry in history]
    changes = 0.0
    weight = 0.80
    for previous, current in itertools.pairwise(statuses):
        if current != previous:
            changes += weight
        weight += 0.02
    return int(_f32(_f32(_f32(changes) / 20) * 100))


def is_flapping(check: Doc, change: int) -> bool:
    """Flapping needs both thresholds set and ``change >= high_flap_threshold``.

    Sensu's hysteresis branch (stay flapping while above the low threshold) depends on a
    per-entry flag that Sensu never sets, so in practice only the high threshold decides.
    """
    low = int(check.get("low_flap_threshold") or 0)
    high = int(check.get("high_flap_threshold") or 0)
    if low == 0 or high == 0:
        return False
    return change >= high


def update_check_state(check: Doc) -> None:
    """Set ``total_state_change``, ``state`` and (when passing) ``last_ok`` from the history."""
    change = total_state_change(check["history"])
    check["total_state_change"] = change
    if is_flapping(check, change):
        check["state"] = FLAPPING
    elif _status(check) == 0:
        check["state"] = PASSING
        check["last_ok"] = int(check.get("executed") or 0)
    else:
        check["state"] = FAILING


def merge_history(check: Doc, previous: Doc) -> None:
    """Append this result to ``previous``'s history and carry its counters over."""
    entry = {"status": _status(check), "executed": int(check.get("executed") or 0)}
    # Only the newest HISTORY_SIZE - 1 survive the append; stored entries are already in
    # shape (written through the model), anything else is normalised.
    kept = (previous.get("history") or [])[-(HISTORY_SIZE - 1) :]
    history = [h if type(h) is dict else _history_entry(h) for h in kept]
    history.append(entry)
    check["history"] = history
    check["last_ok"] = int(previous.get("last_ok") or 0)
    check["occurrences"] = int(previous.get("occurrences") or 0)
    check["occurrences_watermark"] = int(previous.get("occurrences_watermark") or 0)
    update_check_state(check)


def update_occurrences(check: Doc) -> None:
    """``occurrences`` counts repeats of the current status; the watermark is their peak
    since the last OK -> non-OK transition."""
    history = check["history"]
    same = len(history) > 1 and _status(history[-1]) == _status(history[-2])
    occurrences = int(check.get("occurrences") or 0) + 1 if same else 1
    watermark = int(check.get("occurrences_watermark") or 0)
    if len(history) > 1 and _status(history[-1]) != 0 and _status(history[-2]) == 0:
        watermark = 1
    elif occurrences > watermark:
        watermark += 1
    check["occurrences"] = occurrences
    check["occurrences_watermark"] = watermark


def apply_check_result(previous: Doc | None, event: Doc, now: int) -> Doc:
    """Return a copy of ``event`` with Sensu's stored-state fields computed.

    ``previous`` is the stored event for the same (namespace, entity, check), or None. On the
    first result, history and counters sent by the caller are honoured; afterwards they come
    from ``previous``. The result keeps the full output (the pipeline sees it); the
    ``sensu.io/output_truncated_bytes`` label is already set when storage will truncate, see
    ``storage_form``.
    """
    # Shallow copies of the levels written below keep ``event`` unchanged (a deep copy cost
    # more than the rest of ingestion); nested values are replaced, never modified in place.
    merged = dict(event)
    check = merged["check"] = dict(event["check"])
    fill_event_defaults(merged, now)
    prev_check = (previous or {}).get("check")
    if isinstance(prev_check, dict):
        merge_history(check, prev_check)
    else:
        check["state"] = FAILING
        if _status(check) == 0:
            check["state"] = PASSING
            check["last_ok"] = int(check.get("executed") or 0)
        merge_history(check, dict(check))
    update_occurrences(check)
    _label_truncation(merged)
    return merged


def fill_event_defaults(event: Doc, now: int) -> None:
    """``id`` (a UUID when missing), ``timestamp`` (now when 0), result fields set to 0."""
    if not event.get("id"):
        event["id"] = new_event_id()
    if not event.get("timestamp"):
        event["timestamp"] = now
    check = event.get("check")
    if isinstance(check, dict):
        check["status"] = _status(check)
        for name in ("executed", "issued"):
            check[name] = int(check.get(name) or 0)
        check.setdefault("output", "")


def storage_form(event: Doc) -> Doc:
    """The copy Sensu stores: no ``metrics``, output cut to ``max_output_size`` bytes."""
    stored = {k: v for k, v in event.items() if k != "metrics"}
    check = event.get("check")
    if not isinstance(check, dict):
        return stored
    limit = int(check.get("max_output_size") or 0)
    raw = str(check.get("output") or "").encode()
    if limit > 0 and len(raw) > limit:
        stored["check"] = dict(check, output=raw[:limit].decode(errors="ignore"))
    return stored


def _label_truncation(event: Doc) -> None:
    check = event["check"]
    limit = int(check.get("max_output_size") or 0)
    size = len(str(check.get("output") or "").encode())
    if limit > 0 and size > limit:
        meta = dict(event.get("metadata") or {})
        labels = meta.get("labels") or {}
        meta["labels"] = dict(labels, **{TRUNCATED_LABEL: str(size - limit)})
        event["metadata"] = meta


def is_resolution(event: Doc) -> bool:
    """An OK result right after a non-OK one (Sensu's ``IsResolution``)."""
    check = event.get("check")
    if not isinstance(check, dict):
        return False
    history = check.get("history") or []
    return len(history) >= 2 and _status(history[-2]) != 0 and _status(check) == 0


def _history_entry(entry: Any) -> Doc:
    if not isinstance(entry, dict):
        return {"status": 0, "executed": 0}
    return {"status": _status(entry), "executed": int(entry.get("executed") or 0)}


def _status(doc: Doc) -> int:
    return int(doc.get("status") or 0)
