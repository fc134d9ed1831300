"""``output_metric_thresholds``: an OK check whose metrics cross a threshold takes the
threshold's status, with Sensu's annotations saying which rule and value did it."""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import Any

CAPTIONS = {0: "ok", 1: "warning", 2: "critical"}


def caption(status: int) -> str:
    return CAPTIONS.get(status, "unknown")


def _matches(rule: Mapping[str, Any], point: Mapping[str, Any]) -> bool:
    if rule.get("name") != point.get("name"):
        return False
    tags = [(t.get("name"), t.get("value")) for t in point.get("tags") or []]
    return all((t.get("name"), t.get("value")) in tags for t in rule.get("tags") or [])


def _key(rule: Mapping[str, Any], measure: str, status: int) -> str:
    tags = "".join(f".{t.get('value')}" for t in rule.get("tags") or [])
    return f"sensu.io/output_metric_thresholds/{rule.get('name')}{tags}/{measure}/{caption(status)}"


def _number(value: float) -> str:
    return repr(value) if not float(value).is_integer() else str(int(value))


def _crossed(rule: Mapping[str, Any], measure: str, value: float, limit: str) -> str:
    tags = ",".join(f"{t.get('name')}={t.get('value')}" for t in rule.get("tags") or [])
    name = f"{rule.get('name')} ({tags})" if tags else str(rule.get("name"))
    return (
        f"The value of {name} exceeded the configured threshold "
        f"({measure}: {limit}, actual: {_number(value)})."
    )


def _missing(rule: Mapping[str, Any]) -> str:
    tags = ", ".join(f'{t.get("name")}="{t.get("value")}"' for t in rule.get("tags") or [])
    text = f"{caption(int(rule.get('null_status') or 0)).upper()} : no metric matching "
    text += f'"{rule.get("name")}"' + (f" ({tags})" if tags else "") + " was found"
    for limit in rule.get("thresholds") or []:
        lo, hi = str(limit.get("min") or ""), str(limit.get("max") or "")
        text += "; expected " + (f"min: {lo}" if lo else "")
        text += " - " if lo and hi else ""
        text += (
            f"max: {hi}" if hi else ""
        ) + f" (status: {caption(int(limit.get('status') or 0))})"
    return text


def evaluate(
    status: int, points: Sequence[Mapping[str, Any]], rules: Sequence[Mapping[str, Any]]
) -> tuple[int, dict[str, str]]:
    """The new status and the annotations to add to the event."""
    if status > 0:
        return status, {}
    annotations: dict[str, str] = {}
    worst, message = 0, ""

    def note(key: str, text: str, rule_status: int) -> None:
        nonlocal worst, message
        annotations[key] = text
        if worst < rule_status:
            worst, message = rule_status, text

    for rule in rules:
        matched = False
        for point in points:
            if not _matches(rule, point):
                continue
            matched = True
            value = float(point.get("value") or 0)
            for limit in rule.get("thresholds") or []:
                rule_status = int(limit.get("status") or 0)
                for measure, crossed in (("min", operator.lt), ("max", operator.gt)):
                    text = str(limit.get(measure) or "").strip()
                    try:
                        bound = float(text) if text else None
                    except ValueError:
                        continue
                    if bound is not None and crossed(value, bound):
                        key = _key(rule, measure, rule_status)
                        note(key, _crossed(rule, measure, value, text), rule_status)
                        break
        null_status = int(rule.get("null_status") or 0)
        if not matched and null_status > 0:
            note(_key(rule, "null-status", null_status), _missing(rule), null_status)
    if message:
        annotations[f"sensu.io/notifications/{caption(worst)}"] = message
    return worst, annotations
