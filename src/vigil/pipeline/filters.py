"""Event filters: the built-ins Sensu ships and stored EventFilters (JavaScript expressions).

A filter says whether an event goes on through a workflow. Built-ins are matched by name
before stored filters, as in Sensu, so a stored filter named ``is_incident`` is never used.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from vigil.model.pipeline import EventFilter
from vigil.pipeline import js
from vigil.pipeline.adapters import AdapterRegistry, Event, FilterError, Ref, RunContext

EVENT_FILTER = "EventFilter"
ALLOW = "allow"
DENY = "deny"
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# --- built-ins ------------------------------------------------------------------------------


def is_incident(event: Mapping[str, Any]) -> bool:
    """Pass incidents (status != 0) and resolutions (a 0 right after a non-zero)."""
    extras = js.event_extras(event)
    return extras["is_incident"] or extras["is_resolution"]


def not_silenced(event: Mapping[str, Any]) -> bool:
    """Pass unless the check is silenced by at least one silence."""
    check = event.get("check")
    return not (isinstance(check, Mapping) and check.get("silenced"))


def has_metrics(event: Mapping[str, Any]) -> bool:
    """Pass only events that carry a metrics object."""
    return isinstance(event.get("metrics"), Mapping)


class BuiltinFilter:
    """A filter Sensu provides under a fixed name, computed in Python."""

    def __init__(self, name: str, passes: Callable[[Mapping[str, Any]], bool]) -> None:
        self.name = name
        self._passes = passes

    def can_run(self, ref: Ref) -> bool:
        return ref.is_core(EVENT_FILTER) and ref.name == self.name

    async def run(self, ref: Ref, event: Event, ctx: RunContext) -> bool:
        return self._passes(event)


BUILTIN_FILTERS = {
    "is_incident": is_incident,
    "not_silenced": not_silenced,
    "has_metrics": has_metrics,
}


# --- stored EventFilters --------------------------------------------------------------------


class StoredFilter:
    """A ``core/v2 EventFilter`` from the store: ``action``, ``expressions`` and ``when``.

    ``runtime_assets`` are ignored: no asset is fetched or evaluated.
    """

    def can_run(self, ref: Ref) -> bool:
        return ref.is_core(EVENT_FILTER)

    async def run(self, ref: Ref, event: Event, ctx: RunContext) -> bool:
        stored = ref.resource or await ctx.fetch(EventFilter.PLURAL, ref.name)
        if stored is None:
            raise FilterError(f"filter {ref.name!r} does not exist")
        action = stored.get("action")
        when = stored.get("when")
        if when and action in (ALLOW, DENY):
            inside = _inside_when(when, datetime.now(UTC), ctx, ref.name)
            if inside is None:
                return True
            if (action == ALLOW and not inside) or (action == DENY and inside):
                return False
        expressions = [str(e) for e in stored.get("expressions") or []]
        if action not in (ALLOW, DENY) or not expressions:
            return True
        evaluate = functools.partial(
            js.evaluate_expressions, expressions, event, timeout=ctx.js_timeout
        )
        try:
            results = await ctx.offload(evaluate)
        except js.ScriptError as exc:
            raise FilterError(f"filter {ref.name!r}: {exc}") from exc
        return decide(action, results)


def decide(action: str, results: Sequence[bool | None]) -> bool:
    """Sensu's rule: ``allow`` needs no false expression, ``deny`` drops on any true one.

    ``None`` marks an expression that threw; it neither matches nor fails.
    """
    if action == ALLOW:
        return all(result is not False for result in results)
    if action == DENY:
        return not any(result is True for result in results)
    return True


def _inside_when(when: Any, now: datetime, ctx: RunContext, name: str) -> bool | None:
    try:
        return in_time_windows(when, now)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        ctx.log.warning("filter %r: unparseable time window (%s); event allowed", name, exc)
        return None


def in_time_windows(when: Mapping[str, Any], now: datetime) -> bool:
    """True when ``now`` (UTC) is inside one of today's windows or the ``all`` windows.

    Windows are ``{"begin": "5:00 PM", "end": "8:00 AM"}`` (12-hour clock, spaces ignored);
    an end before the begin wraps past midnight. Both ends are inclusive. Raises ValueError
    on a window that does not parse.
    """
    now = now.astimezone(UTC)
    days = when.get("days") or {}
    windows = [*(days.get("all") or []), *(days.get(_WEEKDAYS[now.weekday()]) or [])]
    return any(_in_window(window, now) for window in windows)


def _in_window(window: Mapping[str, Any], now: datetime) -> bool:
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    begin = today + _clock(window["begin"])
    end = today + _clock(window["end"])
    if end < begin:
        if now < end:
            begin = today
        else:
            end = today + timedelta(days=1) - timedelta(microseconds=1)
    return begin <= now <= end


def _clock(text: str) -> timedelta:
    parsed: time = datetime.strptime(str(text).replace(" ", ""), "%I:%M%p").time()
    return timedelta(hours=parsed.hour, minutes=parsed.minute)


def register(registry: AdapterRegistry) -> None:
    for name, passes in BUILTIN_FILTERS.items():
        registry.add_filter(BuiltinFilter(name, passes))
    registry.add_filter(StoredFilter())
