"""Nested shapes and rules shared by several types: references, secrets, time windows,
cron schedules, environment variables and JavaScript expressions."""

from __future__ import annotations

import importlib
import re
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

import msgspec
from croniter import croniter

from vigil.model.meta import fail, name_error, shown


class ResourceReference(msgspec.Struct, kw_only=True):
    """A typed pointer to another resource, e.g. a pipeline's handler."""

    name: str = shown(str)
    type: str = shown(str)
    api_version: str = shown(str)

    def resource_id(self) -> str:
        return f"{self.api_version}.{self.type}(Name={self.name})"

    def problem(self) -> str | None:
        """Sensu's ``ResourceReference.Validate`` reason, without a prefix."""
        reason = name_error(self.name)
        if reason:
            return f"name {reason}"
        if not self.type:
            return "type must be set"
        if not self.api_version:
            return "api_version must be set"
        return None


class Secret(msgspec.Struct, kw_only=True, omit_defaults=True):
    name: str = ""
    secret: str = ""


class MetricTag(msgspec.Struct, kw_only=True):
    name: str = shown(str)
    value: str = shown(str)


# --- time windows -------------------------------------------------------------------------
_KITCHEN = re.compile(r"(1[0-2]|0?[1-9]):[0-5][0-9] ?(AM|PM)")
_DAYS = ("all", "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_REPEATS = frozenset({"daily", "weekdays", "weekends", *_DAYS[1:]})


class TimeWindowTimeRange(msgspec.Struct, kw_only=True):
    begin: str = shown(str)
    end: str = shown(str)

    def problem(self) -> str | None:
        for label, value in (("begin", self.begin), ("end", self.end)):
            if _KITCHEN.fullmatch(value) is None:
                return f"time window {label} {value!r} must use the 3:04PM time format"
        return None


TimeRanges = list[TimeWindowTimeRange]


class TimeWindowDays(msgspec.Struct, kw_only=True, omit_defaults=True):
    all: TimeRanges = msgspec.field(default_factory=list)
    sunday: TimeRanges = msgspec.field(default_factory=list)
    monday: TimeRanges = msgspec.field(default_factory=list)
    tuesday: TimeRanges = msgspec.field(default_factory=list)
    wednesday: TimeRanges = msgspec.field(default_factory=list)
    thursday: TimeRanges = msgspec.field(default_factory=list)
    friday: TimeRanges = msgspec.field(default_factory=list)
    saturday: TimeRanges = msgspec.field(default_factory=list)


class TimeWindowWhen(msgspec.Struct, kw_only=True):
    """Day-of-week windows (check ``subdue``, filter ``when``)."""

    days: TimeWindowDays = msgspec.field(default_factory=TimeWindowDays)

    def validate(self) -> None:
        for day in _DAYS:
            for window in getattr(self.days, day):
                reason = window.problem()
                if reason:
                    fail(reason)


class TimeWindowRepeated(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An absolute window, optionally repeated (check ``subdues``)."""

    begin: str = shown(str)
    end: str = shown(str)
    repeat: list[str] = msgspec.field(default_factory=list)

    def problem(self) -> str | None:
        begin, end = _rfc3339(self.begin), _rfc3339(self.end)
        if begin is None:
            return f"begin time {self.begin!r} is not an RFC 3339 timestamp"
        if end is None:
            return f"end time {self.end!r} is not an RFC 3339 timestamp"
        if end <= begin:
            return "end time must be after begin time"
        unknown = [period for period in self.repeat if period not in _REPEATS]
        if unknown:
            return f"invalid repeat period: {unknown[0]}"
        return None


def _rfc3339(value: str) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


def validate_subdues(subdues: Iterable[TimeWindowRepeated] | None) -> None:
    for index, window in enumerate(subdues or ()):
        reason = window.problem()
        if reason:
            fail(f"subdue {index} invalid: {reason}")


# --- cron -------------------------------------------------------------------------------
_DESCRIPTORS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
_GO_DURATION = re.compile(r"([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)")


def cron_error(expression: str) -> str | None:
    """Why ``expression`` is not a standard cron schedule (5 fields, descriptor, ``@every``,
    optional ``CRON_TZ=``/``TZ=`` prefix), or None when it is one."""
    spec = expression.strip()
    if spec.startswith(("CRON_TZ=", "TZ=")):
        zone, _, spec = spec.partition(" ")
        zone_name = zone.split("=", 1)[1]
        try:
            zoneinfo.ZoneInfo(zone_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return f"provided bad location {zone_name}"
        spec = spec.strip()
    if spec.startswith("@"):
        return _descriptor_error(spec)
    fields = spec.split()
    if len(fields) != 5:
        return f"expected exactly 5 fields, found {len(fields)}: {spec}"
    return None if croniter.is_valid(spec) else f"failed to parse cron expression: {spec}"


def _descriptor_error(spec: str) -> str | None:
    if spec.startswith("@every "):
        duration = spec[len("@every ") :].strip()
        if duration == "0" or _go_duration_ok(duration):
            return None
        return f"failed to parse duration {spec}"
    if spec in _DESCRIPTORS:
        return None
    return f"unrecognized descriptor: {spec}"


def _go_duration_ok(value: str) -> bool:
    body = value[1:] if value[:1] in "+-" else value
    return bool(body) and re.fullmatch(f"(?:{_GO_DURATION.pattern})+", body) is not None


# --- environment and JavaScript ---------------------------------------------------------
def validate_env_vars(env_vars: Iterable[str] | None) -> None:
    for entry in env_vars or ():
        key, sep, value = entry.partition("=")
        if not sep or not key or not value:
            fail(f"environment variable {entry!r} must be of the form KEY=VALUE")


_pending_javascript: ContextVar[list[tuple[str, str]] | None] = ContextVar(
    "vigil_pending_javascript", default=None
)


@contextmanager
def deferred_javascript() -> Iterator[list[tuple[str, str]]]:
    """Collect the expressions validation would syntax-check instead of checking them, so a
    caller on the event loop can check them all at once on a worker thread (``check_javascript``).
    """
    pending: list[tuple[str, str]] = []
    token = _pending_javascript.set(pending)
    try:
        yield pending
    finally:
        _pending_javascript.reset(token)


def check_javascript(items: Sequence[tuple[str, str]]) -> None:
    """Syntax-check ``(what, expression)`` pairs in one go through the pipeline's JS engine
    (imported lazily so models load without it; skipped while that module is absent)."""
    if not items:
        return
    try:
        engine = importlib.import_module("vigil.pipeline.js")
    except ModuleNotFoundError as exc:
        if exc.name in ("vigil.pipeline", "vigil.pipeline.js"):
            return
        raise
    found: tuple[int, str] | None = engine.first_syntax_error([e for _, e in items])
    if found is not None:
        what, expression = items[found[0]]
        fail(f"syntax error in {what} {expression!r}: {found[1]}")


def validate_expressions(expressions: Iterable[str] | None, what: str = "expression") -> None:
    items = [(what, str(expression)) for expression in expressions or ()]
    pending = _pending_javascript.get()
    if pending is not None:
        pending.extend(items)
        return
    check_javascript(items)
