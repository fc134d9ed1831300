"""When checks run: Sensu's interval splay, cron schedules and subdue windows (pure functions).

Interval checks keep Sensu's phase: the first run is ``((md5(name) as little-endian uint64 -
now_ns) mod 2**64) mod interval_ns`` after now, so every backend, and every restart, lands on
the same instants; later runs stay on that lattice instead of drifting by the time a run takes.
Cron follows robfig/cron's ``ParseStandard``: five fields or a descriptor, ``@every <duration>``,
and an optional ``CRON_TZ=``/``TZ=`` zone (else the backend's local zone).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from croniter import croniter

NS = 1_000_000_000
_U64 = 1 << 64
_DURATION_PART = re.compile(r"([0-9]*\.?[0-9]*)(ns|us|µs|ms|s|m|h)")
_UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": NS, "m": 60 * NS}
_UNIT_NS["h"] = 3600 * NS


def splay(name: str) -> int:
    """The check's fixed phase seed: md5 of its name read as a little-endian uint64."""
    return int.from_bytes(hashlib.md5(name.encode()).digest()[:8], "little")


def next_interval_fire(name: str, interval: int, now_ns: int) -> int:
    """The first run at or after ``now_ns`` (ns since the epoch) of an interval check."""
    interval_ns = interval * NS
    return now_ns + ((splay(name) - now_ns) % _U64) % interval_ns


# --- cron ------------------------------------------------------------------------------


def _local_zone() -> tzinfo:
    zone = datetime.now().astimezone().tzinfo
    return zone if zone is not None else UTC


def parse_go_duration(text: str) -> int:
    """A Go ``time.ParseDuration`` string in nanoseconds (ValueError when it is not one)."""
    body, sign = text.strip(), 1
    if body and body[0] in "+-":
        sign, body = (-1 if body[0] == "-" else 1), body[1:]
    if body == "0":
        return 0
    if not body:
        raise ValueError(f"invalid duration {text!r}")
    total, pos = 0.0, 0
    while pos < len(body):
        match = _DURATION_PART.match(body, pos)
        if match is None or match.group(1) in ("", "."):
            raise ValueError(f"invalid duration {text!r}")
        total += float(match.group(1)) * _UNIT_NS[match.group(2)]
        pos = match.end()
    return sign * int(total)


def next_cron_fire(expression: str, after: datetime) -> datetime:
    """The first time strictly after ``after`` (aware) that ``expression`` names."""
    spec, zone = expression.strip(), _local_zone()
    if spec.startswith(("CRON_TZ=", "TZ=")):
        head, _, spec = spec.partition(" ")
        zone, spec = ZoneInfo(head.split("=", 1)[1]), spec.strip()
    if spec.startswith("@every"):
        delay = parse_go_duration(spec[len("@every") :])
        delay = max(delay - delay % NS, NS)  # robfig: whole seconds, at least one
        base = after.replace(microsecond=0)
        return base + timedelta(microseconds=delay // 1000)
    start = after.astimezone(zone)
    fire: datetime = croniter(spec, start).get_next(datetime)
    return fire


# --- subdues (Sensu's TimeWindowRepeated.InWindows) ---------------------------------------

# Go's numbering: the week starts on Sunday (0), which decides what "this week" means.
_WEEKDAY = {
    "sundays": 0,
    "mondays": 1,
    "tuesdays": 2,
    "wednesdays": 3,
    "thursdays": 4,
    "fridays": 5,
    "saturdays": 6,
}


def _go_weekday(moment: datetime) -> int:
    return moment.isoweekday() % 7


def _parse(stamp: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _in_day(now: datetime, begin: datetime, end: datetime, weekday: int) -> bool:
    if now < begin:
        return False
    now = now.astimezone(begin.tzinfo)
    start = now.replace(hour=begin.hour, minute=begin.minute, second=begin.second, microsecond=0)
    start += timedelta(days=weekday - _go_weekday(now))
    return start <= now < start + (end - begin) + timedelta(seconds=1)


def _in_daily(now: datetime, begin: datetime, end: datetime) -> bool:
    now = now.astimezone(begin.tzinfo)
    if now < begin:
        return False
    start = now.replace(hour=begin.hour, minute=begin.minute, second=begin.second, microsecond=0)
    return start <= now < start + (end - begin) + timedelta(seconds=1)


def _in_repeat(repeat: str, now: datetime, begin: datetime, end: datetime) -> bool:
    if repeat in _WEEKDAY:
        return _in_day(now, begin, end, _WEEKDAY[repeat])
    if repeat == "weekdays":
        return any(_in_day(now, begin, end, day) for day in range(1, 6))
    if repeat == "weekends":
        return any(_in_day(now, begin, end, day) for day in (6, 0))
    if repeat == "weekly":
        return _in_day(now, begin, end, _go_weekday(begin))
    local = now.astimezone(begin.tzinfo)
    if repeat == "monthly":
        return local.day == begin.day and _in_daily(now, begin, end)
    if repeat == "annually":
        same_day = (local.month, local.day) == (begin.month, begin.day)
        return same_day and _in_daily(now, begin, end)
    if repeat == "daily":
        return _in_daily(now, begin, end)
    return False


def in_window(begin: str, end: str, repeat: Sequence[str], now: datetime) -> bool:
    """Whether ``now`` falls inside one subdue window, as Sensu decides it.

    Without ``repeat`` the window is absolute (end inclusive to the second); each repeat
    period moves the window's time of day (and its length) to the matching days.
    """
    first, last = _parse(begin), _parse(end)
    if first is None or last is None:
        return False
    if not repeat:
        return first <= now < last + timedelta(seconds=1)
    return any(_in_repeat(period, now, first, last) for period in repeat)


def is_subdued(subdues: Iterable[dict[str, object]] | None, now: datetime) -> bool:
    """True while any of the check's ``subdues`` windows holds ``now``: its runs are skipped."""
    for window in subdues or ():
        repeat = window.get("repeat") or []
        if in_window(
            str(window.get("begin", "")),
            str(window.get("end", "")),
            [str(r) for r in repeat] if isinstance(repeat, list) else [],
            now,
        ):
            return True
    return False
